#include "model/weights.h"

#include "tensor/quant.h"

namespace plexus::model {
namespace {

std::string dims_string(const gguf::TensorInfo& t) {
  std::string s = "[";
  for (uint32_t i = 0; i < t.n_dims; ++i) s += (i ? ", " : "") + std::to_string(t.dims[i]);
  return s + "]";
}

Result<const gguf::TensorInfo*> find_supported(const gguf::GgufFile& file, const std::string& name) {
  const gguf::TensorInfo* t = file.find_tensor(name);
  if (t == nullptr) return invalid_file("model is missing tensor '" + name + "'");
  auto traits = traits_of(t->type);
  if (!traits || !traits->supported) {
    return unsupported("tensor '" + name + "' has type " + (traits ? traits->name : "unknown") +
                       ", which the engine does not support (supported: " + supported_tensor_type_names() + ")");
  }
  if (reinterpret_cast<uintptr_t>(t->data) % tensor::required_alignment(t->type) != 0) {
    return invalid_file("tensor '" + name + "' data is misaligned for type " + traits->name +
                        " (general.alignment too small)");
  }
  return t;
}

}  // namespace

bool has_tensor(const gguf::GgufFile& file, const std::string& name) { return file.find_tensor(name) != nullptr; }

Result<kernels::MatrixView> load_matrix(const gguf::GgufFile& file, const std::string& name, int64_t rows, int64_t cols) {
  PLEXUS_ASSIGN_OR_RETURN(const gguf::TensorInfo* t, find_supported(file, name));
  const bool shape_ok = (t->n_dims == 2 && t->dims[0] == cols && t->dims[1] == rows) ||
                        (t->n_dims == 1 && rows == 1 && t->dims[0] == cols);
  if (!shape_ok) {
    return invalid_file("tensor '" + name + "' has shape " + dims_string(*t) + ", expected [" + std::to_string(cols) +
                        ", " + std::to_string(rows) + "]");
  }
  auto stride = row_bytes(t->type, static_cast<uint64_t>(cols));
  if (!tensor::can_vec_dot(t->type)) {
    return unsupported("tensor '" + name + "' has type " + tensor_type_name(t->type) + ", which cannot be a weight matrix");
  }
  if (!stride) return invalid_file("tensor '" + name + "': row length " + std::to_string(cols) + " does not fit its type");
  kernels::MatrixView view;
  view.type = t->type;
  view.rows = rows;
  view.cols = cols;
  view.row_stride = *stride;
  view.data = t->data;
  return view;
}

Result<std::vector<float>> load_vector(const gguf::GgufFile& file, const std::string& name, int64_t n) {
  PLEXUS_ASSIGN_OR_RETURN(const gguf::TensorInfo* t, find_supported(file, name));
  if (t->n_elements != static_cast<uint64_t>(n) || t->dims[0] != n) {
    return invalid_file("tensor '" + name + "' has shape " + dims_string(*t) + ", expected [" + std::to_string(n) + "]");
  }
  if (!tensor::can_dequantize(t->type)) {
    return unsupported("tensor '" + name + "' has type " + tensor_type_name(t->type) + ", which cannot be read as floats");
  }
  std::vector<float> out(static_cast<size_t>(n));
  tensor::dequantize_row(t->type, t->data, out.data(), n);
  return out;
}

Result<int64_t> require_int(const gguf::GgufFile& file, const std::string& key) {
  auto v = file.get_int(key);
  if (!v.ok()) {
    if (v.status().code() == error_code::not_found) return invalid_file("model metadata is missing '" + key + "'");
    return v.status();
  }
  return *v;
}

int64_t int_or(const gguf::GgufFile& file, const std::string& key, int64_t fallback, Status* error) {
  auto v = file.get_int(key);
  if (v.ok()) return *v;
  if (v.status().code() != error_code::not_found && error != nullptr && error->ok()) *error = v.status();
  return fallback;
}

float float_or(const gguf::GgufFile& file, const std::string& key, float fallback, Status* error) {
  auto v = file.get_float(key);
  if (v.ok()) return static_cast<float>(*v);
  if (v.status().code() != error_code::not_found && error != nullptr && error->ok()) *error = v.status();
  return fallback;
}

}  // namespace plexus::model

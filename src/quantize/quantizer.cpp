#include "quantize/quantizer.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

#include "core/checked_math.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "quantize/kquant_exact.h"
#include "quantize/recipe.h"
#include "tensor/quant.h"

namespace plexus::quantize {
namespace {

constexpr uint32_t kQuantizationVersion = 2;  // GGML_QNT_VERSION

bool is_float_type(tensor_type t) {
  return t == tensor_type::f32 || t == tensor_type::f16 || t == tensor_type::bf16;
}

std::string tensor_label(std::string_view name) { return "tensor '" + std::string(name) + "'"; }

ModelShape model_shape(const gguf::GgufFile& file) {
  ModelShape shape;
  if (auto arch = file.get_string("general.architecture"); arch.ok()) {
    const std::string a(*arch);
    if (auto v = file.get_int(a + ".attention.head_count"); v.ok() && *v > 0) shape.n_head = *v;
    shape.n_head_kv = shape.n_head;
    if (auto v = file.get_int(a + ".attention.head_count_kv"); v.ok() && *v > 0) shape.n_head_kv = *v;
  }
  for (const auto& t : file.tensors()) count_tensor(shape, t.name);
  return shape;
}

// One tensor converted to `type`: every row widened to float, then quantized.
Result<std::vector<uint8_t>> convert_tensor(const gguf::TensorInfo& info, tensor_type type, ThreadPool& pool) {
  if (!is_float_type(info.type)) {
    return unsupported(tensor_label(info.name) + " is " + tensor_type_name(info.type) +
                       ": plexus quantize converts from F32, F16 or BF16 only");
  }
  if (!tensor::can_quantize(type)) {
    return unsupported(tensor_label(info.name) + ": cannot quantize to " + tensor_type_name(type));
  }
  const int64_t n_per_row = info.dims[0];
  if (n_per_row <= 0) return invalid_file(tensor_label(info.name) + " has an empty row");
  const uint64_t rows = info.n_elements / static_cast<uint64_t>(n_per_row);
  const auto in_stride = row_bytes(info.type, static_cast<uint64_t>(n_per_row));
  const auto out_stride = row_bytes(type, static_cast<uint64_t>(n_per_row));
  if (!in_stride || !out_stride) {
    return invalid_argument(tensor_label(info.name) + ": rows of " + std::to_string(n_per_row) +
                            " elements do not fit " + tensor_type_name(type));
  }
  const auto in_total = checked_mul(*in_stride, rows);
  const auto out_total = checked_mul(*out_stride, rows);
  if (!in_total || !out_total || *in_total != info.n_bytes) {
    return invalid_file(tensor_label(info.name) + ": data size does not match its shape");
  }
  std::vector<uint8_t> out(static_cast<size_t>(*out_total));
  const uint8_t* src = info.data;
  const tensor_type in_type = info.type;
  const uint64_t stride = *in_stride;
  quantize_rows(pool, type, static_cast<int64_t>(rows), n_per_row, out.data(), [&](int64_t row, float* dst) {
    const uint8_t* p = src + static_cast<uint64_t>(row) * stride;
    if (in_type == tensor_type::f32) {
      std::memcpy(dst, p, static_cast<size_t>(stride));
    } else {
      // F16/BF16 rows go through an aligned copy: mapped data is only byte-aligned in hostile
      // files.
      thread_local std::vector<uint16_t> staging;
      staging.resize(static_cast<size_t>(n_per_row));
      std::memcpy(staging.data(), p, static_cast<size_t>(stride));
      tensor::dequantize_row(in_type, staging.data(), dst, n_per_row);
    }
  });
  return out;
}

// "blk.12.attn_q.weight" -> 12; -1 for tensors outside the blocks.
int64_t block_index(std::string_view name) {
  if (name.substr(0, 4) != "blk.") return -1;
  int64_t n = 0;
  size_t i = 4;
  for (; i < name.size() && name[i] >= '0' && name[i] <= '9' && n < (int64_t{1} << 40); ++i) n = n * 10 + (name[i] - '0');
  return i > 4 && i < name.size() && name[i] == '.' ? n : -1;
}

// llama-quantize's output order (its loader keeps tensors in a map ordered this way): tensors
// outside the blocks first, then block by block in layer order, by name within each group.
std::vector<const gguf::TensorInfo*> output_order(const gguf::GgufFile& file) {
  std::vector<const gguf::TensorInfo*> order;
  for (const auto& t : file.tensors()) order.push_back(&t);
  std::stable_sort(order.begin(), order.end(), [](const gguf::TensorInfo* a, const gguf::TensorInfo* b) {
    const int64_t la = block_index(a->name), lb = block_index(b->name);
    if (la != lb) return la < lb;
    return a->name < b->name;
  });
  return order;
}

}  // namespace

void quantize_rows(ThreadPool& pool, tensor_type type, int64_t rows, int64_t n_per_row, uint8_t* dst,
                   const std::function<void(int64_t row, float* out)>& fill) {
  const uint64_t stride = *row_bytes(type, static_cast<uint64_t>(n_per_row));
  // Chunks of whole rows: enough chunks per worker to balance uneven row costs without paying
  // a dispatch per row.
  pool.parallel_for(rows, [&](int64_t begin, int64_t end) {
    std::vector<float> scratch(static_cast<size_t>(n_per_row));
    for (int64_t r = begin; r < end; ++r) {
      fill(r, scratch.data());
      quantize_row_exact(type, scratch.data(), dst + static_cast<uint64_t>(r) * stride, n_per_row);
    }
  });
}

Result<QuantizeStats> quantize_file(const std::string& in, const std::string& out, const QuantizeOptions& options,
                                    ThreadPool& pool) {
  const auto recipe = find_recipe(options.recipe);
  if (!recipe) {
    return invalid_argument("unknown quantization type '" + options.recipe + "' (known: " + recipe_names() + ")");
  }
  std::error_code ec;
  if (std::filesystem::exists(out, ec) && std::filesystem::equivalent(in, out, ec)) {
    return invalid_argument("output file is the input file: " + out);
  }
  PLEXUS_ASSIGN_OR_RETURN(auto file, gguf::GgufFile::open(in));

  gguf::GgufWriter writer;
  for (const auto& kv : file->metadata()) writer.set(kv.key, kv.value);
  // Removed and appended, as llama-quantize's GGUF library does when it sets a key.
  writer.remove("general.quantization_version");
  writer.set_u32("general.quantization_version", kQuantizationVersion);
  writer.remove("general.file_type");
  writer.set_u32("general.file_type", recipe->file_type);

  TypeChooser chooser(*recipe, model_shape(*file), options.pure);
  QuantizeStats stats;
  for (const gguf::TensorInfo* tensor : output_order(*file)) {
    const gguf::TensorInfo& info = *tensor;
    std::vector<int64_t> dims(info.dims, info.dims + info.n_dims);
    const tensor_type type = chooser.choose(info.name, dims, info.type);
    stats.input_bytes += info.n_bytes;
    ++stats.tensors;
    ++stats.types[tensor_type_name(type)];
    if (type == info.type) {
      stats.output_bytes += info.n_bytes;
      PLEXUS_RETURN_IF_ERROR(writer.add_tensor(info.name, type, dims, {info.data, static_cast<size_t>(info.n_bytes)}));
      continue;
    }
    PLEXUS_ASSIGN_OR_RETURN(auto data, convert_tensor(info, type, pool));
    stats.output_bytes += data.size();
    PLEXUS_RETURN_IF_ERROR(writer.add_tensor(info.name, type, dims, data));
  }
  Status written = writer.write_file(out);
  if (!written.ok()) {
    std::filesystem::remove(out, ec);
    return written;
  }
  return stats;
}

}  // namespace plexus::quantize

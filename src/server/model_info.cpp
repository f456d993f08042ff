#include "server/model_info.h"

#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <tuple>

#include "core/sha256.h"
#include "gguf/gguf_file.h"

namespace plexus::server {
namespace {

namespace fs = std::filesystem;

// llama.cpp's LLAMA_FTYPE values.
const char* file_type_name(int64_t ft) {
  switch (ft) {
    case 0: return "F32";
    case 1: return "F16";
    case 2: return "Q4_0";
    case 3: return "Q4_1";
    case 7: return "Q8_0";
    case 8: return "Q5_0";
    case 9: return "Q5_1";
    case 10: return "Q2_K";
    case 11: return "Q3_K_S";
    case 12: return "Q3_K_M";
    case 13: return "Q3_K_L";
    case 14: return "Q4_K_S";
    case 15: return "Q4_K_M";
    case 16: return "Q5_K_S";
    case 17: return "Q5_K_M";
    case 18: return "Q6_K";
    case 32: return "BF16";
    default: return nullptr;
  }
}

nlohmann::json scalar_json(const gguf::Value& v) {
  using gguf::value_type;
  switch (v.type) {
    case value_type::u8:
    case value_type::u16:
    case value_type::u32:
    case value_type::u64: return v.scalar.u;
    case value_type::i8:
    case value_type::i16:
    case value_type::i32:
    case value_type::i64: return v.scalar.i;
    case value_type::f32:
    case value_type::f64: return v.scalar.f;
    case value_type::boolean: return v.scalar.b;
    case value_type::string: return std::string(v.str);
    case value_type::array: return nullptr;
  }
  return nullptr;
}

struct CacheKey {
  std::string path;
  uint64_t size;
  int64_t mtime;
  bool operator<(const CacheKey& o) const { return std::tie(path, size, mtime) < std::tie(o.path, o.size, o.mtime); }
};

std::mutex cache_mutex;
std::map<CacheKey, GgufSummary> cache;  // guarded by cache_mutex

}  // namespace

std::string format_parameter_size(uint64_t p) {
  char buf[32];
  const double v = static_cast<double>(p);
  if (p >= 1'000'000'000ull) {
    std::snprintf(buf, sizeof buf, "%.1fB", v / 1e9);
  } else if (p >= 1'000'000ull) {
    std::snprintf(buf, sizeof buf, "%.1fM", v / 1e6);
  } else if (p >= 1'000ull) {
    std::snprintf(buf, sizeof buf, "%.1fK", v / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(p));
  }
  return buf;
}

Result<GgufSummary> summarize_gguf(const std::string& path) {
  std::error_code ec;
  const uint64_t size = fs::file_size(path, ec);
  if (ec) return io_error("cannot stat '" + path + "': " + ec.message());
  const int64_t mtime = fs::last_write_time(path, ec).time_since_epoch().count();
  const CacheKey key{path, size, mtime};
  {
    std::lock_guard lock(cache_mutex);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  PLEXUS_ASSIGN_OR_RETURN(auto file, gguf::GgufFile::open(path));
  GgufSummary s;
  if (auto v = file->get_string("general.architecture"); v.ok()) s.arch = std::string(*v);
  if (auto v = file->get_string("general.name"); v.ok()) s.name = std::string(*v);
  if (auto v = file->get_string("tokenizer.chat_template"); v.ok()) s.chat_template = std::string(*v);
  if (!s.arch.empty()) {
    if (auto v = file->get_int(s.arch + ".context_length"); v.ok()) s.context_length = *v;
  }
  std::map<std::string, uint64_t> by_type;
  for (const auto& t : file->tensors()) {
    s.parameters += t.n_elements;
    by_type[tensor_type_name(t.type)] += t.n_elements;
  }
  s.parameter_size = format_parameter_size(s.parameters);
  const char* ft = nullptr;
  if (auto v = file->get_int("general.file_type"); v.ok()) ft = file_type_name(*v);
  if (ft != nullptr) {
    s.quantization = ft;
  } else {
    uint64_t best = 0;
    for (const auto& [name, n] : by_type) {
      if (n > best) {
        best = n;
        s.quantization = name;
      }
    }
  }
  for (const auto& kv : file->metadata()) {
    if (kv.key == "tokenizer.chat_template") continue;  // shown as `template`
    s.model_info[std::string(kv.key)] = scalar_json(kv.value);
  }
  const std::string stamp = path + "|" + std::to_string(size) + "|" + std::to_string(mtime);
  s.digest = sha256_hex(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(stamp.data()), stamp.size()));
  std::lock_guard lock(cache_mutex);
  cache[key] = s;
  return s;
}

}  // namespace plexus::server

// A read-only memory mapping of a whole file. Model weights are used in place from the mapping,
// so loading a model costs page-cache pages, not heap.
// Thread-safe: immutable after construction; the bytes may be read from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "core/status.h"

namespace plexus {

class MappedFile {
 public:
  static Result<std::unique_ptr<MappedFile>> open(const std::string& path);
  // Owns a heap copy of `bytes` (used by fuzzers and tests to parse in-memory images).
  static std::unique_ptr<MappedFile> from_bytes(std::span<const uint8_t> bytes);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }
  std::span<const uint8_t> bytes() const { return {data_, static_cast<size_t>(size_)}; }
  const std::string& path() const { return path_; }

 private:
  MappedFile() = default;
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  bool is_mmap_ = false;
  std::unique_ptr<uint8_t[]> heap_;
  std::string path_;
};

}  // namespace plexus

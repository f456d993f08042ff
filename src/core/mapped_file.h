// A read-only memory image of a whole file. Model weights are used in place from it. Two ways:
//  - map: the file's page-cache pages mapped (lazy; costs no memory of its own; 4 KiB pages);
//  - huge_pages: the file read into anonymous memory advised for transparent huge pages (2 MiB).
//    Streaming the weights then takes ~50x fewer TLB misses and the hardware prefetchers are not
//    stopped at every 4 KiB boundary: decode, which reads every weight once per token, runs
//    closer to the memory bandwidth (docs/PERFORMANCE.md). It costs reading the whole file at
//    open. Where the kernel offers no transparent huge pages it falls back to map.
// Thread-safe: immutable after construction, except through edit(), which the owner calls before
// sharing the image; the bytes may then be read from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "core/status.h"

namespace plexus {

enum class FileLoad { map, huge_pages };

class MappedFile {
 public:
  static Result<std::unique_ptr<MappedFile>> open(const std::string& path, FileLoad load = FileLoad::map);
  // Whether this process may get transparent huge pages for memory it advises (the kernel's
  // setting is "always" or "madvise").
  static bool huge_pages_available();
  // Owns a heap copy of `bytes` (used by fuzzers and tests to parse in-memory images).
  static std::unique_ptr<MappedFile> from_bytes(std::span<const uint8_t> bytes);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }
  std::span<const uint8_t> bytes() const { return {data_, static_cast<size_t>(size_)}; }
  const std::string& path() const { return path_; }
  bool in_huge_pages() const { return anon_bytes_ != 0; }
  // Whether the image is this process's own memory (huge_pages, from_bytes) rather than the page
  // cache's pages, so that edit() may rewrite it.
  bool is_private() const { return anon_bytes_ != 0 || heap_ != nullptr; }
  // Runs `edit` on the first byte of a private image with the write protection lifted (the loader
  // rewrites weights into the kernels' layouts, in place, before anything else reads them).
  // unsupported for a mapped file. Not thread-safe: nothing may read the image meanwhile.
  Status edit(const std::function<void(uint8_t* image)>& edit);

 private:
  MappedFile() = default;
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  bool is_mmap_ = false;
  uint64_t anon_bytes_ = 0;    // huge_pages: the size of the anonymous mapping at anon_base_
  uint8_t* anon_base_ = nullptr;
  std::unique_ptr<uint8_t[]> heap_;
  std::string path_;
};

}  // namespace plexus

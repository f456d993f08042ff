// Anonymous memory in transparent huge pages where the kernel offers them (THP "always" or
// "madvise"), as the model's weights are by default (core/mapped_file.h): for buffers that must
// stream like the weights do (bandwidth measurements, kernel benchmarks), not pay 4 KiB-page TLB
// misses the weights never see.
// Thread-compatible: one owner; the bytes themselves may be read by many threads.
#pragma once

#include <cstddef>
#include <cstdint>

namespace plexus {

class HugePageBuffer {
 public:
  // Zero-filled. Throws std::bad_alloc when the mapping fails.
  explicit HugePageBuffer(size_t bytes);
  ~HugePageBuffer();
  HugePageBuffer(const HugePageBuffer&) = delete;
  HugePageBuffer& operator=(const HugePageBuffer&) = delete;

  uint8_t* data() const { return data_; }
  uint64_t* words() const { return reinterpret_cast<uint64_t*>(data_); }  // page-aligned
  size_t size() const { return size_; }

 private:
  size_t size_;
  uint8_t* data_;
};

// Sum of n 64-bit words with independent accumulators: a pure streaming read, the yardstick that
// weight-streaming kernels are compared with. Cloned for AVX-512 and AVX2 (chosen at load time):
// wide loads keep the loop memory-bound even when a thread gets only part of a core.
uint64_t sum_words(const uint64_t* words, size_t n);

}  // namespace plexus

#include "core/huge_page_buffer.h"

#include <sys/mman.h>

#include <new>

namespace plexus {

HugePageBuffer::HugePageBuffer(size_t bytes) : size_(bytes == 0 ? 1 : bytes) {
  void* p = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  (void)::madvise(p, size_, MADV_HUGEPAGE);  // advice only: without THP the buffer still works
  data_ = static_cast<uint8_t*>(p);
}

HugePageBuffer::~HugePageBuffer() { ::munmap(data_, size_); }

__attribute__((target_clones("avx512f", "avx2", "default"))) uint64_t sum_words(const uint64_t* words, size_t n) {
  uint64_t acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; ++k) acc[k] += words[i + static_cast<size_t>(k)];
  }
  for (; i < n; ++i) acc[0] += words[i];
  return acc[0] + acc[1] + acc[2] + acc[3] + acc[4] + acc[5] + acc[6] + acc[7];
}

}  // namespace plexus

#include "core/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

namespace plexus {

namespace {

constexpr uint64_t kHugePage = 2ull << 20;

// Reads all `size` bytes of fd into dst (pread in chunks; a short read or an error fails).
Status read_all(int fd, uint8_t* dst, uint64_t size, const std::string& path) {
  constexpr uint64_t kChunk = 64ull << 20;
  uint64_t done = 0;
  while (done < size) {
    const uint64_t want = size - done < kChunk ? size - done : kChunk;
    const ssize_t got = ::pread(fd, dst + done, static_cast<size_t>(want), static_cast<off_t>(done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return io_error("cannot read '" + path + "': " + std::strerror(errno));
    if (got == 0) return io_error("'" + path + "' ended at byte " + std::to_string(done) + " while reading it (was it truncated?)");
    done += static_cast<uint64_t>(got);
  }
  return {};
}

}  // namespace

bool MappedFile::huge_pages_available() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string line;
  std::getline(in, line);
  return line.find("[always]") != std::string::npos || line.find("[madvise]") != std::string::npos;
}

Result<std::unique_ptr<MappedFile>> MappedFile::open(const std::string& path, FileLoad load) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open '" + path + "': " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return io_error("cannot stat '" + path + "': " + std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return io_error("'" + path + "' is not a regular file");
  }
  std::unique_ptr<MappedFile> file(new MappedFile());
  file->path_ = path;
  file->size_ = static_cast<uint64_t>(st.st_size);
  if (file->size_ > 0 && load == FileLoad::huge_pages && huge_pages_available()) {
    // Over-allocate by one huge page so the image can start on a 2 MiB boundary.
    const uint64_t bytes = (file->size_ + kHugePage - 1) / kHugePage * kHugePage + kHugePage;
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED) {
      auto* base = static_cast<uint8_t*>(p);
      uint8_t* image = base + (kHugePage - reinterpret_cast<uintptr_t>(base) % kHugePage) % kHugePage;
      (void)::madvise(image, static_cast<size_t>(bytes - static_cast<uint64_t>(image - base)), MADV_HUGEPAGE);
      if (Status st_read = read_all(fd, image, file->size_, path); !st_read.ok()) {
        ::munmap(p, static_cast<size_t>(bytes));
        ::close(fd);
        return st_read;
      }
      (void)::mprotect(base, static_cast<size_t>(bytes), PROT_READ);
      file->anon_base_ = base;
      file->anon_bytes_ = bytes;
      file->data_ = image;
      ::close(fd);
      return file;
    }
  }
  if (file->size_ > 0) {
    void* p = ::mmap(nullptr, file->size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      return io_error("cannot map '" + path + "': " + std::strerror(err));
    }
    file->data_ = static_cast<const uint8_t*>(p);
    file->is_mmap_ = true;
  }
  ::close(fd);
  return file;
}

Status MappedFile::edit(const std::function<void(uint8_t* image)>& edit) {
  if (!is_private()) return unsupported("'" + path_ + "' is mapped from the page cache and cannot be edited in place");
  if (heap_ != nullptr) {
    edit(heap_.get());  // data_ == heap_.get()
    return {};
  }
  // The whole mapping changes protection at once: splitting it would split its huge pages.
  if (::mprotect(anon_base_, static_cast<size_t>(anon_bytes_), PROT_READ | PROT_WRITE) != 0) {
    return io_error("cannot make the image of '" + path_ + "' writable: " + std::strerror(errno));
  }
  edit(const_cast<uint8_t*>(data_));  // data_ lies inside anon_base_, which this object owns
  (void)::mprotect(anon_base_, static_cast<size_t>(anon_bytes_), PROT_READ);
  return {};
}

std::unique_ptr<MappedFile> MappedFile::from_bytes(std::span<const uint8_t> bytes) {
  std::unique_ptr<MappedFile> file(new MappedFile());
  file->path_ = "<memory>";
  file->size_ = bytes.size();
  file->heap_ = std::make_unique<uint8_t[]>(bytes.empty() ? 1 : bytes.size());
  if (!bytes.empty()) std::memcpy(file->heap_.get(), bytes.data(), bytes.size());
  file->data_ = file->heap_.get();
  return file;
}

MappedFile::~MappedFile() {
  if (is_mmap_ && data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
  if (anon_base_ != nullptr) ::munmap(anon_base_, static_cast<size_t>(anon_bytes_));
}

}  // namespace plexus

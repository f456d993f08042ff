// MappedFile in both load modes: the same bytes, the right error for a missing or non-regular
// path, empty files, and huge_pages falling back to a mapping where the kernel has no THP.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/mapped_file.h"

namespace plexus {
namespace {

namespace fs = std::filesystem;

std::string temp_path(const std::string& name) {
  return (fs::temp_directory_path() / ("plexus_mapped_" + std::to_string(::getpid()) + "_" + name)).string();
}

std::vector<uint8_t> write_random_file(const std::string& path, size_t size) {
  std::mt19937 rng(static_cast<uint32_t>(size));
  std::vector<uint8_t> bytes(size);
  for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return bytes;
}

TEST(MappedFile, BothLoadModesGiveTheFileBytes) {
  // Sizes around the 2 MiB huge page and the 64 MiB read chunk boundaries are covered by 3 MiB + 1.
  for (size_t size : {size_t{1}, size_t{4097}, size_t{(3u << 20) + 1}}) {
    const std::string path = temp_path("bytes");
    const auto bytes = write_random_file(path, size);
    for (FileLoad load : {FileLoad::map, FileLoad::huge_pages}) {
      auto file = MappedFile::open(path, load);
      ASSERT_TRUE(file.ok()) << file.status().message();
      ASSERT_EQ((*file)->size(), size);
      EXPECT_EQ(0, std::memcmp((*file)->data(), bytes.data(), size));
      EXPECT_EQ((*file)->in_huge_pages(), load == FileLoad::huge_pages && MappedFile::huge_pages_available());
      if ((*file)->in_huge_pages()) {
        EXPECT_EQ(reinterpret_cast<uintptr_t>((*file)->data()) % (2u << 20), 0u);
      }
    }
    fs::remove(path);
  }
}

TEST(MappedFile, EmptyFileOpensWithNoBytes) {
  const std::string path = temp_path("empty");
  write_random_file(path, 0);
  for (FileLoad load : {FileLoad::map, FileLoad::huge_pages}) {
    auto file = MappedFile::open(path, load);
    ASSERT_TRUE(file.ok()) << file.status().message();
    EXPECT_EQ((*file)->size(), 0u);
  }
  fs::remove(path);
}

TEST(MappedFile, MissingFileAndDirectoryAreErrorsNamingThePath) {
  for (FileLoad load : {FileLoad::map, FileLoad::huge_pages}) {
    auto missing = MappedFile::open(temp_path("does_not_exist"), load);
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.status().message().find("does_not_exist"), std::string::npos) << missing.status().message();
    auto dir = MappedFile::open(fs::temp_directory_path().string(), load);
    ASSERT_FALSE(dir.ok());
    EXPECT_NE(dir.status().message().find("not a regular file"), std::string::npos) << dir.status().message();
  }
}

}  // namespace
}  // namespace plexus

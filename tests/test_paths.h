// Where tests find ../shared (models and goldens) and the built binary.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace plexus::testing {

// $PLEXUS_SHARED_DIR, else the directory configured at build time (<repo>/../shared).
inline std::filesystem::path shared_dir() {
  if (const char* env = std::getenv("PLEXUS_SHARED_DIR"); env != nullptr && *env != '\0') return env;
  return PLEXUS_DEFAULT_SHARED_DIR;
}

inline std::filesystem::path plexus_binary() {
  return std::filesystem::path(PLEXUS_BINARY_DIR) / "src" / "cli" / "plexus";
}

}  // namespace plexus::testing

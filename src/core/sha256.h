// SHA-256 of files and buffers (libsodium), as lowercase hex.
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/status.h"

namespace plexus {

std::string sha256_hex(std::span<const uint8_t> bytes);
Result<std::string> sha256_file_hex(const std::string& path);

}  // namespace plexus

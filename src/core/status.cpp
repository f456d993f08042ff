#include "core/status.h"

namespace plexus {

const char* error_code_name(error_code code) {
  switch (code) {
    case error_code::ok: return "ok";
    case error_code::invalid_argument: return "invalid_argument";
    case error_code::invalid_file: return "invalid_file";
    case error_code::not_found: return "not_found";
    case error_code::unsupported: return "unsupported";
    case error_code::out_of_range: return "out_of_range";
    case error_code::io_error: return "io_error";
    case error_code::resource_exhausted: return "resource_exhausted";
    case error_code::cancelled: return "cancelled";
    case error_code::internal: return "internal";
  }
  return "unknown";
}

std::string Status::to_string() const {
  if (ok()) return "ok";
  return std::string(error_code_name(code_)) + ": " + message_;
}

}  // namespace plexus

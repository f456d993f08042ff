// Status and Result<T>: the error currency at every module boundary.
// Thread-safe: values are plain data; no shared state.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace plexus {

enum class error_code {
  ok = 0,
  invalid_argument,  // caller passed something malformed (bad request field, bad flag)
  invalid_file,      // a file's bytes are malformed (GGUF, template, grammar ...)
  not_found,         // model, key, tensor or file missing
  unsupported,       // well-formed but not implemented (architecture, tensor type)
  out_of_range,      // context exhausted, limit exceeded
  io_error,          // OS-level failure
  resource_exhausted,// queue full, memory budget
  cancelled,
  internal,
};

const char* error_code_name(error_code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(error_code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok_status() { return {}; }
  bool ok() const { return code_ == error_code::ok; }
  error_code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "invalid_file: tensor 'x' ..." for logs and CLI errors.
  std::string to_string() const;

 private:
  error_code code_ = error_code::ok;
  std::string message_;
};

inline Status invalid_argument(std::string m) { return {error_code::invalid_argument, std::move(m)}; }
inline Status invalid_file(std::string m) { return {error_code::invalid_file, std::move(m)}; }
inline Status not_found(std::string m) { return {error_code::not_found, std::move(m)}; }
inline Status unsupported(std::string m) { return {error_code::unsupported, std::move(m)}; }
inline Status out_of_range(std::string m) { return {error_code::out_of_range, std::move(m)}; }
inline Status io_error(std::string m) { return {error_code::io_error, std::move(m)}; }
inline Status internal_error(std::string m) { return {error_code::internal, std::move(m)}; }

// Result<T>: either a value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : data_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(data_).ok() && "Result from an ok Status has no value");
  }

  bool ok() const { return std::holds_alternative<T>(data_); }
  explicit operator bool() const { return ok(); }

  const Status& status() const {
    static const Status ok_status;
    return ok() ? ok_status : std::get<Status>(data_);
  }
  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace plexus

#define PLEXUS_CONCAT_INNER(a, b) a##b
#define PLEXUS_CONCAT(a, b) PLEXUS_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function if `expr` (a Status) is not ok.
#define PLEXUS_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::plexus::Status plexus_status_ = (expr);        \
    if (!plexus_status_.ok()) return plexus_status_; \
  } while (0)

// `PLEXUS_ASSIGN_OR_RETURN(auto x, make_x());` unwraps a Result or returns its Status.
#define PLEXUS_ASSIGN_OR_RETURN(lhs, expr)                                      \
  auto PLEXUS_CONCAT(plexus_result_, __LINE__) = (expr);                        \
  if (!PLEXUS_CONCAT(plexus_result_, __LINE__).ok())                            \
    return PLEXUS_CONCAT(plexus_result_, __LINE__).status();                    \
  lhs = std::move(PLEXUS_CONCAT(plexus_result_, __LINE__)).value()

// Status and Result<T>: the one error idiom of the sluice API.
//
// Node methods return a Status instead of throwing: exceptions must not cross the
// plugin boundary. End of stream is a Status of its own, distinct from an error, so a
// source says "I am done" the same way it says "I failed".
//
//   sluice::Result<int> parse(std::string_view s);
//   sluice::Status open(const sluice::Params& p) {
//     SLUICE_ASSIGN_OR_RETURN(int n, parse(p.get(kCount)));
//     SLUICE_RETURN_IF_ERROR(check(n));
//     return sluice::ok();
//   }
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace sluice {

enum class StatusCode {
  kOk = 0,
  kEndOfStream,      // a source has no more data; not an error
  kInvalidArgument,  // bad params or bad input data
  kNotFound,         // a file, device or name that does not exist
  kUnavailable,      // a device or stream that cannot be reached now
  kInternal,         // anything else that went wrong
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == StatusCode::kOk; }
  bool end_of_stream() const { return code_ == StatusCode::kEndOfStream; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status ok() { return {}; }
inline Status end_of_stream() { return {StatusCode::kEndOfStream, "end of stream"}; }
inline Status invalid_argument(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status not_found(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status internal_error(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// A value or the Status that explains why there is none.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;  // meaningful only when value_ is empty
};

}  // namespace sluice

#define SLUICE_CONCAT_INNER_(a, b) a##b
#define SLUICE_CONCAT_(a, b) SLUICE_CONCAT_INNER_(a, b)

// Returns from the enclosing function when `expr` (a Status) is not ok.
#define SLUICE_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::sluice::Status sluice_status_ = (expr);        \
    if (!sluice_status_.ok()) return sluice_status_; \
  } while (0)

// `SLUICE_ASSIGN_OR_RETURN(auto x, f())`: declares x from a Result, or returns its Status.
#define SLUICE_ASSIGN_OR_RETURN(decl, expr)                   \
  auto SLUICE_CONCAT_(sluice_result_, __LINE__) = (expr);     \
  if (!SLUICE_CONCAT_(sluice_result_, __LINE__).ok())         \
    return SLUICE_CONCAT_(sluice_result_, __LINE__).status(); \
  decl = std::move(SLUICE_CONCAT_(sluice_result_, __LINE__)).value()

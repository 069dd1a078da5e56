// A minimal error type for the TensorFlow-independent core.
//
// Kernels translate a failed Status into errors::InvalidArgument (or the
// matching TensorFlow code), so the message must already name the argument,
// the bad value and what is allowed.
#ifndef TFGLE_CORE_STATUS_H_
#define TFGLE_CORE_STATUS_H_

#include <sstream>
#include <string>
#include <utility>

namespace tfgle {

class Status {
 public:
  enum class Code { kOk, kInvalidArgument, kFailedPrecondition, kResourceExhausted };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) {
    return Status(Code::kInvalidArgument, std::move(msg));
  }
  static Status FailedPrecondition(std::string msg) {
    return Status(Code::kFailedPrecondition, std::move(msg));
  }
  static Status ResourceExhausted(std::string msg) {
    return Status(Code::kResourceExhausted, std::move(msg));
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// Concatenates printable values into one message: StrCat("ids[", i, "] = ", v).
template <typename... Args>
std::string StrCat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

#define TFGLE_RETURN_IF_ERROR(expr)      \
  do {                                   \
    ::tfgle::Status _status = (expr);    \
    if (!_status.ok()) return _status;   \
  } while (0)

}  // namespace tfgle

#endif  // TFGLE_CORE_STATUS_H_

// The one error type of jiffi's internals; converted to jiffi_error at the C API boundary.
#pragma once

#include <exception>
#include <string>

namespace jiffi::detail {

enum class ErrorCode : int {
#define JIFFI_ERROR(name, value, text) name = value,
#include "jiffi/errors.def"
#undef JIFFI_ERROR
};

// An error with a code from errors.def and a message naming the offending input.
class Error : public std::exception {
public:
    Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}
    ErrorCode code() const noexcept { return code_; }
    const char* what() const noexcept override { return message_.c_str(); }
    const std::string& message() const noexcept { return message_; }

private:
    ErrorCode code_;
    std::string message_;
};

// Throws an Error with the given code and message.
[[noreturn]] void fail(ErrorCode code, std::string message);

// The description of a code from errors.def.
const char* error_code_text(int code) noexcept;

}  // namespace jiffi::detail

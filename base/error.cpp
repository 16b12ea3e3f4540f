// Error construction and the code descriptions of errors.def.
#include "base/error.hpp"

namespace jiffi::detail {

void fail(ErrorCode code, std::string message) { throw Error(code, std::move(message)); }

const char* error_code_text(int code) noexcept {
    switch (code) {
#define JIFFI_ERROR(name, value, text) \
    case value: return text;
#include "jiffi/errors.def"
#undef JIFFI_ERROR
    default: return "unknown error code";
    }
}

}  // namespace jiffi::detail

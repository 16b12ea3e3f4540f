// What every C API entry point shares: errors made from exceptions, argument checks.
#pragma once

#include <exception>
#include <new>
#include <string>

#include "jiffi/jiffi.h"
#include "marshal/error.hpp"
#include "runtime/context.hpp"

namespace jiffi::detail {

// Returned when even the error cannot be allocated; jiffi_error_dispose never frees it.
extern jiffi_error oom_error;

// A new error, or oom_error when it cannot be allocated.
inline jiffi_error* make_error(int code, std::string message) noexcept {
    try {
        return new jiffi_error{code, std::move(message)};
    } catch (...) {
        return &oom_error;
    }
}

// Runs body, converting any exception it throws into a jiffi_error.
template <class F>
jiffi_error* guarded(F&& body) noexcept {
    try {
        body();
        return nullptr;
    } catch (const Error& e) {
        return make_error(static_cast<int>(e.code()), e.message());
    } catch (const std::bad_alloc&) {
        return make_error(JIFFI_E_OUT_OF_MEMORY, "out of memory");
    } catch (const std::exception& e) {
        return make_error(JIFFI_E_INTERNAL, std::string("internal error: ") + e.what());
    } catch (...) {
        return make_error(JIFFI_E_INTERNAL, "internal error: unknown exception");
    }
}

// Fails with INVALID_ARGUMENT naming the function and parameter when p is null.
inline void require(const void* p, const char* function, const char* param) {
    if (!p) fail(ErrorCode::INVALID_ARGUMENT, std::string(function) + ": argument '" + param + "' is NULL");
}

}  // namespace jiffi::detail

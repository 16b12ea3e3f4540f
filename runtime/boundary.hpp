// What the C API's entry points (capi/) share: the error object they hand out, errors made
// from exceptions, argument checks, handle resolution, text copied out to a caller's buffer.
#pragma once

#include <cstring>
#include <exception>
#include <new>
#include <string>

#include "jiffi/jiffi.h"
#include "base/error.hpp"
#include "runtime/batch.hpp"
#include "runtime/context.hpp"
#include "runtime/function.hpp"
#include "runtime/handles.hpp"
#include "runtime/library.hpp"

// The error object handed to C callers.
struct jiffi_error {
    int code = 0;
    std::string message;
};

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

// The word naming each handle type in messages.
inline const char* handle_kind(const jiffi_context*) { return "context"; }
inline const char* handle_kind(const jiffi_library*) { return "library"; }
inline const char* handle_kind(const jiffi_function*) { return "function"; }
inline const char* handle_kind(const jiffi_batch*) { return "batch"; }

// The object a handle of the C API names, or null for a null handle or one that is not live
// (which is reported on stderr naming api): for entry points that cannot return an error.
template <class T>
T* check_live(const T* handle, const char* api) noexcept {
    if (!handle) return nullptr;
    T* obj = HandlePool<T>::resolve(handle);
    if (!obj) report_bad_handle(api, handle_kind(handle), handle, HandlePool<T>::state(handle));
    return obj;
}

// The object a handle names; fails with INVALID_ARGUMENT naming the function and parameter
// when the handle is NULL or not live.
template <class T>
T* require_live(const T* handle, const char* function, const char* param) {
    require(handle, function, param);
    if (T* obj = HandlePool<T>::resolve(handle)) return obj;
    const char* why = HandlePool<T>::state(handle) == HandleState::Destroyed ? "was destroyed"
                                                                             : "is not a live one (stale or never made)";
    fail(ErrorCode::INVALID_ARGUMENT, std::string(function) + ": argument '" + param + "' names a " +
                                          handle_kind(handle) + " that " + why);
}

// Copies text NUL-terminated and truncated into buf[len] (nothing when buf is null or len 0);
// returns its length plus one.
inline size_t copy_out(const std::string& text, char* buf, size_t len) noexcept {
    if (buf && len > 0) {
        size_t n = text.size() < len - 1 ? text.size() : len - 1;
        std::memcpy(buf, text.data(), n);
        buf[n] = 0;
    }
    return text.size() + 1;
}

}  // namespace jiffi::detail

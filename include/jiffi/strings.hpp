// jiffi strings: UTF-8, UTF-16, UTF-32 and wchar_t conversions, and foreign strings that
// are either borrowed or owned with the function that frees them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <utility>

#include "jiffi/jiffi.hpp"

namespace jiffi {

// A copyable type-erased callable R(A...) (what std::function would be, without its
// header): the callable is heap-allocated; copies clone it.
template <class Sig>
class Callable;
template <class R, class... A>
class Callable<R(A...)> {
public:
    Callable() noexcept = default;
    Callable(std::nullptr_t) noexcept {}
    template <class F, std::enable_if_t<!std::is_same_v<std::decay_t<F>, Callable> &&
                                            std::is_invocable_r_v<R, std::decay_t<F>&, A...>, int> = 0>
    Callable(F&& f) {
        using D = std::decay_t<F>;
        if constexpr (std::is_pointer_v<D>) {
            if (!f) return;
        }
        state_ = new D(std::forward<F>(f));
        call_ = [](void* s, A... a) -> R { return (*static_cast<D*>(s))(std::forward<A>(a)...); };
        clone_ = [](const void* s) -> void* { return new D(*static_cast<const D*>(s)); };
        destroy_ = [](void* s) { delete static_cast<D*>(s); };
    }
    Callable(const Callable& o)
        : state_(o.state_ ? o.clone_(o.state_) : nullptr), call_(o.call_), clone_(o.clone_), destroy_(o.destroy_) {}
    Callable(Callable&& o) noexcept { swap(o); }
    Callable& operator=(Callable o) noexcept {
        swap(o);
        return *this;
    }
    ~Callable() {
        if (state_) destroy_(state_);
    }
    explicit operator bool() const noexcept { return state_ != nullptr; }
    R operator()(A... a) const { return call_(state_, std::forward<A>(a)...); }

private:
    void swap(Callable& o) noexcept {
        std::swap(state_, o.state_);
        std::swap(call_, o.call_);
        std::swap(clone_, o.clone_);
        std::swap(destroy_, o.destroy_);
    }
    void* state_ = nullptr;
    R (*call_)(void*, A...) = nullptr;
    void* (*clone_)(const void*) = nullptr;
    void (*destroy_)(void*) = nullptr;
};

// UTF-8 to UTF-16 (surrogate pairs above U+FFFF); invalid UTF-8 is an error naming the byte.
JIFFI_CXX_API std::u16string utf8_to_utf16(std::string_view s);
// UTF-8 to UTF-32.
JIFFI_CXX_API std::u32string utf8_to_utf32(std::string_view s);
// UTF-16 to UTF-8; an unpaired surrogate is an error naming its position.
JIFFI_CXX_API std::string utf16_to_utf8(std::u16string_view s);
// UTF-32 to UTF-8; a value that is not a Unicode scalar value is an error.
JIFFI_CXX_API std::string utf32_to_utf8(std::u32string_view s);
// UTF-8 to wchar_t text (UTF-32 where wchar_t has 4 bytes, UTF-16 where it has 2).
JIFFI_CXX_API std::wstring utf8_to_wide(std::string_view s);
// wchar_t text to UTF-8.
JIFFI_CXX_API std::string wide_to_utf8(std::wstring_view s);

namespace detail_api {
// Throws Error(ARG_TYPE): a string cannot be read at a null pointer.
[[noreturn]] JIFFI_CXX_API void null_string();
}  // namespace detail_api

// The NUL-terminated text at p in code units of C (char, char16_t, char32_t, wchar_t); the
// caller includes <string>.
template <class C>
std::basic_string<C> read_c_string(const C* p) {
    if (!p) detail_api::null_string();
    return std::basic_string<C>(p);
}

// A string a C function returned: borrowed (the library keeps it) or owned (freed by the
// given function when this object is destroyed). A null result is kept as null.
class JIFFI_CXX_API ForeignString {
public:
    using Freer = Callable<void(void*)>;

    ForeignString() = default;
    // A string the library keeps (for example getenv's, sqlite3_errmsg's).
    static ForeignString borrowed(const char* p) { return ForeignString(p, nullptr); }
    // A string the caller must free with free_fn (for example strdup's with free).
    static ForeignString owned(char* p, Freer free_fn);
    ForeignString(ForeignString&& o) noexcept
        : ptr_(std::exchange(o.ptr_, nullptr)), free_(std::move(o.free_)) {
        o.free_ = nullptr;
    }
    ForeignString& operator=(ForeignString&& o) noexcept {
        ForeignString tmp(std::move(o));
        std::swap(ptr_, tmp.ptr_);
        std::swap(free_, tmp.free_);
        return *this;
    }
    ForeignString(const ForeignString&) = delete;
    ForeignString& operator=(const ForeignString&) = delete;
    ~ForeignString() {
        if (ptr_ && free_) free_(const_cast<char*>(ptr_));
    }

    bool is_owned() const { return static_cast<bool>(free_); }
    bool is_null() const { return ptr_ == nullptr; }
    const char* c_str() const { return ptr_; }
    // The text (UTF-8 bytes as the C function gave them); throws for a null string.
    std::string_view view() const;
    std::string str() const;
    // Gives up ownership: the caller frees the returned pointer.
    char* release() {
        free_ = nullptr;
        return const_cast<char*>(std::exchange(ptr_, nullptr));
    }

private:
    ForeignString(const char* p, Freer f) : ptr_(p), free_(p ? std::move(f) : Freer()) {}
    const char* ptr_ = nullptr;
    Freer free_;
};

}  // namespace jiffi

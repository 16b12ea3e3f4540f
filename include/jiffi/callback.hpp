// Callbacks in C++: make_callback from any callable, the RAII Callback, named registration
// (defcallback) and scoped use (with_callback). An exception a handler throws never unwinds
// through C frames: the callback returns zero and the exception is rethrown when the thread's
// outermost jiffi call returns, or given to the error hook when there is none.
#pragma once

#include <exception>
#include <type_traits>
#include <utility>

#include "jiffi/jiffi.hpp"

namespace jiffi {

// Receives an exception a handler threw while no jiffi call ran on its thread (C code
// calling back on a thread of its own), with the callback's signature.
using CallbackErrorHook = void (*)(std::exception_ptr error, const char* signature);

class Callback;

namespace detail_api {

// A type-erased C++ handler: invoke(state, args, ret) runs it, destroy(state) frees it.
using HandlerInvoke = void (*)(void* state, const jiffi_slot* args, void* ret);
using HandlerDestroy = void (*)(void* state);

// A callback of sig calling invoke(state, ...) from a handler that keeps its exceptions out
// of C frames (cxx/callback.cpp); destroy(state) runs when the callback's quarantine ends,
// or at once when it cannot be made.
JIFFI_CXX_API Callback make_erased_callback(Context& ctx, const Signature& sig, HandlerInvoke invoke, void* state,
                                            HandlerDestroy destroy);

// Checks that a C++ type of size bytes fits argument index of sig (index -1: the return);
// is_void for void, slot_scalar for an arithmetic, enum or pointer type.
JIFFI_CXX_API void check_callback_type(const Signature& sig, long index, size_t size, bool is_void, bool slot_scalar);
// Checks that sig takes arity arguments.
JIFFI_CXX_API void check_callback_arity(const Signature& sig, size_t arity);

// Whether T (an integer or an enum) is signed.
template <class T, bool = std::is_enum_v<T>>
struct signed_value : std::is_signed<T> {};
template <class T>
struct signed_value<T, true> : std::is_signed<std::underlying_type_t<T>> {};

// The C++ value of type T an argument slot holds (docs/c-api.md slot rules).
template <class T>
T from_slot(const jiffi_slot& s) {
    if constexpr (std::is_same_v<T, bool>) {
        return s.u64 != 0;
    } else if constexpr ((std::is_integral_v<T> || std::is_enum_v<T>) && sizeof(T) <= 8) {
        if constexpr (signed_value<T>::value)
            return static_cast<T>(s.i64);
        else
            return static_cast<T>(s.u64);
    } else if constexpr (std::is_same_v<T, float>) {
        return s.f32;
    } else if constexpr (std::is_same_v<T, double>) {
        return s.f64;
    } else if constexpr (std::is_pointer_v<T>) {
        return reinterpret_cast<T>(s.ptr);
    } else {
        // Records, long double, __int128: the slot points at the value's bytes.
        static_assert(std::is_trivially_copyable_v<T>, "callback arguments must be trivially copyable");
        T v;
        __builtin_memcpy(static_cast<void*>(&v), s.ptr, sizeof(T));
        return v;
    }
}

// Stores v as a callback's result at ret (docs/c-api.md return rules).
template <class T>
void to_ret(void* ret, const T& v) {
    auto* s = static_cast<jiffi_slot*>(ret);
    if constexpr (std::is_same_v<T, bool>) {
        s->u64 = v ? 1 : 0;
    } else if constexpr ((std::is_integral_v<T> || std::is_enum_v<T>) && sizeof(T) <= 8) {
        if constexpr (signed_value<T>::value)
            s->i64 = static_cast<int64_t>(v);
        else
            s->u64 = static_cast<uint64_t>(v);
    } else if constexpr (std::is_same_v<T, float>) {
        s->u64 = 0;
        s->f32 = v;
    } else if constexpr (std::is_same_v<T, double>) {
        s->f64 = v;
    } else if constexpr (std::is_pointer_v<T>) {
        s->ptr = reinterpret_cast<void*>(v);
    } else {
        static_assert(std::is_trivially_copyable_v<T>, "callback results must be trivially copyable");
        __builtin_memcpy(ret, static_cast<const void*>(&v), sizeof(T));
    }
}

template <class F>
struct TypedHandler;

// Runs a callable C over the C function type R(A...) with a callback's slots.
template <class R, class... A>
struct TypedHandler<R(A...)> {
    template <class C, size_t... I>
    static void call(C& fn, const jiffi_slot* args, void* ret, std::index_sequence<I...>) {
        if constexpr (std::is_void_v<R>) {
            fn(from_slot<A>(args[I])...);
        } else {
            to_ret<R>(ret, fn(from_slot<A>(args[I])...));
        }
    }
    template <class C>
    static void invoke(void* state, const jiffi_slot* args, void* ret) {
        call(*static_cast<C*>(state), args, ret, std::index_sequence_for<A...>{});
    }
};

template <class T>
constexpr bool slot_sized_scalar = std::is_arithmetic_v<T> || std::is_enum_v<T> || std::is_pointer_v<T>;

// Checks that the C++ type T fits argument index of sig (index -1: the return).
template <class T>
void check_type(const Signature& sig, long index) {
    if constexpr (std::is_void_v<T>) check_callback_type(sig, index, 0, true, false);
    else check_callback_type(sig, index, sizeof(T), false, slot_sized_scalar<T>);
}

template <class F>
struct FunctionTraits;
template <class R, class... A>
struct FunctionTraits<R(A...)> {
    static constexpr size_t arity = sizeof...(A);
    template <size_t... I>
    static void check(const Signature& sig, std::index_sequence<I...>) {
        check_type<R>(sig, -1);
        (check_type<A>(sig, static_cast<long>(I)), ...);
    }
};

}  // namespace detail_api

// Sets the hook that receives handler exceptions with no jiffi call to rethrow them from
// (null: print them to stderr). Returns the previous hook. One hook per process.
JIFFI_CXX_API CallbackErrorHook set_callback_error_hook(CallbackErrorHook hook);

// A C function pointer into a C++ handler, released when this object is destroyed (a call
// still running finishes safely; the handler's state lives until no call can reach it).
class Callback {
public:
    Callback() = default;
    explicit Callback(jiffi_callback* cb) : cb_(cb) {}
    Callback(Callback&& o) noexcept : cb_(std::exchange(o.cb_, nullptr)) {}
    Callback& operator=(Callback&& o) noexcept {
        if (this != &o) {
            reset();
            cb_ = std::exchange(o.cb_, nullptr);
        }
        return *this;
    }
    Callback(const Callback&) = delete;
    Callback& operator=(const Callback&) = delete;
    ~Callback() { reset(); }

    // The C function pointer.
    void* code() const { return cb_ ? jiffi_callback_code(cb_) : nullptr; }
    // The C function pointer as F* (F a function type such as int(const void*, const void*)).
    template <class F>
    F* as() const {
        return reinterpret_cast<F*>(code());
    }
    explicit operator bool() const { return cb_ != nullptr; }
    jiffi_callback* get() const { return cb_; }
    // Releases the callback now.
    void reset() {
        if (cb_) jiffi_callback_release(std::exchange(cb_, nullptr));
    }

private:
    jiffi_callback* cb_ = nullptr;
};

// A callback of C signature sig calling fn, whose arguments and result are those of the C++
// function type F (checked against sig: count and sizes).
template <class F, class C>
Callback make_callback(Context& ctx, const Signature& sig, C&& fn) {
    using Traits = detail_api::FunctionTraits<F>;
    detail_api::check_callback_arity(sig, Traits::arity);
    Traits::check(sig, std::make_index_sequence<Traits::arity>{});
    using Box = std::decay_t<C>;
    return detail_api::make_erased_callback(ctx, sig, &detail_api::TypedHandler<F>::template invoke<Box>,
                                            new Box(std::forward<C>(fn)), [](void* p) { delete static_cast<Box*>(p); });
}

// The same with the signature given as C text ("int (const void *, const void *)").
template <class F, class C>
Callback make_callback(Context& ctx, std::string_view sig, C&& fn) {
    return make_callback<F>(ctx, ctx.signature(sig), std::forward<C>(fn));
}

// Runs body with a callback of fn alive for its duration (the with-callback form); returns
// what body returns.
template <class F, class C, class B>
decltype(auto) with_callback(Context& ctx, std::string_view sig, C&& fn, B&& body) {
    Callback cb = make_callback<F>(ctx, sig, std::forward<C>(fn));
    return std::forward<B>(body)(cb.as<F>());
}

// Named callbacks (the defcallback form): registered process-wide by name, replacing a
// callback of the same name, and looked up by name; thread-safe (cxx/callback.cpp).
class JIFFI_CXX_API CallbackRegistry {
public:
    // The process's registry.
    static CallbackRegistry& global();
    // Registers cb under name and returns its code.
    void* define(std::string_view name, Callback cb);
    // The code of the callback registered as name; Error(INVALID_ARGUMENT) naming it otherwise.
    void* code(std::string_view name) const;
    // Releases the callback registered as name; false if there is none.
    bool undefine(std::string_view name);

private:
    struct Impl;
    CallbackRegistry();
    Impl* impl_;
};

// defcallback: makes and registers a named callback; returns its code as F*.
template <class F, class C>
F* defcallback(Context& ctx, std::string_view name, std::string_view sig, C&& fn) {
    return reinterpret_cast<F*>(CallbackRegistry::global().define(name, make_callback<F>(ctx, sig, std::forward<C>(fn))));
}

// The code of the callback defcallback registered as name, as F*.
template <class F>
F* callback(std::string_view name) {
    return reinterpret_cast<F*>(CallbackRegistry::global().code(name));
}

}  // namespace jiffi

// Callbacks in C++: make_callback from any callable, the RAII Callback, named registration
// (defcallback) and scoped use (with_callback). An exception a handler throws never unwinds
// through C frames: the callback returns zero and the exception is rethrown when the thread's
// outermost jiffi call returns, or given to the error hook when there is none.
#pragma once

#include <atomic>
#include <cstdio>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>

#include "jiffi/jiffi.hpp"

namespace jiffi {

// Receives an exception a handler threw while no jiffi call ran on its thread (C code
// calling back on a thread of its own), with the callback's signature.
using CallbackErrorHook = void (*)(std::exception_ptr error, const char* signature);

namespace detail_api {

// The process's hook (cxx/state.cpp).
JIFFI_CXX_API std::atomic<CallbackErrorHook>& callback_error_hook();

// Deals with the exception a handler of the callback of signature text threw.
inline void handler_failed(std::exception_ptr e, const std::string& text) noexcept {
    CallbackState& s = callback_state();
    if (s.depth > 0) {
        // The first failure wins; the outermost call rethrows it.
        if (!s.pending) s.pending = std::move(e);
        return;
    }
    if (CallbackErrorHook hook = callback_error_hook().load()) {
        try {
            hook(std::move(e), text.c_str());
        } catch (...) {
        }
        return;
    }
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& x) {
        std::fprintf(stderr, "jiffi: a handler of callback '%s' threw: %s\n", text.c_str(), x.what());
    } catch (...) {
        std::fprintf(stderr, "jiffi: a handler of callback '%s' threw a non-standard exception\n", text.c_str());
    }
}

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
        std::memcpy(static_cast<void*>(&v), s.ptr, sizeof(T));
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
        std::memcpy(ret, static_cast<const void*>(&v), sizeof(T));
    }
}

// A callable and the signature text it serves, owned by its callback.
template <class C>
struct Boxed {
    C fn;
    std::string text;
};

template <class F>
struct TypedHandler;

// The handler of a callable C over the C function type R(A...).
template <class R, class... A>
struct TypedHandler<R(A...)> {
    template <class C, size_t... I>
    static void call(Boxed<C>& box, const jiffi_slot* args, void* ret, std::index_sequence<I...>) {
        if constexpr (std::is_void_v<R>) {
            box.fn(from_slot<A>(args[I])...);
        } else {
            to_ret<R>(ret, box.fn(from_slot<A>(args[I])...));
        }
    }
    template <class C>
    static void handle(void* user, const jiffi_slot* args, void* ret) noexcept {
        auto& box = *static_cast<Boxed<C>*>(user);
        // After a failure the remaining calls of the same outer call return zero at once.
        if (callback_state().pending) return;
        try {
            call(box, args, ret, std::index_sequence_for<A...>{});
        } catch (...) {
            handler_failed(std::current_exception(), box.text);
        }
    }
};

template <class T>
constexpr bool slot_sized_scalar = std::is_arithmetic_v<T> || std::is_enum_v<T> || std::is_pointer_v<T>;

// Checks that the C++ type T fits argument index of sig (index -1: the return).
template <class T>
void check_type(const Signature& sig, long index) {
    jiffi_type_info info = sig.type_info(index);
    std::string what = index < 0 ? "the return type" : "argument " + std::to_string(index + 1);
    if constexpr (std::is_void_v<T>) {
        if (info.value_class != JIFFI_CLASS_VOID)
            throw Error(Errc::ARG_TYPE, "callback '" + sig.text() + "': " + what + " is not void");
    } else {
        bool memory = info.value_class == JIFFI_CLASS_MEMORY;
        bool fits = sizeof(T) == info.size && (memory ? !slot_sized_scalar<T> || sizeof(T) > 8 : true);
        if (!fits)
            throw Error(Errc::ARG_TYPE, "callback '" + sig.text() + "': " + what + " has " +
                                            std::to_string(info.size) + " bytes in C, the C++ type " +
                                            std::to_string(sizeof(T)));
    }
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
// (null: print them to stderr). Returns the previous hook.
inline CallbackErrorHook set_callback_error_hook(CallbackErrorHook hook) {
    return detail_api::callback_error_hook().exchange(hook);
}

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
    void* code() const { return jiffi_callback_code(cb_); }
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
    if (sig.arg_count() != Traits::arity)
        throw Error(Errc::ARG_COUNT, "callback '" + sig.text() + "' takes " + std::to_string(sig.arg_count()) +
                                         " arguments; the C++ handler type takes " + std::to_string(Traits::arity));
    Traits::check(sig, std::make_index_sequence<Traits::arity>{});
    using Box = detail_api::Boxed<std::decay_t<C>>;
    auto* box = new Box{std::forward<C>(fn), sig.text()};
    jiffi_callback* cb = nullptr;
    jiffi_error* err = jiffi_callback_create_ex(
        ctx.get(), sig.get(), &detail_api::TypedHandler<F>::template handle<std::decay_t<C>>, box,
        [](void* p) { delete static_cast<Box*>(p); }, &cb);
    if (err) delete box;
    detail_api::check(err);
    return Callback(cb);
}

// The same with the signature given as C text ("int (const void *, const void *)").
template <class F, class C>
Callback make_callback(Context& ctx, const std::string& sig, C&& fn) {
    return make_callback<F>(ctx, ctx.signature(sig), std::forward<C>(fn));
}

// Runs body with a callback of fn alive for its duration (the with-callback form); returns
// what body returns.
template <class F, class C, class B>
decltype(auto) with_callback(Context& ctx, const std::string& sig, C&& fn, B&& body) {
    Callback cb = make_callback<F>(ctx, sig, std::forward<C>(fn));
    return std::forward<B>(body)(cb.as<F>());
}

// Named callbacks (the defcallback form): registered process-wide by name, replacing a
// callback of the same name, and looked up by name.
class CallbackRegistry {
public:
    // The process's registry (cxx/state.cpp).
    JIFFI_CXX_API static CallbackRegistry& global();
    // Registers cb under name and returns its code.
    void* define(const std::string& name, Callback cb) {
        void* code = cb.code();
        Callback old;
        {
            std::lock_guard<std::mutex> lock(mu_);
            old = std::exchange(by_name_[name], std::move(cb));
        }
        return code;
    }
    // The code of the callback registered as name; Error(INVALID_ARGUMENT) naming it otherwise.
    void* code(const std::string& name) const {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = by_name_.find(name);
        if (it == by_name_.end()) throw Error(Errc::INVALID_ARGUMENT, "no callback is defined as '" + name + "'");
        return it->second.code();
    }
    // Releases the callback registered as name; false if there is none.
    bool undefine(const std::string& name) {
        Callback old;
        std::lock_guard<std::mutex> lock(mu_);
        auto it = by_name_.find(name);
        if (it == by_name_.end()) return false;
        old = std::move(it->second);
        by_name_.erase(it);
        return true;
    }

private:
    mutable std::mutex mu_;
    std::map<std::string, Callback> by_name_;
};

// defcallback: makes and registers a named callback; returns its code as F*.
template <class F, class C>
F* defcallback(Context& ctx, const std::string& name, const std::string& sig, C&& fn) {
    return reinterpret_cast<F*>(CallbackRegistry::global().define(name, make_callback<F>(ctx, sig, std::forward<C>(fn))));
}

// The code of the callback defcallback registered as name, as F*.
template <class F>
F* callback(const std::string& name) {
    return reinterpret_cast<F*>(CallbackRegistry::global().code(name));
}

}  // namespace jiffi

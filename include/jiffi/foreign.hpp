// jiffi foreign surface: the Lisp FFI's forms in C++ (shared-call, defshared, lib-open,
// foreign errors) over convert.hpp's converters. Declarations and thin templates
// (docs/design.md "The C++ API"), compiled in cxx/foreign.cpp; Runtime and lib_open are in
// runtime.hpp, structs in structs.hpp, pin() and the pools in memory.hpp, ForeignString in
// strings.hpp.
#pragma once

#include "jiffi/convert.hpp"

namespace jiffi {

class ForeignString;
class LibraryHandle;
class Runtime;
class SharedFunction;
JIFFI_CXX_API Runtime& default_runtime();

namespace detail_ff {
// True when f is a null function pointer or an empty std::function-like callable.
template <class F>
bool is_empty_callable(const F& f) {
    if constexpr (std::is_pointer_v<F> || (std::is_constructible_v<bool, const F&> && !std::is_convertible_v<const F&, bool>))
        return !f;
    return false;
}
// Runtime::cached (runtime.hpp) for shared_call, which needs no definition of Runtime.
JIFFI_CXX_API SharedFunction cached_binding(Runtime& rt, std::string_view library, std::string_view symbol,
                                            std::string_view ret, const std::string_view* arg_types, size_t count);
JIFFI_CXX_API SharedFunction cached_binding(Runtime& rt, std::string_view library, std::string_view symbol,
                                            std::string_view ret, const StringList& arg_types);
// Deletes a type-erased callable's state.
template <class D>
void destroy(void* state) {
    delete static_cast<D*>(state);
}
}  // namespace detail_ff

// What a call returned: its value and, in argument order, what its out arguments hold;
// for a binding with errno capture, the errno the function left (else 0).
struct Results {
    Value value;
    Value::Array outs;
    int error_number = 0;
};

// foreign-error: a C function reported failure; code is its errno, function its name.
class JIFFI_CXX_API ForeignError : public Error {
public:
    ForeignError(int code, std::string_view function);
    int code() const noexcept { return code_; }
    const String& function() const noexcept { return function_; }

private:
    int code_;
    String function_;
};

// A parameter of a keyword signature: a name (may be empty) and a type name.
struct Param {
    Param(const char* type) : type(type) {}
    Param(std::string_view type) : type(type) {}
    Param(std::string_view name, std::string_view type) : name(name), type(type) {}
    String name;
    String type;
};

// A C function bound by name with its signature (defshared): call it with C++ values,
// converted and checked against the C types; results come back as Values or converted.
// Copies share the binding; each copy's result and errno settings are its own.
class JIFFI_CXX_API SharedFunction {
public:
    SharedFunction(LibraryHandle lib, Function fn, std::string_view name, const StringList& param_names = {});
    SharedFunction(const SharedFunction& o) noexcept;
    SharedFunction(SharedFunction&& o) noexcept : impl_(std::exchange(o.impl_, nullptr)) {}
    SharedFunction& operator=(SharedFunction o) noexcept { return std::swap(impl_, o.impl_), *this; }
    ~SharedFunction();

    const String& name() const;
    size_t arity() const;
    const TypeDesc& return_type() const;
    // Argument i's type; Error(INVALID_ARGUMENT) past the last.
    const TypeDesc& arg_type(size_t i) const;
    const Function& function() const;
    std::string signature() const;

    // A char pointer result is text the library keeps.
    SharedFunction& returns_borrowed_string();
    // A char pointer result is text the caller frees with free_fn (any callable of void *,
    // or a bound C function such as free or sqlite3_free).
    template <class F, std::enable_if_t<!std::is_same_v<detail_ff::remove_cvref_t<F>, SharedFunction>, int> = 0>
    SharedFunction& returns_owned_string(F&& free_fn) {
        using D = std::decay_t<F>;
        if (detail_ff::is_empty_callable(free_fn)) return set_owned_free(nullptr, nullptr, nullptr);
        return set_owned_free([](void* s, void* p) { (*static_cast<D*>(s))(p); }, new D(std::forward<F>(free_fn)),
                              &detail_ff::destroy<D>);
    }
    SharedFunction& returns_owned_string(const SharedFunction& free_fn);
    // defshared-with-errno: captures errno right after each call (inside the JIT stub, or
    // right after ffi_call) and throws ForeignError(errno, name) when failed(result) holds;
    // by default a failure is -1 from an integer function or NULL from a pointer function.
    SharedFunction& with_errno();
    template <class F>
    SharedFunction& with_errno(F&& failed) {
        using D = std::decay_t<F>;
        if (detail_ff::is_empty_callable(failed)) return with_errno();
        return set_failure([](void* s, const Value& v) -> bool { return (*static_cast<D*>(s))(v); },
                           new D(std::forward<F>(failed)), &detail_ff::destroy<D>);
    }
    bool captures_errno() const;
    // A char pointer result stays a pointer.
    SharedFunction& returns_pointer();

    // Calls with C++ arguments (anything with a Converter); returns the result as a Value.
    template <class... A>
    Value operator()(A&&... args) const { return call_all(std::forward<A>(args)...).value; }
    // Calls and returns the result converted to R.
    template <class R, class... A>
    R call_as(A&&... args) const {
        Value v = call_all(std::forward<A>(args)...).value;
        if constexpr (!std::is_void_v<R>) return convert_from_foreign<R>(v, return_type());
    }
    // Calls and returns the result and the out arguments' values.
    template <class... A>
    Results call_all(A&&... args) const {
        Value values[sizeof...(A) + 1];
        convert_arguments(values, std::forward<A>(args)...);
        return invoke(values, sizeof...(A));
    }
    // Calls a function returning a char pointer and gives the text marked borrowed or owned
    // (owned with the free function set by returns_owned_string); strings.hpp defines it.
    template <class... A, class S = ForeignString>
    S call_string(A&&... args) const {
        Value values[sizeof...(A) + 1];
        convert_arguments(values, std::forward<A>(args)...);
        S out;
        call_string_into(values, sizeof...(A), out);
        return out;
    }
    // Calls with dynamic values.
    Results invoke(const Value* args, size_t count) const;
    Results invoke(std::initializer_list<Value> args) const { return invoke(args.begin(), args.size()); }
    template <class C, std::enable_if_t<detail_api::is_contiguous_of<C, Value>::value, int> = 0>
    Results invoke(const C& args) const { return invoke(args.data(), args.size()); }
    // Error(ARG_COUNT) naming the function unless it takes count arguments.
    void check_arity(size_t count) const;
    // Converts C++ arguments to the Values a call takes, stored at out[0..].
    template <class... A>
    void convert_arguments(Value* out, A&&... args) const {
        size_t i = 0;
        ((out[i] = to_value(i, std::forward<A>(args)), ++i), ...);
        (void)i;
    }

private:
    friend class Runtime;
    template <class A>
    Value to_value(size_t i, A&& a) const {
        const TypeDesc& t = param_type(i);
        try {
            // A writable array (a buffer) goes as a pointer; a const one (a literal) as text.
            using E = std::remove_extent_t<std::remove_reference_t<A>>;
            if constexpr (std::is_array_v<std::remove_reference_t<A>>) return convert_to_foreign<E*>(&a[0], t);
            else return convert_to_foreign<detail_ff::remove_cvref_t<A>>(a, t);
        } catch (const Error& e) {
            rethrow_argument(i, e);
        }
    }
    // Argument i's type, or an empty one past the last (the count is checked by the call).
    const TypeDesc& param_type(size_t i) const;
    // The converter's error e for argument i, rethrown naming the argument and the function.
    [[noreturn]] void rethrow_argument(size_t i, const Error& e) const;
    // Type-erased callables: invoke(state, ...) runs one, destroy(state) frees it (at once
    // when it is refused).
    SharedFunction& set_owned_free(void (*invoke)(void*, void*), void* state, void (*destroy)(void*));
    SharedFunction& set_failure(bool (*invoke)(void*, const Value&), void* state, void (*destroy)(void*));
    void call_string_into(const Value* args, size_t count, ForeignString& out) const;

    struct Impl;
    Impl* impl_;
};

// defshared with a keyword signature: (defshared my-strlen "strlen" "libc" :unsigned-long (s :string))
// is defshared(rt, "strlen", "libc", "unsigned-long", {{"s", "string"}}); or with a C
// prototype: defshared(rt, "strlen", "libc", "size_t strlen(const char *s)"). Without rt:
// on the default runtime.
JIFFI_CXX_API SharedFunction defshared(Runtime& rt, std::string_view symbol, std::string_view library,
                                       std::string_view ret, const Param* params, size_t count);
JIFFI_CXX_API SharedFunction defshared(Runtime& rt, std::string_view symbol, std::string_view library,
                                       std::string_view ret, std::initializer_list<Param> params);
JIFFI_CXX_API SharedFunction defshared(std::string_view symbol, std::string_view library, std::string_view ret,
                                       std::initializer_list<Param> params);
JIFFI_CXX_API SharedFunction defshared(Runtime& rt, std::string_view symbol, std::string_view library,
                                       std::string_view prototype);
JIFFI_CXX_API SharedFunction defshared(std::string_view symbol, std::string_view library, std::string_view prototype);
// A variadic C function bound for one list of variadic argument types ("int, double").
JIFFI_CXX_API SharedFunction defshared_vararg(Runtime& rt, std::string_view symbol, std::string_view library,
                                              std::string_view prototype, std::string_view vararg_types);
JIFFI_CXX_API SharedFunction defshared_vararg(std::string_view symbol, std::string_view library,
                                              std::string_view prototype, std::string_view vararg_types);
// defshared-with-errno: defshared_with_errno("open", "libc", "int", {{"path", "string"},
// {"flags", "int"}, {"mode", "int"}}) or with a prototype: a failing call throws ForeignError.
JIFFI_CXX_API SharedFunction defshared_with_errno(Runtime& rt, std::string_view symbol, std::string_view library,
                                                  std::string_view ret, std::initializer_list<Param> params);
JIFFI_CXX_API SharedFunction defshared_with_errno(std::string_view symbol, std::string_view library,
                                                  std::string_view ret, std::initializer_list<Param> params);
JIFFI_CXX_API SharedFunction defshared_with_errno(Runtime& rt, std::string_view symbol, std::string_view library,
                                                  std::string_view prototype);
JIFFI_CXX_API SharedFunction defshared_with_errno(std::string_view symbol, std::string_view library,
                                                  std::string_view prototype);

// The function a shared_call names: {"strlen", "libc"}.
struct SymbolSpec {
    std::string_view symbol;
    std::string_view library;
};

// shared-call: (shared-call '("strlen" "libc") :unsigned-long '(:string) "hello") is
// shared_call({"strlen", "libc"}, "unsigned-long", {"string"}, "hello"); the binding is made
// once per runtime and reused. R converts the result (Value by default). The argument types
// are a braced list, or a StringList (any range of text, a std::vector<std::string> say).
template <class R = Value, class... A>
R shared_call(Runtime& rt, const SymbolSpec& fn, std::string_view ret,
              std::initializer_list<std::string_view> arg_types, A&&... args) {
    return detail_ff::cached_binding(rt, fn.library, fn.symbol, ret, arg_types.begin(), arg_types.size())
        .template call_as<R>(std::forward<A>(args)...);
}
template <class R = Value, class... A>
R shared_call(const SymbolSpec& fn, std::string_view ret, std::initializer_list<std::string_view> arg_types,
              A&&... args) {
    return shared_call<R>(default_runtime(), fn, ret, arg_types, std::forward<A>(args)...);
}
template <class R = Value, class... A>
R shared_call(Runtime& rt, const SymbolSpec& fn, std::string_view ret, const StringList& arg_types, A&&... args) {
    return detail_ff::cached_binding(rt, fn.library, fn.symbol, ret, arg_types).template call_as<R>(
        std::forward<A>(args)...);
}
template <class R = Value, class... A>
R shared_call(const SymbolSpec& fn, std::string_view ret, const StringList& arg_types, A&&... args) {
    return shared_call<R>(default_runtime(), fn, ret, arg_types, std::forward<A>(args)...);
}

}  // namespace jiffi

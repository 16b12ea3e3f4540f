// jiffi C++ API: RAII objects and typed calls over the C API of jiffi.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "jiffi/jiffi.h"

namespace jiffi {

// Error codes of errors.def.
enum class Errc : int {
#define JIFFI_ERROR(name, value, text) name = value,
#include "jiffi/errors.def"
#undef JIFFI_ERROR
};

// An exception carrying a jiffi error code and the message naming the bad input.
class Error : public std::runtime_error {
public:
    Error(Errc code, const std::string& message) : std::runtime_error(message), code_(code) {}
    Errc code() const noexcept { return code_; }

private:
    Errc code_;
};

namespace detail_api {

// Throws the error err as jiffi::Error (disposing it); does nothing for NULL.
inline void check(jiffi_error* err) {
    if (!err) return;
    Errc code = static_cast<Errc>(jiffi_error_code(err));
    std::string message = jiffi_error_message(err);
    jiffi_error_dispose(err);
    throw Error(code, message);
}

// The calling thread's jiffi calls in progress and the first exception a callback handler
// threw during them (callback.hpp's handlers store it instead of unwinding through C).
struct CallbackState {
    int depth = 0;
    std::exception_ptr pending;
};
inline CallbackState& callback_state() {
    thread_local CallbackState state;
    return state;
}

// Calls fn; when this was the thread's outermost jiffi call, rethrows the exception a
// callback handler threw during it.
inline void call_function(jiffi_function* fn, const jiffi_slot* args, void* ret) {
    CallbackState& s = callback_state();
    ++s.depth;
    jiffi_function_call(fn, args, ret);
    if (--s.depth == 0 && s.pending) std::rethrow_exception(std::exchange(s.pending, nullptr));
}

}  // namespace detail_api

enum class Backend { Auto = JIFFI_BACKEND_AUTO, Jit = JIFFI_BACKEND_JIT, Libffi = JIFFI_BACKEND_LIBFFI };

class Value;

// An out or in-out argument of a dynamic call (jiffi::out(), jiffi::inout(v) in foreign.hpp):
// the callee fills the object a pointer argument points at; the call returns it as an extra
// result. initial is empty for an out argument, one value for an in-out argument.
struct OutParam {
    std::vector<Value> initial;
};

// A dynamically typed value for calls whose types are known only at run time.
class Value {
public:
    using Bytes = std::vector<unsigned char>;
    using Array = std::vector<Value>;
    // Bytes: a struct or other object by value; Utf16/Utf32/Wide: text for char16_t,
    // char32_t and wchar_t pointers; Array: elements for a pointer to a C array.
    enum class Kind { None, Int, UInt, Double, Pointer, String, Bytes, Bool, Utf16, Utf32, Wide, Array, Out };

    Value() = default;
    template <class T, std::enable_if_t<std::is_integral_v<T> && std::is_signed_v<T>, int> = 0>
    Value(T v) : v_(static_cast<int64_t>(v)) {}
    template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_signed_v<T>, int> = 0>
    Value(T v) : v_(static_cast<uint64_t>(v)) {}
    Value(bool b) : v_(b) {}
    Value(double v) : v_(v) {}
    Value(float v) : v_(static_cast<double>(v)) {}
    Value(void* p) : v_(p) {}
    Value(const void* p) : v_(const_cast<void*>(p)) {}
    Value(std::nullptr_t) : v_(static_cast<void*>(nullptr)) {}
    // A null const char * is a null pointer, not a string.
    Value(const char* s) {
        if (s) v_ = std::string(s);
        else v_ = static_cast<void*>(nullptr);
    }
    Value(std::string s) : v_(std::move(s)) {}
    Value(std::u16string s) : v_(std::move(s)) {}
    Value(std::u32string s) : v_(std::move(s)) {}
    Value(std::wstring s) : v_(std::move(s)) {}
    Value(const char16_t* s) : v_(std::u16string(s)) {}
    Value(const char32_t* s) : v_(std::u32string(s)) {}
    Value(const wchar_t* s) : v_(std::wstring(s)) {}
    Value(Bytes b) : v_(std::move(b)) {}
    Value(Array a) : v_(std::move(a)) {}
    Value(OutParam o) : v_(std::move(o)) {}

    Kind kind() const { return static_cast<Kind>(v_.index()); }
    int64_t as_int() const;
    uint64_t as_uint() const { return static_cast<uint64_t>(as_int()); }
    double as_double() const;
    void* as_pointer() const;
    bool as_bool() const { return get<bool>("a bool"); }
    const std::string& as_string() const { return get<std::string>("a string"); }
    const Bytes& as_bytes() const { return get<Bytes>("bytes"); }
    const std::u16string& as_utf16() const { return get<std::u16string>("UTF-16 text"); }
    const std::u32string& as_utf32() const { return get<std::u32string>("UTF-32 text"); }
    const std::wstring& as_wide() const { return get<std::wstring>("wide text"); }
    const Array& as_array() const { return get<Array>("an array"); }
    const OutParam& as_out() const { return get<OutParam>("an out argument"); }

private:
    template <class T>
    const T& get(const char* what) const {
        if (auto* p = std::get_if<T>(&v_)) return *p;
        throw Error(Errc::ARG_TYPE, std::string("value is not ") + what);
    }

    std::variant<std::monostate, int64_t, uint64_t, double, void*, std::string, Bytes, bool,
                 std::u16string, std::u32string, std::wstring, Array, OutParam>
        v_;
};

inline int64_t Value::as_int() const {
    if (auto* i = std::get_if<int64_t>(&v_)) return *i;
    if (auto* u = std::get_if<uint64_t>(&v_)) return static_cast<int64_t>(*u);
    throw Error(Errc::ARG_TYPE, "value is not an integer");
}

inline double Value::as_double() const {
    if (auto* d = std::get_if<double>(&v_)) return *d;
    if (auto* i = std::get_if<int64_t>(&v_)) return static_cast<double>(*i);
    if (auto* u = std::get_if<uint64_t>(&v_)) return static_cast<double>(*u);
    throw Error(Errc::ARG_TYPE, "value is not a number");
}

inline void* Value::as_pointer() const {
    if (auto* p = std::get_if<void*>(&v_)) return *p;
    throw Error(Errc::ARG_TYPE, "value is not a pointer");
}

class Function;
class Library;

// A signature owned by its context (a cheap handle, valid while the context lives).
class Signature {
public:
    Signature() = default;
    Signature(jiffi_context* ctx, const jiffi_signature* sig) : ctx_(ctx), sig_(sig) {}

    // The call site of this variadic prototype with variadic argument types types.
    Signature vararg(const std::string& types) const {
        jiffi_signature* out = nullptr;
        detail_api::check(jiffi_signature_vararg(ctx_, sig_, types.c_str(), &out));
        return Signature(ctx_, out);
    }
    size_t arg_count() const { return jiffi_signature_arg_count(sig_); }
    bool is_variadic() const { return jiffi_signature_is_variadic(sig_) != 0; }
    std::string text() const { return jiffi_signature_text(sig_); }
    // Type facts of argument index, or of the return type for index -1.
    jiffi_type_info type_info(long index) const {
        jiffi_type_info info{};
        detail_api::check(jiffi_signature_type_info(sig_, index, &info));
        return info;
    }
    const jiffi_signature* get() const { return sig_; }

private:
    jiffi_context* ctx_ = nullptr;
    const jiffi_signature* sig_ = nullptr;
};

// A C function bound to a signature; destroyed with the object.
class Function {
public:
    Function() = default;
    explicit Function(jiffi_function* fn) : fn_(fn) { load_info(); }
    Function(Function&& o) noexcept { swap(o); }
    Function& operator=(Function&& o) noexcept {
        Function tmp(std::move(o));
        swap(tmp);
        return *this;
    }
    ~Function() {
        if (fn_) jiffi_function_destroy(fn_);
    }

    // Calls with raw slots (the C API's fast path).
    void call_slots(const jiffi_slot* args, void* ret) const { detail_api::call_function(fn_, args, ret); }
    jiffi_invoker invoker() const { return jiffi_function_invoker(fn_); }
    void* address() const { return jiffi_function_address(fn_); }
    // Waits up to timeout_ms for an AUTO function's JIT stub; true once calls use it.
    bool wait_jit(long timeout_ms) const { return jiffi_function_wait_jit(fn_, timeout_ms) != 0; }
    Signature signature() const { return sig_; }
    jiffi_function* get() const { return fn_; }

    // Calls with C++ arguments converted by the signature's types; R is the result type
    // (void, an arithmetic type, a pointer, or a trivially copyable struct).
    template <class R = void, class... A>
    R call(A&&... args) const;

    // Calls with dynamic values; returns the result as a Value (Bytes for records).
    Value call_values(const std::vector<Value>& args) const;

private:
    void swap(Function& o) noexcept {
        std::swap(fn_, o.fn_);
        std::swap(sig_, o.sig_);
        std::swap(info_, o.info_);
    }
    void load_info() {
        sig_ = Signature(nullptr, jiffi_function_signature(fn_));
        size_t n = sig_.arg_count();
        info_.resize(n + 1);
        for (size_t i = 0; i <= n; ++i) info_[i] = sig_.type_info(static_cast<long>(i) - 1);
    }
    const jiffi_type_info& ret_info() const { return info_[0]; }
    const jiffi_type_info& arg_info(size_t i) const { return info_[i + 1]; }
    [[noreturn]] void mismatch(size_t index, const char* what) const {
        throw Error(Errc::ARG_TYPE, "argument " + std::to_string(index + 1) + " of '" +
                                        sig_.text() + "': " + what);
    }
    template <class T>
    void to_slot(size_t index, const T& arg, jiffi_slot& slot, std::vector<std::string>& keep) const;
    void value_to_slot(size_t index, const Value& v, jiffi_slot& slot) const;

    jiffi_function* fn_ = nullptr;
    Signature sig_;
    std::vector<jiffi_type_info> info_;  // [0] the return type, [1..] the arguments
};

// An open shared library; closed with the object.
class Library {
public:
    Library() = default;
    explicit Library(jiffi_library* lib) : lib_(lib) {}
    Library(Library&& o) noexcept : lib_(std::exchange(o.lib_, nullptr)) {}
    Library& operator=(Library&& o) noexcept {
        std::swap(lib_, o.lib_);
        return *this;
    }
    ~Library() {
        if (lib_) jiffi_library_close(lib_);
    }

    void* symbol(const std::string& name) const {
        void* p = nullptr;
        detail_api::check(jiffi_library_symbol(lib_, name.c_str(), &p));
        return p;
    }
    Function bind(const std::string& symbol, const Signature& sig) const {
        jiffi_function* fn = nullptr;
        detail_api::check(jiffi_function_bind(lib_, symbol.c_str(), sig.get(), &fn));
        return Function(fn);
    }
    std::string path() const { return jiffi_library_path(lib_); }
    jiffi_library* get() const { return lib_; }

private:
    jiffi_library* lib_ = nullptr;
};

// A context: declarations, signatures, libraries; destroyed with the object.
class Context {
public:
    explicit Context(Backend backend = Backend::Auto) {
        detail_api::check(jiffi_context_create(static_cast<jiffi_backend>(backend), &ctx_));
    }
    Context(Context&& o) noexcept : ctx_(std::exchange(o.ctx_, nullptr)) {}
    Context& operator=(Context&& o) noexcept {
        std::swap(ctx_, o.ctx_);
        return *this;
    }
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;
    ~Context() {
        if (ctx_) jiffi_context_destroy(ctx_);
    }

    void cdef(const std::string& declarations) { detail_api::check(jiffi_cdef(ctx_, declarations.c_str())); }
    Signature signature(const std::string& text) {
        jiffi_signature* sig = nullptr;
        detail_api::check(jiffi_signature_parse(ctx_, text.c_str(), &sig));
        return Signature(ctx_, sig);
    }
    // Opens a library by path, file name or short name; an empty name is the process.
    Library open(const std::string& name) {
        jiffi_library* lib = nullptr;
        detail_api::check(jiffi_library_open(ctx_, name.empty() ? nullptr : name.c_str(), &lib));
        return Library(lib);
    }
    Function function(void* address, const Signature& sig) {
        jiffi_function* fn = nullptr;
        detail_api::check(jiffi_function_create(ctx_, address, sig.get(), &fn));
        return Function(fn);
    }
    Function function(void* address, const std::string& sig) { return function(address, signature(sig)); }
    void set_search_paths(const std::vector<std::string>& paths) {
        std::string joined;
        for (const auto& p : paths) joined += (joined.empty() ? "" : ":") + p;
        detail_api::check(jiffi_context_set_search_paths(ctx_, joined.c_str()));
    }
    // The context's counters: calls by backend, stubs compiled, tier-ups, JIT declines.
    jiffi_stats stats() const {
        jiffi_stats s{};
        detail_api::check(jiffi_context_stats(ctx_, &s));
        return s;
    }
    // Each distinct reason the JIT declined a signature, with how many declines gave it.
    std::vector<std::pair<std::string, uint64_t>> declined_reasons() const {
        std::vector<std::pair<std::string, uint64_t>> out;
        for (size_t i = 0;; ++i) {
            size_t len = jiffi_context_declined_reason(ctx_, i, nullptr, 0, nullptr);
            if (!len) break;
            std::string text(len, '\0');
            uint64_t count = 0;
            jiffi_context_declined_reason(ctx_, i, text.data(), len, &count);
            text.resize(len - 1);
            out.emplace_back(std::move(text), count);
        }
        return out;
    }
    jiffi_context* get() const { return ctx_; }

private:
    jiffi_context* ctx_ = nullptr;
};

// ---- Function::call implementation ----------------------------------------------------

template <class T>
void Function::to_slot(size_t index, const T& arg, jiffi_slot& slot,
                       std::vector<std::string>& keep) const {
    using D = std::decay_t<T>;
    const jiffi_type_info& info = arg_info(index);
    switch (info.value_class) {
    case JIFFI_CLASS_SINT:
    case JIFFI_CLASS_UINT:
        if constexpr (std::is_integral_v<D> || std::is_enum_v<D>) {
            using U = std::conditional_t<std::is_enum_v<D>, std::underlying_type<D>, std::common_type<D>>;
            auto v = static_cast<typename U::type>(arg);
            unsigned bits = static_cast<unsigned>(info.size * 8);
            if (info.value_class == JIFFI_CLASS_SINT) {
                if constexpr (std::is_unsigned_v<decltype(v)>) {
                    if (bits < 64 && static_cast<uint64_t>(v) >= (uint64_t(1) << (bits - 1)))
                        mismatch(index, "value out of range of the signed C type");
                    if (bits == 64 && static_cast<uint64_t>(v) > uint64_t(INT64_MAX))
                        mismatch(index, "value out of range of the signed C type");
                } else if (bits < 64) {
                    int64_t lim = int64_t(1) << (bits - 1);
                    if (static_cast<int64_t>(v) < -lim || static_cast<int64_t>(v) >= lim)
                        mismatch(index, "value out of range of the signed C type");
                }
                slot.i64 = static_cast<int64_t>(v);
            } else {
                if constexpr (std::is_signed_v<decltype(v)>) {
                    if (v < 0) mismatch(index, "negative value for an unsigned C type");
                }
                if (bits < 64 && static_cast<uint64_t>(v) >> bits)
                    mismatch(index, "value out of range of the unsigned C type");
                slot.u64 = static_cast<uint64_t>(v);
            }
            return;
        } else {
            mismatch(index, "an integer is expected");
        }
    case JIFFI_CLASS_FLOAT:
    case JIFFI_CLASS_DOUBLE:
        if constexpr (std::is_arithmetic_v<D>) {
            if (info.value_class == JIFFI_CLASS_FLOAT) {
                slot.u64 = 0;
                slot.f32 = static_cast<float>(arg);
            } else {
                slot.f64 = static_cast<double>(arg);
            }
            return;
        } else {
            mismatch(index, "a number is expected");
        }
    case JIFFI_CLASS_POINTER:
        if constexpr (std::is_null_pointer_v<D>) {
            slot.ptr = nullptr;
            return;
        } else if constexpr (std::is_pointer_v<D>) {
            slot.ptr = const_cast<void*>(reinterpret_cast<const void*>(arg));
            return;
        } else if constexpr (std::is_same_v<D, std::string>) {
            slot.ptr = const_cast<char*>(arg.c_str());
            return;
        } else if constexpr (std::is_same_v<D, std::string_view>) {
            keep.emplace_back(arg);
            slot.ptr = keep.back().data();
            return;
        } else {
            mismatch(index, "a pointer or string is expected");
        }
    case JIFFI_CLASS_MEMORY:
        if constexpr (std::is_trivially_copyable_v<D> && !std::is_pointer_v<D>) {
            if (sizeof(D) != info.size) mismatch(index, "an object of the C type's size is expected");
            slot.ptr = const_cast<D*>(&arg);
            return;
        } else {
            mismatch(index, "an object of the C type's size is expected");
        }
    default: mismatch(index, "cannot pass a value of this class");
    }
}

template <class R, class... A>
R Function::call(A&&... args) const {
    constexpr size_t n = sizeof...(A);
    if (n != info_.size() - 1)
        throw Error(Errc::ARG_COUNT, "'" + sig_.text() + "' takes " +
                                         std::to_string(info_.size() - 1) + " arguments, " +
                                         std::to_string(n) + " given");
    jiffi_slot slots[n + 1] = {};
    std::vector<std::string> keep;
    keep.reserve(n);
    size_t i = 0;
    ((to_slot(i, args, slots[i], keep), ++i), ...);
    (void)i;
    const jiffi_type_info& ri = ret_info();
    using D = std::decay_t<R>;
    if constexpr (std::is_void_v<R>) {
        alignas(16) unsigned char scratch[64];
        if (ri.size <= sizeof(scratch)) {
            detail_api::call_function(fn_, slots, scratch);
        } else {
            std::vector<unsigned char> big(ri.size + 16);
            detail_api::call_function(fn_, slots, big.data());
        }
        return;
    } else if constexpr (std::is_arithmetic_v<D> || std::is_pointer_v<D> || std::is_enum_v<D>) {
        if (ri.value_class == JIFFI_CLASS_MEMORY || ri.value_class == JIFFI_CLASS_VOID)
            throw Error(Errc::ARG_TYPE, "'" + sig_.text() + "' does not return a scalar");
        jiffi_slot r{};
        detail_api::call_function(fn_, slots, &r);
        if constexpr (std::is_pointer_v<D>) {
            if (ri.value_class != JIFFI_CLASS_POINTER)
                throw Error(Errc::ARG_TYPE, "'" + sig_.text() + "' does not return a pointer");
            return reinterpret_cast<D>(r.ptr);
        } else {
            switch (ri.value_class) {
            case JIFFI_CLASS_SINT: return static_cast<D>(r.i64);
            case JIFFI_CLASS_UINT: return static_cast<D>(r.u64);
            case JIFFI_CLASS_FLOAT: return static_cast<D>(r.f32);
            case JIFFI_CLASS_DOUBLE: return static_cast<D>(r.f64);
            default:
                throw Error(Errc::ARG_TYPE, "'" + sig_.text() + "' returns a pointer, not a number");
            }
        }
    } else {
        static_assert(std::is_trivially_copyable_v<D>, "R must be trivially copyable");
        if (ri.value_class != JIFFI_CLASS_MEMORY || ri.size != sizeof(D))
            throw Error(Errc::ARG_TYPE, "'" + sig_.text() + "' does not return an object of " +
                                            std::to_string(sizeof(D)) + " bytes");
        alignas(16) unsigned char storage[sizeof(D) + 16];
        detail_api::call_function(fn_, slots, storage);
        D out;
        std::memcpy(&out, storage, sizeof(D));
        return out;
    }
}

inline void Function::value_to_slot(size_t index, const Value& v, jiffi_slot& slot) const {
    const jiffi_type_info& info = arg_info(index);
    std::vector<std::string> unused;
    switch (v.kind()) {
    case Value::Kind::Int: to_slot(index, v.as_int(), slot, unused); return;
    case Value::Kind::UInt: to_slot(index, v.as_uint(), slot, unused); return;
    case Value::Kind::Double: to_slot(index, v.as_double(), slot, unused); return;
    case Value::Kind::Pointer: to_slot(index, v.as_pointer(), slot, unused); return;
    case Value::Kind::Bool: to_slot(index, v.as_bool() ? 1u : 0u, slot, unused); return;
    case Value::Kind::String:
        if (info.value_class != JIFFI_CLASS_POINTER) mismatch(index, "a string is given for a non-pointer");
        slot.ptr = const_cast<char*>(v.as_string().c_str());
        return;
    case Value::Kind::Bytes:
        if (info.value_class != JIFFI_CLASS_MEMORY || v.as_bytes().size() != info.size)
            mismatch(index, "bytes are given where their size does not match the C type");
        slot.ptr = const_cast<unsigned char*>(v.as_bytes().data());
        return;
    default: mismatch(index, "no value given");
    }
}

inline Value Function::call_values(const std::vector<Value>& args) const {
    size_t n = info_.size() - 1;
    if (args.size() != n)
        throw Error(Errc::ARG_COUNT, "'" + sig_.text() + "' takes " + std::to_string(n) +
                                         " arguments, " + std::to_string(args.size()) + " given");
    std::vector<jiffi_slot> slots(n + 1);
    for (size_t i = 0; i < n; ++i) value_to_slot(i, args[i], slots[i]);
    const jiffi_type_info& ri = ret_info();
    if (ri.value_class == JIFFI_CLASS_MEMORY) {
        std::vector<unsigned char> storage(ri.size + 16);
        detail_api::call_function(fn_, slots.data(), storage.data());
        storage.resize(ri.size);
        return Value(std::move(storage));
    }
    jiffi_slot r{};
    detail_api::call_function(fn_, slots.data(), &r);
    switch (ri.value_class) {
    case JIFFI_CLASS_SINT: return Value(r.i64);
    case JIFFI_CLASS_UINT: return Value(r.u64);
    case JIFFI_CLASS_FLOAT: return Value(static_cast<double>(r.f32));
    case JIFFI_CLASS_DOUBLE: return Value(r.f64);
    case JIFFI_CLASS_POINTER: return Value(r.ptr);
    default: return Value();
    }
}

}  // namespace jiffi

// ---- Layout discovery (define-c-struct-auto) -------------------------------------------

namespace jiffi {

// Where and how to find a record's layout: headers, -I, -D, the cache directory.
struct LayoutRequest {
    std::vector<std::string> headers;       // "sys/stat.h" or paths
    std::vector<std::string> include_dirs;  // -I
    std::vector<std::string> defines;       // -D: "NAME" or "NAME=VALUE"
    std::string snippet;                    // declarations after the headers (may be empty)
    const char* cache_dir = nullptr;        // nullptr: the default; "": no cache
};

// One named member of a discovered record (anonymous members' fields flattened).
struct AutoMember {
    std::string name;
    size_t offset = 0;
    uint64_t bit_offset = 0;
    unsigned bit_width = 0;
    bool is_bitfield = false;
    size_t size = 0;
};

// A record define_c_struct_auto defined in a context.
struct AutoRecord {
    std::string type_name;  // how signatures name it: "struct stat", "div_t"
    size_t size = 0, align = 1;
    bool from_cache = false;
    std::vector<AutoMember> members;
    // The member named name; throws Error(INVALID_ARGUMENT) when there is none.
    const AutoMember& member(const std::string& name) const {
        for (const AutoMember& m : members)
            if (m.name == name) return m;
        throw Error(Errc::INVALID_ARGUMENT, "'" + type_name + "' has no member '" + name + "'");
    }
};

namespace detail_api {

// Calls jiffi_layout_discover with req and name (nullptr: the snippet's record).
inline AutoRecord discover(Context& ctx, const char* name, const LayoutRequest& req) {
    auto ptrs = [](const std::vector<std::string>& v) {
        std::vector<const char*> p;
        for (const std::string& s : v) p.push_back(s.c_str());
        return p;
    };
    std::vector<const char*> h = ptrs(req.headers), i = ptrs(req.include_dirs), d = ptrs(req.defines);
    jiffi_layout_request r{};
    r.name = name;
    r.headers = h.data();
    r.header_count = h.size();
    r.snippet = req.snippet.empty() ? nullptr : req.snippet.c_str();
    r.include_dirs = i.data();
    r.include_dir_count = i.size();
    r.defines = d.data();
    r.define_count = d.size();
    r.cache_dir = req.cache_dir;
    jiffi_auto_record out{};
    check(jiffi_layout_discover(ctx.get(), &r, &out));
    AutoRecord rec;
    rec.type_name = out.type_name;
    rec.size = out.size;
    rec.align = out.align;
    rec.from_cache = out.from_cache != 0;
    for (size_t k = 0; k < out.member_count; ++k) {
        jiffi_auto_member m{};
        check(jiffi_layout_member(ctx.get(), out.type_name, k, &m));
        rec.members.push_back({m.name, m.offset, m.bit_offset, m.bit_width, m.is_bitfield != 0, m.size});
    }
    return rec;
}

}  // namespace detail_api

// define-c-struct-auto: defines the record name ("stat", "struct stat", a typedef) in ctx with
// the layout Clang gives it in the headers, so that signatures and by-value calls use it.
inline AutoRecord define_c_struct_auto(Context& ctx, const std::string& name, const LayoutRequest& req) {
    return detail_api::discover(ctx, name.c_str(), req);
}

// define-c-struct-auto's snippet form: snippet is "struct T { members... };" (after the
// #include lines it needs, or with req.headers); T's members must be the headers' ones.
inline AutoRecord define_c_struct_auto_snippet(Context& ctx, const std::string& snippet, LayoutRequest req = {}) {
    req.snippet = snippet;
    return detail_api::discover(ctx, nullptr, req);
}

}  // namespace jiffi

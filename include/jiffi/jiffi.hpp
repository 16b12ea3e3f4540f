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

// Marks the C++ API's classes and functions compiled into libjiffi (built with hidden
// visibility, docs/design.md "The C++ API"), as JIFFI_API marks the C API.
#if defined(_WIN32) && defined(JIFFI_BUILDING_SHARED)
#define JIFFI_CXX_API __declspec(dllexport)
#elif defined(__GNUC__)
#define JIFFI_CXX_API __attribute__((visibility("default")))
#else
#define JIFFI_CXX_API
#endif

namespace jiffi {

// Error codes of errors.def.
enum class Errc : int {
#define JIFFI_ERROR(name, value, text) name = value,
#include "jiffi/errors.def"
#undef JIFFI_ERROR
};

// An exception carrying a jiffi error code and the message naming the bad input. The
// message is owned out of line (cxx/error.cpp), shared by copies.
class JIFFI_CXX_API Error : public std::exception {
public:
    Error(Errc code, const char* message);
    Error(Errc code, std::string_view message);
    Error(Errc code, const std::string& message);
    Error(const Error& o) noexcept;
    Error& operator=(const Error& o) noexcept;
    ~Error() override;
    const char* what() const noexcept override;
    Errc code() const noexcept { return code_; }

private:
    struct Message;
    Errc code_;
    Message* message_;
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
// The calling thread's state, one per process (cxx/state.cpp), whichever shared object asks.
JIFFI_CXX_API CallbackState& callback_state();

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

// The 128-bit integers of GCC and Clang (__extension__: also under -std=c++20 -pedantic).
__extension__ typedef __int128 int128_t;
__extension__ typedef unsigned __int128 uint128_t;

// True for int128_t and uint128_t, which std::is_integral does not count in strict modes.
template <class T>
inline constexpr bool is_int128_v = std::is_same_v<T, int128_t> || std::is_same_v<T, uint128_t>;

// A dynamically typed value for calls whose types are known only at run time.
class Value {
public:
    using Bytes = std::vector<unsigned char>;
    using Array = std::vector<Value>;
    // Bytes: a struct or other object by value; Utf16/Utf32/Wide: text for char16_t,
    // char32_t and wchar_t pointers; Array: elements for a pointer to a C array;
    // Int128/UInt128/LongDouble: __int128, unsigned __int128 and long double, kept exact.
    enum class Kind {
        None, Int, UInt, Double, Pointer, String, Bytes, Bool, Utf16, Utf32, Wide, Array, Out,
        Int128, UInt128, LongDouble
    };

    Value() = default;
    template <class T, std::enable_if_t<std::is_integral_v<T> && std::is_signed_v<T> && sizeof(T) <= 8, int> = 0>
    Value(T v) : v_(static_cast<int64_t>(v)) {}
    template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_signed_v<T> && sizeof(T) <= 8, int> = 0>
    Value(T v) : v_(static_cast<uint64_t>(v)) {}
    Value(int128_t v) : v_(v) {}
    Value(uint128_t v) : v_(v) {}
    Value(bool b) : v_(b) {}
    Value(double v) : v_(v) {}
    Value(float v) : v_(static_cast<double>(v)) {}
    Value(long double v) : v_(v) {}
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
    // True for the integer kinds (Int, UInt, Int128, UInt128).
    bool is_integer() const {
        Kind k = kind();
        return k == Kind::Int || k == Kind::UInt || k == Kind::Int128 || k == Kind::UInt128;
    }
    // The integer as int64_t (UInt as its bits); throws for a 128-bit one outside int64_t and uint64_t.
    int64_t as_int() const;
    // The integer as uint64_t (Int as its bits); throws like as_int.
    uint64_t as_uint() const { return static_cast<uint64_t>(as_int()); }
    // The integer as int128_t (UInt128 as its bits).
    int128_t as_int128() const { return static_cast<int128_t>(as_uint128()); }
    // The integer as uint128_t (Int and Int128 sign-extended to their bits).
    uint128_t as_uint128() const;
    double as_double() const { return static_cast<double>(as_long_double()); }
    // Any number as long double (exact for LongDouble, Double and 64-bit integers).
    long double as_long_double() const;
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
                 std::u16string, std::u32string, std::wstring, Array, OutParam, int128_t, uint128_t,
                 long double>
        v_;
};

inline uint128_t Value::as_uint128() const {
    if (auto* i = std::get_if<int64_t>(&v_)) return static_cast<uint128_t>(static_cast<int128_t>(*i));
    if (auto* u = std::get_if<uint64_t>(&v_)) return *u;
    if (auto* i = std::get_if<int128_t>(&v_)) return static_cast<uint128_t>(*i);
    if (auto* u = std::get_if<uint128_t>(&v_)) return *u;
    throw Error(Errc::ARG_TYPE, "value is not an integer");
}

inline int64_t Value::as_int() const {
    if (auto* i = std::get_if<int64_t>(&v_)) return *i;
    if (auto* u = std::get_if<uint64_t>(&v_)) return static_cast<int64_t>(*u);
    bool fits = false;
    if (auto* i = std::get_if<int128_t>(&v_)) fits = *i >= INT64_MIN && *i <= static_cast<int128_t>(UINT64_MAX);
    if (auto* u = std::get_if<uint128_t>(&v_)) fits = *u <= UINT64_MAX;
    if (fits) return static_cast<int64_t>(as_uint128());
    if (is_integer()) throw Error(Errc::ARG_TYPE, "the 128-bit integer value does not fit in 64 bits");
    throw Error(Errc::ARG_TYPE, "value is not an integer");
}

inline long double Value::as_long_double() const {
    if (auto* l = std::get_if<long double>(&v_)) return *l;
    if (auto* d = std::get_if<double>(&v_)) return *d;
    if (auto* i = std::get_if<int64_t>(&v_)) return static_cast<long double>(*i);
    if (auto* u = std::get_if<uint64_t>(&v_)) return static_cast<long double>(*u);
    if (auto* i = std::get_if<int128_t>(&v_)) return static_cast<long double>(*i);
    if (auto* u = std::get_if<uint128_t>(&v_)) return static_cast<long double>(*u);
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
    // What a value passed in memory is: a 128-bit integer, a long double, or other bytes.
    enum class InMemory : unsigned char { Bytes, SignedWide, UnsignedWide, LongDouble };

    void swap(Function& o) noexcept {
        std::swap(fn_, o.fn_);
        std::swap(sig_, o.sig_);
        std::swap(info_, o.info_);
        std::swap(in_memory_, o.in_memory_);
    }
    void load_info() {
        sig_ = Signature(nullptr, jiffi_function_signature(fn_));
        size_t n = sig_.arg_count();
        info_.resize(n + 1);
        in_memory_.assign(n + 1, InMemory::Bytes);
        for (size_t i = 0; i <= n; ++i) {
            info_[i] = sig_.type_info(static_cast<long>(i) - 1);
            if (info_[i].value_class != JIFFI_CLASS_MEMORY) continue;
            jiffi_type_detail d{};
            detail_api::check(jiffi_signature_type_detail(sig_.get(), static_cast<long>(i) - 1, &d));
            if (d.kind == JIFFI_KIND_INTEGER && d.size == 16)
                in_memory_[i] = d.is_signed ? InMemory::SignedWide : InMemory::UnsignedWide;
            else if (d.kind == JIFFI_KIND_FLOAT && d.size == sizeof(long double))
                in_memory_[i] = InMemory::LongDouble;
        }
    }
    const jiffi_type_info& ret_info() const { return info_[0]; }
    const jiffi_type_info& arg_info(size_t i) const { return info_[i + 1]; }
    [[noreturn]] void mismatch(size_t index, const char* what) const {
        throw Error(Errc::ARG_TYPE, "argument " + std::to_string(index + 1) + " of '" +
                                        sig_.text() + "': " + what);
    }
    // 16-byte aligned memory for one argument passed in memory (a 128-bit integer, a long double).
    struct alignas(16) Wide {
        unsigned char bytes[16];
    };
    // Converts argument index to its slot; wide holds a converted argument passed in memory.
    template <class T>
    void to_slot(size_t index, const T& arg, jiffi_slot& slot, std::vector<std::string>& keep, Wide& wide) const;
    void value_to_slot(size_t index, const Value& v, jiffi_slot& slot, Wide& wide) const;
    // The value a function returning a 128-bit integer or long double left in storage.
    template <class D>
    D wide_result(const unsigned char* storage) const;

    jiffi_function* fn_ = nullptr;
    Signature sig_;
    std::vector<jiffi_type_info> info_;  // [0] the return type, [1..] the arguments
    std::vector<InMemory> in_memory_;    // like info_: what a JIFFI_CLASS_MEMORY type is
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

namespace detail_api {

// The value v of integer type T as a 128-bit two's complement number and whether it is negative.
template <class T>
uint128_t wide_bits(T v, bool& negative) {
    if constexpr (std::is_same_v<T, bool>) {
        negative = false;
        return v ? 1 : 0;
    } else if constexpr (std::is_same_v<T, int128_t> || (!is_int128_v<T> && std::is_signed_v<T>)) {
        negative = v < 0;
        return static_cast<uint128_t>(static_cast<int128_t>(v));
    } else {
        negative = false;
        return static_cast<uint128_t>(v);
    }
}

// True when the integer with 128-bit pattern bits (negative when negative) fits a C integer of
// width bits (at most 128) and signedness is_signed.
inline bool fits_integer(uint128_t bits, bool negative, unsigned width, bool is_signed) {
    if (is_signed) {
        uint128_t half = uint128_t(1) << (width - 1);  // -half .. half-1
        return negative ? uint128_t(0) - bits <= half : bits < half;
    }
    return !negative && (width >= 128 || bits >> width == 0);
}

// The largest magnitude that rounds to a finite float (FLT_MAX plus half its ulp, exclusive).
inline constexpr double kFloatOverflow = 0x1.ffffffp127;

}  // namespace detail_api

template <class T>
void Function::to_slot(size_t index, const T& arg, jiffi_slot& slot, std::vector<std::string>& keep,
                       Wide& wide) const {
    using D = std::decay_t<T>;
    constexpr bool integral = std::is_integral_v<D> || is_int128_v<D> || std::is_enum_v<D>;
    constexpr bool arithmetic = std::is_arithmetic_v<D> || is_int128_v<D>;
    const jiffi_type_info& info = arg_info(index);
    InMemory mem = in_memory_[index + 1];
    bool wide_int = mem == InMemory::SignedWide || mem == InMemory::UnsignedWide;
    switch (info.value_class) {
    case JIFFI_CLASS_SINT:
    case JIFFI_CLASS_UINT:
    wide_integer:
        if constexpr (integral) {
            using U = std::conditional_t<std::is_enum_v<D>, std::underlying_type<D>, std::common_type<D>>;
            auto v = static_cast<typename U::type>(arg);
            bool negative = false;
            uint128_t bits = detail_api::wide_bits(v, negative);
            bool is_signed = info.value_class == JIFFI_CLASS_SINT || mem == InMemory::SignedWide;
            unsigned width = static_cast<unsigned>(info.size * 8);
            if (!detail_api::fits_integer(bits, negative, width, is_signed))
                mismatch(index, negative && !is_signed ? "negative value for an unsigned C type"
                                : is_signed            ? "value out of range of the signed C type"
                                                       : "value out of range of the unsigned C type");
            if (wide_int) {
                std::memcpy(wide.bytes, &bits, 16);
                slot.ptr = wide.bytes;
            } else {
                slot.u64 = static_cast<uint64_t>(bits);
            }
            return;
        } else {
            mismatch(index, "an integer is expected");
        }
    case JIFFI_CLASS_FLOAT:
    case JIFFI_CLASS_DOUBLE:
    long_double:
        if constexpr (arithmetic) {
            long double x = static_cast<long double>(arg);
            bool finite = x == x && x - x == 0;
            if (info.value_class == JIFFI_CLASS_FLOAT) {
                if (finite && (x >= detail_api::kFloatOverflow || x <= -detail_api::kFloatOverflow))
                    mismatch(index, "value out of range of float");
                slot.u64 = 0;
                slot.f32 = static_cast<float>(x);
            } else if (info.value_class == JIFFI_CLASS_DOUBLE) {
                if constexpr (sizeof(long double) > sizeof(double)) {
                    constexpr long double overflow = 0x1.fffffffffffff8p1023L;  // DBL_MAX + half an ulp
                    if (finite && (x >= overflow || x <= -overflow)) mismatch(index, "value out of range of double");
                }
                slot.f64 = static_cast<double>(x);
            } else {
                std::memcpy(wide.bytes, &x, sizeof x);
                slot.ptr = wide.bytes;
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
        if (wide_int) goto wide_integer;
        if (mem == InMemory::LongDouble) goto long_double;
        if constexpr (std::is_trivially_copyable_v<D> && !std::is_pointer_v<D> && !arithmetic) {
            if (sizeof(D) != info.size) mismatch(index, "an object of the C type's size is expected");
            slot.ptr = const_cast<D*>(&arg);
            return;
        } else {
            mismatch(index, "an object of the C type's size is expected");
        }
    default: mismatch(index, "cannot pass a value of this class");
    }
}

template <class D>
D Function::wide_result(const unsigned char* storage) const {
    switch (in_memory_[0]) {
    case InMemory::SignedWide: {
        int128_t v;
        std::memcpy(&v, storage, sizeof v);
        return static_cast<D>(v);
    }
    case InMemory::UnsignedWide: {
        uint128_t v;
        std::memcpy(&v, storage, sizeof v);
        return static_cast<D>(v);
    }
    case InMemory::LongDouble: {
        long double v;
        std::memcpy(&v, storage, sizeof v);
        return static_cast<D>(v);
    }
    default: throw Error(Errc::ARG_TYPE, "'" + sig_.text() + "' does not return a scalar");
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
    Wide wide[n + 1];
    std::vector<std::string> keep;
    keep.reserve(n);
    size_t i = 0;
    ((to_slot(i, args, slots[i], keep, wide[i]), ++i), ...);
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
    } else if constexpr (std::is_arithmetic_v<D> || is_int128_v<D> || std::is_pointer_v<D> || std::is_enum_v<D>) {
        if (ri.value_class == JIFFI_CLASS_MEMORY && !std::is_pointer_v<D> && in_memory_[0] != InMemory::Bytes) {
            alignas(16) unsigned char storage[32] = {};
            detail_api::call_function(fn_, slots, storage);
            return wide_result<D>(storage);
        }
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

inline void Function::value_to_slot(size_t index, const Value& v, jiffi_slot& slot, Wide& wide) const {
    const jiffi_type_info& info = arg_info(index);
    std::vector<std::string> unused;
    switch (v.kind()) {
    case Value::Kind::Int: to_slot(index, v.as_int(), slot, unused, wide); return;
    case Value::Kind::UInt: to_slot(index, v.as_uint(), slot, unused, wide); return;
    case Value::Kind::Int128: to_slot(index, v.as_int128(), slot, unused, wide); return;
    case Value::Kind::UInt128: to_slot(index, v.as_uint128(), slot, unused, wide); return;
    case Value::Kind::Double: to_slot(index, v.as_double(), slot, unused, wide); return;
    case Value::Kind::LongDouble: to_slot(index, v.as_long_double(), slot, unused, wide); return;
    case Value::Kind::Pointer: to_slot(index, v.as_pointer(), slot, unused, wide); return;
    case Value::Kind::Bool: to_slot(index, v.as_bool() ? 1u : 0u, slot, unused, wide); return;
    case Value::Kind::String:
        if (info.value_class != JIFFI_CLASS_POINTER) mismatch(index, "a string is given for a non-pointer");
        slot.ptr = const_cast<char*>(v.as_string().c_str());
        return;
    case Value::Kind::Bytes:
        if (info.value_class != JIFFI_CLASS_MEMORY || in_memory_[index + 1] != InMemory::Bytes ||
            v.as_bytes().size() != info.size)
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
    std::vector<Wide> wide(n + 1);
    for (size_t i = 0; i < n; ++i) value_to_slot(i, args[i], slots[i], wide[i]);
    const jiffi_type_info& ri = ret_info();
    if (ri.value_class == JIFFI_CLASS_MEMORY) {
        std::vector<unsigned char> storage(ri.size + 16);
        detail_api::call_function(fn_, slots.data(), storage.data());
        switch (in_memory_[0]) {
        case InMemory::SignedWide: return Value(wide_result<int128_t>(storage.data()));
        case InMemory::UnsignedWide: return Value(wide_result<uint128_t>(storage.data()));
        case InMemory::LongDouble: return Value(wide_result<long double>(storage.data()));
        default: break;
        }
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

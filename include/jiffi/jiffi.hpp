// jiffi C++ API: RAII objects and typed calls over the C API of jiffi.h, compiled into
// libjiffi (cxx/). Public headers hold declarations and thin templates only
// (docs/design.md "The C++ API"): text goes in as std::string_view or const char *, and a
// function declared with std::string (which <iosfwd> declares) is for callers that include
// <string> themselves.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <iosfwd>
#include <string_view>
#include <type_traits>
#include <utility>

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

// Throws the error err as jiffi::Error, disposing it.
[[noreturn]] JIFFI_CXX_API void throw_error(jiffi_error* err);
// Throws err as jiffi::Error (disposing it); does nothing for NULL.
inline void check(jiffi_error* err) {
    if (err) throw_error(err);
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
JIFFI_CXX_API void call_function(jiffi_function* fn, const jiffi_slot* args, void* ret);

// True for a container with .data() and .size() whose elements are E (or const E).
template <class C, class E, class = void>
struct is_contiguous_of : std::false_type {};
template <class C, class E>
struct is_contiguous_of<C, E, std::void_t<decltype(std::declval<const C&>().data()), decltype(std::declval<const C&>().size())>>
    : std::is_same<std::remove_cv_t<std::remove_pointer_t<decltype(std::declval<const C&>().data())>>, E> {};

// True for a range (begin()/end() members) of things convertible to std::string_view.
template <class C, class = void>
struct is_text_range : std::false_type {};
template <class C>
struct is_text_range<C, std::void_t<decltype(std::declval<const C&>().begin()), decltype(std::declval<const C&>().end())>>
    : std::is_convertible<decltype(*std::declval<const C&>().begin()), std::string_view> {};

struct FunctionInfo;

}  // namespace detail_api

enum class Backend { Auto = JIFFI_BACKEND_AUTO, Jit = JIFFI_BACKEND_JIT, Libffi = JIFFI_BACKEND_LIBFFI };

// The 128-bit integers of GCC and Clang (__extension__: also under -std=c++20 -pedantic).
__extension__ typedef __int128 int128_t;
__extension__ typedef unsigned __int128 uint128_t;

// True for int128_t and uint128_t, which std::is_integral does not count in strict modes.
template <class T>
inline constexpr bool is_int128_v = std::is_same_v<T, int128_t> || std::is_same_v<T, uint128_t>;

// Owned text (UTF-8 bytes, NUL-terminated), jiffi's own string in declarations.
class JIFFI_CXX_API String {
public:
    String() noexcept = default;
    String(const char* s);
    String(std::string_view s);
    String(const std::string& s);
    String(const String& o);
    String(String&& o) noexcept : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
    String& operator=(const String& o);
    String& operator=(String&& o) noexcept {
        std::swap(data_, o.data_);
        std::swap(size_, o.size_);
        return *this;
    }
    ~String();

    const char* c_str() const noexcept { return data_ ? data_ : ""; }
    const char* data() const noexcept { return c_str(); }
    size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    std::string_view view() const noexcept { return std::string_view(c_str(), size_); }
    operator std::string_view() const noexcept { return view(); }
    // The text as a std::string (for callers that include <string>).
    std::string str() const;

private:
    char* data_ = nullptr;
    size_t size_ = 0;
};
inline bool operator==(const String& a, std::string_view b) noexcept { return a.view() == b; }
inline bool operator==(std::string_view a, const String& b) noexcept { return a == b.view(); }
inline bool operator==(const String& a, const String& b) noexcept { return a.view() == b.view(); }
inline bool operator==(const String& a, const char* b) noexcept { return a.view() == std::string_view(b); }
inline bool operator!=(const String& a, std::string_view b) noexcept { return !(a == b); }
inline bool operator!=(const String& a, const char* b) noexcept { return !(a == b); }

// A list of owned strings: paths, header names, member names. Made from a braced list, a
// (pointer, count) pair or any range of text (a std::vector<std::string>, say).
class JIFFI_CXX_API StringList {
public:
    StringList() noexcept = default;
    StringList(std::initializer_list<std::string_view> items) : StringList(items.begin(), items.size()) {}
    StringList(const std::string_view* items, size_t count);
    template <class C, std::enable_if_t<detail_api::is_text_range<C>::value && !std::is_same_v<C, StringList>, int> = 0>
    StringList(const C& items) {
        for (const auto& s : items) push_back(std::string_view(s));
    }
    StringList(const StringList& o);
    StringList(StringList&& o) noexcept
        : items_(std::exchange(o.items_, nullptr)), size_(std::exchange(o.size_, 0)), cap_(std::exchange(o.cap_, 0)) {}
    StringList& operator=(const StringList& o);
    StringList& operator=(StringList&& o) noexcept {
        std::swap(items_, o.items_);
        std::swap(size_, o.size_);
        std::swap(cap_, o.cap_);
        return *this;
    }
    ~StringList();

    void push_back(std::string_view s);
    size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    const String& operator[](size_t i) const noexcept { return items_[i]; }
    // The element i; Error(INVALID_ARGUMENT) past the end.
    const String& at(size_t i) const;
    const String* begin() const noexcept { return items_; }
    const String* end() const noexcept { return items_ + size_; }

private:
    String* items_ = nullptr;
    size_t size_ = 0, cap_ = 0;
};
// Element-wise equality with any range of text (std::vector<std::string>{"a", "b"}, say).
template <class C, std::enable_if_t<detail_api::is_text_range<C>::value, int> = 0>
bool operator==(const StringList& a, const C& b) {
    size_t i = 0;
    for (const auto& s : b) {
        if (i == a.size() || a[i].view() != std::string_view(s)) return false;
        ++i;
    }
    return i == a.size();
}

class Value;
class OutParam;

// A dynamically typed value for calls whose types are known only at run time. Scalars are
// held inline; text, bytes, arrays and out arguments in an immutable payload shared by
// copies (cxx/value.cpp).
class JIFFI_CXX_API Value {
public:
    class Bytes;
    class Array;
    // Bytes: a struct or other object by value; Utf16/Utf32/Wide: text for char16_t,
    // char32_t and wchar_t pointers; Array: elements for a pointer to a C array;
    // Int128/UInt128/LongDouble: __int128, unsigned __int128 and long double, kept exact.
    enum class Kind {
        None, Int, UInt, Double, Pointer, String, Bytes, Bool, Utf16, Utf32, Wide, Array, Out,
        Int128, UInt128, LongDouble
    };

    Value() noexcept { u_.u128 = 0; }
    template <class T, std::enable_if_t<std::is_integral_v<T> && std::is_signed_v<T> && sizeof(T) <= 8, int> = 0>
    Value(T v) noexcept : kind_(Kind::Int) {
        u_.u128 = 0;
        u_.i = static_cast<int64_t>(v);
    }
    template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_signed_v<T> && !std::is_same_v<T, bool> &&
                                            sizeof(T) <= 8, int> = 0>
    Value(T v) noexcept : kind_(Kind::UInt) {
        u_.u128 = 0;
        u_.u = static_cast<uint64_t>(v);
    }
    Value(int128_t v) noexcept : kind_(Kind::Int128) { u_.i128 = v; }
    Value(uint128_t v) noexcept : kind_(Kind::UInt128) { u_.u128 = v; }
    Value(bool b) noexcept : kind_(Kind::Bool) {
        u_.u128 = 0;
        u_.b = b;
    }
    Value(double v) noexcept : kind_(Kind::Double) {
        u_.u128 = 0;
        u_.d = v;
    }
    Value(float v) noexcept : Value(static_cast<double>(v)) {}
    Value(long double v) noexcept : kind_(Kind::LongDouble) {
        u_.u128 = 0;
        u_.ld = v;
    }
    Value(void* p) noexcept : kind_(Kind::Pointer) {
        u_.u128 = 0;
        u_.p = p;
    }
    Value(const void* p) noexcept : Value(const_cast<void*>(p)) {}
    Value(std::nullptr_t) noexcept : Value(static_cast<void*>(nullptr)) {}
    // A null const char * is a null pointer, not a string.
    Value(const char* s);
    Value(std::string_view s);
    Value(const std::string& s);
    Value(const std::u16string& s);
    Value(const std::u32string& s);
    Value(const std::wstring& s);
    Value(const char16_t* s);
    Value(const char32_t* s);
    Value(const wchar_t* s);
    Value(const Bytes& b);
    Value(Bytes&& b);
    Value(const Array& a);
    Value(Array&& a);
    Value(const OutParam& o);

    Value(const Value& o) noexcept : kind_(o.kind_), u_(o.u_) {
        if (o.shared()) retain();
    }
    Value(Value&& o) noexcept : kind_(o.kind_), u_(o.u_) { o.kind_ = Kind::None; }
    Value& operator=(const Value& o) noexcept {
        Value tmp(o);
        swap(tmp);
        return *this;
    }
    Value& operator=(Value&& o) noexcept {
        Value tmp(std::move(o));
        swap(tmp);
        return *this;
    }
    ~Value() {
        if (shared()) release();
    }

    Kind kind() const noexcept { return kind_; }
    // True for the integer kinds (Int, UInt, Int128, UInt128).
    bool is_integer() const noexcept {
        return kind_ == Kind::Int || kind_ == Kind::UInt || kind_ == Kind::Int128 || kind_ == Kind::UInt128;
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
    bool as_bool() const;
    const std::string& as_string() const;
    const Bytes& as_bytes() const;
    const std::u16string& as_utf16() const;
    const std::u32string& as_utf32() const;
    const std::wstring& as_wide() const;
    const Array& as_array() const;
    const OutParam& as_out() const;

private:
    struct Payload;
    bool shared() const noexcept { return kind_ >= Kind::String && kind_ <= Kind::Out && kind_ != Kind::Bool; }
    void retain() const noexcept;
    void release() noexcept;
    void swap(Value& o) noexcept {
        std::swap(kind_, o.kind_);
        std::swap(u_, o.u_);
    }
    [[noreturn]] void not_a(const char* what) const;

    Kind kind_ = Kind::None;
    union U {
        int64_t i;
        uint64_t u;
        double d;
        long double ld;
        int128_t i128;
        uint128_t u128;
        void* p;
        bool b;
        Payload* payload;
    } u_;
};

// An object's bytes by value (a struct argument or result).
class JIFFI_CXX_API Value::Bytes {
public:
    Bytes() noexcept = default;
    // size zero bytes.
    explicit Bytes(size_t size);
    Bytes(const void* data, size_t size);
    Bytes(const unsigned char* first, const unsigned char* last) : Bytes(static_cast<const void*>(first), size_t(last - first)) {}
    Bytes(unsigned char* first, unsigned char* last) : Bytes(static_cast<const void*>(first), size_t(last - first)) {}
    Bytes(std::initializer_list<unsigned char> bytes) : Bytes(bytes.begin(), bytes.size()) {}
    Bytes(const Bytes& o);
    Bytes(Bytes&& o) noexcept : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
    Bytes& operator=(const Bytes& o);
    Bytes& operator=(Bytes&& o) noexcept {
        std::swap(data_, o.data_);
        std::swap(size_, o.size_);
        return *this;
    }
    ~Bytes();

    unsigned char* data() noexcept { return data_; }
    const unsigned char* data() const noexcept { return data_; }
    size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    const unsigned char* begin() const noexcept { return data_; }
    const unsigned char* end() const noexcept { return data_ + size_; }
    unsigned char& operator[](size_t i) noexcept { return data_[i]; }
    unsigned char operator[](size_t i) const noexcept { return data_[i]; }
    friend JIFFI_CXX_API bool operator==(const Bytes& a, const Bytes& b) noexcept;

private:
    unsigned char* data_ = nullptr;
    size_t size_ = 0;
};

// Values in order: the elements of a C array argument, a batch's results, out arguments.
class JIFFI_CXX_API Value::Array {
public:
    Array() noexcept = default;
    Array(std::initializer_list<Value> items) : Array(items.begin(), items.size()) {}
    Array(const Value* items, size_t count);
    Array(const Array& o);
    Array(Array&& o) noexcept
        : items_(std::exchange(o.items_, nullptr)), size_(std::exchange(o.size_, 0)), cap_(std::exchange(o.cap_, 0)) {}
    Array& operator=(const Array& o);
    Array& operator=(Array&& o) noexcept {
        std::swap(items_, o.items_);
        std::swap(size_, o.size_);
        std::swap(cap_, o.cap_);
        return *this;
    }
    ~Array();

    void push_back(Value v);
    void reserve(size_t n);
    size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    const Value* data() const noexcept { return items_; }
    const Value* begin() const noexcept { return items_; }
    const Value* end() const noexcept { return items_ + size_; }
    const Value& operator[](size_t i) const noexcept { return items_[i]; }
    // The element i; Error(INVALID_ARGUMENT) past the end.
    const Value& at(size_t i) const;

private:
    Value* items_ = nullptr;
    size_t size_ = 0, cap_ = 0;
};

// An out or in-out argument of a dynamic call (jiffi::out(), jiffi::inout(v) in foreign.hpp):
// the callee fills the object a pointer argument points at; the call returns it as an extra
// result. An in-out argument has an initial value.
class JIFFI_CXX_API OutParam {
public:
    OutParam() noexcept = default;
    explicit OutParam(const Value& initial);
    OutParam(const OutParam& o);
    OutParam(OutParam&& o) noexcept : initial_(std::exchange(o.initial_, nullptr)) {}
    OutParam& operator=(const OutParam& o);
    OutParam& operator=(OutParam&& o) noexcept {
        std::swap(initial_, o.initial_);
        return *this;
    }
    ~OutParam();
    bool has_initial() const noexcept { return initial_ != nullptr; }
    // The initial value (None for an out argument).
    const Value& initial() const noexcept;

private:
    Value* initial_ = nullptr;
};

class Function;
class Library;

// The facts about a C type that converters and checks use (kind, size, pointee, spelling).
using TypeDesc = jiffi_type_detail;
// convert-to-foreign / convert-from-foreign for C++ type T (convert.hpp): specialize it with
//   static Value to_foreign(const T&, const TypeDesc& c_type);
//   static T from_foreign(const Value&, const TypeDesc& c_type);   (optional)
// to make T an argument (or result) of foreign calls and struct fields.
template <class T, class = void>
struct Converter;

// A signature owned by its context (a cheap handle, valid while the context lives).
class JIFFI_CXX_API Signature {
public:
    Signature() = default;
    Signature(jiffi_context* ctx, const jiffi_signature* sig) : ctx_(ctx), sig_(sig) {}

    // The call site of this variadic prototype with variadic argument types types.
    Signature vararg(std::string_view types) const;
    size_t arg_count() const { return jiffi_signature_arg_count(sig_); }
    bool is_variadic() const { return jiffi_signature_is_variadic(sig_) != 0; }
    std::string text() const;
    // The text as the C API keeps it (valid while the signature lives).
    const char* c_text() const { return jiffi_signature_text(sig_); }
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

namespace detail_api {

// A C++ argument of Function::call as the Value the one marshaller checks (cxx/marshal.cpp):
// pointers stay pointers (a const char * is passed as is), trivially copyable objects go as
// their bytes.
template <class T>
Value typed_arg(const T& a) {
    using D = std::decay_t<T>;
    if constexpr (std::is_same_v<D, Value>) {
        return a;
    } else if constexpr (std::is_null_pointer_v<D>) {
        return Value(nullptr);
    } else if constexpr (std::is_pointer_v<D>) {
        if constexpr (std::is_function_v<std::remove_pointer_t<D>>) return Value(reinterpret_cast<const void*>(a));
        else return Value(static_cast<const void*>(a));
    } else if constexpr (std::is_enum_v<D>) {
        return Value(static_cast<std::underlying_type_t<D>>(a));
    } else if constexpr (std::is_arithmetic_v<D> || is_int128_v<D>) {
        return Value(a);
    } else if constexpr (std::is_same_v<D, std::string> || std::is_same_v<D, std::string_view>) {
        return Value(a);
    } else {
        static_assert(std::is_trivially_copyable_v<D>, "an argument must be a number, pointer, string or C object");
        return Value(Value::Bytes(static_cast<const void*>(&a), sizeof(D)));
    }
}

}  // namespace detail_api

// A C function bound to a signature; destroyed with the object.
class JIFFI_CXX_API Function {
public:
    Function() = default;
    explicit Function(jiffi_function* fn);
    Function(Function&& o) noexcept { swap(o); }
    Function& operator=(Function&& o) noexcept {
        Function tmp(std::move(o));
        swap(tmp);
        return *this;
    }
    ~Function();

    // Calls with raw slots (the C API's fast path).
    void call_slots(const jiffi_slot* args, void* ret) const { detail_api::call_function(fn_, args, ret); }
    jiffi_invoker invoker() const { return jiffi_function_invoker(fn_); }
    void* address() const { return jiffi_function_address(fn_); }
    // Waits up to timeout_ms for an AUTO function's JIT stub; true once calls use it.
    bool wait_jit(long timeout_ms) const { return jiffi_function_wait_jit(fn_, timeout_ms) != 0; }
    Signature signature() const { return sig_; }
    jiffi_function* get() const { return fn_; }

    // Calls with C++ arguments converted by the signature's types (the checks of the one
    // marshaller, cxx/marshal.cpp); R is the result type (void, an arithmetic type, an enum,
    // a pointer, or a trivially copyable struct).
    template <class R = void, class... A>
    R call(A&&... args) const {
        constexpr size_t n = sizeof...(A);
        const Value values[n + 1] = {detail_api::typed_arg(args)..., Value()};
        using D = std::decay_t<R>;
        if constexpr (std::is_void_v<R>) {
            call_into(values, n, nullptr, 0);
        } else if constexpr (std::is_pointer_v<D>) {
            return reinterpret_cast<D>(call_scalar(values, n, true).as_pointer());
        } else if constexpr (std::is_arithmetic_v<D> || is_int128_v<D> || std::is_enum_v<D>) {
            Value r = call_scalar(values, n, false);
            using U = typename std::conditional_t<std::is_enum_v<D>, std::underlying_type<D>, std::common_type<D>>::type;
            switch (r.kind()) {
            case Value::Kind::Int: return static_cast<D>(static_cast<U>(r.as_int()));
            case Value::Kind::UInt: return static_cast<D>(static_cast<U>(r.as_uint()));
            case Value::Kind::Int128: return static_cast<D>(static_cast<U>(r.as_int128()));
            case Value::Kind::UInt128: return static_cast<D>(static_cast<U>(r.as_uint128()));
            case Value::Kind::LongDouble: return static_cast<D>(static_cast<U>(r.as_long_double()));
            default: return static_cast<D>(static_cast<U>(r.as_double()));
            }
        } else {
            static_assert(std::is_trivially_copyable_v<D>, "R must be trivially copyable");
            D out;
            call_into(values, n, static_cast<void*>(&out), sizeof(D));
            return out;
        }
    }

    // Calls with dynamic values; returns the result as a Value (Bytes for records).
    Value call_values(const Value* args, size_t count) const;
    Value call_values(std::initializer_list<Value> args) const { return call_values(args.begin(), args.size()); }
    template <class C, std::enable_if_t<detail_api::is_contiguous_of<C, Value>::value, int> = 0>
    Value call_values(const C& args) const {
        return call_values(args.data(), args.size());
    }

private:
    void swap(Function& o) noexcept {
        std::swap(fn_, o.fn_);
        std::swap(sig_, o.sig_);
        std::swap(info_, o.info_);
    }
    // Calls with args; stores a record result of out_size bytes at out (nullptr: none wanted).
    void call_into(const Value* args, size_t count, void* out, size_t out_size) const;
    // Calls with args; returns the scalar result (a pointer when want_pointer, else a number).
    Value call_scalar(const Value* args, size_t count, bool want_pointer) const;

    jiffi_function* fn_ = nullptr;
    Signature sig_;
    detail_api::FunctionInfo* info_ = nullptr;  // the types, for the marshaller
};

// An open shared library; closed with the object.
class JIFFI_CXX_API Library {
public:
    Library() = default;
    explicit Library(jiffi_library* lib) : lib_(lib) {}
    Library(Library&& o) noexcept : lib_(std::exchange(o.lib_, nullptr)) {}
    Library& operator=(Library&& o) noexcept {
        std::swap(lib_, o.lib_);
        return *this;
    }
    ~Library();

    void* symbol(std::string_view name) const;
    Function bind(std::string_view symbol, const Signature& sig) const;
    std::string path() const;
    // The path as the C API keeps it (valid while the library is open).
    const char* c_path() const { return jiffi_library_path(lib_); }
    jiffi_library* get() const { return lib_; }

private:
    jiffi_library* lib_ = nullptr;
};

// One reason the JIT declined signatures of a context, and how many declines gave it.
struct DeclinedReason {
    String text;
    uint64_t count = 0;
};

// The reasons of Context::declined_reasons, in order.
class JIFFI_CXX_API DeclinedReasons {
public:
    DeclinedReasons() noexcept = default;
    DeclinedReasons(const DeclinedReasons&) = delete;
    DeclinedReasons& operator=(const DeclinedReasons&) = delete;
    DeclinedReasons(DeclinedReasons&& o) noexcept
        : items_(std::exchange(o.items_, nullptr)), size_(std::exchange(o.size_, 0)) {}
    ~DeclinedReasons();
    size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    const DeclinedReason& operator[](size_t i) const noexcept { return items_[i]; }
    const DeclinedReason* begin() const noexcept { return items_; }
    const DeclinedReason* end() const noexcept { return items_ + size_; }

private:
    friend class Context;
    DeclinedReason* items_ = nullptr;
    size_t size_ = 0;
};

// A context: declarations, signatures, libraries; destroyed with the object.
class JIFFI_CXX_API Context {
public:
    explicit Context(Backend backend = Backend::Auto);
    Context(Context&& o) noexcept : ctx_(std::exchange(o.ctx_, nullptr)) {}
    Context& operator=(Context&& o) noexcept {
        std::swap(ctx_, o.ctx_);
        return *this;
    }
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;
    ~Context();

    void cdef(std::string_view declarations);
    Signature signature(std::string_view text);
    // Opens a library by path, file name or short name; an empty name is the process.
    Library open(std::string_view name);
    Function function(void* address, const Signature& sig);
    Function function(void* address, std::string_view sig) { return function(address, signature(sig)); }
    // Where short library names are looked up, in order.
    void set_search_paths(const StringList& paths);
    // The context's counters: calls by backend, stubs compiled, tier-ups, JIT declines.
    jiffi_stats stats() const {
        jiffi_stats s{};
        detail_api::check(jiffi_context_stats(ctx_, &s));
        return s;
    }
    // Each distinct reason the JIT declined a signature, with how many declines gave it.
    DeclinedReasons declined_reasons() const;
    jiffi_context* get() const { return ctx_; }

private:
    jiffi_context* ctx_ = nullptr;
};

}  // namespace jiffi

// jiffi foreign surface: the Lisp FFI's forms in C++ (shared-call, defshared, lib-open,
// structs by field, checked marshalling of dynamic values, converters, foreign errors).
#pragma once

#include <cerrno>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "jiffi/jiffi.hpp"
#include "jiffi/memory.hpp"
#include "jiffi/strings.hpp"

namespace jiffi {

// The facts about a C type that converters and checks use (kind, size, pointee, spelling).
using TypeDesc = jiffi_type_detail;

// An out argument: the callee fills the object the pointer argument points at.
inline Value out() { return Value(OutParam()); }
// An in-out argument: initial is stored in the object before the call, read back after.
inline Value inout(Value initial) { return Value(OutParam(initial)); }

// What a call returned: its value and, in argument order, what its out arguments hold;
// for a binding with errno capture, the errno the function left (else 0).
struct Results {
    Value value;
    std::vector<Value> outs;
    int error_number = 0;
};

namespace detail_ff {

// The decimal digits of a 128-bit integer given as its magnitude and sign.
JIFFI_CXX_API std::string wide_text(uint128_t magnitude, bool negative);
// The decimal digits of a signed 128-bit integer.
JIFFI_CXX_API std::string wide_text(int128_t v);
// The value as an error message shows it ("int 5", "string \"hi\"", "null pointer").
JIFFI_CXX_API std::string show(const Value& v);

// The calling thread's buffer for Runtime::cached's keys (cxx/state.cpp).
JIFFI_CXX_API std::string& binding_key_buffer();

// What is being converted (an argument of a function, a struct field, a result), put
// into words only when an error message needs it.
class Where {
public:
    Where(const char* text) : text_(text) {}
    // Argument index (from 0) named param (may be empty) of the function fn.
    Where(const std::string* fn, const std::string* param, size_t index) : fn_(fn), param_(param), index_(index) {}
    // The field path of the struct type.
    static Where field(std::string_view path, const std::string& type) {
        Where w("");
        w.path_ = path;
        w.fn_ = &type;
        w.is_field_ = true;
        return w;
    }
    Where element(size_t i) const {
        Where w = *this;
        w.element_ = i;
        return w;
    }
    Where initial() const {
        Where w = *this;
        w.initial_ = true;
        return w;
    }
    std::string str() const {
        std::string s;
        if (is_field_) {
            s = "field '" + std::string(path_) + "' of " + *fn_;
        } else if (fn_) {
            s = "argument " + std::to_string(index_ + 1);
            if (param_ && !param_->empty()) s += " (" + *param_ + ")";
            s += " of " + *fn_;
        } else {
            s = text_;
        }
        if (element_ != SIZE_MAX) s += ", element " + std::to_string(element_);
        if (initial_) s += " (in-out initial value)";
        return s;
    }

private:
    const char* text_ = "";
    const std::string* fn_ = nullptr;
    const std::string* param_ = nullptr;
    size_t index_ = 0;
    std::string_view path_;
    bool is_field_ = false;
    size_t element_ = SIZE_MAX;
    bool initial_ = false;
};

// The expected C type in words: a prefix ("element of ") and a spelling, joined on demand.
struct Text {
    Text(const char* s) : spelling(s) {}
    Text(const char* p, const char* s) : prefix(p), spelling(s) {}
    std::string str() const { return std::string(prefix) + spelling; }
    const char* prefix = "";
    const char* spelling;
};

// Throws ARG_TYPE: "<where>: expected <C type>, given <value> (<why>)".
[[noreturn]] JIFFI_CXX_API void type_error(const Where& where, const Text& expected, const Value& v,
                                           const std::string& why = "");
// The error e of a converter, which does not know its position, rethrown with where it
// happened; the converters' generic "argument: " prefix is replaced by where.
[[noreturn]] JIFFI_CXX_API void rethrow_at(const Where& where, const Error& e);

// One scalar C type: enough to store or load a value of it in memory.
struct Scalar {
    jiffi_type_kind kind;
    size_t size;
    bool is_signed;
    const char* spelling;  // the TypeDesc's, which outlives the Scalar's use
    const char* prefix = "";
    Text text() const { return Text(prefix, spelling); }
};

inline Scalar scalar_of(const TypeDesc& t) { return {t.kind, t.size, t.is_signed != 0, t.spelling}; }

// The element (of an array) or pointee (of a pointer) of t.
inline Scalar element_of(const TypeDesc& t) {
    return {t.elem_kind, t.elem_size, t.elem_is_signed != 0, t.spelling,
            t.kind == JIFFI_KIND_ARRAY ? "element of " : "object pointed to by "};
}

inline bool is_scalar_kind(jiffi_type_kind k) {
    return k == JIFFI_KIND_BOOL || k == JIFFI_KIND_CHAR || k == JIFFI_KIND_INTEGER ||
           k == JIFFI_KIND_FLOAT || k == JIFFI_KIND_POINTER;
}

// The integer v as the two's complement bits of a C integer of bits width (at most 128) and
// signedness, checked to be in range (Bool counts as 0 or 1).
JIFFI_CXX_API uint128_t integer_bits128(const Value& v, unsigned bits, bool is_signed, const Where& where,
                                        const Text& expected);
// integer_bits128 for C integers of at most 64 bits.
inline uint64_t integer_bits(const Value& v, unsigned bits, bool is_signed, const Where& where, const Text& expected) {
    return static_cast<uint64_t>(integer_bits128(v, bits, is_signed, where, expected));
}
// The number v as a long double for a C floating type of size bytes, checked to fit a float
// (size 4) or a double (size 8): a finite value that would round to infinity is out of range.
JIFFI_CXX_API long double float_value(const Value& v, size_t size, const Where& where, const Text& expected);
// Stores v into the C object of scalar type s at dst, with the checks of marshalling.
JIFFI_CXX_API void store_scalar(void* dst, const Scalar& s, const Value& v, const Where& where);
// Loads the C object of scalar type s at src as a Value.
JIFFI_CXX_API Value load_scalar(const void* src, const Scalar& s);

// Reads width bits at bit offset off from base (little-endian bit order, as GCC lays out
// bitfields on little-endian targets), sign-extending when is_signed.
inline uint64_t read_bits(const unsigned char* base, uint64_t off, unsigned width, bool is_signed) {
    uint64_t v = 0;
    for (unsigned i = 0; i < width; ++i) {
        uint64_t bit = off + i;
        if (base[bit / 8] >> (bit % 8) & 1) v |= uint64_t(1) << i;
    }
    if (is_signed && width < 64 && (v >> (width - 1) & 1)) v |= ~uint64_t(0) << width;
    return v;
}

// Writes the low width bits of v at bit offset off from base, leaving other bits alone.
inline void write_bits(unsigned char* base, uint64_t off, unsigned width, uint64_t v) {
    for (unsigned i = 0; i < width; ++i) {
        uint64_t bit = off + i;
        unsigned char mask = static_cast<unsigned char>(1u << (bit % 8));
        if (v >> i & 1) base[bit / 8] |= mask;
        else base[bit / 8] &= static_cast<unsigned char>(~mask);
    }
}

// Memory that lives for one call: copies of arguments, arrays, out objects.
class CallScratch {
public:
    // Zeroed, 16-byte aligned storage of bytes bytes.
    void* alloc(size_t bytes) {
        size_t n = bytes / sizeof(std::max_align_t) + 1;
        blocks_.push_back(std::make_unique<std::max_align_t[]>(n));
        return blocks_.back().get();
    }
    template <class S>
    void* keep(S s) {
        auto holder = std::make_shared<S>(std::move(s));
        void* p = holder->data();
        kept_.push_back(std::move(holder));
        return p;
    }

private:
    std::vector<std::unique_ptr<std::max_align_t[]>> blocks_;
    std::vector<std::shared_ptr<void>> kept_;
};

// An out argument to read back after the call.
struct OutRead {
    void* ptr;
    Scalar elem;
    bool scalar;
};

// Converts argument v for the C type t into slot (the rules of docs/c-api.md), keeping any
// memory it needs in scratch and recording out arguments in outs: the one marshaller of
// the C++ API (cxx/marshal.cpp), used by Function and SharedFunction alike.
JIFFI_CXX_API void arg_to_slot(const TypeDesc& t, const Value& v, jiffi_slot& slot, CallScratch& scratch,
                               std::vector<OutRead>& outs, const Where& where);

}  // namespace detail_ff

// ---- Converters -----------------------------------------------------------------------

// convert-to-foreign / convert-from-foreign for C++ type T: specialize Converter<T> with
//   static Value to_foreign(const T&, const TypeDesc& c_type);
//   static T from_foreign(const Value&, const TypeDesc& c_type);   (optional)
// to make T an argument (or result) of foreign calls and struct fields.
template <class T, class = void>
struct Converter;

namespace detail_ff {
// Whether Converter<T> has to_foreign, from_foreign.
template <class T, class = void>
struct has_to_foreign : std::false_type {};
template <class T>
struct has_to_foreign<T, std::void_t<decltype(Converter<T>::to_foreign(std::declval<const T&>(), std::declval<const TypeDesc&>()))>>
    : std::true_type {};
template <class T, class = void>
struct has_from_foreign : std::false_type {};
template <class T>
struct has_from_foreign<T, std::void_t<decltype(Converter<T>::from_foreign(std::declval<const Value&>(), std::declval<const TypeDesc&>()))>>
    : std::true_type {};
template <class T>
using remove_cvref_t = std::remove_cv_t<std::remove_reference_t<T>>;
}  // namespace detail_ff

// convert-to-foreign: x as the dynamic value passed where c_type goes.
template <class T>
Value convert_to_foreign(const T& x, const TypeDesc& c_type) {
    static_assert(detail_ff::has_to_foreign<T>::value, "no jiffi::Converter<T>::to_foreign for this argument type");
    return Converter<T>::to_foreign(x, c_type);
}

// convert-from-foreign: the dynamic value v (of C type c_type) as a T.
template <class T>
T convert_from_foreign(const Value& v, const TypeDesc& c_type) {
    static_assert(detail_ff::has_from_foreign<T>::value, "no jiffi::Converter<T>::from_foreign for this result type");
    return Converter<T>::from_foreign(v, c_type);
}

template <>
struct Converter<Value> {
    static Value to_foreign(const Value& v, const TypeDesc&) { return v; }
    static Value from_foreign(const Value& v, const TypeDesc&) { return v; }
};

template <>
struct Converter<bool> {
    static Value to_foreign(bool b, const TypeDesc&) { return Value(b); }
    static bool from_foreign(const Value& v, const TypeDesc& t) {
        if (v.kind() == Value::Kind::Bool) return v.as_bool();
        return detail_ff::integer_bits(v, 64, false, "result", t.spelling) != 0;
    }
};

// Integers and enums: range-checked both ways.
template <class T>
struct Converter<T, std::enable_if_t<(std::is_integral_v<T> && !std::is_same_v<T, bool>) || is_int128_v<T> ||
                                     std::is_enum_v<T>>> {
    using U = typename std::conditional_t<std::is_enum_v<T>, std::underlying_type<T>, std::common_type<T>>::type;
    static constexpr bool is_signed = std::is_same_v<U, int128_t> || (!is_int128_v<U> && std::is_signed_v<U>);
    static Value to_foreign(T x, const TypeDesc&) { return Value(static_cast<U>(x)); }
    static T from_foreign(const Value& v, const TypeDesc& t) {
        if (v.kind() == Value::Kind::Double || v.kind() == Value::Kind::LongDouble) {
            long double d = v.as_long_double();
            long double lo = is_signed ? -std::ldexp(1.0L, int(sizeof(U) * 8 - 1)) : 0.0L;
            long double end = std::ldexp(1.0L, int(sizeof(U) * 8 - (is_signed ? 1 : 0)));  // exclusive
            if (!(d >= lo && d < end && d == std::trunc(d)))
                detail_ff::type_error("result", "an integer type", v, "not representable");
            return static_cast<T>(static_cast<U>(d));
        }
        uint128_t bits = detail_ff::integer_bits128(v, sizeof(U) * 8, is_signed, "result",
                                                    t.spelling[0] ? t.spelling : "an integer");
        return static_cast<T>(static_cast<U>(bits));
    }
};

template <class T>
struct Converter<T, std::enable_if_t<std::is_floating_point_v<T>>> {
    // float and double travel as a double, long double as itself.
    using Carrier = std::conditional_t<std::is_same_v<T, long double>, long double, double>;
    static Value to_foreign(T x, const TypeDesc&) { return Value(static_cast<Carrier>(x)); }
    static T from_foreign(const Value& v, const TypeDesc& t) {
        return static_cast<T>(detail_ff::float_value(v, sizeof(T) <= 8 ? sizeof(T) : 16, "result",
                                                     t.spelling[0] ? t.spelling : "a number"));
    }
};

template <class T>
struct Converter<T*, std::enable_if_t<!std::is_same_v<std::remove_cv_t<T>, char> &&
                                      !std::is_same_v<std::remove_cv_t<T>, char16_t> &&
                                      !std::is_same_v<std::remove_cv_t<T>, char32_t> &&
                                      !std::is_same_v<std::remove_cv_t<T>, wchar_t>>> {
    static Value to_foreign(T* p, const TypeDesc&) { return Value(static_cast<const void*>(p)); }
    static T* from_foreign(const Value& v, const TypeDesc&) {
        if (v.kind() != Value::Kind::Pointer) detail_ff::type_error("result", "a pointer", v);
        return static_cast<T*>(v.as_pointer());
    }
};

template <>
struct Converter<std::nullptr_t> {
    static Value to_foreign(std::nullptr_t, const TypeDesc&) { return Value(nullptr); }
};

// Text: char pointers and strings as UTF-8; char16_t, char32_t and wchar_t as their units.
template <class C>
struct Converter<C*, std::enable_if_t<std::is_same_v<std::remove_cv_t<C>, char> ||
                                      std::is_same_v<std::remove_cv_t<C>, char16_t> ||
                                      std::is_same_v<std::remove_cv_t<C>, char32_t> ||
                                      std::is_same_v<std::remove_cv_t<C>, wchar_t>>> {
    // const text is copied as a string; a writable buffer goes as its address.
    static Value to_foreign(C* s, const TypeDesc&) {
        if (!s || !std::is_const_v<C>) return Value(static_cast<const void*>(s));
        return Value(std::basic_string<std::remove_cv_t<C>>(s));
    }
    static C* from_foreign(const Value& v, const TypeDesc&) {
        if (v.kind() != Value::Kind::Pointer) detail_ff::type_error("result", "a pointer", v);
        return static_cast<C*>(v.as_pointer());
    }
};

template <class C>
struct Converter<std::basic_string<C>, std::enable_if_t<std::is_same_v<C, char> || std::is_same_v<C, char16_t> ||
                                                        std::is_same_v<C, char32_t> || std::is_same_v<C, wchar_t>>> {
    static Value to_foreign(const std::basic_string<C>& s, const TypeDesc&) { return Value(s); }
    // From a string value of the same encoding, another encoding, or a pointer to C text.
    static std::basic_string<C> from_foreign(const Value& v, const TypeDesc&) {
        switch (v.kind()) {
        case Value::Kind::Pointer:
            if (!v.as_pointer()) detail_ff::type_error("result", "text", v, "cannot read a string at NULL");
            return read_c_string(static_cast<const C*>(v.as_pointer()));
        case Value::Kind::String: return from_utf8(v.as_string());
        case Value::Kind::Utf16: return from_utf8(utf16_to_utf8(v.as_utf16()));
        case Value::Kind::Utf32: return from_utf8(utf32_to_utf8(v.as_utf32()));
        case Value::Kind::Wide: return from_utf8(wide_to_utf8(v.as_wide()));
        default: detail_ff::type_error("result", "text", v);
        }
    }

private:
    static std::basic_string<C> from_utf8(const std::string& s) {
        if constexpr (std::is_same_v<C, char>) return s;
        else if constexpr (std::is_same_v<C, char16_t>) return utf8_to_utf16(s);
        else if constexpr (std::is_same_v<C, char32_t>) return utf8_to_utf32(s);
        else return utf8_to_wide(s);
    }
};

template <>
struct Converter<std::string_view> {
    static Value to_foreign(std::string_view s, const TypeDesc&) { return Value(std::string(s)); }
};

template <>
struct Converter<Value::Bytes> {
    static Value to_foreign(const Value::Bytes& b, const TypeDesc&) { return Value(b); }
    static Value::Bytes from_foreign(const Value& v, const TypeDesc&) {
        if (v.kind() != Value::Kind::Bytes) detail_ff::type_error("result", "bytes", v);
        return v.as_bytes();
    }
};

// A std::vector of numbers goes where a pointer to a C array goes, element by element.
template <class T>
struct Converter<std::vector<T>, std::enable_if_t<std::is_arithmetic_v<T>>> {
    static Value to_foreign(const std::vector<T>& xs, const TypeDesc& t) {
        Value::Array a;
        a.reserve(xs.size());
        for (const T& x : xs) a.push_back(Converter<T>::to_foreign(x, t));
        return Value(std::move(a));
    }
};

// Pinned arrays, scoped and pooled memory go as pointers to their first element.
template <class T>
struct Converter<PinnedArray<T>> {
    static Value to_foreign(const PinnedArray<T>& a, const TypeDesc&) { return Value(static_cast<const void*>(a.data())); }
};
template <class T>
struct Converter<ForeignMemory<T>> {
    static Value to_foreign(const ForeignMemory<T>& m, const TypeDesc&) { return Value(static_cast<void*>(m.get())); }
};
template <class T>
struct Converter<PooledMemory<T>> {
    static Value to_foreign(const PooledMemory<T>& m, const TypeDesc&) { return Value(static_cast<void*>(m.get())); }
};
template <>
struct Converter<OutParam> {
    static Value to_foreign(const OutParam& o, const TypeDesc&) { return Value(o); }
};

// ---- The runtime: a context with its open libraries and cached bindings ---------------

class SharedFunction;

// A context plus the libraries opened by name and the bindings shared_call made, shared by
// every caller; thread-safe.
class Runtime {
public:
    explicit Runtime(Backend backend = Backend::Auto) : ctx_(backend) {}
    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;

    Context& context() { return ctx_; }
    jiffi_context* get() const { return ctx_.get(); }

    // lib-open: the library of that name (path, file name, short name; "" the process),
    // opened once and shared.
    std::shared_ptr<Library> open(const std::string& name) {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = libs_.find(name);
        if (it != libs_.end()) return it->second;
        auto lib = std::make_shared<Library>(ctx_.open(name));
        libs_[name] = lib;
        return lib;
    }
    // lib-close: forgets the library and the bindings made from it; it is unloaded once
    // the last binding holding it goes away.
    void close(const std::shared_ptr<Library>& lib);

    // *library-search-paths*: where short library names are looked up.
    void set_search_paths(const StringList& paths) { ctx_.set_search_paths(paths); }
    std::vector<std::string> search_paths() const {
        size_t len = jiffi_context_search_paths(ctx_.get(), nullptr, 0);
        std::string all(len, '\0');
        jiffi_context_search_paths(ctx_.get(), all.data(), len);
        all.resize(len ? len - 1 : 0);
        std::vector<std::string> out;
        size_t start = 0;
        while (start < all.size()) {
            size_t end = all.find(':', start);
            if (end == std::string::npos) end = all.size();
            out.push_back(all.substr(start, end - start));
            start = end + 1;
        }
        return out;
    }

    // The facts of a type name in C or keyword syntax (":int", "int", "unsigned-long").
    TypeDesc describe(const std::string& type_name) {
        TypeDesc d{};
        detail_api::check(jiffi_type_describe(ctx_.get(), c_type(type_name).c_str(), &d));
        return d;
    }

    // A type name in C syntax: keywords with or without their colon ("unsigned-long",
    // ":string") become their C spelling; C type names are kept.
    std::string c_type(const std::string& name) {
        std::string kw;
        if (!name.empty() && name[0] == ':') {
            kw = name;
        } else {
            bool word = !name.empty();
            for (char c : name)
                if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) word = false;
            if (!word) return name;
            kw = ":" + name;
        }
        TypeDesc d{};
        jiffi_error* err = jiffi_type_describe(ctx_.get(), kw.c_str(), &d);
        if (err) {
            if (name[0] == ':') detail_api::check(err);
            jiffi_error_dispose(err);
            return name;
        }
        return d.spelling;
    }

    // The binding shared_call uses for symbol in library with the signature text, made once.
    std::shared_ptr<const SharedFunction> cached(std::string_view library, std::string_view symbol,
                                                 std::string_view ret, const std::string_view* arg_types,
                                                 size_t arg_count);

private:
    friend class SharedFunction;
    Context ctx_;
    std::mutex mu_;
    std::map<std::string, std::shared_ptr<Library>> libs_;
    std::unordered_map<std::string, std::shared_ptr<const SharedFunction>> bindings_;
};

// The process's default runtime (made on first use, never destroyed: bindings may outlive
// static destructors of other translation units).
JIFFI_CXX_API Runtime& default_runtime();

// lib-open on the default runtime.
inline std::shared_ptr<Library> lib_open(const std::string& name) { return default_runtime().open(name); }
// lib-close on the default runtime; the handle is reset.
inline void lib_close(std::shared_ptr<Library>& lib) {
    default_runtime().close(lib);
    lib.reset();
}
// (setf *library-search-paths* ...) and its reading, on the default runtime.
inline void set_library_search_paths(const StringList& paths) {
    default_runtime().set_search_paths(paths);
}
inline std::vector<std::string> library_search_paths() { return default_runtime().search_paths(); }

// foreign-alloc by type name (":int", "struct timespec"): count zeroed objects.
inline void* foreign_alloc(Runtime& rt, const std::string& type_name, size_t count = 1) {
    TypeDesc d = rt.describe(type_name);
    if (d.size == 0)
        throw Error(Errc::INCOMPLETE_TYPE, "foreign_alloc: '" + type_name + "' has no size");
    return foreign_alloc_bytes(d.size, count);
}
inline void* foreign_alloc(const std::string& type_name, size_t count = 1) {
    return foreign_alloc(default_runtime(), type_name, count);
}

// ---- Errors ---------------------------------------------------------------------------

// foreign-error: a C function reported failure; code is its errno, function its name.
class ForeignError : public Error {
public:
    ForeignError(int code, std::string function)
        : Error(Errc::FOREIGN, function + ": " + std::strerror(code) + " (errno " +
                                   std::to_string(code) + ")"),
          code_(code),
          function_(std::move(function)) {}
    int code() const noexcept { return code_; }
    const std::string& function() const noexcept { return function_; }

private:
    int code_;
    std::string function_;
};

// ---- Structs --------------------------------------------------------------------------

// A member of a struct defined in code: name, type (C or keyword syntax), bitfield width.
struct FieldSpec {
    std::string name;
    std::string type;
    unsigned bits = 0;
};

// A struct or union type of a context, with its fields looked up by path and cached.
class StructType {
public:
    StructType() = default;
    // The record type named type_name ("struct timespec", a typedef name) in rt's context.
    StructType(Runtime& rt, std::string_view type_name) : StructType(rt.get(), type_name) {}
    StructType(Context& ctx, std::string_view type_name) : StructType(ctx.get(), type_name) {}
    StructType(jiffi_context* ctx, std::string_view name) {
        std::string type_name(name);
        TypeDesc d{};
        detail_api::check(jiffi_type_describe(ctx, type_name.c_str(), &d));
        if (d.kind != JIFFI_KIND_RECORD)
            throw Error(Errc::INVALID_TYPE, "'" + type_name + "' is not a struct or union type");
        if (d.size == 0) throw Error(Errc::INCOMPLETE_TYPE, "'" + type_name + "' is incomplete");
        info_ = std::make_shared<Info>();
        info_->ctx = ctx;
        // An anonymous record keeps the (typedef) name it was found by.
        info_->name = std::strchr(d.spelling, '<') ? type_name : std::string(d.spelling);
        info_->spelling = d.spelling;
        info_->size = d.size;
        info_->align = d.align;
    }

    const std::string& name() const { return info().name; }
    // The type in C syntax as it was named ("struct timespec", "timespec_t", "struct
    // <anonymous>" for an anonymous record found by another path).
    const std::string& spelling() const { return info().spelling; }
    // True when t, a record type of the same context (a signature's parameter, spelled as
    // the signature wrote it), is this type. Spellings differ for one type ("point_t" and
    // "struct point"), so unequal ones are compared by the context, once per spelling; an
    // anonymous record's spelling names no type the context can find, so it matches only
    // an equal spelling.
    bool same_as(const TypeDesc& t) const {
        if (t.kind != JIFFI_KIND_RECORD || t.size != size()) return false;
        if (spelling() == t.spelling) return true;
        if (std::strchr(t.spelling, '<')) return false;
        Info& in = info();
        {
            std::lock_guard<std::mutex> lock(in.mu);
            auto it = in.same.find(t.spelling);
            if (it != in.same.end()) return it->second;
        }
        int same = 0;
        jiffi_error* err = jiffi_type_same(in.ctx, in.name.c_str(), t.spelling, &same);
        if (err) jiffi_error_dispose(err);
        std::lock_guard<std::mutex> lock(in.mu);
        in.same.emplace(t.spelling, same != 0);
        return same != 0;
    }
    size_t size() const { return info().size; }
    size_t align() const { return info().align; }
    jiffi_context* context() const { return info().ctx; }

    // The field a path names ("sec", "a.b[2]"), with its offset, bits and type.
    jiffi_field_info field(std::string_view path) const {
        Info& in = info();
        {
            std::lock_guard<std::mutex> lock(in.mu);
            auto it = in.fields.find(path);
            if (it != in.fields.end()) return it->second;
        }
        jiffi_field_info f{};
        std::string p(path);
        detail_api::check(jiffi_record_field(in.ctx, in.name.c_str(), p.c_str(), &f));
        std::lock_guard<std::mutex> lock(in.mu);
        in.fields.emplace(std::move(p), f);
        return f;
    }
    // The names of the members, anonymous members' fields flattened.
    std::vector<std::string> members() const {
        std::vector<std::string> out;
        for (size_t i = 0;; ++i) {
            size_t len = jiffi_record_member_name(info().ctx, info().name.c_str(), i, nullptr, 0);
            if (!len) break;
            std::string s(len, '\0');
            jiffi_record_member_name(info().ctx, info().name.c_str(), i, s.data(), len);
            s.resize(len - 1);
            out.push_back(std::move(s));
        }
        return out;
    }

private:
    struct Info {
        jiffi_context* ctx = nullptr;
        std::string name;
        std::string spelling;
        size_t size = 0, align = 1;
        std::mutex mu;
        std::map<std::string, jiffi_field_info, std::less<>> fields;
        std::map<std::string, bool, std::less<>> same;  // same_as by spelling
    };
    Info& info() const {
        if (!info_) throw Error(Errc::INVALID_ARGUMENT, "an empty StructType has no fields");
        return *info_;
    }
    std::shared_ptr<Info> info_;
};

// define-c-struct: struct name with the given members, laid out by the C rules.
inline StructType define_c_struct(Runtime& rt, const std::string& name, const std::vector<FieldSpec>& fields,
                                  bool is_union = false) {
    std::vector<std::string> types;
    types.reserve(fields.size());
    for (const FieldSpec& f : fields) types.push_back(rt.c_type(f.type));
    std::vector<jiffi_field_spec> specs;
    for (size_t i = 0; i < fields.size(); ++i)
        specs.push_back({fields[i].name.c_str(), types[i].c_str(), fields[i].bits});
    detail_api::check(jiffi_record_define(rt.get(), name.c_str(), is_union ? 1 : 0, specs.data(), specs.size()));
    return StructType(rt, std::string(is_union ? "union " : "struct ") + name);
}
inline StructType define_c_struct(const std::string& name, const std::vector<FieldSpec>& fields) {
    return define_c_struct(default_runtime(), name, fields);
}
// A union defined in code (members overlap at offset 0).
inline StructType define_c_union(Runtime& rt, const std::string& name, const std::vector<FieldSpec>& fields) {
    return define_c_struct(rt, name, fields, true);
}

// define-c-struct-auto is jiffi::define_c_struct_auto (jiffi.hpp: the layout from real
// headers through Clang); StructType(ctx, "struct stat") then gives its fields by path.

class FieldRef;

// A struct's bytes somewhere in memory viewed through its type: struct-ref by field path.
class StructRef {
public:
    StructRef(StructType type, void* data) : type_(std::move(type)), data_(static_cast<unsigned char*>(data)) {
        if (!data_) throw Error(Errc::INVALID_ARGUMENT, "a " + type_.name() + " at a null pointer");
    }

    // struct-pointer and struct-layout-size.
    void* pointer() const { return data_; }
    size_t size() const { return type_.size(); }
    const StructType& type() const { return type_; }
    // The struct's bytes, as a by-value argument takes them.
    Value bytes() const { return Value(Value::Bytes(data_, data_ + type_.size())); }

    // struct-ref: the field a path names; assign to it to set it (setf).
    FieldRef operator[](std::string_view path) const;
    // The field's value as a Value (arrays as Array, records as Bytes).
    Value get(std::string_view path) const;
    // The field's value converted to T.
    template <class T>
    T get(std::string_view path) const;
    // Sets the field from v (checked against its C type, bitfield width included).
    template <class T>
    void set(std::string_view path, const T& v) const;
    void set_value(std::string_view path, const Value& v) const;
    // A view of a nested struct member.
    StructRef nested(std::string_view path) const {
        jiffi_field_info f = type_.field(path);
        if (f.type.kind != JIFFI_KIND_RECORD)
            throw Error(Errc::INVALID_TYPE, "field '" + std::string(path) + "' of " + type_.name() +
                                                " is " + f.type.spelling + ", not a struct");
        return StructRef(StructType(type_.context(), f.type.spelling), data_ + f.offset);
    }

private:
    StructType type_;
    unsigned char* data_;
};

// A struct's field: read with get<T>() or value(), written by assignment.
class FieldRef {
public:
    FieldRef(const StructRef& s, std::string_view path) : s_(s), path_(path) {}
    Value value() const { return s_.get(path_); }
    template <class T>
    T get() const { return s_.get<T>(path_); }
    template <class T>
    const FieldRef& operator=(const T& v) const {
        s_.set(path_, v);
        return *this;
    }
    // The field's address (not for bitfields).
    void* pointer() const {
        jiffi_field_info f = s_.type().field(path_);
        if (f.is_bitfield) throw Error(Errc::INVALID_ARGUMENT, "bitfield '" + path_ + "' has no address");
        return static_cast<unsigned char*>(s_.pointer()) + f.offset;
    }

private:
    StructRef s_;
    std::string path_;
};

inline FieldRef StructRef::operator[](std::string_view path) const { return FieldRef(*this, path); }

inline Value StructRef::get(std::string_view path) const {
    jiffi_field_info f = type_.field(path);
    const TypeDesc& t = f.type;
    if (f.is_bitfield) {
        uint64_t bits = detail_ff::read_bits(data_, f.bit_offset, f.bit_width, t.is_signed != 0);
        if (t.kind == JIFFI_KIND_BOOL) return Value(bits != 0);
        return t.is_signed ? Value(static_cast<int64_t>(bits)) : Value(bits);
    }
    unsigned char* p = data_ + f.offset;
    if (detail_ff::is_scalar_kind(t.kind)) return detail_ff::load_scalar(p, detail_ff::scalar_of(t));
    if (t.kind == JIFFI_KIND_ARRAY && detail_ff::is_scalar_kind(t.elem_kind)) {
        Value::Array a;
        detail_ff::Scalar e = detail_ff::element_of(t);
        for (size_t i = 0; i < t.count; ++i) a.push_back(detail_ff::load_scalar(p + i * e.size, e));
        return Value(std::move(a));
    }
    return Value(Value::Bytes(p, p + t.size));
}

inline void StructRef::set_value(std::string_view path, const Value& v) const {
    jiffi_field_info f = type_.field(path);
    const TypeDesc& t = f.type;
    detail_ff::Where where = detail_ff::Where::field(path, type_.name());
    if (f.is_bitfield) {
        uint64_t bits = detail_ff::integer_bits(v, f.bit_width, t.is_signed != 0, where, t.spelling);
        detail_ff::write_bits(data_, f.bit_offset, f.bit_width, bits);
        return;
    }
    unsigned char* p = data_ + f.offset;
    if (detail_ff::is_scalar_kind(t.kind)) return detail_ff::store_scalar(p, detail_ff::scalar_of(t), v, where);
    if (v.kind() == Value::Kind::Bytes) {
        if (v.as_bytes().size() != t.size)
            detail_ff::type_error(where, t.spelling, v, std::to_string(t.size) + " bytes needed");
        std::memcpy(p, v.as_bytes().data(), t.size);
        return;
    }
    if (t.kind == JIFFI_KIND_ARRAY) {
        detail_ff::Scalar e = detail_ff::element_of(t);
        if (v.kind() == Value::Kind::String && t.elem_kind == JIFFI_KIND_CHAR) {
            const std::string& s = v.as_string();
            if (s.size() + 1 > t.count)
                detail_ff::type_error(where, t.spelling, v, "longer than " + std::to_string(t.count - 1) + " bytes");
            std::memset(p, 0, t.size);
            std::memcpy(p, s.data(), s.size());
            return;
        }
        if (v.kind() == Value::Kind::Array && detail_ff::is_scalar_kind(e.kind)) {
            const Value::Array& a = v.as_array();
            if (a.size() > t.count)
                detail_ff::type_error(where, t.spelling, v, "more than " + std::to_string(t.count) + " elements");
            // Checked into a copy first, so a bad element leaves the field unchanged.
            std::vector<unsigned char> tmp(t.size, 0);
            for (size_t i = 0; i < a.size(); ++i)
                detail_ff::store_scalar(tmp.data() + i * e.size, e, a[i], where.element(i));
            std::memcpy(p, tmp.data(), t.size);
            return;
        }
    }
    detail_ff::type_error(where, t.spelling, v, t.kind == JIFFI_KIND_RECORD ? "a struct is set from its bytes"
                                                                         : "an array is set from an array or string");
}

// An owning struct: zeroed storage for one object of the type, freed with the object
// (with-c-struct).
class CStruct : public StructRef {
public:
    explicit CStruct(const StructType& type) : CStruct(type, alloc(type)) {}
    // A copy of a struct's bytes (a by-value result, say) as an owning struct.
    static CStruct from_bytes(const StructType& type, const Value& bytes) {
        if (bytes.kind() != Value::Kind::Bytes || bytes.as_bytes().size() != type.size())
            detail_ff::type_error("CStruct::from_bytes", type.name().c_str(), bytes, std::to_string(type.size()) + " bytes needed");
        CStruct s(type);
        std::memcpy(s.pointer(), bytes.as_bytes().data(), type.size());
        return s;
    }
    CStruct(CStruct&&) = default;
    CStruct& operator=(CStruct&&) = default;

private:
    struct Free {
        void operator()(void* p) const { std::free(p); }
    };
    static std::unique_ptr<void, Free> alloc(const StructType& t) {
        size_t a = t.align() < 16 ? 16 : t.align();
        void* p = std::aligned_alloc(a, (t.size() + a - 1) / a * a);
        if (!p) throw Error(Errc::OUT_OF_MEMORY, "with_c_struct: " + t.name());
        std::memset(p, 0, t.size());
        return std::unique_ptr<void, Free>(p);
    }
    CStruct(const StructType& type, std::unique_ptr<void, Free> mem)
        : StructRef(type, mem.get()), mem_(std::move(mem)) {}
    std::unique_ptr<void, Free> mem_;
};

// with-c-struct: runs f with a zeroed struct of the type, freed after f.
template <class F>
decltype(auto) with_c_struct(const StructType& type, F&& f) {
    CStruct s(type);
    return std::forward<F>(f)(s);
}

// Structs go where a pointer to them goes (their address) or by value (their bytes).
template <class S>
struct Converter<S, std::enable_if_t<std::is_base_of_v<StructRef, S>>> {
    static Value to_foreign(const StructRef& s, const TypeDesc& t) {
        if (t.kind == JIFFI_KIND_POINTER) {
            if (t.elem_size && t.elem_size != s.size())
                detail_ff::type_error("argument", t.spelling, Value(s.pointer()),
                                    "a " + s.type().name() + " of " + std::to_string(s.size()) + " bytes");
            return Value(s.pointer());
        }
        if (t.kind == JIFFI_KIND_RECORD) {
            if (!s.type().same_as(t))
                detail_ff::type_error("argument", t.spelling, s.bytes(), "given a " + s.type().name());
            return s.bytes();
        }
        detail_ff::type_error("argument", t.spelling, Value(s.pointer()), "given a " + s.type().name());
    }
};

template <class T>
T StructRef::get(std::string_view path) const {
    jiffi_field_info f = type_.field(path);
    if constexpr (std::is_same_v<T, std::string>) {
        // A char array field reads as the text up to its first NUL.
        if (f.type.kind == JIFFI_KIND_ARRAY && f.type.elem_kind == JIFFI_KIND_CHAR) {
            const char* p = reinterpret_cast<const char*>(data_ + f.offset);
            size_t n = 0;
            while (n < f.type.count && p[n]) ++n;
            return std::string(p, n);
        }
    }
    return convert_from_foreign<T>(get(path), f.type);
}

template <class T>
void StructRef::set(std::string_view path, const T& v) const {
    jiffi_field_info f = type_.field(path);
    Value converted;
    try {
        if constexpr (std::is_array_v<T>) {
            using E = std::remove_extent_t<T>;
            converted = convert_to_foreign<E*>(const_cast<E*>(&v[0]), f.type);
        } else {
            converted = convert_to_foreign<T>(v, f.type);
        }
    } catch (const Error& e) {
        detail_ff::rethrow_at(detail_ff::Where::field(path, type_.name()), e);
    }
    set_value(path, converted);
}

// ---- Bindings: defshared and shared-call ----------------------------------------------

// A parameter of a keyword signature: a name (may be empty) and a type name.
struct Param {
    Param(const char* type) : type(type) {}
    Param(std::string type) : type(std::move(type)) {}
    Param(std::string name, std::string type) : name(std::move(name)), type(std::move(type)) {}
    std::string name;
    std::string type;
};

// A C function bound by name with its signature (defshared): call it with C++ values,
// converted and checked against the C types; results come back as Values or converted.
class SharedFunction {
    friend class Runtime;

public:
    // How a char pointer result is returned: as a pointer, or as text the library keeps
    // (borrowed) or the caller frees (owned, freed right after it is copied).
    enum class StringResult { Auto, Pointer, Borrowed, Owned };

    SharedFunction(std::shared_ptr<Library> lib, Function fn, std::string name,
                   std::vector<std::string> param_names = {})
        : lib_(std::move(lib)), fn_(std::make_shared<Function>(std::move(fn))), name_(std::move(name)),
          names_(std::move(param_names)) {
        Signature sig = fn_->signature();
        size_t n = sig.arg_count();
        types_.resize(n + 1);
        for (size_t i = 0; i <= n; ++i)
            detail_api::check(jiffi_signature_type_detail(sig.get(), static_cast<long>(i) - 1, &types_[i]));
        names_.resize(n);
    }

    const std::string& name() const { return name_; }
    size_t arity() const { return types_.size() - 1; }
    const TypeDesc& return_type() const { return types_[0]; }
    const TypeDesc& arg_type(size_t i) const { return types_.at(i + 1); }
    const Function& function() const { return *fn_; }
    std::string signature() const { return fn_->signature().text(); }

    // A char pointer result is text the library keeps.
    SharedFunction& returns_borrowed_string() {
        require_char_pointer_result();
        strings_ = StringResult::Borrowed;
        free_ = nullptr;
        return *this;
    }
    // A char pointer result is text the caller frees with free_fn.
    SharedFunction& returns_owned_string(std::function<void(void*)> free_fn) {
        require_char_pointer_result();
        if (!free_fn) throw Error(Errc::INVALID_ARGUMENT, name_ + ": an owned string result needs a free function");
        strings_ = StringResult::Owned;
        free_ = std::move(free_fn);
        return *this;
    }
    // ... freed by a bound C function such as free or sqlite3_free.
    SharedFunction& returns_owned_string(const SharedFunction& free_fn) {
        auto fn = free_fn.fn_;
        return returns_owned_string([fn](void* p) { fn->call<void>(p); });
    }
    // defshared-with-errno: captures errno right after each call (inside the JIT stub, or
    // right after ffi_call) and throws ForeignError(errno, name) when failed(result) holds;
    // by default a failure is -1 from an integer function or NULL from a pointer function.
    SharedFunction& with_errno(std::function<bool(const Value&)> failed = {}) {
        capture_errno_ = true;
        failed_ = failed ? std::move(failed) : default_failure(return_type());
        return *this;
    }
    bool captures_errno() const { return capture_errno_; }

    // A char pointer result stays a pointer.
    SharedFunction& returns_pointer() {
        strings_ = StringResult::Pointer;
        free_ = nullptr;
        return *this;
    }

    // Calls with C++ arguments (anything with a Converter); returns the result as a Value.
    template <class... A>
    Value operator()(A&&... args) const {
        return call_all(std::forward<A>(args)...).value;
    }
    // Calls and returns the result converted to R.
    template <class R, class... A>
    R call_as(A&&... args) const {
        Value v = call_all(std::forward<A>(args)...).value;
        if constexpr (std::is_void_v<R>) return;
        else return convert_from_foreign<R>(v, return_type());
    }
    // Calls and returns the result and the out arguments' values.
    template <class... A>
    Results call_all(A&&... args) const {
        return invoke(pack(std::forward<A>(args)...));
    }
    // Calls a function returning a char pointer and gives the text marked borrowed or owned
    // (owned with the free function set by returns_owned_string).
    template <class... A>
    ForeignString call_string(A&&... args) const {
        require_char_pointer_result();
        Results r = invoke_with(pack(std::forward<A>(args)...), StringResult::Pointer);
        char* p = static_cast<char*>(r.value.as_pointer());
        if (strings_ == StringResult::Owned) return ForeignString::owned(p, free_);
        return ForeignString::borrowed(p);
    }
    // Calls with dynamic values.
    Results invoke(const std::vector<Value>& args) const { return invoke_with(args, strings_); }
    // Error(ARG_COUNT) naming the function unless it takes count arguments.
    void check_arity(size_t count) const {
        size_t n = arity();
        if (count != n)
            throw Error(Errc::ARG_COUNT, name_ + " (" + signature() + ") takes " + std::to_string(n) +
                                             " argument" + (n == 1 ? "" : "s") + ", " +
                                             std::to_string(count) + " given");
    }
    // Converts C++ arguments to the Values a call takes, stored at out[0..].
    template <class... A>
    void convert_arguments(Value* out, A&&... args) const {
        size_t i = 0;
        ((out[i] = to_value(i, std::forward<A>(args)), ++i), ...);
    }

private:
    template <class A>
    Value to_value(size_t i, A&& a) const {
        const TypeDesc none{};
        const TypeDesc& t = i + 1 < types_.size() ? types_[i + 1] : none;
        using D = detail_ff::remove_cvref_t<A>;
        try {
            if constexpr (std::is_array_v<std::remove_reference_t<A>>) {
                // A writable array (a buffer) goes as a pointer; a const one (a literal) as text.
                using E = std::remove_extent_t<std::remove_reference_t<A>>;
                return convert_to_foreign<E*>(&a[0], t);
            } else {
                return convert_to_foreign<D>(a, t);
            }
        } catch (const Error& e) {
            if (i < names_.size()) detail_ff::rethrow_at(where(i), e);
            throw;
        }
    }
    template <class... A>
    std::vector<Value> pack(A&&... args) const {
        std::vector<Value> vals;
        vals.reserve(sizeof...(A));
        size_t i = 0;
        (vals.push_back(to_value(i++, std::forward<A>(args))), ...);
        return vals;
    }
    void require_char_pointer_result() const {
        const TypeDesc& r = return_type();
        if (r.kind != JIFFI_KIND_POINTER || r.elem_kind != JIFFI_KIND_CHAR)
            throw Error(Errc::ARG_TYPE, name_ + " returns " + r.spelling + ", not a char pointer");
    }
    detail_ff::Where where(size_t i) const { return detail_ff::Where(&name_, &names_[i], i); }
    Results invoke_with(const std::vector<Value>& args, StringResult strings) const;
    // Calls through jiffi_function_call, or jiffi_function_call_errno when capturing errno.
    void call_raw(const jiffi_slot* slots, void* ret, int& error_number) const {
        if (!capture_errno_) return fn_->call_slots(slots, ret);
        detail_api::check(jiffi_function_call_errno(fn_->get(), slots, ret, &error_number));
    }
    // -1 from an integer function, NULL from a pointer function; other results never fail.
    static std::function<bool(const Value&)> default_failure(const TypeDesc& r) {
        if (r.value_class == JIFFI_CLASS_SINT)
            return [](const Value& v) { return v.kind() == Value::Kind::Int && v.as_int() == -1; };
        if (r.value_class == JIFFI_CLASS_POINTER)
            return [](const Value& v) { return v.kind() == Value::Kind::Pointer && !v.as_pointer(); };
        return [](const Value&) { return false; };
    }

    std::shared_ptr<Library> lib_;      // keeps the library loaded while the binding lives
    std::shared_ptr<Function> fn_;
    std::string name_;
    std::vector<std::string> names_;
    std::vector<TypeDesc> types_;       // [0] the result, [1..] the arguments
    StringResult strings_ = StringResult::Auto;
    std::function<void(void*)> free_;
    bool capture_errno_ = false;
    std::function<bool(const Value&)> failed_;
};

inline Results SharedFunction::invoke_with(const std::vector<Value>& args, StringResult strings) const {
    size_t n = arity();
    check_arity(args.size());
    jiffi_slot small[8];
    std::vector<jiffi_slot> big;
    jiffi_slot* slots = small;
    if (n > 8) {
        big.resize(n);
        slots = big.data();
    }
    detail_ff::CallScratch scratch;
    std::vector<detail_ff::OutRead> outs;
    for (size_t i = 0; i < n; ++i) detail_ff::arg_to_slot(types_[i + 1], args[i], slots[i], scratch, outs, where(i));
    const TypeDesc& r = types_[0];
    Results res;
    if (r.value_class == JIFFI_CLASS_MEMORY) {
        void* storage = scratch.alloc(r.size);
        call_raw(slots, storage, res.error_number);
        auto* b = static_cast<unsigned char*>(storage);
        res.value = r.kind == JIFFI_KIND_RECORD || r.kind == JIFFI_KIND_COMPLEX
                        ? Value(Value::Bytes(b, b + r.size))
                        : detail_ff::load_scalar(storage, detail_ff::scalar_of(r));
    } else {
        jiffi_slot ret{};
        call_raw(slots, r.value_class == JIFFI_CLASS_VOID ? nullptr : &ret, res.error_number);
        switch (r.value_class) {
        case JIFFI_CLASS_SINT: res.value = Value(ret.i64); break;
        case JIFFI_CLASS_UINT:
            res.value = r.kind == JIFFI_KIND_BOOL ? Value(ret.u64 != 0) : Value(ret.u64);
            break;
        case JIFFI_CLASS_FLOAT: res.value = Value(static_cast<double>(ret.f32)); break;
        case JIFFI_CLASS_DOUBLE: res.value = Value(ret.f64); break;
        case JIFFI_CLASS_POINTER: {
            bool text = r.elem_kind == JIFFI_KIND_CHAR &&
                        (strings == StringResult::Borrowed || strings == StringResult::Owned ||
                         (strings == StringResult::Auto && r.elem_is_const));
            if (text && ret.ptr) {
                res.value = Value(std::string(static_cast<const char*>(ret.ptr)));
                if (strings == StringResult::Owned) free_(ret.ptr);
            } else {
                res.value = Value(ret.ptr);
            }
            break;
        }
        default: break;
        }
    }
    if (capture_errno_ && failed_ && failed_(res.value)) throw ForeignError(res.error_number, name_);
    for (const detail_ff::OutRead& o : outs)
        res.outs.push_back(o.scalar ? detail_ff::load_scalar(o.ptr, o.elem)
                                    : Value(Value::Bytes(static_cast<unsigned char*>(o.ptr),
                                                         static_cast<unsigned char*>(o.ptr) + o.elem.size)));
    return res;
}

// defshared with a keyword signature: (defshared my-strlen "strlen" "libc" :unsigned-long (s :string))
// is defshared(rt, "strlen", "libc", "unsigned-long", {{"s", "string"}}).
inline SharedFunction defshared(Runtime& rt, const std::string& symbol, const std::string& library,
                                const std::string& ret, const std::vector<Param>& params) {
    std::string text = rt.c_type(ret) + " (";
    std::vector<std::string> names;
    for (size_t i = 0; i < params.size(); ++i) {
        if (i) text += ", ";
        text += rt.c_type(params[i].type);
        names.push_back(params[i].name);
    }
    text += params.empty() ? "void)" : ")";
    std::shared_ptr<Library> lib = rt.open(library);
    Function fn = lib->bind(symbol, rt.context().signature(text));
    return SharedFunction(std::move(lib), std::move(fn), symbol, std::move(names));
}
// defshared with a C prototype: defshared(rt, "strlen", "libc", "size_t strlen(const char *s)").
inline SharedFunction defshared(Runtime& rt, const std::string& symbol, const std::string& library,
                                const std::string& prototype) {
    std::shared_ptr<Library> lib = rt.open(library);
    Function fn = lib->bind(symbol, rt.context().signature(prototype));
    return SharedFunction(std::move(lib), std::move(fn), symbol);
}
// A variadic C function bound for one list of variadic argument types ("int, double").
inline SharedFunction defshared_vararg(Runtime& rt, const std::string& symbol, const std::string& library,
                                       const std::string& prototype, const std::string& vararg_types) {
    std::shared_ptr<Library> lib = rt.open(library);
    Function fn = lib->bind(symbol, rt.context().signature(prototype).vararg(vararg_types));
    return SharedFunction(std::move(lib), std::move(fn), symbol);
}
inline SharedFunction defshared_vararg(const std::string& symbol, const std::string& library,
                                       const std::string& prototype, const std::string& vararg_types) {
    return defshared_vararg(default_runtime(), symbol, library, prototype, vararg_types);
}
inline SharedFunction defshared(const std::string& symbol, const std::string& library, const std::string& ret,
                                const std::vector<Param>& params) {
    return defshared(default_runtime(), symbol, library, ret, params);
}
inline SharedFunction defshared(const std::string& symbol, const std::string& library,
                                const std::string& prototype) {
    return defshared(default_runtime(), symbol, library, prototype);
}

inline std::shared_ptr<const SharedFunction> Runtime::cached(std::string_view library, std::string_view symbol,
                                                             std::string_view ret, const std::string_view* arg_types,
                                                             size_t arg_count) {
    // The key is built in a per-thread buffer, so a warm lookup allocates nothing.
    std::string& key = detail_ff::binding_key_buffer();
    key.clear();
    key.append(library).append(1, '\n').append(symbol).append(1, '\n').append(ret);
    for (size_t i = 0; i < arg_count; ++i) key.append(1, '\n').append(arg_types[i]);
    {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = bindings_.find(key);
        if (it != bindings_.end()) return it->second;
    }
    std::vector<Param> params;
    for (size_t i = 0; i < arg_count; ++i) params.emplace_back(std::string(arg_types[i]));
    auto made = std::make_shared<const SharedFunction>(
        defshared(*this, std::string(symbol), std::string(library), std::string(ret), params));
    std::lock_guard<std::mutex> lock(mu_);
    return bindings_.emplace(key, std::move(made)).first->second;
}

inline void Runtime::close(const std::shared_ptr<Library>& lib) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = libs_.begin(); it != libs_.end();) {
        if (it->second == lib) it = libs_.erase(it);
        else ++it;
    }
    for (auto it = bindings_.begin(); it != bindings_.end();) {
        if (it->second->lib_ == lib) it = bindings_.erase(it);
        else ++it;
    }
}

// defshared-with-errno: (defshared-with-errno open "open" "libc" :int (path :string)
// (flags :int) (mode :int)) is defshared_with_errno("open", "libc", "int", {{"path",
// "string"}, {"flags", "int"}, {"mode", "int"}}): a failing call throws ForeignError.
inline SharedFunction defshared_with_errno(Runtime& rt, const std::string& symbol, const std::string& library,
                                           const std::string& ret, const std::vector<Param>& params) {
    SharedFunction f = defshared(rt, symbol, library, ret, params);
    f.with_errno();
    return f;
}
inline SharedFunction defshared_with_errno(const std::string& symbol, const std::string& library,
                                           const std::string& ret, const std::vector<Param>& params) {
    return defshared_with_errno(default_runtime(), symbol, library, ret, params);
}
// defshared-with-errno with a C prototype.
inline SharedFunction defshared_with_errno(Runtime& rt, const std::string& symbol, const std::string& library,
                                           const std::string& prototype) {
    SharedFunction f = defshared(rt, symbol, library, prototype);
    f.with_errno();
    return f;
}
inline SharedFunction defshared_with_errno(const std::string& symbol, const std::string& library,
                                           const std::string& prototype) {
    return defshared_with_errno(default_runtime(), symbol, library, prototype);
}

// The function a shared_call names: {"strlen", "libc"}.
struct SymbolSpec {
    std::string_view symbol;
    std::string_view library;
};

// shared-call: (shared-call '("strlen" "libc") :unsigned-long '(:string) "hello") is
// shared_call({"strlen", "libc"}, "unsigned-long", {"string"}, "hello"); the binding is made
// once per runtime and reused. R converts the result (Value by default).
template <class R = Value, class... A>
R shared_call(Runtime& rt, const SymbolSpec& fn, std::string_view ret,
              std::initializer_list<std::string_view> arg_types, A&&... args) {
    std::shared_ptr<const SharedFunction> b = rt.cached(fn.library, fn.symbol, ret, arg_types.begin(), arg_types.size());
    if constexpr (std::is_same_v<R, Value>) return (*b)(std::forward<A>(args)...);
    else return b->template call_as<R>(std::forward<A>(args)...);
}
template <class R = Value, class... A>
R shared_call(const SymbolSpec& fn, std::string_view ret, std::initializer_list<std::string_view> arg_types,
              A&&... args) {
    return shared_call<R>(default_runtime(), fn, ret, arg_types, std::forward<A>(args)...);
}
// The same with the argument types in a vector.
template <class R = Value, class... A>
R shared_call(Runtime& rt, const SymbolSpec& fn, std::string_view ret, const std::vector<std::string>& arg_types,
              A&&... args) {
    std::vector<std::string_view> views(arg_types.begin(), arg_types.end());
    std::shared_ptr<const SharedFunction> b = rt.cached(fn.library, fn.symbol, ret, views.data(), views.size());
    if constexpr (std::is_same_v<R, Value>) return (*b)(std::forward<A>(args)...);
    else return b->template call_as<R>(std::forward<A>(args)...);
}
template <class R = Value, class... A>
R shared_call(const SymbolSpec& fn, std::string_view ret, const std::vector<std::string>& arg_types, A&&... args) {
    return shared_call<R>(default_runtime(), fn, ret, arg_types, std::forward<A>(args)...);
}

}  // namespace jiffi

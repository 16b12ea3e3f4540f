// jiffi converters: convert-to-foreign / convert-from-foreign (Converter<T>) for numbers,
// pointers, text, bytes and vectors of numbers, with the checks of converted results;
// out and in-out arguments. Declarations and thin templates (docs/design.md "The C++ API");
// memory.hpp and structs.hpp add the converters of their types.
#pragma once

#include "jiffi/jiffi.hpp"

namespace jiffi {

// An out argument: the callee fills the object the pointer argument points at.
inline Value out() { return Value(OutParam()); }
// An in-out argument: initial is stored in the object before the call, read back after.
inline Value inout(Value initial) { return Value(OutParam(initial)); }

namespace detail_ff {
// Checks of converted results (cxx/marshal.cpp), each an Error(ARG_TYPE) naming the expected
// C type and the value: an integer of bits width as its bits (a number with no fraction too
// when allow_real), a number for a floating type of size bytes, text in C's code units.
JIFFI_CXX_API uint128_t result_integer(const Value& v, unsigned bits, bool is_signed, const char* expected,
                                       bool allow_real);
JIFFI_CXX_API long double result_float(const Value& v, size_t size, const char* expected);
[[noreturn]] JIFFI_CXX_API void result_error(const char* expected, const Value& v);
JIFFI_CXX_API void result_text(const Value& v, std::string& out);
JIFFI_CXX_API void result_text(const Value& v, std::u16string& out);
JIFFI_CXX_API void result_text(const Value& v, std::u32string& out);
JIFFI_CXX_API void result_text(const Value& v, std::wstring& out);
// True for a growable contiguous container of numbers (a std::vector), passed as an array.
template <class C, class = void>
struct is_number_vector : std::false_type {};
template <class C>
struct is_number_vector<C, std::void_t<decltype(std::declval<const C&>().capacity()), typename C::value_type,
                                       decltype(std::declval<const C&>().data())>>
    : std::bool_constant<std::is_arithmetic_v<typename C::value_type>> {};
template <class C, class = void>
struct has_c_str : std::false_type {};
template <class C>
struct has_c_str<C, std::void_t<decltype(std::declval<const C&>().c_str())>> : std::true_type {};
}  // namespace detail_ff

namespace detail_ff {
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
template <class C>
constexpr bool is_char_v = std::is_same_v<C, char> || std::is_same_v<C, char16_t> || std::is_same_v<C, char32_t> ||
                           std::is_same_v<C, wchar_t>;
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
        return v.kind() == Value::Kind::Bool ? v.as_bool() : detail_ff::result_integer(v, 64, false, t.spelling, false) != 0;
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
        return static_cast<T>(static_cast<U>(detail_ff::result_integer(
            v, sizeof(U) * 8, is_signed, t.spelling[0] ? t.spelling : "an integer", true)));
    }
};
// float and double travel as a double, long double as itself.
template <class T>
struct Converter<T, std::enable_if_t<std::is_floating_point_v<T>>> {
    using Carrier = std::conditional_t<std::is_same_v<T, long double>, long double, double>;
    static Value to_foreign(T x, const TypeDesc&) { return Value(static_cast<Carrier>(x)); }
    static T from_foreign(const Value& v, const TypeDesc& t) {
        return static_cast<T>(detail_ff::result_float(v, sizeof(T) <= 8 ? sizeof(T) : 16, t.spelling[0] ? t.spelling : "a number"));
    }
};
// Pointers; const text (char, char16_t, char32_t, wchar_t) is copied as a string, a
// writable buffer goes as its address.
template <class T>
struct Converter<T*> {
    static Value to_foreign(T* p, const TypeDesc&) {
        if constexpr (detail_ff::is_char_v<std::remove_cv_t<T>> && std::is_const_v<T>)
            if (p) return Value(p);
        return Value(static_cast<const void*>(p));
    }
    static T* from_foreign(const Value& v, const TypeDesc&) {
        if (v.kind() != Value::Kind::Pointer) detail_ff::result_error("a pointer", v);
        return static_cast<T*>(v.as_pointer());
    }
};
template <>
struct Converter<std::nullptr_t> {
    static Value to_foreign(std::nullptr_t, const TypeDesc&) { return Value(nullptr); }
};
// Strings (the caller includes <string>), read back from text of any encoding or a pointer.
template <class C>
struct Converter<std::basic_string<C>, std::enable_if_t<detail_ff::is_char_v<C>>> {
    static Value to_foreign(const std::basic_string<C>& s, const TypeDesc&) { return Value(s); }
    static std::basic_string<C> from_foreign(const Value& v, const TypeDesc&) {
        std::basic_string<C> s;
        detail_ff::result_text(v, s);
        return s;
    }
};
template <>
struct Converter<std::string_view> {
    static Value to_foreign(std::string_view s, const TypeDesc&) { return Value(s); }
};
template <>
struct Converter<Value::Bytes> {
    static Value to_foreign(const Value::Bytes& b, const TypeDesc&) { return Value(b); }
    static Value::Bytes from_foreign(const Value& v, const TypeDesc&) {
        if (v.kind() != Value::Kind::Bytes) detail_ff::result_error("bytes", v);
        return v.as_bytes();
    }
};
// A std::vector of numbers goes where a pointer to a C array goes, element by element.
template <class C>
struct Converter<C, std::enable_if_t<detail_ff::is_number_vector<C>::value && !detail_ff::has_c_str<C>::value>> {
    static Value to_foreign(const C& xs, const TypeDesc& t) {
        Value::Array a;
        a.reserve(xs.size());
        for (const auto& x : xs) a.push_back(Converter<typename C::value_type>::to_foreign(x, t));
        return Value(std::move(a));
    }
};
template <>
struct Converter<OutParam> {
    static Value to_foreign(const OutParam& o, const TypeDesc&) { return Value(o); }
};

}  // namespace jiffi

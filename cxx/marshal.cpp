// The one marshaller of the C++ API: C++ values checked against C types and put into slots
// or C objects (docs/c-api.md slot rules), with the messages naming where, the expected C
// type and the value given. Function (jiffi.hpp) and the foreign surface (foreign.hpp,
// registry.hpp) call through it; converters (convert.hpp) check their results here.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cxx/marshal.hpp"
#include "jiffi/strings.hpp"

namespace jiffi {
namespace detail_ff {

namespace {

// The largest magnitude that rounds to a finite float (FLT_MAX plus half its ulp, exclusive).
constexpr double kFloatOverflow = 0x1.ffffffp127;

// Fails when a C string would be cut short by a NUL inside it.
template <class S>
void check_no_nul(const S& s, const Where& where, const Text& expected, const Value& v) {
    for (size_t i = 0; i < s.size(); ++i)
        if (s[i] == 0) type_error(where, expected, v, "NUL at position " + std::to_string(i));
}

}  // namespace

// The decimal digits of a 128-bit integer given as its magnitude and sign.
std::string wide_text(uint128_t magnitude, bool negative) {
    std::string digits;
    do {
        digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(magnitude % 10)));
        magnitude /= 10;
    } while (magnitude);
    return negative ? "-" + digits : digits;
}

// The decimal digits of a signed 128-bit integer.
std::string wide_text(int128_t v) {
    return wide_text(v < 0 ? uint128_t(0) - static_cast<uint128_t>(v) : static_cast<uint128_t>(v), v < 0);
}

// The value as an error message shows it ("int 5", "string \"hi\"", "null pointer").
std::string show(const Value& v) {
    char buf[64];
    switch (v.kind()) {
    case Value::Kind::None: return "no value";
    case Value::Kind::Int: return "int " + std::to_string(v.as_int());
    case Value::Kind::UInt: return "unsigned " + std::to_string(v.as_uint());
    case Value::Kind::Double: std::snprintf(buf, sizeof buf, "double %g", v.as_double()); return buf;
    case Value::Kind::Pointer:
        if (!v.as_pointer()) return "null pointer";
        std::snprintf(buf, sizeof buf, "pointer %p", v.as_pointer());
        return buf;
    case Value::Kind::String: {
        const std::string& s = v.as_string();
        std::string shown;
        for (size_t i = 0; i < s.size() && i < 40; ++i) {
            unsigned char c = static_cast<unsigned char>(s[i]);
            if (c < 0x20 || c == 0x7F) {
                std::snprintf(buf, sizeof buf, "\\x%02x", c);
                shown += buf;
            } else {
                shown += static_cast<char>(c);
            }
        }
        return "string \"" + shown + (s.size() > 40 ? "...\"" : "\"");
    }
    case Value::Kind::Bytes: return std::to_string(v.as_bytes().size()) + " bytes";
    case Value::Kind::Bool: return v.as_bool() ? "bool true" : "bool false";
    case Value::Kind::Utf16: return "UTF-16 text of " + std::to_string(v.as_utf16().size()) + " units";
    case Value::Kind::Utf32: return "UTF-32 text of " + std::to_string(v.as_utf32().size()) + " units";
    case Value::Kind::Wide: return "wide text of " + std::to_string(v.as_wide().size()) + " units";
    case Value::Kind::Array: return "array of " + std::to_string(v.as_array().size()) + " values";
    case Value::Kind::Out: return !v.as_out().has_initial() ? "out argument" : "in-out argument";
    case Value::Kind::Int128: return "__int128 " + wide_text(v.as_int128());
    case Value::Kind::UInt128: return "unsigned __int128 " + wide_text(v.as_uint128(), false);
    case Value::Kind::LongDouble:
        std::snprintf(buf, sizeof buf, "long double %Lg", v.as_long_double());
        return buf;
    }
    return "value";
}

// Throws ARG_TYPE: "<where>: expected <C type>, given <value> (<why>)".
[[noreturn]] void type_error(const Where& where, const Text& expected, const Value& v, const std::string& why) {
    throw Error(Errc::ARG_TYPE, where.str() + ": expected " + expected.str() + ", given " + show(v) +
                                    (why.empty() ? "" : " (" + why + ")"));
}

// The error e of a converter, which does not know its position, rethrown with where it
// happened; the converters' generic "argument: " prefix is replaced by where.
[[noreturn]] void rethrow_at(const Where& where, const Error& e) {
    std::string_view m = e.what();
    constexpr std::string_view generic = "argument: ";
    if (m.substr(0, generic.size()) == generic) m.remove_prefix(generic.size());
    throw Error(e.code(), where.str() + ": " + std::string(m));
}

// The integer v as the two's complement bits of a C integer of bits width (at most 128) and
// signedness, checked to be in range (Bool counts as 0 or 1).
uint128_t integer_bits128(const Value& v, unsigned bits, bool is_signed, const Where& where,
                                 const Text& expected) {
    if (v.kind() == Value::Kind::Bool) return v.as_bool() ? 1 : 0;
    if (!v.is_integer()) type_error(where, expected, v, "an integer is needed");
    // The value's bits; Int and Int128 are negative when their sign bit is set.
    uint128_t mag = v.as_uint128();
    bool neg = (v.kind() == Value::Kind::Int || v.kind() == Value::Kind::Int128) && static_cast<int128_t>(mag) < 0;
    if (is_signed) {
        uint128_t half = uint128_t(1) << (bits - 1);  // the range is -half .. half-1
        if (neg ? uint128_t(0) - mag > half : mag >= half)
            type_error(where, expected, v, "out of range " + wide_text(half, true) + ".." + wide_text(half - 1, false));
    } else {
        uint128_t hi = bits >= 128 ? ~uint128_t(0) : (uint128_t(1) << bits) - 1;
        if (neg || mag > hi) type_error(where, expected, v, "out of range 0.." + wide_text(hi, false));
    }
    return mag;
}

// The number v as a long double for a C floating type of size bytes, checked to fit a float
// (size 4) or a double (size 8): a finite value that would round to infinity is out of range.
long double float_value(const Value& v, size_t size, const Where& where, const Text& expected) {
    if (v.kind() != Value::Kind::Double && v.kind() != Value::Kind::LongDouble && !v.is_integer())
        type_error(where, expected, v, "a number is needed");
    long double d = v.as_long_double();
    bool finite = d == d && d - d == 0;
    long double m = d < 0 ? -d : d;
    if (size == 4 && finite && m >= kFloatOverflow) type_error(where, expected, v, "out of range of float");
    if constexpr (sizeof(long double) > sizeof(double)) {
        constexpr long double double_overflow = 0x1.fffffffffffff8p1023L;  // DBL_MAX + half an ulp
        if (size == 8 && finite && m >= double_overflow) type_error(where, expected, v, "out of range of double");
    }
    return d;
}

// Stores v into the C object of scalar type s at dst, with the checks of marshalling.
void store_scalar(void* dst, const Scalar& s, const Value& v, const Where& where) {
    switch (s.kind) {
    case JIFFI_KIND_BOOL: {
        uint64_t b = integer_bits(v, 1, false, where, s.text());
        std::memset(dst, 0, s.size);
        *static_cast<unsigned char*>(dst) = static_cast<unsigned char>(b);
        return;
    }
    case JIFFI_KIND_CHAR:
    case JIFFI_KIND_INTEGER: {
        if (s.size == 0 || s.size > 16) type_error(where, s.text(), v, "not a storable integer");
        uint128_t u = integer_bits128(v, static_cast<unsigned>(s.size * 8), s.is_signed, where, s.text());
        std::memcpy(dst, &u, s.size);  // little-endian hosts (x86-64, AArch64 Linux)
        return;
    }
    case JIFFI_KIND_FLOAT: {
        long double l = float_value(v, s.size, where, s.text());
        if (s.size == sizeof(float)) {
            float f = static_cast<float>(l);
            std::memcpy(dst, &f, sizeof f);
        } else if (s.size == sizeof(double)) {
            double d = static_cast<double>(l);
            std::memcpy(dst, &d, sizeof d);
        } else if (s.size == sizeof(long double)) {
            std::memset(dst, 0, s.size);
            std::memcpy(dst, &l, sizeof l);
        } else {
            type_error(where, s.text(), v, "floating type of an unsupported size");
        }
        return;
    }
    case JIFFI_KIND_POINTER: {
        if (v.kind() != Value::Kind::Pointer)
            type_error(where, s.text(), v, "a pointer is needed; strings and arrays are passed by pointer only as arguments");
        void* p = v.as_pointer();
        std::memcpy(dst, &p, sizeof p);
        return;
    }
    default: type_error(where, s.text(), v, "not a scalar type");
    }
}

// Loads the C object of scalar type s at src as a Value.
Value load_scalar(const void* src, const Scalar& s) {
    switch (s.kind) {
    case JIFFI_KIND_BOOL: return Value(*static_cast<const unsigned char*>(src) != 0);
    case JIFFI_KIND_CHAR:
    case JIFFI_KIND_INTEGER: {
        if (s.size == 16) {
            uint128_t w;
            std::memcpy(&w, src, sizeof w);
            return s.is_signed ? Value(static_cast<int128_t>(w)) : Value(w);
        }
        unsigned char bytes[8] = {};
        size_t n = s.size > 8 ? 8 : s.size;
        std::memcpy(bytes, src, n);
        uint64_t u;
        std::memcpy(&u, bytes, 8);
        if (s.is_signed) {
            unsigned shift = static_cast<unsigned>(64 - n * 8);
            int64_t i = shift ? static_cast<int64_t>(u << shift) >> shift : static_cast<int64_t>(u);
            return Value(i);
        }
        return Value(u);
    }
    case JIFFI_KIND_FLOAT:
        if (s.size == sizeof(float)) {
            float f;
            std::memcpy(&f, src, sizeof f);
            return Value(static_cast<double>(f));
        } else if (s.size == sizeof(double)) {
            double d;
            std::memcpy(&d, src, sizeof d);
            return Value(d);
        } else {
            long double l;
            std::memcpy(&l, src, sizeof l);
            return Value(l);
        }
    case JIFFI_KIND_POINTER: {
        void* p;
        std::memcpy(&p, src, sizeof p);
        return Value(p);
    }
    default: {
        auto* b = static_cast<const unsigned char*>(src);
        return Value(Value::Bytes(b, b + s.size));
    }
    }
}

// Converts argument v for the C type t into slot (the rules of docs/c-api.md), keeping any
// memory it needs in scratch and recording out arguments in outs.
void arg_to_slot(const TypeDesc& t, const Value& v, jiffi_slot& slot, CallScratch& scratch,
                        std::vector<OutRead>& outs, const Where& where) {
    const Text expected(t.spelling);
    if (v.kind() == Value::Kind::None) type_error(where, expected, v, "an argument is missing");
    switch (t.value_class) {
    case JIFFI_CLASS_SINT: {
        uint64_t bits = integer_bits(v, static_cast<unsigned>(t.size * 8), true, where, expected);
        slot.i64 = static_cast<int64_t>(bits);
        return;
    }
    case JIFFI_CLASS_UINT:
        slot.u64 = integer_bits(v, t.kind == JIFFI_KIND_BOOL ? 1 : static_cast<unsigned>(t.size * 8),
                                false, where, expected);
        return;
    case JIFFI_CLASS_FLOAT:
        slot.u64 = 0;
        slot.f32 = static_cast<float>(float_value(v, 4, where, expected));
        return;
    case JIFFI_CLASS_DOUBLE: slot.f64 = static_cast<double>(float_value(v, 8, where, expected)); return;
    case JIFFI_CLASS_POINTER: break;
    case JIFFI_CLASS_MEMORY: {
        if (t.kind == JIFFI_KIND_RECORD || t.kind == JIFFI_KIND_COMPLEX) {
            if (v.kind() != Value::Kind::Bytes)
                type_error(where, expected, v, "a struct is passed by value as its bytes");
            if (v.as_bytes().size() != t.size)
                type_error(where, expected, v, std::to_string(t.size) + " bytes needed");
            void* p = scratch.alloc(t.size);
            std::memcpy(p, v.as_bytes().data(), t.size);
            slot.ptr = p;
            return;
        }
        void* p = scratch.alloc(t.size);
        store_scalar(p, scalar_of(t), v, where);
        slot.ptr = p;
        return;
    }
    default: type_error(where, expected, v, "not an argument type");
    }
    // Pointers: pointers, strings in four encodings, bytes, arrays, out arguments.
    bool void_pointee = t.elem_kind == JIFFI_KIND_VOID;
    bool unit_pointee = t.elem_kind == JIFFI_KIND_INTEGER || t.elem_kind == JIFFI_KIND_CHAR;
    switch (v.kind()) {
    case Value::Kind::Pointer: slot.ptr = v.as_pointer(); return;
    case Value::Kind::String: {
        const std::string& s = v.as_string();
        check_no_nul(s, where, expected, v);
        if (void_pointee || t.elem_kind == JIFFI_KIND_CHAR) {
            // A const char * gets the string itself; a writable char * gets a copy.
            slot.ptr = t.elem_is_const ? const_cast<char*>(s.c_str()) : scratch.keep(std::string(s));
            return;
        }
        if (unit_pointee && t.elem_size == 2) {
            slot.ptr = scratch.keep(utf8_to_utf16(s));
            return;
        }
        if (unit_pointee && t.elem_size == 4) {
            slot.ptr = scratch.keep(utf8_to_utf32(s));
            return;
        }
        type_error(where, expected, v, "a string goes to a pointer to char, char16_t, char32_t or wchar_t");
    }
    case Value::Kind::Utf16:
        if (!(void_pointee || (unit_pointee && t.elem_size == 2)))
            type_error(where, expected, v, "UTF-16 text goes to a pointer to 2-byte units");
        check_no_nul(v.as_utf16(), where, expected, v);
        slot.ptr = scratch.keep(std::u16string(v.as_utf16()));
        return;
    case Value::Kind::Utf32:
        if (!(void_pointee || (unit_pointee && t.elem_size == 4)))
            type_error(where, expected, v, "UTF-32 text goes to a pointer to 4-byte units");
        check_no_nul(v.as_utf32(), where, expected, v);
        slot.ptr = scratch.keep(std::u32string(v.as_utf32()));
        return;
    case Value::Kind::Wide:
        if (!(void_pointee || (unit_pointee && t.elem_size == sizeof(wchar_t))))
            type_error(where, expected, v, "wide text goes to a pointer to wchar_t");
        check_no_nul(v.as_wide(), where, expected, v);
        slot.ptr = scratch.keep(std::wstring(v.as_wide()));
        return;
    case Value::Kind::Bytes: {
        const Value::Bytes& b = v.as_bytes();
        if (!void_pointee && t.elem_size && b.size() < t.elem_size)
            type_error(where, expected, v, "fewer bytes than one object pointed to");
        void* p = scratch.alloc(b.size());
        if (!b.empty()) std::memcpy(p, b.data(), b.size());
        slot.ptr = p;
        return;
    }
    case Value::Kind::Array: {
        const Value::Array& a = v.as_array();
        Scalar e = element_of(t);
        if (!is_scalar_kind(e.kind) || e.size == 0)
            type_error(where, expected, v, "arrays are passed to pointers to complete scalar types");
        auto* p = static_cast<unsigned char*>(scratch.alloc(e.size * (a.size() ? a.size() : 1)));
        for (size_t i = 0; i < a.size(); ++i)
            store_scalar(p + i * e.size, e, a[i], where.element(i));
        slot.ptr = p;
        return;
    }
    case Value::Kind::Out: {
        Scalar e = element_of(t);
        if (e.size == 0) type_error(where, expected, v, "an out argument needs a pointer to a complete type");
        void* p = scratch.alloc(e.size);
        bool scalar = is_scalar_kind(e.kind);
        const OutParam& o = v.as_out();
        if (o.has_initial()) {
            const Value& init = o.initial();
            if (scalar) {
                store_scalar(p, e, init, where.initial());
            } else {
                if (init.kind() != Value::Kind::Bytes || init.as_bytes().size() != e.size)
                    type_error(where.initial(), e.text(), init,
                             std::to_string(e.size) + " bytes needed");
                std::memcpy(p, init.as_bytes().data(), e.size);
            }
        }
        outs.push_back(OutRead{p, e, scalar});
        slot.ptr = p;
        return;
    }
    default: type_error(where, expected, v, "a pointer is needed");
    }
}

// ---- Results of converters (convert.hpp) ----------------------------------------------

namespace {

// The text s (UTF-8) in C's code units.
void from_utf8(const std::string& s, std::string& out) { out = s; }
void from_utf8(const std::string& s, std::u16string& out) { out = utf8_to_utf16(s); }
void from_utf8(const std::string& s, std::u32string& out) { out = utf8_to_utf32(s); }
void from_utf8(const std::string& s, std::wstring& out) { out = utf8_to_wide(s); }

// A text result from a pointer to C text or a string value of any encoding.
template <class C>
void text_of(const Value& v, std::basic_string<C>& out) {
    switch (v.kind()) {
    case Value::Kind::Pointer:
        if (!v.as_pointer()) type_error("result", "text", v, "cannot read a string at NULL");
        out = static_cast<const C*>(v.as_pointer());
        return;
    case Value::Kind::String: return from_utf8(v.as_string(), out);
    case Value::Kind::Utf16: return from_utf8(utf16_to_utf8(v.as_utf16()), out);
    case Value::Kind::Utf32: return from_utf8(utf32_to_utf8(v.as_utf32()), out);
    case Value::Kind::Wide: return from_utf8(wide_to_utf8(v.as_wide()), out);
    default: type_error("result", "text", v);
    }
}

}  // namespace

uint128_t result_integer(const Value& v, unsigned bits, bool is_signed, const char* expected, bool allow_real) {
    if (allow_real && (v.kind() == Value::Kind::Double || v.kind() == Value::Kind::LongDouble)) {
        // A number with no fraction in the range of the integer type.
        long double d = v.as_long_double();
        long double lo = is_signed ? -std::ldexp(1.0L, int(bits - 1)) : 0.0L;
        long double end = std::ldexp(1.0L, int(bits - (is_signed ? 1 : 0)));  // exclusive
        if (!(d >= lo && d < end && d == std::trunc(d))) type_error("result", "an integer type", v, "not representable");
        return d < 0 ? static_cast<uint128_t>(static_cast<int128_t>(d)) : static_cast<uint128_t>(d);
    }
    return integer_bits128(v, bits, is_signed, "result", expected);
}

long double result_float(const Value& v, size_t size, const char* expected) {
    return float_value(v, size, "result", expected);
}

void result_error(const char* expected, const Value& v) { type_error("result", expected, v); }

void result_text(const Value& v, std::string& out) { text_of(v, out); }
void result_text(const Value& v, std::u16string& out) { text_of(v, out); }
void result_text(const Value& v, std::u32string& out) { text_of(v, out); }
void result_text(const Value& v, std::wstring& out) { text_of(v, out); }

}  // namespace detail_ff
}  // namespace jiffi

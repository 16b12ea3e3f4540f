// The one marshaller's internals, shared by the sources of cxx/ (not a public header): how
// messages name what is converted, scalar loads and stores with their checks, bitfields, the
// memory a call keeps, and arg_to_slot (cxx/marshal.cpp).
#pragma once

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "jiffi/convert.hpp"

namespace jiffi {
namespace detail_ff {

// The decimal digits of a 128-bit integer given as its magnitude and sign.
std::string wide_text(uint128_t magnitude, bool negative);
// The decimal digits of a signed 128-bit integer.
std::string wide_text(int128_t v);
// The value as an error message shows it ("int 5", "string \"hi\"", "null pointer").
std::string show(const Value& v);

// The calling thread's buffer for Runtime::cached's keys (cxx/state.cpp).
std::string& binding_key_buffer();

// What is being converted (an argument of a function, a struct field, a result), put
// into words only when an error message needs it.
class Where {
public:
    Where(const char* text) : text_(text) {}
    // Argument index (from 0) named param (may be empty) of the function fn.
    Where(const std::string* fn, const std::string* param, size_t index) : fn_(fn), param_(param), index_(index) {}
    // The field path of the struct type.
    static Where field(std::string_view path, std::string_view type) {
        Where w("");
        w.path_ = path;
        w.type_ = type;
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
            s = "field '" + std::string(path_) + "' of " + std::string(type_);
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
    std::string_view type_;  // the struct type of a field
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
[[noreturn]] void type_error(const Where& where, const Text& expected, const Value& v,
                                           const std::string& why = "");
// The error e of a converter, which does not know its position, rethrown with where it
// happened; the converters' generic "argument: " prefix is replaced by where.
[[noreturn]] void rethrow_at(const Where& where, const Error& e);

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
uint128_t integer_bits128(const Value& v, unsigned bits, bool is_signed, const Where& where,
                                        const Text& expected);
// integer_bits128 for C integers of at most 64 bits.
inline uint64_t integer_bits(const Value& v, unsigned bits, bool is_signed, const Where& where, const Text& expected) {
    return static_cast<uint64_t>(integer_bits128(v, bits, is_signed, where, expected));
}
// The number v as a long double for a C floating type of size bytes, checked to fit a float
// (size 4) or a double (size 8): a finite value that would round to infinity is out of range.
long double float_value(const Value& v, size_t size, const Where& where, const Text& expected);
// Stores v into the C object of scalar type s at dst, with the checks of marshalling.
void store_scalar(void* dst, const Scalar& s, const Value& v, const Where& where);
// Loads the C object of scalar type s at src as a Value.
Value load_scalar(const void* src, const Scalar& s);

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
// the C++ API (cxx/marshal.cpp), used by Function, SharedFunction and ForeignBatch alike.
void arg_to_slot(const TypeDesc& t, const Value& v, jiffi_slot& slot, CallScratch& scratch,
                               std::vector<OutRead>& outs, const Where& where);

}  // namespace detail_ff

}  // namespace jiffi

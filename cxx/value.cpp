// jiffi::Value and the owned containers of the C++ API (String, StringList, Value::Bytes,
// Value::Array, OutParam): the payloads public headers only declare.
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <variant>

#include "jiffi/jiffi.hpp"

namespace jiffi {

// ---- String and StringList -------------------------------------------------------------

namespace {

// A NUL-terminated heap copy of s (nullptr for empty text).
char* copy_text(std::string_view s) {
    if (s.empty()) return nullptr;
    char* p = new char[s.size() + 1];
    std::memcpy(p, s.data(), s.size());
    p[s.size()] = '\0';
    return p;
}

// Grows the array items (size used, cap allocated) to hold at least n elements of T.
template <class T>
void grow(T*& items, size_t size, size_t& cap, size_t n) {
    if (n <= cap) return;
    size_t want = cap ? cap * 2 : 4;
    if (want < n) want = n;
    T* fresh = new T[want];
    for (size_t i = 0; i < size; ++i) fresh[i] = std::move(items[i]);
    delete[] items;
    items = fresh;
    cap = want;
}

}  // namespace

String::String(const char* s) : String(std::string_view(s ? s : "")) {}
String::String(std::string_view s) : data_(copy_text(s)), size_(s.size()) {}
String::String(const std::string& s) : String(std::string_view(s)) {}
String::String(const String& o) : String(o.view()) {}
String& String::operator=(const String& o) {
    if (this != &o) {
        String tmp(o);
        std::swap(data_, tmp.data_);
        std::swap(size_, tmp.size_);
    }
    return *this;
}
String::~String() { delete[] data_; }
std::string String::str() const { return std::string(view()); }

StringList::StringList(const std::string_view* items, size_t count) {
    for (size_t i = 0; i < count; ++i) push_back(items[i]);
}
StringList::StringList(const StringList& o) {
    for (const String& s : o) push_back(s.view());
}
StringList& StringList::operator=(const StringList& o) {
    if (this != &o) {
        StringList tmp(o);
        *this = std::move(tmp);
    }
    return *this;
}
StringList::~StringList() { delete[] items_; }
void StringList::push_back(std::string_view s) {
    grow(items_, size_, cap_, size_ + 1);
    items_[size_++] = String(s);
}
const String& StringList::at(size_t i) const {
    if (i >= size_)
        throw Error(Errc::INVALID_ARGUMENT, "index " + std::to_string(i) + " of a list of " + std::to_string(size_));
    return items_[i];
}

// ---- Value ---------------------------------------------------------------------------

// The immutable payload of a text, bytes, array or out value, shared by copies.
struct Value::Payload {
    std::atomic<long> refs{1};
    std::variant<std::string, Value::Bytes, std::u16string, std::u32string, std::wstring, Value::Array, OutParam> v;
    template <class T>
    explicit Payload(T&& x) : v(std::forward<T>(x)) {}
};

void Value::retain() const noexcept { u_.payload->refs.fetch_add(1, std::memory_order_relaxed); }
void Value::release() noexcept {
    if (u_.payload->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete u_.payload;
    kind_ = Kind::None;
}

Value::Value(const char* s) {
    u_.u128 = 0;
    if (!s) {
        kind_ = Kind::Pointer;
        return;
    }
    kind_ = Kind::String;
    u_.payload = new Payload(std::string(s));
}
Value::Value(std::string_view s) : kind_(Kind::String) { u_.payload = new Payload(std::string(s)); }
Value::Value(const std::string& s) : kind_(Kind::String) { u_.payload = new Payload(s); }
Value::Value(const std::u16string& s) : kind_(Kind::Utf16) { u_.payload = new Payload(s); }
Value::Value(const std::u32string& s) : kind_(Kind::Utf32) { u_.payload = new Payload(s); }
Value::Value(const std::wstring& s) : kind_(Kind::Wide) { u_.payload = new Payload(s); }
Value::Value(const char16_t* s) : Value(std::u16string(s)) {}
Value::Value(const char32_t* s) : Value(std::u32string(s)) {}
Value::Value(const wchar_t* s) : Value(std::wstring(s)) {}
Value::Value(const Bytes& b) : kind_(Kind::Bytes) { u_.payload = new Payload(b); }
Value::Value(Bytes&& b) : kind_(Kind::Bytes) { u_.payload = new Payload(std::move(b)); }
Value::Value(const Array& a) : kind_(Kind::Array) { u_.payload = new Payload(a); }
Value::Value(Array&& a) : kind_(Kind::Array) { u_.payload = new Payload(std::move(a)); }
Value::Value(const OutParam& o) : kind_(Kind::Out) { u_.payload = new Payload(o); }

void Value::not_a(const char* what) const { throw Error(Errc::ARG_TYPE, std::string("value is not ") + what); }

uint128_t Value::as_uint128() const {
    switch (kind_) {
    case Kind::Int: return static_cast<uint128_t>(static_cast<int128_t>(u_.i));
    case Kind::UInt: return u_.u;
    case Kind::Int128: return static_cast<uint128_t>(u_.i128);
    case Kind::UInt128: return u_.u128;
    default: not_a("an integer");
    }
}

int64_t Value::as_int() const {
    switch (kind_) {
    case Kind::Int: return u_.i;
    case Kind::UInt: return static_cast<int64_t>(u_.u);
    case Kind::Int128:
        if (u_.i128 >= INT64_MIN && u_.i128 <= static_cast<int128_t>(UINT64_MAX)) return static_cast<int64_t>(u_.i128);
        break;
    case Kind::UInt128:
        if (u_.u128 <= UINT64_MAX) return static_cast<int64_t>(u_.u128);
        break;
    default: not_a("an integer");
    }
    throw Error(Errc::ARG_TYPE, "the 128-bit integer value does not fit in 64 bits");
}

long double Value::as_long_double() const {
    switch (kind_) {
    case Kind::LongDouble: return u_.ld;
    case Kind::Double: return u_.d;
    case Kind::Int: return static_cast<long double>(u_.i);
    case Kind::UInt: return static_cast<long double>(u_.u);
    case Kind::Int128: return static_cast<long double>(u_.i128);
    case Kind::UInt128: return static_cast<long double>(u_.u128);
    default: not_a("a number");
    }
}

void* Value::as_pointer() const {
    if (kind_ != Kind::Pointer) not_a("a pointer");
    return u_.p;
}
bool Value::as_bool() const {
    if (kind_ != Kind::Bool) not_a("a bool");
    return u_.b;
}

#define JIFFI_PAYLOAD_GETTER(method, type, kind, what)                  \
    const type& Value::method() const {                                 \
        if (kind_ != Kind::kind) not_a(what);                           \
        return std::get<type>(u_.payload->v);                           \
    }
JIFFI_PAYLOAD_GETTER(as_string, std::string, String, "a string")
JIFFI_PAYLOAD_GETTER(as_bytes, Value::Bytes, Bytes, "bytes")
JIFFI_PAYLOAD_GETTER(as_utf16, std::u16string, Utf16, "UTF-16 text")
JIFFI_PAYLOAD_GETTER(as_utf32, std::u32string, Utf32, "UTF-32 text")
JIFFI_PAYLOAD_GETTER(as_wide, std::wstring, Wide, "wide text")
JIFFI_PAYLOAD_GETTER(as_array, Value::Array, Array, "an array")
JIFFI_PAYLOAD_GETTER(as_out, OutParam, Out, "an out argument")
#undef JIFFI_PAYLOAD_GETTER

// ---- Bytes, Array, OutParam ------------------------------------------------------------

Value::Bytes::Bytes(size_t size) : data_(size ? new unsigned char[size]() : nullptr), size_(size) {}
Value::Bytes::Bytes(const void* data, size_t size) : data_(size ? new unsigned char[size] : nullptr), size_(size) {
    if (size) std::memcpy(data_, data, size);
}
Value::Bytes::Bytes(const Bytes& o) : Bytes(static_cast<const void*>(o.data_), o.size_) {}
Value::Bytes& Value::Bytes::operator=(const Bytes& o) {
    if (this != &o) {
        Bytes tmp(o);
        *this = std::move(tmp);
    }
    return *this;
}
Value::Bytes::~Bytes() { delete[] data_; }
bool operator==(const Value::Bytes& a, const Value::Bytes& b) noexcept {
    return a.size() == b.size() && (a.size() == 0 || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

Value::Array::Array(const Value* items, size_t count) {
    reserve(count);
    for (size_t i = 0; i < count; ++i) push_back(items[i]);
}
Value::Array::Array(const Array& o) : Array(o.items_, o.size_) {}
Value::Array& Value::Array::operator=(const Array& o) {
    if (this != &o) {
        Array tmp(o);
        *this = std::move(tmp);
    }
    return *this;
}
Value::Array::~Array() { delete[] items_; }
void Value::Array::reserve(size_t n) { grow(items_, size_, cap_, n); }
void Value::Array::push_back(Value v) {
    grow(items_, size_, cap_, size_ + 1);
    items_[size_++] = std::move(v);
}
const Value& Value::Array::at(size_t i) const {
    if (i >= size_)
        throw Error(Errc::INVALID_ARGUMENT, "index " + std::to_string(i) + " of an array of " + std::to_string(size_));
    return items_[i];
}

OutParam::OutParam(const Value& initial) : initial_(new Value(initial)) {}
OutParam::OutParam(const OutParam& o) : initial_(o.initial_ ? new Value(*o.initial_) : nullptr) {}
OutParam& OutParam::operator=(const OutParam& o) {
    if (this != &o) {
        OutParam tmp(o);
        std::swap(initial_, tmp.initial_);
    }
    return *this;
}
OutParam::~OutParam() { delete initial_; }
const Value& OutParam::initial() const noexcept {
    static const Value none;
    return initial_ ? *initial_ : none;
}

}  // namespace jiffi

// jiffi structs: define-c-struct, struct-ref by field path (bitfields, nested members,
// arrays), with-c-struct, structs as arguments by pointer or by value. Declarations and
// thin templates (docs/design.md "The C++ API"), compiled in cxx/structs.cpp.
#pragma once

#include "jiffi/convert.hpp"

namespace jiffi {

class Runtime;
JIFFI_CXX_API Runtime& default_runtime();

// A member of a struct defined in code: name, type (C or keyword syntax), bitfield width.
struct FieldSpec {
    String name;
    String type;
    unsigned bits = 0;
};

// A struct or union type of a context, with its fields looked up by path and cached;
// copies share the cache.
class JIFFI_CXX_API StructType {
public:
    StructType() noexcept = default;
    // The record type named type_name ("struct timespec", a typedef name) in a context.
    StructType(Runtime& rt, std::string_view type_name);
    StructType(Context& ctx, std::string_view type_name);
    StructType(jiffi_context* ctx, std::string_view type_name);
    StructType(const StructType& o) noexcept;
    StructType(StructType&& o) noexcept : info_(std::exchange(o.info_, nullptr)) {}
    StructType& operator=(StructType o) noexcept {
        std::swap(info_, o.info_);
        return *this;
    }
    ~StructType();
    const String& name() const;
    // The type in C syntax as it was named ("struct timespec", "timespec_t", "struct
    // <anonymous>" for an anonymous record found by another path).
    const String& spelling() const;
    // True when t, a record type of the same context spelled as a signature wrote it, is
    // this type (unequal spellings are compared by the context, once per spelling).
    bool same_as(const TypeDesc& t) const;
    size_t size() const;
    size_t align() const;
    jiffi_context* context() const;
    // The field a path names ("sec", "a.b[2]"), with its offset, bits and type.
    jiffi_field_info field(std::string_view path) const;
    // The names of the members, anonymous members' fields flattened.
    StringList members() const;

private:
    struct Info;
    Info* info_ = nullptr;
};

// define-c-struct: struct name with the given members, laid out by the C rules;
// define_c_union: a union (members overlap at offset 0).
JIFFI_CXX_API StructType define_c_struct(Runtime& rt, std::string_view name, const FieldSpec* fields, size_t count,
                                         bool is_union = false);
inline StructType define_c_struct(Runtime& rt, std::string_view name, std::initializer_list<FieldSpec> fields,
                                  bool is_union = false) {
    return define_c_struct(rt, name, fields.begin(), fields.size(), is_union);
}
inline StructType define_c_struct(std::string_view name, std::initializer_list<FieldSpec> fields) {
    return define_c_struct(default_runtime(), name, fields.begin(), fields.size());
}
inline StructType define_c_union(Runtime& rt, std::string_view name, std::initializer_list<FieldSpec> fields) {
    return define_c_struct(rt, name, fields.begin(), fields.size(), true);
}

class FieldRef;

// A struct's bytes somewhere in memory viewed through its type: struct-ref by field path.
class JIFFI_CXX_API StructRef {
public:
    StructRef(StructType type, void* data);
    // struct-pointer and struct-layout-size.
    void* pointer() const { return data_; }
    size_t size() const { return type_.size(); }
    const StructType& type() const { return type_; }
    // The struct's bytes, as a by-value argument takes them.
    Value bytes() const { return Value(Value::Bytes(data_, type_.size())); }
    // struct-ref: the field a path names; assign to it to set it (setf).
    FieldRef operator[](std::string_view path) const;
    // The field's value as a Value (arrays as Array, records as Bytes), or converted to T
    // (a char array field as a std::string reads up to its first NUL).
    Value get(std::string_view path) const;
    template <class T>
    T get(std::string_view path) const {
        jiffi_field_info f = type_.field(path);
        if constexpr (std::is_same_v<T, std::string>)
            if (f.type.kind == JIFFI_KIND_ARRAY && f.type.elem_kind == JIFFI_KIND_CHAR) return T(char_array_text(f).view());
        return convert_from_foreign<T>(get_field(f), f.type);
    }
    // Sets the field from v (checked against its C type, bitfield width included).
    template <class T>
    void set(std::string_view path, const T& v) const {
        jiffi_field_info f = type_.field(path);
        const TypeDesc& t = f.type;
        Value converted;
        try {
            using E = std::remove_extent_t<T>;
            if constexpr (std::is_array_v<T>) converted = convert_to_foreign<E*>(const_cast<E*>(&v[0]), t);
            else converted = convert_to_foreign<T>(v, t);
        } catch (const Error& e) {
            rethrow_field(path, e);
        }
        set_field(f, path, converted);
    }
    void set_value(std::string_view path, const Value& v) const;
    // A view of a nested struct member.
    StructRef nested(std::string_view path) const;

protected:
    // The converter's error e for field path, rethrown naming the field.
    [[noreturn]] void rethrow_field(std::string_view path, const Error& e) const;
    // get and set_value of a field already looked up (path names it in messages).
    Value get_field(const jiffi_field_info& f) const;
    void set_field(const jiffi_field_info& f, std::string_view path, const Value& v) const;
    // The text of char array field f up to its first NUL.
    String char_array_text(const jiffi_field_info& f) const;
    StructType type_;
    unsigned char* data_;
};

// A struct's field: read with get<T>() or value(), written by assignment.
class JIFFI_CXX_API FieldRef {
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
    void* pointer() const;

private:
    StructRef s_;
    String path_;
};
inline FieldRef StructRef::operator[](std::string_view path) const { return FieldRef(*this, path); }

// An owning struct: zeroed storage for one object of the type, freed with the object
// (with-c-struct).
class JIFFI_CXX_API CStruct : public StructRef {
public:
    explicit CStruct(const StructType& type);
    // A copy of a struct's bytes (a by-value result, say) as an owning struct.
    static CStruct from_bytes(const StructType& type, const Value& bytes);
    CStruct(CStruct&& o) noexcept : StructRef(o) { o.data_ = nullptr; }
    CStruct& operator=(CStruct&& o) noexcept {
        std::swap(type_, o.type_);
        std::swap(data_, o.data_);
        return *this;
    }
    ~CStruct();
};

// with-c-struct: runs f with a zeroed struct of the type, freed after f.
template <class F>
decltype(auto) with_c_struct(const StructType& type, F&& f) {
    CStruct s(type);
    return std::forward<F>(f)(s);
}

namespace detail_ff {
// A struct where t goes: its address for a pointer to it, its bytes for its record type.
JIFFI_CXX_API Value struct_argument(const StructRef& s, const TypeDesc& t);
}  // namespace detail_ff
// Structs go where a pointer to them goes (their address) or by value (their bytes).
template <class S>
struct Converter<S, std::enable_if_t<std::is_base_of_v<StructRef, S>>> {
    static Value to_foreign(const StructRef& s, const TypeDesc& t) { return detail_ff::struct_argument(s, t); }
};

// ---- define-c-struct-auto: layouts from real headers through Clang (cxx/api.cpp) ------
// StructType(ctx, "struct stat") then gives the record's fields by path.

// Where and how to find a record's layout: headers, -I, -D, the cache directory.
struct LayoutRequest {
    StringList headers;       // "sys/stat.h" or paths
    StringList include_dirs;  // -I
    StringList defines;       // -D: "NAME" or "NAME=VALUE"
    String snippet;           // declarations after the headers (may be empty)
    const char* cache_dir = nullptr;  // nullptr: the default; "": no cache
};

// One named member of a discovered record (anonymous members' fields flattened).
struct AutoMember {
    String name;
    size_t offset = 0;
    uint64_t bit_offset = 0;
    unsigned bit_width = 0;
    bool is_bitfield = false;
    size_t size = 0;
};

// The members of an AutoRecord, in order.
class JIFFI_CXX_API AutoMembers {
public:
    AutoMembers() noexcept = default;
    AutoMembers(const AutoMembers& o);
    AutoMembers(AutoMembers&& o) noexcept
        : items_(std::exchange(o.items_, nullptr)), size_(std::exchange(o.size_, 0)), cap_(std::exchange(o.cap_, 0)) {}
    AutoMembers& operator=(const AutoMembers& o);
    AutoMembers& operator=(AutoMembers&& o) noexcept {
        std::swap(items_, o.items_);
        std::swap(size_, o.size_);
        std::swap(cap_, o.cap_);
        return *this;
    }
    ~AutoMembers();
    void push_back(const AutoMember& m);
    size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    const AutoMember& operator[](size_t i) const noexcept { return items_[i]; }
    const AutoMember* begin() const noexcept { return items_; }
    const AutoMember* end() const noexcept { return items_ + size_; }

private:
    AutoMember* items_ = nullptr;
    size_t size_ = 0, cap_ = 0;
};

// A record define_c_struct_auto defined in a context.
struct JIFFI_CXX_API AutoRecord {
    String type_name;  // how signatures name it: "struct stat", "div_t"
    size_t size = 0, align = 1;
    bool from_cache = false;
    AutoMembers members;
    // The member named name; throws Error(INVALID_ARGUMENT) when there is none.
    const AutoMember& member(std::string_view name) const;
};

// define-c-struct-auto: defines the record name ("stat", "struct stat", a typedef) in ctx with
// the layout Clang gives it in the headers, so that signatures and by-value calls use it.
JIFFI_CXX_API AutoRecord define_c_struct_auto(Context& ctx, std::string_view name, const LayoutRequest& req);

// define-c-struct-auto's snippet form: snippet is "struct T { members... };" (after the
// #include lines it needs, or with req.headers); T's members must be the headers' ones.
JIFFI_CXX_API AutoRecord define_c_struct_auto_snippet(Context& ctx, std::string_view snippet, LayoutRequest req = {});

}  // namespace jiffi

// The structs of structs.hpp: record types with their field lookups cached, struct-ref by
// field path (bitfields, nested members, arrays), owning structs, structs as arguments.
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "cxx/marshal.hpp"
#include "jiffi/runtime.hpp"
#include "jiffi/structs.hpp"

namespace jiffi {

// ---- StructType ------------------------------------------------------------------------

struct StructType::Info {
    std::atomic<long> refs{1};
    jiffi_context* ctx = nullptr;
    String name;
    String spelling;
    size_t size = 0, align = 1;
    std::mutex mu;
    std::map<std::string, jiffi_field_info, std::less<>> fields;
    std::map<std::string, bool, std::less<>> same;  // same_as by spelling
};

namespace {
// The info of a StructType (I is StructType::Info); an empty StructType has none.
template <class I>
I& info_of(I* info) {
    if (!info) throw Error(Errc::INVALID_ARGUMENT, "an empty StructType has no fields");
    return *info;
}
}  // namespace

StructType::StructType(Runtime& rt, std::string_view type_name) : StructType(rt.get(), type_name) {}
StructType::StructType(Context& ctx, std::string_view type_name) : StructType(ctx.get(), type_name) {}
StructType::StructType(jiffi_context* ctx, std::string_view name) {
    std::string type_name(name);
    TypeDesc d{};
    detail_api::check(jiffi_type_describe(ctx, type_name.c_str(), &d));
    if (d.kind != JIFFI_KIND_RECORD) throw Error(Errc::INVALID_TYPE, "'" + type_name + "' is not a struct or union type");
    if (d.size == 0) throw Error(Errc::INCOMPLETE_TYPE, "'" + type_name + "' is incomplete");
    info_ = new Info;
    info_->ctx = ctx;
    // An anonymous record keeps the (typedef) name it was found by.
    info_->name = std::strchr(d.spelling, '<') ? String(type_name) : String(d.spelling);
    info_->spelling = String(d.spelling);
    info_->size = d.size;
    info_->align = d.align;
}
StructType::StructType(const StructType& o) noexcept : info_(o.info_) {
    if (info_) info_->refs.fetch_add(1, std::memory_order_relaxed);
}
StructType::~StructType() {
    if (info_ && info_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete info_;
}

const String& StructType::name() const { return info_of(info_).name; }
const String& StructType::spelling() const { return info_of(info_).spelling; }
size_t StructType::size() const { return info_of(info_).size; }
size_t StructType::align() const { return info_of(info_).align; }
jiffi_context* StructType::context() const { return info_of(info_).ctx; }

// Spellings differ for one type ("point_t" and "struct point"), so unequal ones are compared
// by the context, once per spelling; an anonymous record's spelling names no type the
// context can find, so it matches only an equal spelling.
bool StructType::same_as(const TypeDesc& t) const {
    if (t.kind != JIFFI_KIND_RECORD || t.size != size()) return false;
    if (spelling() == t.spelling) return true;
    if (std::strchr(t.spelling, '<')) return false;
    Info& in = info_of(info_);
    {
        std::lock_guard<std::mutex> lock(in.mu);
        auto it = in.same.find(std::string_view(t.spelling));
        if (it != in.same.end()) return it->second;
    }
    int same = 0;
    jiffi_error* err = jiffi_type_same(in.ctx, in.name.c_str(), t.spelling, &same);
    if (err) jiffi_error_dispose(err);
    std::lock_guard<std::mutex> lock(in.mu);
    in.same.emplace(t.spelling, same != 0);
    return same != 0;
}

jiffi_field_info StructType::field(std::string_view path) const {
    Info& in = info_of(info_);
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

StringList StructType::members() const {
    Info& in = info_of(info_);
    StringList out;
    for (size_t i = 0;; ++i) {
        size_t len = jiffi_record_member_name(in.ctx, in.name.c_str(), i, nullptr, 0);
        if (!len) break;
        std::string s(len, '\0');
        jiffi_record_member_name(in.ctx, in.name.c_str(), i, s.data(), len);
        out.push_back(std::string_view(s.data(), len - 1));
    }
    return out;
}

StructType define_c_struct(Runtime& rt, std::string_view name, const FieldSpec* fields, size_t count, bool is_union) {
    std::vector<String> types;
    types.reserve(count);
    for (size_t i = 0; i < count; ++i) types.push_back(rt.c_type(fields[i].type.view()));
    std::vector<jiffi_field_spec> specs;
    for (size_t i = 0; i < count; ++i) specs.push_back({fields[i].name.c_str(), types[i].c_str(), fields[i].bits});
    std::string n(name);
    detail_api::check(jiffi_record_define(rt.get(), n.c_str(), is_union ? 1 : 0, specs.data(), specs.size()));
    return StructType(rt, (is_union ? "union " : "struct ") + n);
}

// ---- StructRef, FieldRef, CStruct ------------------------------------------------------

StructRef::StructRef(StructType type, void* data) : type_(std::move(type)), data_(static_cast<unsigned char*>(data)) {
    if (!data_) throw Error(Errc::INVALID_ARGUMENT, "a " + type_.name().str() + " at a null pointer");
}

StructRef StructRef::nested(std::string_view path) const {
    jiffi_field_info f = type_.field(path);
    if (f.type.kind != JIFFI_KIND_RECORD)
        throw Error(Errc::INVALID_TYPE, "field '" + std::string(path) + "' of " + type_.name().str() + " is " +
                                            f.type.spelling + ", not a struct");
    return StructRef(StructType(type_.context(), f.type.spelling), data_ + f.offset);
}

Value StructRef::get(std::string_view path) const { return get_field(type_.field(path)); }

Value StructRef::get_field(const jiffi_field_info& f) const {
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
    return Value(Value::Bytes(p, t.size));
}

void StructRef::set_value(std::string_view path, const Value& v) const { set_field(type_.field(path), path, v); }

void StructRef::set_field(const jiffi_field_info& f, std::string_view path, const Value& v) const {
    const TypeDesc& t = f.type;
    detail_ff::Where where = detail_ff::Where::field(path, type_.name().view());
    if (f.is_bitfield) {
        uint64_t bits = detail_ff::integer_bits(v, f.bit_width, t.is_signed != 0, where, t.spelling);
        detail_ff::write_bits(data_, f.bit_offset, f.bit_width, bits);
        return;
    }
    unsigned char* p = data_ + f.offset;
    if (detail_ff::is_scalar_kind(t.kind)) return detail_ff::store_scalar(p, detail_ff::scalar_of(t), v, where);
    if (v.kind() == Value::Kind::Bytes) {
        if (v.as_bytes().size() != t.size) detail_ff::type_error(where, t.spelling, v, std::to_string(t.size) + " bytes needed");
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
            for (size_t i = 0; i < a.size(); ++i) detail_ff::store_scalar(tmp.data() + i * e.size, e, a[i], where.element(i));
            std::memcpy(p, tmp.data(), t.size);
            return;
        }
    }
    detail_ff::type_error(where, t.spelling, v,
                          t.kind == JIFFI_KIND_RECORD ? "a struct is set from its bytes" : "an array is set from an array or string");
}

void StructRef::rethrow_field(std::string_view path, const Error& e) const {
    detail_ff::rethrow_at(detail_ff::Where::field(path, type_.name().view()), e);
}

String StructRef::char_array_text(const jiffi_field_info& f) const {
    const char* p = reinterpret_cast<const char*>(data_ + f.offset);
    size_t n = 0;
    while (n < f.type.count && p[n]) ++n;
    return String(std::string_view(p, n));
}

void* FieldRef::pointer() const {
    jiffi_field_info f = s_.type().field(path_);
    if (f.is_bitfield) throw Error(Errc::INVALID_ARGUMENT, "bitfield '" + path_.str() + "' has no address");
    return static_cast<unsigned char*>(s_.pointer()) + f.offset;
}

namespace {
// Zeroed storage for one object of type t, aligned for it (at least 16 bytes).
void* struct_storage(const StructType& t) {
    size_t a = t.align() < 16 ? 16 : t.align();
    void* p = std::aligned_alloc(a, (t.size() + a - 1) / a * a);
    if (!p) throw Error(Errc::OUT_OF_MEMORY, "with_c_struct: " + t.name().str());
    std::memset(p, 0, t.size());
    return p;
}
}  // namespace

CStruct::CStruct(const StructType& type) : StructRef(type, struct_storage(type)) {}
CStruct::~CStruct() { std::free(data_); }

CStruct CStruct::from_bytes(const StructType& type, const Value& bytes) {
    if (bytes.kind() != Value::Kind::Bytes || bytes.as_bytes().size() != type.size())
        detail_ff::type_error("CStruct::from_bytes", type.name().c_str(), bytes, std::to_string(type.size()) + " bytes needed");
    CStruct s(type);
    std::memcpy(s.pointer(), bytes.as_bytes().data(), type.size());
    return s;
}

namespace detail_ff {
Value struct_argument(const StructRef& s, const TypeDesc& t) {
    std::string given = "a " + s.type().name().str();
    if (t.kind == JIFFI_KIND_POINTER) {
        if (t.elem_size && t.elem_size != s.size())
            type_error("argument", t.spelling, Value(s.pointer()), given + " of " + std::to_string(s.size()) + " bytes");
        return Value(s.pointer());
    }
    if (t.kind == JIFFI_KIND_RECORD) {
        if (!s.type().same_as(t)) type_error("argument", t.spelling, s.bytes(), "given " + given);
        return s.bytes();
    }
    type_error("argument", t.spelling, Value(s.pointer()), "given " + given);
}
}  // namespace detail_ff

}  // namespace jiffi

// The foreign surface over a context's types (types.hpp).
#include "runtime/types.hpp"

#include <cctype>
#include <set>

#include "base/error.hpp"
#include "runtime/boundary.hpp"

using namespace jiffi::detail;

namespace {

// The jiffi_type_kind of t.
jiffi_type_kind kind_of(const Type* t) {
    switch (t->kind) {
    case TypeKind::Pointer: return JIFFI_KIND_POINTER;
    case TypeKind::Array: return JIFFI_KIND_ARRAY;
    case TypeKind::Function: return JIFFI_KIND_FUNCTION;
    case TypeKind::Record: return JIFFI_KIND_RECORD;
    case TypeKind::Enum: return JIFFI_KIND_INTEGER;
    case TypeKind::Prim: break;
    }
    if (t->prim == Prim::SChar || t->prim == Prim::UChar) return JIFFI_KIND_CHAR;
    switch (prim_class(t->prim)) {
    case PrimClass::Void: return JIFFI_KIND_VOID;
    case PrimClass::Bool: return JIFFI_KIND_BOOL;
    case PrimClass::Char: return JIFFI_KIND_CHAR;
    case PrimClass::Signed:
    case PrimClass::Unsigned: return JIFFI_KIND_INTEGER;
    case PrimClass::Float: return JIFFI_KIND_FLOAT;
    case PrimClass::Complex: return JIFFI_KIND_COMPLEX;
    }
    return JIFFI_KIND_VOID;
}

// True for the integer-like kinds whose signedness is meaningful.
bool has_sign(const Type* t) {
    return t->kind == TypeKind::Enum || (t->kind == TypeKind::Prim && t->is_integer());
}

// A member of rec found by name, looking into anonymous members; offset from rec's start.
bool find_member(const Record& rec, const std::string& name, const Field*& out,
                 uint64_t& offset_bits) {
    for (const Field& f : rec.fields) {
        if (f.anonymous) {
            uint64_t inner = 0;
            if (find_member(*f.type->record, name, out, inner)) {
                offset_bits = f.offset_bits + inner;
                return true;
            }
        } else if (!f.name.empty() && f.name == name) {
            out = &f;
            offset_bits = f.offset_bits;
            return true;
        }
    }
    return false;
}

// True when s is a C identifier.
bool is_identifier(const char* s) {
    if (!s || !*s || std::isdigit(static_cast<unsigned char>(*s))) return false;
    for (; *s; ++s)
        if (!std::isalnum(static_cast<unsigned char>(*s)) && *s != '_') return false;
    return true;
}

}  // namespace

// Fills d with the facts about t (docs/c-api.md "Signature text and type spellings").
void jiffi::detail::describe(const TypeTable& types, const Type* t, const std::string& spelling,
              jiffi_type_detail& d) {
    d = jiffi_type_detail{};
    d.kind = kind_of(t);
    d.value_class = t->kind == TypeKind::Function
                        ? JIFFI_CLASS_MEMORY
                        : static_cast<jiffi_value_class>(value_class(types, t));
    bool complete = types.is_complete(t);
    d.size = complete ? types.size_of(t) : 0;
    d.align = complete ? types.align_of(t) : 1;
    d.is_signed = has_sign(t) && types.is_signed_integer(t) ? 1 : 0;
    if (t->kind == TypeKind::Array || t->kind == TypeKind::Pointer) {
        const Type* e = t->inner;
        d.count = t->kind == TypeKind::Array ? t->count : 0;
        d.elem_kind = kind_of(e);
        d.elem_class = e->kind == TypeKind::Function
                           ? JIFFI_CLASS_MEMORY
                           : static_cast<jiffi_value_class>(value_class(types, e));
        d.elem_size = types.is_complete(e) ? types.size_of(e) : 0;
        d.elem_is_signed = has_sign(e) && types.is_signed_integer(e) ? 1 : 0;
        d.elem_is_const = t->kind == TypeKind::Pointer && (t->quals & Q_CONST) ? 1 : 0;
    }
    copy_out(spelling, d.spelling, sizeof(d.spelling));
}

// Appends the names of rec's named members, anonymous members' fields flattened.
void jiffi::detail::member_names(const Record& rec, std::vector<std::string>& out) {
    for (const Field& f : rec.fields) {
        if (f.anonymous) member_names(*f.type->record, out);
        else if (!f.name.empty()) out.push_back(f.name);
    }
}

// The complete record type a type name names; fails naming it otherwise.
const Type* jiffi::detail::record_type(jiffi_context* ctx, const char* name) {
    const Type* t = ctx->parse_type(name);
    if (t->kind != TypeKind::Record)
        fail(ErrorCode::INVALID_TYPE, "'" + std::string(name) + "' is not a struct or union type");
    if (!t->record->complete)
        fail(ErrorCode::INCOMPLETE_TYPE, "'" + std::string(name) + "' is an incomplete type");
    return t;
}

// Resolves a field path ("a.b[2]") from record type t, filling info.
void jiffi::detail::resolve_path(const TypeTable& types, const Type* t, const std::string& path,
                  jiffi_field_info& info) {
    auto bad = [&](const std::string& why) {
        fail(ErrorCode::INVALID_ARGUMENT,
             "field path '" + path + "' of " + types.to_string(t) + ": " + why);
    };
    if (path.empty()) bad("the path is empty");
    const Type* cur = t;
    uint64_t bits = 0;
    const Field* bitfield = nullptr;
    size_t i = 0;
    bool expect_name = true;
    while (i < path.size()) {
        if (bitfield) bad("'" + bitfield->name + "' is a bitfield and has no members or elements");
        char c = path[i];
        if (expect_name || c == '.') {
            if (c == '.') {
                if (expect_name) bad("unexpected '.' at position " + std::to_string(i + 1));
                ++i;
            }
            size_t start = i;
            while (i < path.size() && (std::isalnum(static_cast<unsigned char>(path[i])) || path[i] == '_'))
                ++i;
            if (i == start || std::isdigit(static_cast<unsigned char>(path[start])))
                bad("expected a member name at position " + std::to_string(start + 1));
            std::string name = path.substr(start, i - start);
            if (cur->kind != TypeKind::Record)
                bad("'" + path.substr(0, start ? start - 1 : 0) + "' has type " + types.to_string(cur) +
                    ", which has no member '" + name + "'");
            if (!cur->record->complete) bad(types.to_string(cur) + " is incomplete");
            const Field* f = nullptr;
            uint64_t off = 0;
            if (!find_member(*cur->record, name, f, off))
                bad("no member named '" + name + "' in " + types.to_string(cur));
            bits += off;
            cur = f->type;
            if (f->is_bitfield) bitfield = f;
            expect_name = false;
        } else if (c == '[') {
            size_t start = ++i;
            while (i < path.size() && std::isdigit(static_cast<unsigned char>(path[i]))) ++i;
            if (i == start || i >= path.size() || path[i] != ']')
                bad("expected an index and ']' at position " + std::to_string(start));
            if (i - start > 18) bad("index too large at position " + std::to_string(start));
            uint64_t idx = std::stoull(path.substr(start, i - start));
            ++i;
            if (cur->kind != TypeKind::Array)
                bad("'" + path.substr(0, start - 1) + "' has type " + types.to_string(cur) +
                    ", which is not an array");
            if (!cur->flexible && idx >= cur->count)
                bad("index " + std::to_string(idx) + " out of range for " + types.to_string(cur));
            bits += idx * types.size_of(cur->inner) * 8;
            cur = cur->inner;
        } else {
            bad("unexpected '" + std::string(1, c) + "' at position " + std::to_string(i + 1));
        }
    }
    info = jiffi_field_info{};
    info.bit_offset = bits;
    info.offset = static_cast<size_t>(bits / 8);
    if (bitfield) {
        info.is_bitfield = 1;
        info.bit_width = bitfield->bit_width;
    }
    describe(types, cur, types.to_string(cur), info.type);
}

void jiffi::detail::define_record(jiffi_context* ctx, const char* tag, bool is_union, const jiffi_field_spec* fields,
                                  size_t count) {
    std::string kind = is_union ? "union " : "struct ";
    if (!is_identifier(tag))
        fail(ErrorCode::INVALID_ARGUMENT,
             "jiffi_record_define: '" + std::string(tag) + "' is not a valid tag name");
    if (count == 0)
        fail(ErrorCode::INVALID_ARGUMENT,
             "jiffi_record_define: " + kind + tag + " needs at least one member");
    std::set<std::string> seen;
    std::vector<const Type*> types;
    for (size_t i = 0; i < count; ++i) {
        const jiffi_field_spec& f = fields[i];
        std::string where = "member " + std::to_string(i + 1) + " of " + kind + tag;
        if (!is_identifier(f.name))
            fail(ErrorCode::INVALID_ARGUMENT,
                 where + ": '" + (f.name ? f.name : "(null)") + "' is not a valid member name");
        if (!seen.insert(f.name).second)
            fail(ErrorCode::REDEFINITION, where + ": duplicate member '" + f.name + "'");
        if (!f.type)
            fail(ErrorCode::INVALID_ARGUMENT, where + " ('" + f.name + "') has no type");
        try {
            types.push_back(ctx->parse_type(f.type));
        } catch (const Error& e) {
            fail(e.code(), where + " ('" + f.name + "'): " + e.message());
        }
    }
    const Type* existing = ctx->parse_type((kind + tag).c_str());
    if (existing->kind == TypeKind::Record && existing->record->complete) {
        const Record& rec = *existing->record;
        bool same = rec.fields.size() == count;
        for (size_t i = 0; same && i < count; ++i)
            same = rec.fields[i].name == fields[i].name && rec.fields[i].type == types[i] &&
                   rec.fields[i].bit_width == fields[i].bit_width &&
                   rec.fields[i].is_bitfield == (fields[i].bit_width != 0);
        if (same) return;
        fail(ErrorCode::REDEFINITION,
             "jiffi_record_define: " + kind + tag + " is already defined with other members");
    }
    std::string text = kind + tag + " {";
    for (size_t i = 0; i < count; ++i) {
        text += " " + ctx->types.to_string(types[i], fields[i].name);
        if (fields[i].bit_width) text += " : " + std::to_string(fields[i].bit_width);
        text += ";";
    }
    text += " };";
    try {
        ctx->cdef(text.c_str());
    } catch (const Error& e) {
        fail(e.code(), "jiffi_record_define: " + kind + tag + " (" + text + "): " + e.message());
    }
}

// Type interning, sizes and alignments, and C spelling of types.
#include "marshal/type.hpp"

#include <algorithm>

#include "base/error.hpp"
#include "base/messages.hpp"

namespace jiffi::detail {

namespace {

struct PrimInfo {
    const char* spelling;
    PrimClass cls;
    uint32_t size;
    uint32_t align;
};

constexpr PrimClass V = PrimClass::Void, B = PrimClass::Bool, C = PrimClass::Char,
                    S = PrimClass::Signed, U = PrimClass::Unsigned, F = PrimClass::Float,
                    X = PrimClass::Complex;

constexpr PrimInfo kPrims[] = {
#define JIFFI_PRIM(id, spelling, cls, size, align) {spelling, cls, size, align},
#include "marshal/prims.def"
#undef JIFFI_PRIM
};

}  // namespace

PrimClass prim_class(Prim p) { return kPrims[static_cast<size_t>(p)].cls; }
const char* prim_spelling(Prim p) { return kPrims[static_cast<size_t>(p)].spelling; }

bool Type::is_integer() const {
    if (kind == TypeKind::Enum) return true;
    if (kind != TypeKind::Prim) return false;
    PrimClass c = prim_class(prim);
    return c == PrimClass::Bool || c == PrimClass::Char || c == PrimClass::Signed ||
           c == PrimClass::Unsigned;
}

bool Type::is_scalar() const {
    if (kind == TypeKind::Pointer || is_integer()) return true;
    return kind == TypeKind::Prim && prim_class(prim) == PrimClass::Float;
}

bool Record::has_bitfields() const {
    for (const Field& f : fields) {
        if (f.is_bitfield) return true;
        const Type* t = f.type;
        while (t->kind == TypeKind::Array) t = t->inner;
        if (t->kind == TypeKind::Record && t->record->has_bitfields()) return true;
    }
    return false;
}

bool Record::has_flexible_array() const {
    return !fields.empty() && fields.back().type->kind == TypeKind::Array &&
           fields.back().type->flexible;
}

std::string Record::display_name() const {
    return std::string(is_union ? "union " : "struct ") + (tag.empty() ? "<anonymous>" : tag);
}

std::string Enum::display_name() const {
    return std::string("enum ") + (tag.empty() ? "<anonymous>" : tag);
}

TypeTable::TypeTable(Target target) : target_(std::move(target)) {
    size_t n = sizeof(kPrims) / sizeof(kPrims[0]);
    prims_.resize(n);
    for (size_t i = 0; i < n; ++i) {
        Type t;
        t.kind = TypeKind::Prim;
        t.prim = static_cast<Prim>(i);
        types_.push_back(t);
        prims_[i] = &types_.back();
    }
}

const Type* TypeTable::intern(Type t) {
    // Caller holds mu_.
    types_.push_back(std::move(t));
    return &types_.back();
}

const Type* TypeTable::pointer(const Type* pointee, uint8_t quals) {
    std::lock_guard<std::mutex> lock(mu_);
    auto key = std::make_tuple(int(TypeKind::Pointer), static_cast<const void*>(pointee),
                               uint64_t(0), uint32_t(0), quals, false);
    auto it = derived_.find(key);
    if (it != derived_.end()) return it->second;
    Type t;
    t.kind = TypeKind::Pointer;
    t.inner = pointee;
    t.quals = quals;
    return derived_[key] = intern(std::move(t));
}

const Type* TypeTable::array(const Type* element, uint64_t count) {
    std::lock_guard<std::mutex> lock(mu_);
    auto key = std::make_tuple(int(TypeKind::Array), static_cast<const void*>(element), count,
                               uint32_t(0), uint8_t(0), false);
    auto it = derived_.find(key);
    if (it != derived_.end()) return it->second;
    Type t;
    t.kind = TypeKind::Array;
    t.inner = element;
    t.count = count;
    return derived_[key] = intern(std::move(t));
}

const Type* TypeTable::flexible_array(const Type* element) {
    std::lock_guard<std::mutex> lock(mu_);
    auto key = std::make_tuple(int(TypeKind::Array), static_cast<const void*>(element),
                               uint64_t(0), uint32_t(0), uint8_t(0), true);
    auto it = derived_.find(key);
    if (it != derived_.end()) return it->second;
    Type t;
    t.kind = TypeKind::Array;
    t.inner = element;
    t.flexible = true;
    return derived_[key] = intern(std::move(t));
}

const Type* TypeTable::aligned(const Type* base, uint32_t align) {
    if (align == 0) return base;
    std::lock_guard<std::mutex> lock(mu_);
    auto key = std::make_tuple(-1, static_cast<const void*>(base), uint64_t(0), align,
                               uint8_t(0), false);
    auto it = derived_.find(key);
    if (it != derived_.end()) return it->second;
    Type t = *base;
    t.align_override = align;
    return derived_[key] = intern(std::move(t));
}

const Type* TypeTable::function(const Type* ret, std::vector<const Type*> params,
                                bool variadic) {
    std::lock_guard<std::mutex> lock(mu_);
    auto key = std::make_tuple(ret, params, variadic);
    auto it = functions_.find(key);
    if (it != functions_.end()) return it->second;
    Type t;
    t.kind = TypeKind::Function;
    t.inner = ret;
    t.params = std::move(params);
    t.variadic = variadic;
    return functions_[key] = intern(std::move(t));
}

Record* TypeTable::new_record(std::string tag, bool is_union) {
    std::lock_guard<std::mutex> lock(mu_);
    records_.emplace_back();
    Record* r = &records_.back();
    r->tag = std::move(tag);
    r->is_union = is_union;
    Type t;
    t.kind = TypeKind::Record;
    t.record = r;
    r->type = intern(std::move(t));
    return r;
}

Enum* TypeTable::new_enum(std::string tag) {
    std::lock_guard<std::mutex> lock(mu_);
    enums_.emplace_back();
    Enum* e = &enums_.back();
    e->tag = std::move(tag);
    Type t;
    t.kind = TypeKind::Enum;
    t.enumeration = e;
    e->type = intern(std::move(t));
    return e;
}

void TypeTable::complete_record(Record& rec) {
    if (!layouter_) fail(ErrorCode::INTERNAL, "no record layouter installed in the type table");
    layouter_(rec, *this);
    rec.complete = true;
}

bool TypeTable::is_complete(const Type* t) const {
    switch (t->kind) {
    case TypeKind::Prim: return t->prim != Prim::Void;
    case TypeKind::Pointer: return true;
    case TypeKind::Array: return !t->flexible && is_complete(t->inner);
    case TypeKind::Function: return false;
    case TypeKind::Record: return t->record->complete;
    case TypeKind::Enum: return t->enumeration->complete;
    }
    return false;
}

uint64_t TypeTable::size_of(const Type* t) const {
    switch (t->kind) {
    case TypeKind::Prim:
        if (t->prim == Prim::Void) fail(ErrorCode::INCOMPLETE_TYPE, "sizeof applied to void");
        if (t->prim == Prim::LongDouble) return target_.long_double_size;
        if (t->prim == Prim::ComplexLongDouble) return 2 * target_.long_double_size;
        return kPrims[static_cast<size_t>(t->prim)].size;
    case TypeKind::Pointer: return 8;
    case TypeKind::Array:
        if (t->flexible) return 0;
        return t->count * size_of(t->inner);
    case TypeKind::Function:
        fail(ErrorCode::INCOMPLETE_TYPE, "sizeof applied to a function type " + to_string(t));
    case TypeKind::Record:
        if (!t->record->complete)
            fail(ErrorCode::INCOMPLETE_TYPE, parse_msg::incomplete_type(t->record->display_name()));
        return t->record->size;
    case TypeKind::Enum:
        if (!t->enumeration->complete)
            fail(ErrorCode::INCOMPLETE_TYPE,
                 parse_msg::incomplete_type(t->enumeration->display_name()));
        return kPrims[static_cast<size_t>(t->enumeration->underlying)].size;
    }
    return 0;
}

uint32_t TypeTable::align_of(const Type* t) const {
    if (t->align_override) {
        // aligned(N) on a typedef raises the alignment (a typedef can also lower it,
        // which GCC and Clang honor for typedefs of scalars).
        return t->align_override;
    }
    switch (t->kind) {
    case TypeKind::Prim:
        if (t->prim == Prim::Void) fail(ErrorCode::INCOMPLETE_TYPE, "_Alignof applied to void");
        if (t->prim == Prim::LongDouble || t->prim == Prim::ComplexLongDouble)
            return target_.long_double_align;
        return kPrims[static_cast<size_t>(t->prim)].align;
    case TypeKind::Pointer: return 8;
    case TypeKind::Array: return align_of(t->inner);
    case TypeKind::Function:
        fail(ErrorCode::INCOMPLETE_TYPE, "_Alignof applied to a function type " + to_string(t));
    case TypeKind::Record:
        if (!t->record->complete)
            fail(ErrorCode::INCOMPLETE_TYPE, parse_msg::incomplete_type(t->record->display_name()));
        return t->record->align;
    case TypeKind::Enum:
        if (!t->enumeration->complete)
            fail(ErrorCode::INCOMPLETE_TYPE,
                 parse_msg::incomplete_type(t->enumeration->display_name()));
        return kPrims[static_cast<size_t>(t->enumeration->underlying)].align;
    }
    return 1;
}

Prim TypeTable::integer_prim(const Type* t) const {
    if (t->kind == TypeKind::Enum) return t->enumeration->underlying;
    return t->prim;
}

bool TypeTable::is_signed_integer(const Type* t) const {
    Prim p = integer_prim(t);
    PrimClass c = prim_class(p);
    if (c == PrimClass::Char) return target_.char_signed;
    return c == PrimClass::Signed;
}

std::string qualifier_text(uint8_t q) {
    std::string s;
    if (q & Q_CONST) s += "const ";
    if (q & Q_VOLATILE) s += "volatile ";
    return s;
}

std::string TypeSpelling::str(const std::string& name) const {
    std::string decl = prefix + name + suffix;
    if (decl.empty()) return base;
    return base + (decl[0] == '[' || decl[0] == '(' ? "" : " ") + decl;
}

std::string function_spelling(const TypeSpelling& ret, const std::vector<std::string>& params,
                              bool variadic, const std::string& name) {
    std::string list;
    for (size_t i = 0; i < params.size(); ++i) list += (i ? ", " : "") + params[i];
    if (variadic) list += params.empty() ? "..." : ", ...";
    if (params.empty() && !variadic) list = "void";
    return ret.str(name + "(" + list + ")");
}

std::string TypeTable::to_string(const Type* t, const std::string& name) const {
    return spelling(t).str(name);
}

TypeSpelling TypeTable::spelling(const Type* t) const {
    // Builds the declarator inside out, as C spells it: a pointer goes before what is
    // built so far (parenthesized when an array or function derivation follows), an array
    // or parameter list after it.
    TypeSpelling out;
    uint8_t obj_quals = 0;  // qualifiers of the object type t itself
    while (true) {
        switch (t->kind) {
        case TypeKind::Pointer:
            out.prefix = "*" + qualifier_text(obj_quals) + out.prefix;
            obj_quals = t->quals;
            if (t->inner->kind == TypeKind::Array || t->inner->kind == TypeKind::Function) {
                out.prefix = "(" + out.prefix;
                out.suffix += ")";
            }
            t = t->inner;
            continue;
        case TypeKind::Array:
            out.suffix += t->flexible ? "[]" : "[" + std::to_string(t->count) + "]";
            t = t->inner;
            continue;
        case TypeKind::Function: {
            std::string params;
            for (size_t i = 0; i < t->params.size(); ++i) {
                if (i) params += ", ";
                params += to_string(t->params[i]);
            }
            if (t->variadic) params += t->params.empty() ? "..." : ", ...";
            if (t->params.empty() && !t->variadic) params = "void";
            out.suffix += "(" + params + ")";
            t = t->inner;
            continue;
        }
        default: break;
        }
        break;
    }
    switch (t->kind) {
    case TypeKind::Prim: out.base = prim_spelling(t->prim); break;
    case TypeKind::Record: out.base = t->record->display_name(); break;
    case TypeKind::Enum: out.base = t->enumeration->display_name(); break;
    default: break;
    }
    out.base = qualifier_text(obj_quals) + out.base;
    if (t->align_override)
        out.base += " __attribute__((aligned(" + std::to_string(t->align_override) + ")))";
    return out;
}

}  // namespace jiffi::detail

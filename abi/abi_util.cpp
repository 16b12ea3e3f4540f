// Helpers shared by the classifiers: Clang's IR types of C types, IR data layout, C type queries.
#include "abi/abi_util.hpp"

#include <algorithm>

#include "base/error.hpp"

namespace jiffi::detail::abi {

namespace {

uint64_t align_to(uint64_t v, uint64_t a) { return a ? (v + a - 1) / a * a : v; }

// An array of n bytes as Clang spells padding: i8 for one byte, [n x i8] otherwise.
IrType byte_array(uint64_t n) {
    return n == 1 ? IrType::int_bits(8) : IrType::array(IrType::int_bits(8), uint32_t(n));
}

// True for a field Clang leaves out of a record's IR type: an (array of) empty record.
bool is_layout_empty_field(const Field& f) {
    const Type* t = f.type;
    while (t->kind == TypeKind::Array && !t->flexible && t->count > 0) t = t->inner;
    return t->kind == TypeKind::Record && is_empty_record(t);
}

// One member of a struct's IR type being built: its byte offset and type.
struct IrMember {
    uint64_t offset;
    IrType type;
    bool bitfield = false;
};

// The IR type of a union: Clang keeps the member type of highest alignment (the largest
// among equals, the first among those) and pads it to the union's size.
IrType lower_union(const TypeTable& types, const Record& rec) {
    IrType storage;
    bool have = false;
    for (const Field& f : rec.fields) {
        if (f.is_bitfield && (f.name.empty() || f.bit_width == 0)) continue;
        if (!f.is_bitfield && is_layout_empty_field(f)) continue;
        IrType ft = f.is_bitfield ? IrType::int_bits(uint32_t(align_to(f.bit_width, 8)))
                                  : ir_mem_type_of(types, f.type);
        if (!have || ir_align(ft) > ir_align(storage) ||
            (ir_align(ft) == ir_align(storage) && ir_alloc_size(ft) > ir_alloc_size(storage))) {
            storage = ft;
            have = true;
        }
    }
    std::vector<IrType> members;
    if (have) members.push_back(storage);
    uint64_t used = have ? ir_alloc_size(storage) : 0;
    if (rec.size > used) members.push_back(byte_array(rec.size - used));
    IrType out = IrType::structure(std::move(members));
    if (have && ir_align(storage) > rec.align && rec.size % ir_align(storage)) out.packed = true;
    return out;
}

// The IR type of a struct: fields at their offsets, each run of bitfields as one integer
// storage unit covering its bytes, explicit [n x i8] padding where natural alignment does
// not place the next member, packed (<{...}>) where it would place it too far.
IrType lower_struct(const TypeTable& types, const Record& rec) {
    std::vector<IrMember> ms;
    size_t i = 0;
    const auto& fs = rec.fields;
    while (i < fs.size()) {
        const Field& f = fs[i];
        if (f.is_bitfield) {
            // A run of bitfields up to a zero-width one or an ordinary field, cut into spans
            // where a bitfield starts on a byte boundary. Clang 19 merges adjacent spans into
            // one access unit while it stays within 8 bytes, then widens the unit to a
            // power-of-two size if that stays clear of what follows.
            struct Span { uint64_t lo, hi; };
            std::vector<Span> spans;
            while (i < fs.size() && fs[i].is_bitfield && fs[i].bit_width > 0) {
                uint64_t b0 = fs[i].offset_bits, b1 = b0 + fs[i].bit_width;
                if (spans.empty() || b0 % 8 == 0) spans.push_back({b0, b1});
                else spans.back().hi = std::max(spans.back().hi, b1);
                ++i;
            }
            if (i < fs.size() && fs[i].is_bitfield && fs[i].bit_width == 0) ++i;
            uint64_t limit = rec.size;
            for (size_t k = i; k < fs.size(); ++k) {
                if (!fs[k].is_bitfield && !is_layout_empty_field(fs[k])) {
                    limit = fs[k].offset_bits / 8;
                    break;
                }
            }
            for (size_t k = 0; k < spans.size();) {
                uint64_t start = spans[k].lo / 8, end = align_to(spans[k].hi, 8) / 8;
                size_t n = k + 1;
                while (n < spans.size() && align_to(spans[n].hi, 8) / 8 - start <= 8) {
                    end = align_to(spans[n].hi, 8) / 8;
                    ++n;
                }
                uint64_t next = n < spans.size() ? spans[n].lo / 8 : limit;
                uint64_t bytes = end - start, pow2 = 1;
                while (pow2 < bytes) pow2 *= 2;
                if (pow2 <= 8 && start + pow2 <= next) bytes = pow2;
                ms.push_back({start, IrType::int_bits(uint32_t(bytes * 8)), true});
                k = n;
            }
            continue;
        }
        ++i;
        if (is_layout_empty_field(f)) continue;
        IrType ft = f.type->kind == TypeKind::Array && f.type->flexible
                        ? IrType::array(ir_mem_type_of(types, f.type->inner), 0)
                        : ir_mem_type_of(types, f.type);
        ms.push_back({f.offset_bits / 8, std::move(ft)});
    }
    // A bitfield storage unit whose allocation would overlap what follows is clipped to
    // an array of its bytes (Clang's clipTailPadding).
    for (size_t k = 0; k < ms.size(); ++k) {
        uint64_t next = k + 1 < ms.size() ? ms[k + 1].offset : rec.size;
        if (ms[k].bitfield && ms[k].offset + ir_alloc_size(ms[k].type) > next)
            ms[k].type = byte_array(ms[k].type.bits / 8);
    }
    // Packed when a member would not land at its offset by natural alignment, or the size
    // is not a multiple of the members' alignment.
    bool packed = false;
    uint32_t max_align = 1;
    for (const IrMember& m : ms) {
        if (m.offset % ir_align(m.type)) packed = true;
        max_align = std::max(max_align, ir_align(m.type));
    }
    if (rec.size % max_align) packed = true;
    std::vector<IrType> out;
    uint64_t cur = 0;
    for (IrMember& m : ms) {
        uint64_t natural = packed ? cur : align_to(cur, ir_align(m.type));
        if (m.offset != natural && m.offset > cur) out.push_back(byte_array(m.offset - cur));
        cur = m.offset + ir_alloc_size(m.type);
        if (packed && m.type.kind == IrType::Kind::X86Fp80) cur = m.offset + 10;
        out.push_back(std::move(m.type));
    }
    if (rec.size > (packed ? cur : align_to(cur, max_align))) out.push_back(byte_array(rec.size - cur));
    IrType st = IrType::structure(std::move(out));
    st.packed = packed;
    return st;
}

}  // namespace

IrType ir_type_of(const TypeTable& types, const Type* t) {
    switch (t->kind) {
    case TypeKind::Pointer:
    case TypeKind::Function: return IrType::ptr();
    case TypeKind::Enum: return ir_type_of(types, types.prim(t->enumeration->underlying));
    case TypeKind::Array:
        return IrType::array(ir_mem_type_of(types, t->inner), uint32_t(t->flexible ? 0 : t->count));
    case TypeKind::Record:
        return t->record->is_union ? lower_union(types, *t->record)
                                   : lower_struct(types, *t->record);
    case TypeKind::Prim: break;
    }
    const Target& tg = types.target();
    auto long_double = [&] {
        switch (tg.long_double) {
        case LongDoubleFormat::X87: return IrType::x86_fp80();
        case LongDoubleFormat::IEEEQuad: return IrType::fp128();
        case LongDoubleFormat::Double: return IrType::f64();
        }
        return IrType::f64();
    };
    switch (t->prim) {
    case Prim::Void: return IrType{};
    case Prim::Bool: return IrType::int_bits(1);
    case Prim::Float: return IrType::f32();
    case Prim::Double: return IrType::f64();
    case Prim::LongDouble: return long_double();
    case Prim::ComplexFloat: return IrType::structure({IrType::f32(), IrType::f32()});
    case Prim::ComplexDouble: return IrType::structure({IrType::f64(), IrType::f64()});
    case Prim::ComplexLongDouble: return IrType::structure({long_double(), long_double()});
    default: return IrType::int_bits(uint32_t(types.size_of(t) * 8));
    }
}

IrType ir_mem_type_of(const TypeTable& types, const Type* t) {
    if (t->kind == TypeKind::Prim && t->prim == Prim::Bool) return IrType::int_bits(8);
    return ir_type_of(types, t);
}

uint32_t ir_align(const IrType& t) {
    switch (t.kind) {
    case IrType::Kind::Void: return 1;
    case IrType::Kind::Int: {
        if (t.bits > 64) return 16;
        uint32_t bytes = (t.bits + 7) / 8;
        uint32_t a = 1;
        while (a < bytes) a *= 2;
        return a;
    }
    case IrType::Kind::Float: return 4;
    case IrType::Kind::Double: return 8;
    case IrType::Kind::X86Fp80:
    case IrType::Kind::Fp128: return 16;
    case IrType::Kind::Ptr: return 8;
    case IrType::Kind::Vector: {
        uint64_t bytes = ir_alloc_size(t.elems[0]) * t.count;
        uint32_t a = 1;
        while (a < bytes) a *= 2;
        return a;
    }
    case IrType::Kind::Array: return ir_align(t.elems[0]);
    case IrType::Kind::Struct: {
        if (t.packed) return 1;
        uint32_t a = 1;
        for (const IrType& m : t.elems) a = std::max(a, ir_align(m));
        return a;
    }
    }
    return 1;
}

uint64_t ir_size_bits(const IrType& t) {
    switch (t.kind) {
    case IrType::Kind::Void: return 0;
    case IrType::Kind::Int: return t.bits;
    case IrType::Kind::Float: return 32;
    case IrType::Kind::Double: return 64;
    case IrType::Kind::X86Fp80: return 80;
    case IrType::Kind::Fp128: return 128;
    case IrType::Kind::Ptr: return 64;
    case IrType::Kind::Vector: return ir_size_bits(t.elems[0]) * t.count;
    default: return ir_alloc_size(t) * 8;
    }
}

uint64_t ir_alloc_size(const IrType& t) {
    switch (t.kind) {
    case IrType::Kind::Array: return ir_alloc_size(t.elems[0]) * t.count;
    case IrType::Kind::Struct: {
        uint64_t cur = 0;
        for (const IrType& m : t.elems) {
            if (!t.packed) cur = align_to(cur, ir_align(m));
            cur += ir_alloc_size(m);
        }
        return align_to(cur, ir_align(t));
    }
    default: return align_to((ir_size_bits(t) + 7) / 8, ir_align(t));
    }
}

std::vector<uint64_t> ir_struct_offsets(const IrType& t) {
    std::vector<uint64_t> out;
    uint64_t cur = 0;
    for (const IrType& m : t.elems) {
        if (!t.packed) cur = align_to(cur, ir_align(m));
        out.push_back(cur);
        cur += ir_alloc_size(m);
    }
    return out;
}

const Type* strip_enum(const TypeTable& types, const Type* t) {
    return t->kind == TypeKind::Enum ? types.prim(t->enumeration->underlying) : t;
}

bool is_promotable_integer(const TypeTable& types, const Type* t) {
    t = strip_enum(types, t);
    if (t->kind != TypeKind::Prim) return false;
    switch (t->prim) {
    case Prim::Bool:
    case Prim::Char:
    case Prim::SChar:
    case Prim::UChar:
    case Prim::Short:
    case Prim::UShort: return true;
    default: return false;
    }
}

bool is_aggregate(const Type* t) {
    if (t->kind == TypeKind::Record || t->kind == TypeKind::Array) return true;
    return t->kind == TypeKind::Prim && prim_class(t->prim) == PrimClass::Complex;
}

const Type* complex_element(const TypeTable& types, const Type* t) {
    switch (t->prim) {
    case Prim::ComplexFloat: return types.prim(Prim::Float);
    case Prim::ComplexDouble: return types.prim(Prim::Double);
    default: return types.prim(Prim::LongDouble);
    }
}

bool is_empty_record(const Type* t) {
    if (t->kind != TypeKind::Record) return false;
    for (const Field& f : t->record->fields) {
        if (f.is_bitfield && f.name.empty() && !f.anonymous) continue;
        const Type* ft = f.type;
        bool zero_array = false;
        while (ft->kind == TypeKind::Array && !ft->flexible) {
            if (ft->count == 0) {
                zero_array = true;
                break;
            }
            ft = ft->inner;
        }
        if (zero_array) continue;
        if (ft->kind != TypeKind::Record || !is_empty_record(ft)) return false;
    }
    return true;
}

uint32_t natural_align(const TypeTable& types, const Type* t) {
    switch (t->kind) {
    case TypeKind::Prim: return types.align_of(types.prim(t->prim));
    case TypeKind::Pointer:
    case TypeKind::Function: return 8;
    case TypeKind::Enum: return types.align_of(types.prim(t->enumeration->underlying));
    case TypeKind::Array: return natural_align(types, t->inner);
    case TypeKind::Record: return t->record->align;
    }
    return 1;
}

uint32_t unadjusted_align(const TypeTable& types, const Type* t) {
    if (t->kind != TypeKind::Record) return natural_align(types, t);
    const Record& rec = *t->record;
    uint32_t a = 1;
    for (const Field& f : rec.fields) {
        if (f.is_bitfield && f.name.empty()) continue;
        uint32_t fa = (rec.packed || f.packed_attr) ? 1 : types.align_of(f.type);
        fa = std::max(fa, f.align_attr);
        if (rec.pack) fa = std::min(fa, rec.pack);
        a = std::max(a, fa);
    }
    return a;
}

bool is_float_prim(const Type* t) {
    return t->kind == TypeKind::Prim && prim_class(t->prim) == PrimClass::Float;
}

// Clang's noundef on a parameter: Indirect and Extend always; Direct when t is a scalar (or
// _Complex) and the coerced type adds no bits beyond t's.
bool param_noundef(const TypeTable& types, const Type* t, const ArgPlan& a) {
    if (a.kind == PassKind::Indirect || a.kind == PassKind::Extend) return true;
    if (a.kind != PassKind::Direct) return false;
    if (t->kind == TypeKind::Record || t->kind == TypeKind::Array) return false;
    return ir_size_bits(a.type) <= ir_size_bits(ir_mem_type_of(types, t));
}

}  // namespace jiffi::detail::abi

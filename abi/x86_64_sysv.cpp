// x86-64 System V calling convention: System V AMD64 psABI 3.2.3 "Parameter Passing", as
// Clang 19 lowers it to LLVM IR (coerced scalars, byval, sret, signext/zeroext).
#include <algorithm>

#include "abi/abi_util.hpp"
#include "abi/classifiers.hpp"

namespace jiffi::detail::abi {

namespace {

// The psABI's classes of an eightbyte (3.2.3 "Classification").
enum class Cls : uint8_t { NoClass, Integer, Sse, SseUp, X87, X87Up, ComplexX87, Memory };

uint64_t align_to(uint64_t v, uint64_t a) { return a ? (v + a - 1) / a * a : v; }

bool is_int128(const Type* t) {
    return t->kind == TypeKind::Prim && (t->prim == Prim::Int128 || t->prim == Prim::UInt128);
}

// True for the IR floating-point types.
bool is_ir_float(const IrType& t) {
    return t.kind == IrType::Kind::Float || t.kind == IrType::Kind::Double ||
           t.kind == IrType::Kind::X86Fp80 || t.kind == IrType::Kind::Fp128;
}

// The index of the struct member that contains byte offset off (the last one starting at
// or before it, as LLVM's StructLayout::getElementContainingOffset).
size_t member_containing(const IrType& st, uint64_t off) {
    std::vector<uint64_t> offs = ir_struct_offsets(st);
    size_t idx = 0;
    for (size_t i = 0; i < offs.size(); ++i)
        if (offs[i] <= off) idx = i;
    return idx;
}

class X86_64SysV final : public Classifier {
public:
    CallPlan classify(const TypeTable& types, const CallSignature& sig) const override;

private:
    struct Ctx;
};

// One classification in progress: the type table and the helpers that need it.
struct X86_64SysV::Ctx {
    const TypeTable& types;

    uint64_t size_bits(const Type* t) const { return types.size_of(t) * 8; }

    // "(a) If both classes are equal, this is the resulting class. (b) If one of the classes
    // is NO_CLASS, the resulting class is the other class. (c) If one of the classes is
    // MEMORY, the result is the MEMORY class. (d) If one of the classes is INTEGER, the
    // result is the INTEGER. (e) If one of the classes is X87, X87UP, COMPLEX_X87 class,
    // MEMORY is used as class. (f) Otherwise class SSE is used."
    static Cls merge(Cls acc, Cls field) {
        if (acc == field || field == Cls::NoClass) return acc;
        if (field == Cls::Memory) return Cls::Memory;
        if (acc == Cls::NoClass) return field;
        if (acc == Cls::Integer || field == Cls::Integer) return Cls::Integer;
        if (field == Cls::X87 || field == Cls::X87Up || field == Cls::ComplexX87 ||
            acc == Cls::X87 || acc == Cls::X87Up)
            return Cls::Memory;
        return Cls::Sse;
    }

    // The post merger cleanup (rule 5): "(a) If one of the classes is MEMORY, the whole
    // argument is passed in memory. (b) If X87UP is not preceded by X87, the whole argument
    // is passed in memory. (c) If the size of the aggregate exceeds two eightbytes and the
    // first eightbyte isn't SSE or any other eightbyte isn't SSEUP, the whole argument is
    // passed in memory. (d) If SSEUP is not preceded by SSE or SSEUP, it is converted to SSE."
    static void post_merge(uint64_t size_bits, Cls& lo, Cls& hi) {
        if (hi == Cls::Memory) lo = Cls::Memory;
        if (hi == Cls::X87Up && lo != Cls::X87) lo = Cls::Memory;
        if (size_bits > 128 && (lo != Cls::Sse || hi != Cls::SseUp)) lo = Cls::Memory;
        if (hi == Cls::SseUp && lo != Cls::Sse) hi = Cls::Sse;
    }

    // Classifies t at bit offset off of the outermost value into its two eightbytes.
    void classify(const Type* t, uint64_t off, Cls& lo, Cls& hi) const {
        lo = hi = Cls::NoClass;
        Cls& cur = off < 64 ? lo : hi;
        cur = Cls::Memory;
        t = strip_enum(types, t);
        if (t->kind == TypeKind::Pointer || t->kind == TypeKind::Function) {
            cur = Cls::Integer;
            return;
        }
        if (t->kind == TypeKind::Prim) {
            switch (prim_class(t->prim)) {
            case PrimClass::Void: cur = Cls::NoClass; return;
            case PrimClass::Bool:
            case PrimClass::Char:
            case PrimClass::Signed:
            case PrimClass::Unsigned:
                // "Arguments of type __int128 ... are treated as if implemented as
                // struct { long low, high; }"; the other integer types are INTEGER.
                if (is_int128(t)) lo = hi = Cls::Integer;
                else cur = Cls::Integer;
                return;
            case PrimClass::Float:
                // "Arguments of types float, double ... are in class SSE." "The 64-bit
                // mantissa of arguments of type long double belongs to class X87, the
                // 16-bit exponent plus 6 bytes of padding belongs to class X87UP."
                if (t->prim == Prim::LongDouble) {
                    lo = Cls::X87;
                    hi = Cls::X87Up;
                } else {
                    cur = Cls::Sse;
                }
                return;
            case PrimClass::Complex: {
                // "Arguments of complex T where T is one of the types float or double are
                // treated as if they are implemented as struct complexT { T real; T imag; };"
                // "A variable of type complex long double is classified as type COMPLEX_X87."
                const Type* et = complex_element(types, t);
                if (t->prim == Prim::ComplexFloat) cur = Cls::Sse;
                else if (t->prim == Prim::ComplexDouble) lo = hi = Cls::Sse;
                else cur = Cls::ComplexX87;
                uint64_t eb_real = off / 64, eb_imag = (off + size_bits(et)) / 64;
                if (hi == Cls::NoClass && eb_real != eb_imag) hi = lo;
                return;
            }
            }
            return;
        }
        if (t->kind == TypeKind::Array) {
            // Arrays are classified like structures of their elements.
            uint64_t size = t->flexible ? 0 : size_bits(t);
            if (size > 512) return;
            if (off % (uint64_t(natural_align(types, t->inner)) * 8)) return;
            cur = Cls::NoClass;
            if (size > 128) return;
            uint64_t elt = size_bits(t->inner);
            for (uint64_t i = 0, o = off; i < (t->flexible ? 0 : t->count); ++i, o += elt) {
                Cls flo, fhi;
                classify(t->inner, o, flo, fhi);
                lo = merge(lo, flo);
                hi = merge(hi, fhi);
                if (lo == Cls::Memory || hi == Cls::Memory) break;
            }
            post_merge(size, lo, hi);
            return;
        }
        // Records. "If the size of an object is larger than eight eightbytes, or it contains
        // unaligned fields, it has class MEMORY." Clang also passes a record with a flexible
        // array member in memory.
        const Record& rec = *t->record;
        uint64_t size = size_bits(t);
        if (size > 512 || rec.has_flexible_array()) return;
        cur = Cls::NoClass;
        for (const Field& f : rec.fields) {
            uint64_t fo = off + f.offset_bits;
            // Zero-width bitfields hold nothing (GCC 12.1 and Clang agree). An unnamed
            // bitfield of nonzero width makes the eightbytes it touches INTEGER for GCC, while
            // Clang 19 treats it as padding; GCC-built libraries are the arbiter (docs/design.md),
            // so jiffi classifies it as GCC does, like any bitfield.
            if (f.is_bitfield && f.bit_width == 0) continue;
            // Rule 5(c) ahead of time: a record over two eightbytes holds no single vector
            // that could make it SSE/SSEUP, so it is MEMORY.
            if (size > 128) {
                lo = Cls::Memory;
                post_merge(size, lo, hi);
                return;
            }
            if (!f.is_bitfield && fo % (uint64_t(natural_align(types, f.type)) * 8)) {
                lo = Cls::Memory;
                post_merge(size, lo, hi);
                return;
            }
            // "If the size of the aggregate exceeds a single eightbyte, each is classified
            // separately." Bitfields are INTEGER in each eightbyte they touch and may be
            // unaligned without forcing MEMORY.
            Cls flo, fhi;
            if (f.is_bitfield) {
                uint64_t eb_lo = fo / 64, eb_hi = (fo + f.bit_width - 1) / 64;
                if (eb_lo) {
                    flo = Cls::NoClass;
                    fhi = Cls::Integer;
                } else {
                    flo = Cls::Integer;
                    fhi = eb_hi ? Cls::Integer : Cls::NoClass;
                }
            } else {
                classify(f.type, fo, flo, fhi);
            }
            lo = merge(lo, flo);
            hi = merge(hi, fhi);
            if (lo == Cls::Memory || hi == Cls::Memory) break;
        }
        post_merge(size, lo, hi);
    }

    // True if bits [start, end) of t hold no member data (they are padding or past the end).
    bool no_user_data(const Type* t, uint64_t start, uint64_t end) const {
        uint64_t size = (t->kind == TypeKind::Array && t->flexible) ? 0 : size_bits(t);
        if (size <= start) return true;
        if (t->kind == TypeKind::Array) {
            uint64_t elt = size_bits(t->inner);
            for (uint64_t i = 0; i < t->count; ++i) {
                uint64_t eo = i * elt;
                if (eo >= end) break;
                if (!no_user_data(t->inner, eo < start ? start - eo : 0, end - eo)) return false;
            }
            return true;
        }
        if (t->kind == TypeKind::Record) {
            for (const Field& f : t->record->fields) {
                uint64_t fo = f.offset_bits;
                if (fo >= end) break;
                if (!no_user_data(f.type, fo < start ? start - fo : 0, end - fo)) return false;
            }
            return true;
        }
        return false;
    }

    // The floating-point IR type at byte offset off of ir, if one starts there.
    static const IrType* fp_at(const IrType& ir, uint64_t off) {
        if (off == 0 && is_ir_float(ir)) return &ir;
        if (ir.kind == IrType::Kind::Struct) {
            if (ir.elems.empty()) return nullptr;
            size_t i = member_containing(ir, off);
            return fp_at(ir.elems[i], off - ir_struct_offsets(ir)[i]);
        }
        if (ir.kind == IrType::Kind::Array) {
            uint64_t es = ir_alloc_size(ir.elems[0]);
            if (!es) return nullptr;
            return fp_at(ir.elems[0], off % es);
        }
        return nullptr;
    }

    // The type that carries an SSE eightbyte at offset off: <2 x float> for two floats,
    // float for a lone float, double otherwise.
    IrType sse_type_at(const IrType& ir, uint64_t off, const Type* src, uint64_t src_off) const {
        uint64_t src_size = types.size_of(src) - src_off;
        const IrType* t0 = fp_at(ir, off);
        if (!t0 || t0->kind == IrType::Kind::Double) return IrType::f64();
        const IrType* t1 = nullptr;
        uint64_t t0_size = ir_alloc_size(*t0);
        if (src_size > t0_size) t1 = fp_at(ir, off + t0_size);
        if (!t1) return *t0;
        if (t0->kind == IrType::Kind::Float && t1->kind == IrType::Kind::Float)
            return IrType::vector(IrType::f32(), 2);
        return IrType::f64();
    }

    // The type that carries an INTEGER eightbyte at offset off: the pointer or i64 there,
    // a smaller integer if the rest of the eightbyte is padding, else an integer as wide as
    // what is left of the value (at most i64).
    IrType int_type_at(const IrType& ir, uint64_t off, const Type* src, uint64_t src_off) const {
        if (off == 0) {
            if (ir.kind == IrType::Kind::Ptr || (ir.kind == IrType::Kind::Int && ir.bits == 64))
                return ir;
            if (ir.kind == IrType::Kind::Int && (ir.bits == 8 || ir.bits == 16 || ir.bits == 32) &&
                no_user_data(src, src_off * 8 + ir.bits, src_off * 8 + 64))
                return ir;
        }
        if (ir.kind == IrType::Kind::Struct && off < ir_alloc_size(ir) && !ir.elems.empty()) {
            size_t i = member_containing(ir, off);
            return int_type_at(ir.elems[i], off - ir_struct_offsets(ir)[i], src, src_off);
        }
        if (ir.kind == IrType::Kind::Array) {
            uint64_t es = ir_alloc_size(ir.elems[0]);
            if (es) return int_type_at(ir.elems[0], off % es, src, src_off);
        }
        uint64_t left = types.size_of(src) - src_off;
        return IrType::int_bits(uint32_t(std::min<uint64_t>(left, 8) * 8));
    }

    // The pair {lo, hi} with hi at offset 8: a 4-byte lo part is widened (float to double,
    // an integer to i64) so that the struct puts hi at 8.
    static IrType pair(IrType lo, IrType hi) {
        uint64_t hi_start = align_to(ir_alloc_size(lo), ir_align(hi));
        if (hi_start != 8) lo = lo.kind == IrType::Kind::Float ? IrType::f64() : IrType::int_bits(64);
        return IrType::structure({std::move(lo), std::move(hi)});
    }

    // Extend of a small integer: signext for signed types, zeroext for _Bool and unsigned.
    ArgPlan extend(const Type* t) const {
        ArgPlan a;
        a.kind = PassKind::Extend;
        a.type = ir_type_of(types, t);
        const Type* s = strip_enum(types, t);
        a.sign = !(s->kind == TypeKind::Prim && s->prim == Prim::Bool) && types.is_signed_integer(s);
        return a;
    }

    // A value passed in memory (Clang's getIndirectResult): scalars stay Direct and the
    // backend puts them on the stack; an aggregate of at most 8 bytes and alignment 8 is
    // coerced to an integer when no GPR is left; other aggregates go byval, aligned to at
    // least 8. Deliberate difference from Clang 19: __int128 goes byval (see plan_exception).
    ArgPlan indirect_result(const Type* t, unsigned free_int) const {
        ArgPlan a;
        if (is_int128(t)) {
            a.kind = PassKind::Indirect;
            a.byval = true;
            a.align = 16;
            a.pointee = IrType::int_bits(128);
            return a;
        }
        if (!is_aggregate(t)) {
            if (is_promotable_integer(types, t)) return extend(t);
            a.kind = PassKind::Direct;
            a.type = ir_type_of(types, t);
            return a;
        }
        uint32_t align = std::max<uint32_t>(types.align_of(t), 8);
        if (free_int == 0 && align == 8 && size_bits(t) <= 64) {
            a.kind = PassKind::Direct;
            a.type = IrType::int_bits(uint32_t(size_bits(t)));
            return a;
        }
        a.kind = PassKind::Indirect;
        a.byval = true;
        a.align = align;
        a.pointee = t->kind == TypeKind::Record ? IrType::array(IrType::int_bits(8), uint32_t(types.size_of(t)))
                                                : ir_mem_type_of(types, t);
        return a;
    }

    // The return value (psABI 3.2.3 "Returning of Values").
    ArgPlan classify_return(const Type* t) const {
        ArgPlan a;
        if (t->is_void()) return a;
        Cls lo, hi;
        classify(t, 0, lo, hi);
        IrType ir = ir_type_of(types, t);
        IrType res;
        bool have_res = false;
        switch (lo) {
        case Cls::NoClass:
            if (hi == Cls::NoClass) return a;
            break;
        case Cls::SseUp:
        case Cls::X87Up:
        case Cls::Memory:
            // "If the type has class MEMORY, then the caller provides space for the return
            // value and passes the address of this storage in %rdi."
            if (!is_aggregate(t)) {
                if (is_promotable_integer(types, t)) return extend(t);
                a.kind = PassKind::Direct;
                a.type = ir;
                return a;
            }
            a.kind = PassKind::Indirect;
            a.align = types.align_of(t);
            a.pointee = IrType::array(IrType::int_bits(8), uint32_t(types.size_of(t)));
            return a;
        case Cls::Integer:
            // "If the class is INTEGER, the next available register of the sequence %rax,
            // %rdx is used."
            res = int_type_at(ir, 0, t, 0);
            have_res = true;
            if (hi == Cls::NoClass && res.kind == IrType::Kind::Int && strip_enum(types, t)->is_integer() &&
                is_promotable_integer(types, t))
                return extend(t);
            break;
        case Cls::Sse:
            // "If the class is SSE, the next available vector register of the sequence
            // %xmm0, %xmm1 is used."
            res = sse_type_at(ir, 0, t, 0);
            have_res = true;
            break;
        case Cls::X87:
            // "If the class is X87, the value is returned on the X87 stack in %st0."
            res = IrType::x86_fp80();
            have_res = true;
            break;
        case Cls::ComplexX87:
            // "If the class is COMPLEX_X87, the real part of the value is returned in %st0
            // and the imaginary part in %st1."
            res = IrType::structure({IrType::x86_fp80(), IrType::x86_fp80()});
            have_res = true;
            break;
        }
        IrType high;
        bool have_high = false;
        if (hi == Cls::Integer || hi == Cls::Sse || (hi == Cls::X87Up && lo != Cls::X87)) {
            high = hi == Cls::Integer ? int_type_at(ir, 8, t, 8) : sse_type_at(ir, 8, t, 8);
            have_high = true;
            if (lo == Cls::NoClass) {
                a.kind = PassKind::Direct;
                a.type = high;
                a.offset = 8;
                return a;
            }
        }
        a.kind = PassKind::Direct;
        a.type = have_high && have_res ? pair(res, high) : res;
        return a;
    }

    // An argument (psABI 3.2.3 "Passing"), with the registers it needs if it goes in them.
    ArgPlan classify_arg(const Type* t, unsigned free_int, unsigned& need_int, unsigned& need_sse) const {
        need_int = need_sse = 0;
        ArgPlan a;
        Cls lo, hi;
        classify(t, 0, lo, hi);
        IrType ir = ir_type_of(types, t);
        IrType res;
        switch (lo) {
        case Cls::NoClass:
            if (hi == Cls::NoClass) return a;
            break;
        case Cls::Memory:
        case Cls::X87:
        case Cls::ComplexX87:
        case Cls::SseUp:
        case Cls::X87Up:
            // "If the class is MEMORY, pass the argument on the stack." "If the class is
            // X87, X87UP or COMPLEX_X87, it is passed in memory."
            return indirect_result(t, free_int);
        case Cls::Integer:
            // "If the class is INTEGER, the next available register of the sequence %rdi,
            // %rsi, %rdx, %rcx, %r8 and %r9 is used."
            ++need_int;
            res = int_type_at(ir, 0, t, 0);
            if (hi == Cls::NoClass && res.kind == IrType::Kind::Int && strip_enum(types, t)->is_integer() &&
                is_promotable_integer(types, t))
                return extend(t);
            break;
        case Cls::Sse:
            // "If the class is SSE, the next available vector register is used, the
            // registers are taken in the order from %xmm0 to %xmm7."
            ++need_sse;
            res = sse_type_at(ir, 0, t, 0);
            break;
        }
        a.kind = PassKind::Direct;
        if (hi == Cls::Integer || hi == Cls::Sse || hi == Cls::X87Up) {
            IrType high;
            if (hi == Cls::Integer) {
                ++need_int;
                high = int_type_at(ir, 8, t, 8);
            } else {
                ++need_sse;
                high = sse_type_at(ir, 8, t, 8);
            }
            if (lo == Cls::NoClass) {
                a.type = high;
                a.offset = 8;
                return a;
            }
            a.type = pair(res, high);
            return a;
        }
        a.type = res;
        return a;
    }
};

CallPlan X86_64SysV::classify(const TypeTable& types, const CallSignature& sig) const {
    CallPlan p = new_plan(types, sig);
    Ctx c{types};
    p.ret = [&] {
        ArgPlan r = c.classify_return(sig.ret);
        r.c_type = p.ret.c_type;
        return r;
    }();
    if (!sig.ret->is_void()) p.ret.size = types.size_of(sig.ret);
    // "Once arguments are classified, the registers get assigned (in left-to-right order)."
    // The sret pointer takes %rdi.
    unsigned free_int = 6, free_sse = 8;
    if (p.ret.kind == PassKind::Indirect) --free_int;
    uint64_t stack = 0;
    for (size_t i = 0; i < sig.call_args.size(); ++i) {
        const Type* t = sig.call_args[i];
        ArgPlan a;
        unsigned ni = 0, ns = 0;
        if (t->kind == TypeKind::Array || t->kind == TypeKind::Function) {
            a.kind = PassKind::Direct;
            a.type = IrType::ptr();
            ni = 1;
        } else {
            a = c.classify_arg(t, free_int, ni, ns);
        }
        // "If there are no registers available for any eightbyte of an argument, the whole
        // argument is passed on the stack. If registers have already been assigned for some
        // eightbytes of such an argument, the assignments get reverted."
        if (free_int >= ni && free_sse >= ns) {
            free_int -= ni;
            free_sse -= ns;
            a.gprs = ni;
            a.fprs = ns;
        } else {
            a = c.indirect_result(t, free_int);
        }
        // A Direct aggregate coerced to a struct is passed as its members.
        a.flatten = a.kind == PassKind::Direct && a.type.kind == IrType::Kind::Struct;
        a.c_type = p.args[i].c_type;
        a.size = t->kind == TypeKind::Array || t->kind == TypeKind::Function ? 8 : types.size_of(t);
        a.noundef = t->kind == TypeKind::Array || t->kind == TypeKind::Function || param_noundef(types, t, a);
        if (a.kind != PassKind::Ignore && a.gprs == 0 && a.fprs == 0) {
            // Stack arguments take 8-byte slots, 16-byte aligned for types aligned to 16.
            uint64_t size = a.kind == PassKind::Indirect ? a.size : ir_alloc_size(a.type);
            uint64_t align = a.kind == PassKind::Indirect ? a.align : ir_align(a.type);
            stack = align_to(stack, std::max<uint64_t>(align, 8));
            a.on_stack = true;
            a.stack_offset = uint32_t(stack);
            stack += align_to(size, 8);
        }
        p.args[i] = std::move(a);
    }
    p.stack_bytes = uint32_t(stack);
    return p;
}

}  // namespace

const Classifier& x86_64_sysv_classifier() {
    static const X86_64SysV c;
    return c;
}

}  // namespace jiffi::detail::abi

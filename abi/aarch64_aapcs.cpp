// AArch64 calling convention: AAPCS64 6.8 "Parameter passing" (Linux) and Apple's variant
// ("Writing ARM64 code for Apple platforms"), as Clang 19 lowers them to LLVM IR.
#include <algorithm>

#include "abi/abi_util.hpp"
#include "abi/classifiers.hpp"

namespace jiffi::detail::abi {

namespace {

uint64_t align_to(uint64_t v, uint64_t a) { return a ? (v + a - 1) / a * a : v; }

class AArch64 final : public Classifier {
public:
    explicit AArch64(bool apple) : apple_(apple) {}
    CallPlan classify(const TypeTable& types, const CallSignature& sig) const override;

private:
    struct Ctx;
    bool apple_;
};

// AAPCS64 5.9.5 "Homogeneous Aggregates": a composite whose fundamental members all have one
// floating-point type (the base) and which has 1 to 4 of them, with no padding. _Complex T is
// two members of base T. Zero-length bitfields and empty records do not count.
bool homogeneous(const TypeTable& types, const Type* t, const Type*& base, uint64_t& members) {
    if (t->kind == TypeKind::Array) {
        if (t->flexible || t->count == 0) return false;
        if (!homogeneous(types, t->inner, base, members)) return false;
        members *= t->count;
    } else if (t->kind == TypeKind::Record) {
        const Record& rec = *t->record;
        if (rec.has_flexible_array()) return false;
        members = 0;
        for (const Field& f : rec.fields) {
            const Type* ft = f.type;
            bool zero = false;
            while (ft->kind == TypeKind::Array) {
                if (ft->flexible || ft->count == 0) {
                    zero = true;
                    break;
                }
                ft = ft->inner;
            }
            if (zero) return false;
            if (is_empty_record(ft)) continue;
            if (f.is_bitfield && f.bit_width == 0) continue;
            uint64_t fm = 0;
            if (f.is_bitfield || !homogeneous(types, f.type, base, fm)) return false;
            members = rec.is_union ? std::max(members, fm) : members + fm;
        }
        if (!base) return false;
        // "... and the unit of the composite contains no padding."
        if (types.size_of(base) * members != types.size_of(t)) return false;
    } else {
        members = 1;
        const Type* elem = t;
        if (t->kind == TypeKind::Prim && prim_class(t->prim) == PrimClass::Complex) {
            members = 2;
            elem = complex_element(types, t);
        }
        if (!is_float_prim(elem)) return false;
        if (!base) base = types.prim(elem->prim);
        // "Types that agree in both total size and mode are treated as equivalent": Apple's
        // long double is a double here.
        else if (types.size_of(base) != types.size_of(elem)) return false;
    }
    return members > 0 && members <= 4;
}

// The argument-passing state of AAPCS64 6.8.2 stage C: next GPR, next FP/SIMD register and
// next stacked argument address.
struct Alloc {
    unsigned ngrn = 0, nsrn = 0;
    uint64_t nsaa = 0;
};

// What one argument asks of stage C: the registers it takes if enough are left (GPRs, or
// FP/SIMD registers), and its size and alignment if it is stacked instead.
struct Request {
    unsigned gprs = 0, fprs = 0;
    bool pair_even = false;  // the NGRN is first rounded up to an even number (C.8, Linux)
    uint64_t stack_size = 0, stack_align = 8;
};

// One classification in progress: the type table, the variant, and the rules, one helper each.
struct AArch64::Ctx {
    const TypeTable& types;
    bool apple;  // Apple arm64's variant, else AAPCS64 as on Linux

    bool is_linux() const { return !apple; }

    // A scalar as Clang passes it: its own IR type, extended on Apple when it is a small
    // integer. Apple: "The caller of a function is responsible for signing or zero-extending
    // any argument with fewer than 32 bits" (and "the callee must extend" a small integer
    // result); Clang marks it signext/zeroext. Linux: "unused bits ... have unspecified
    // value", so Clang adds no extension attribute.
    ArgPlan scalar(const Type* t) const {
        ArgPlan a;
        if (apple && is_promotable_integer(types, t)) {
            a.kind = PassKind::Extend;
            const Type* s = strip_enum(types, t);
            a.sign = !(s->kind == TypeKind::Prim && s->prim == Prim::Bool) && types.is_signed_integer(s);
        } else {
            a.kind = PassKind::Direct;
        }
        a.type = ir_type_of(types, t);
        return a;
    }

    // The return value (AAPCS64 6.9 "Result return").
    ArgPlan classify_return(const Type* rt) const {
        ArgPlan r;
        if (rt->is_void()) return r;
        const uint64_t size = types.size_of(rt);
        const Type* base = nullptr;
        uint64_t members = 0;
        if (!is_aggregate(rt)) {
            r = scalar(rt);
        } else if (is_empty_record(rt) || size == 0) {
            r.kind = PassKind::Ignore;
        } else if (homogeneous(types, rt, base, members)) {
            // "If the type, T, of the result ... is a HFA or HVA, then the result is returned
            // in v0-v3"; Clang returns the aggregate's own IR type.
            r.kind = PassKind::Direct;
            r.type = ir_type_of(types, rt);
        } else if (size <= 16) {
            // "Otherwise, if the size of the result is not more than 16 bytes, the result is
            // returned in x0 and x1 as if loaded from memory."
            r.kind = PassKind::Direct;
            uint64_t bits = size * 8;
            if (bits <= 64) {
                r.type = IrType::int_bits(uint32_t(bits));
            } else {
                bits = align_to(bits, 64);
                if (types.align_of(rt) < 16 && bits == 128) r.type = IrType::array(IrType::int_bits(64), 2);
                else r.type = IrType::int_bits(uint32_t(bits));
            }
        } else {
            // "Otherwise, the caller shall reserve a block of memory ... and pass the address
            // of that block in x8."
            r.kind = PassKind::Indirect;
            r.align = types.align_of(rt);
            r.pointee = IrType::array(IrType::int_bits(8), uint32_t(size));
        }
        r.size = size;
        return r;
    }

    // An array or function argument: the pointer it decays to, in one GPR.
    static ArgPlan decayed_pointer(Request& q) {
        ArgPlan a;
        a.kind = PassKind::Direct;
        a.type = IrType::ptr();
        a.size = 8;
        a.noundef = true;
        q.gprs = 1;
        q.stack_size = 8;
        return a;
    }

    // An integer, enum or pointer scalar: one GPR, two for a 128-bit integer.
    ArgPlan integer_arg(const Type* t, Request& q) const {
        ArgPlan a = scalar(t);
        const uint64_t size = types.size_of(t);
        q.stack_size = size;
        q.stack_align = types.align_of(t);
        if (size == 16) {
            // C.8/C.9: "If the argument has an alignment of 16 then the NGRN is rounded up to
            // the next even number" (Linux); a 128-bit integer takes two GPRs.
            q.gprs = 2;
            q.pair_even = is_linux();
        } else {
            q.gprs = 1;
        }
        return a;
    }

    // C.1: "If the argument is ... a Floating-point ... Type and the NSRN is less than 8, then
    // the argument is allocated to the least significant bits of register v[NSRN]."
    ArgPlan floating_arg(const Type* t, Request& q) const {
        ArgPlan a = scalar(t);
        q.fprs = 1;
        q.stack_size = types.size_of(t);
        q.stack_align = types.align_of(t);
        return a;
    }

    // C.2: "If the argument is an HFA or an HVA and there are sufficient unallocated SIMD and
    // Floating-point registers (NSRN + number of members <= 8), then the argument is
    // allocated to SIMD and Floating-point registers." Clang passes it as [N x base]; on
    // Linux with alignstack: C.4 "the NSAA is rounded up to the larger of 8 or the Natural
    // Alignment of the argument's type" (capped at 16).
    ArgPlan homogeneous_arg(const Type* t, const Type* base, uint64_t members, Request& q) const {
        ArgPlan a;
        a.kind = PassKind::Direct;
        a.type = IrType::array(ir_type_of(types, base), uint32_t(members));
        if (is_linux()) a.align = unadjusted_align(types, t) >= 16 ? 16 : 8;
        q.fprs = uint32_t(members);
        q.stack_size = types.size_of(t);
        q.stack_align = is_linux() ? a.align : types.align_of(base);
        return a;
    }

    // C.10-C.13: "If the argument is a Composite Type and the size in double-words of the
    // argument is not more than 8 minus NGRN, then the argument is copied into consecutive
    // general-purpose registers." Clang coerces it to i64 or [2 x i64], or with 16-byte
    // alignment (C.8 on Linux: by the alignment of its members, not an aligned attribute on
    // the record) to i128.
    ArgPlan small_composite_arg(const Type* t, Request& q) const {
        ArgPlan a;
        a.kind = PassKind::Direct;
        uint64_t align_bits = is_linux() ? (unadjusted_align(types, t) * 8 < 128 ? 64 : 128)
                                         : std::max<uint64_t>(types.align_of(t) * 8, 64);
        uint64_t bits = align_to(types.size_of(t) * 8, align_bits);
        IrType unit = IrType::int_bits(uint32_t(align_bits));
        a.type = bits == align_bits ? unit : IrType::array(unit, uint32_t(bits / align_bits));
        q.gprs = uint32_t(bits / 64);
        q.pair_even = is_linux() && align_bits == 128;
        q.stack_size = bits / 8;
        q.stack_align = align_bits / 8;
        return a;
    }

    // B.4: "If the argument type is a Composite Type that is larger than 16 bytes, then the
    // argument is copied to memory allocated by the caller and the argument is replaced by a
    // pointer to the copy." (A plain pointer, not byval.)
    ArgPlan large_composite_arg(const Type* t, Request& q) const {
        ArgPlan a;
        a.kind = PassKind::Indirect;
        a.align = types.align_of(t);
        a.pointee = IrType::array(IrType::int_bits(8), uint32_t(types.size_of(t)));
        q.gprs = 1;
        q.stack_size = 8;
        return a;
    }

    // One argument's plan (stage B) and, in q, what it asks of stage C.
    ArgPlan classify_arg(const Type* t, Request& q) const {
        if (t->kind == TypeKind::Array || t->kind == TypeKind::Function) return decayed_pointer(q);
        const uint64_t size = types.size_of(t);
        const Type* base = nullptr;
        uint64_t members = 0;
        ArgPlan a;
        if (!is_aggregate(t)) {
            a = is_float_prim(strip_enum(types, t)) ? floating_arg(t, q) : integer_arg(t, q);
        } else if (is_empty_record(t) || size == 0) {
            // Empty records are not passed (GNU C; Clang ignores them in C).
            a.kind = PassKind::Ignore;
        } else if (homogeneous(types, t, base, members)) {
            a = homogeneous_arg(t, base, members, q);
        } else if (size <= 16) {
            a = small_composite_arg(t, q);
        } else {
            a = large_composite_arg(t, q);
        }
        a.size = size;
        a.noundef = param_noundef(types, t, a);
        return a;
    }

    // Apple: "all variadic arguments are passed on the stack", each in its own 8-byte
    // aligned slot (16-byte for 16-byte aligned types).
    static void apple_variadic_slot(Request& q) {
        q.stack_align = std::max<uint64_t>(std::min<uint64_t>(q.stack_align, 16), 8);
        q.stack_size = align_to(q.stack_size, 8);
    }

    // n FP/SIMD registers (C.1, C.2) if NSRN + n <= 8; false when the argument is stacked.
    static bool take_fprs(ArgPlan& a, unsigned n, Alloc& st) {
        if (st.nsrn + n <= 8) {
            a.fprs = n;
            st.nsrn += n;
            return true;
        }
        // C.3: "If the argument is an HFA or an HVA then the NSRN is set to 8."
        st.nsrn = 8;
        return false;
    }

    // n consecutive GPRs (C.8-C.13), from an even one when pair_even, if NGRN + n <= 8;
    // false when the argument is stacked.
    static bool take_gprs(ArgPlan& a, unsigned n, bool pair_even, Alloc& st) {
        if (pair_even) st.ngrn = (st.ngrn + 1) & ~1u;
        if (st.ngrn + n <= 8) {
            a.gprs = n;
            st.ngrn += n;
            return true;
        }
        // C.13: "The NGRN is set to 8."
        st.ngrn = 8;
        return false;
    }

    // C.16/C.17: stacked arguments take at least 8 bytes and 8-byte alignment on Linux;
    // Apple packs named stacked arguments at their natural alignment.
    void place_on_stack(ArgPlan& a, Request q, bool anonymous, Alloc& st) const {
        if (is_linux() || anonymous) {
            q.stack_align = std::max<uint64_t>(q.stack_align, 8);
            q.stack_size = align_to(q.stack_size, 8);
        }
        st.nsaa = align_to(st.nsaa, std::max<uint64_t>(q.stack_align, 1));
        a.on_stack = true;
        a.stack_offset = uint32_t(st.nsaa);
        st.nsaa += q.stack_size;
    }

    // Stage C for an argument that is passed: the registers it asks for if enough are left,
    // else the next place in the stacked argument area. anonymous: a variadic argument.
    void place(ArgPlan& a, Request q, bool anonymous, Alloc& st) const {
        bool in_regs = false;
        if (anonymous && apple) apple_variadic_slot(q);
        else if (q.fprs) in_regs = take_fprs(a, q.fprs, st);
        else if (q.gprs) in_regs = take_gprs(a, q.gprs, q.pair_even, st);
        if (!in_regs) place_on_stack(a, q, anonymous, st);
    }
};

CallPlan AArch64::classify(const TypeTable& types, const CallSignature& sig) const {
    CallPlan p = new_plan(types, sig);
    Ctx c{types, apple_};
    p.ret = [&] {
        ArgPlan r = c.classify_return(sig.ret);
        r.c_type = p.ret.c_type;
        return r;
    }();
    // The arguments (AAPCS64 6.8.2 stages B and C), in order.
    Alloc st;
    for (size_t i = 0; i < sig.call_args.size(); ++i) {
        Request q;
        ArgPlan a = c.classify_arg(sig.call_args[i], q);
        a.c_type = p.args[i].c_type;
        if (a.kind != PassKind::Ignore) c.place(a, q, sig.variadic_call && i >= sig.fixed_count, st);
        p.args[i] = std::move(a);
    }
    p.stack_bytes = uint32_t(align_to(st.nsaa, 8));
    return p;
}

}  // namespace

const Classifier& aarch64_classifier(bool apple) {
    static const AArch64 linux_abi(false), apple_abi(true);
    return apple ? apple_abi : linux_abi;
}

}  // namespace jiffi::detail::abi

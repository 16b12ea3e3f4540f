// Stub specs: the slot shapes of a signature's values and the cache key of generated code.
#include "jit/stub_spec.hpp"

#include <cstdio>

#include "base/error.hpp"

namespace jiffi::detail {

namespace {

// Appends a compact, unambiguous encoding of t to out.
void encode(const IrType& t, std::string& out) {
    switch (t.kind) {
    case IrType::Kind::Void: out += 'v'; return;
    case IrType::Kind::Int: out += 'i' + std::to_string(t.bits); return;
    case IrType::Kind::Float: out += 'f'; return;
    case IrType::Kind::Double: out += 'd'; return;
    case IrType::Kind::X86Fp80: out += 'x'; return;
    case IrType::Kind::Fp128: out += 'q'; return;
    case IrType::Kind::Ptr: out += 'p'; return;
    case IrType::Kind::Vector:
    case IrType::Kind::Array:
        out += t.kind == IrType::Kind::Vector ? '<' : '[';
        out += std::to_string(t.count) + 'x';
        if (!t.elems.empty()) encode(t.elems[0], out);
        out += t.kind == IrType::Kind::Vector ? '>' : ']';
        return;
    case IrType::Kind::Struct:
        out += t.packed ? "<{" : "{";
        for (const IrType& e : t.elems) {
            encode(e, out);
            out += ',';
        }
        out += '}';
        return;
    }
}

// Appends the encoding of one value's plan and slot shape to out.
void encode(const ArgPlan& a, const SlotInfo& s, std::string& out) {
    out += "DEIG"[static_cast<int>(a.kind)];
    encode(a.type, out);
    out += a.flatten ? "F" : "";
    out += a.sign ? "S" : "";
    out += a.byval ? "B" : "";
    out += a.noundef ? "N" : "";
    out += 'a' + std::to_string(a.align) + 's' + std::to_string(a.size) + 'o' + std::to_string(a.offset);
    if (a.kind == PassKind::Indirect) {
        out += '*';
        encode(a.pointee, out);
    }
    out += '/' + std::to_string(static_cast<int>(s.cls)) + ':' + std::to_string(s.size) + ':' +
           std::to_string(s.align) + ';';
}

}  // namespace

std::string StubSpec::key() const {
    if (kind == StubKind::Batch) {
        std::string out = "B|";
        for (size_t i = 0; i < calls.size(); ++i) {
            char at[32];
            std::snprintf(at, sizeof at, "@%llx;", static_cast<unsigned long long>(i < fns.size() ? fns[i] : 0));
            out += calls[i].key() + at;
        }
        return out;
    }
    std::string out = kind == StubKind::Invoker ? "" : kind == StubKind::ErrnoInvoker ? "E|" : "T|";
    out += plan.triple;
    out += plan.variadic ? "|v" + std::to_string(plan.fixed_count) : "|f";
    out += '|';
    encode(plan.ret, ret, out);
    out += '(';
    for (size_t i = 0; i < plan.args.size(); ++i) encode(plan.args[i], args[i], out);
    out += ')';
    if (kind == StubKind::Thunk) out += thunk.tls ? "|tls" + std::to_string(thunk.tls_offset) : "|notls";
    return out;
}

SlotInfo slot_info(const TypeTable& types, const Type* t) {
    SlotInfo s;
    s.cls = value_class(types, t);
    if (!t->is_void()) {
        s.size = types.size_of(t);
        s.align = types.align_of(t);
    }
    return s;
}

StubSpec make_stub_spec(const TypeTable& types, const CallSignature& sig, CallPlan plan) {
    if (plan.args.size() != sig.args.size())
        fail(ErrorCode::INTERNAL, "the call plan of '" + sig.text + "' has " +
                                      std::to_string(plan.args.size()) + " arguments, not " +
                                      std::to_string(sig.args.size()));
    StubSpec spec;
    spec.plan = std::move(plan);
    spec.ret = slot_info(types, sig.ret);
    spec.args.reserve(sig.args.size());
    for (const Type* t : sig.args) spec.args.push_back(slot_info(types, t));
    return spec;
}

}  // namespace jiffi::detail

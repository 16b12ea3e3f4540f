// CallPlan and IrType: construction, printing as text and as Clang's LLVM function type, keys.
#include "abi/call_plan.hpp"

#include "abi/classifiers.hpp"
#include "base/error.hpp"

namespace jiffi::detail {

IrType IrType::int_bits(uint32_t bits) {
    IrType t;
    t.kind = Kind::Int;
    t.bits = bits;
    return t;
}

IrType IrType::f32() {
    IrType t;
    t.kind = Kind::Float;
    return t;
}

IrType IrType::f64() {
    IrType t;
    t.kind = Kind::Double;
    return t;
}

IrType IrType::x86_fp80() {
    IrType t;
    t.kind = Kind::X86Fp80;
    return t;
}

IrType IrType::fp128() {
    IrType t;
    t.kind = Kind::Fp128;
    return t;
}

IrType IrType::ptr() {
    IrType t;
    t.kind = Kind::Ptr;
    return t;
}

IrType IrType::vector(IrType elem, uint32_t count) {
    IrType t;
    t.kind = Kind::Vector;
    t.count = count;
    t.elems.push_back(std::move(elem));
    return t;
}

IrType IrType::array(IrType elem, uint32_t count) {
    IrType t;
    t.kind = Kind::Array;
    t.count = count;
    t.elems.push_back(std::move(elem));
    return t;
}

IrType IrType::structure(std::vector<IrType> members) {
    IrType t;
    t.kind = Kind::Struct;
    t.elems = std::move(members);
    return t;
}

std::string IrType::text() const {
    switch (kind) {
    case Kind::Void: return "void";
    case Kind::Int: return "i" + std::to_string(bits);
    case Kind::Float: return "float";
    case Kind::Double: return "double";
    case Kind::X86Fp80: return "x86_fp80";
    case Kind::Fp128: return "fp128";
    case Kind::Ptr: return "ptr";
    case Kind::Vector: return "<" + std::to_string(count) + " x " + elems[0].text() + ">";
    case Kind::Array: return "[" + std::to_string(count) + " x " + elems[0].text() + "]";
    case Kind::Struct: {
        if (elems.empty()) return packed ? "<{}>" : "{}";
        std::string s = packed ? "<{ " : "{ ";
        for (size_t i = 0; i < elems.size(); ++i) {
            if (i) s += ", ";
            s += elems[i].text();
        }
        return s + (packed ? " }>" : " }");
    }
    }
    return "?";
}

bool IrType::operator==(const IrType& o) const {
    return kind == o.kind && bits == o.bits && count == o.count && packed == o.packed &&
           elems == o.elems;
}

namespace {

// The IR parameters one argument plan contributes, with Clang's attribute spelling and order.
void append_params(const ArgPlan& a, std::vector<std::string>& out) {
    switch (a.kind) {
    case PassKind::Ignore: return;
    case PassKind::Extend:
        out.push_back(a.type.text() + (a.noundef ? " noundef" : "") +
                      (a.sign ? " signext" : " zeroext"));
        return;
    case PassKind::Indirect:
        if (a.byval)
            out.push_back("ptr noundef byval(" + a.pointee.text() + ") align " +
                          std::to_string(a.align));
        else
            out.push_back("ptr noundef");
        return;
    case PassKind::Direct:
        if (a.flatten && a.type.kind == IrType::Kind::Struct) {
            for (const IrType& m : a.type.elems)
                out.push_back(m.text() + (a.noundef ? " noundef" : ""));
            return;
        }
        out.push_back(a.type.text() + (a.noundef ? " noundef" : "") +
                      (a.align ? " alignstack(" + std::to_string(a.align) + ")" : ""));
        return;
    }
}

// A one-line description of an argument plan ("direct <2 x float> (1 fpr)").
std::string describe_arg(const ArgPlan& a, bool is_return) {
    std::string s;
    switch (a.kind) {
    case PassKind::Ignore: s = "ignore"; break;
    case PassKind::Extend:
        s = std::string(a.sign ? "extend signed " : "extend unsigned ") + a.type.text();
        break;
    case PassKind::Indirect:
        if (is_return)
            s = "indirect sret (" + std::to_string(a.size) + " bytes, align " +
                std::to_string(a.align) + ")";
        else if (a.byval)
            s = "indirect byval (" + std::to_string(a.size) + " bytes, align " +
                std::to_string(a.align) + ")";
        else
            s = "indirect by pointer to a caller copy (" + std::to_string(a.size) + " bytes)";
        break;
    case PassKind::Direct:
        s = "direct " + a.type.text();
        if (a.flatten) s += " flattened";
        if (a.offset) s += " at offset " + std::to_string(a.offset);
        if (a.align) s += " alignstack(" + std::to_string(a.align) + ")";
        break;
    }
    if (is_return) return s;
    std::string where;
    if (a.gprs) where += std::to_string(a.gprs) + (a.gprs == 1 ? " gpr" : " gprs");
    if (a.fprs) {
        if (!where.empty()) where += ", ";
        where += std::to_string(a.fprs) + (a.fprs == 1 ? " fpr" : " fprs");
    }
    if (a.on_stack) {
        if (!where.empty()) where += ", ";
        where += "stack +" + std::to_string(a.stack_offset);
    }
    if (!where.empty()) s += " (" + where + ")";
    return s;
}

}  // namespace

std::string CallPlan::llvm_return() const {
    if (ret.kind == PassKind::Direct) return ret.type.text();
    if (ret.kind == PassKind::Extend)
        return std::string(ret.sign ? "signext " : "zeroext ") + ret.type.text();
    return "void";
}

std::vector<std::string> CallPlan::llvm_params() const {
    std::vector<std::string> out;
    if (ret.kind == PassKind::Indirect)
        out.push_back("ptr dead_on_unwind noalias writable sret(" + ret.pointee.text() +
                      ") align " + std::to_string(ret.align));
    for (const ArgPlan& a : args) append_params(a, out);
    return out;
}

size_t CallPlan::llvm_fixed_param_count() const {
    std::vector<std::string> out;
    if (ret.kind == PassKind::Indirect) out.push_back("sret");
    for (size_t i = 0; i < args.size() && i < fixed_count; ++i) append_params(args[i], out);
    return out.size();
}

std::string CallPlan::llvm_signature() const {
    std::vector<std::string> params = llvm_params();
    size_t n = variadic ? llvm_fixed_param_count() : params.size();
    std::string s = llvm_return() + " (";
    for (size_t i = 0; i < n; ++i) {
        if (i) s += ", ";
        s += params[i];
    }
    if (variadic) s += n ? ", ..." : "...";
    return s + ")";
}

std::string CallPlan::describe() const {
    std::string s = "target " + triple;
    if (variadic)
        s += ", variadic call: " + std::to_string(fixed_count) + " fixed of " +
             std::to_string(args.size()) + " arguments";
    s += ", " + std::to_string(stack_bytes) + " stack bytes\n";
    s += "return";
    if (!ret.c_type.empty()) s += " " + ret.c_type;
    s += ": " + describe_arg(ret, true) + "\n";
    for (size_t i = 0; i < args.size(); ++i) {
        s += "arg " + std::to_string(i + 1);
        if (variadic && i >= fixed_count) s += " (variadic)";
        if (!args[i].c_type.empty()) s += " " + args[i].c_type;
        s += ": " + describe_arg(args[i], false) + "\n";
    }
    s += "llvm: " + llvm_signature() + "\n";
    if (variadic && args.size() > fixed_count) {
        std::string call;
        for (const std::string& q : llvm_params()) call += (call.empty() ? "" : ", ") + q;
        s += "llvm call arguments: (" + call + ")\n";
    }
    return s;
}

std::string CallPlan::key() const {
    // Everything a stub's code depends on: target, each IR parameter and where the C
    // value is read from (offset), the variadic split.
    std::string k = triple + "|" + (variadic ? "v" + std::to_string(fixed_count) : "f") + "|";
    auto add = [&](const ArgPlan& a) {
        k += std::to_string(int(a.kind)) + ":" + a.type.text() + ":" + (a.flatten ? "f" : "") +
             (a.sign ? "s" : "") + (a.byval ? "b" : "") + std::to_string(a.align) + ":" +
             std::to_string(a.size) + ":" + std::to_string(a.offset) + ";";
    };
    add(ret);
    for (const ArgPlan& a : args) add(a);
    return k;
}

const Classifier& classifier_for(const Target& target) {
    if (target.arch == Arch::X64) {
        if (target.os != OS::Linux)
            fail(ErrorCode::UNSUPPORTED, "no calling-convention classifier for target '" +
                                             target.triple + "' (x86-64 System V on Linux only)");
        return abi::x86_64_sysv_classifier();
    }
    return abi::aarch64_classifier(target.os == OS::Darwin);
}

}  // namespace jiffi::detail

namespace jiffi::detail::abi {

void check_signature(const TypeTable& types, const CallSignature& sig) {
    // shown is t as the signature wrote it.
    auto check = [&](const Type* t, const std::string& shown, const std::string& what,
                     bool is_return) {
        if (!t) fail(ErrorCode::INVALID_ARGUMENT, what + " has no type");
        if (t->is_void()) {
            if (is_return) return;
            fail(ErrorCode::INVALID_TYPE, what + " has type void, which cannot be passed");
        }
        if (t->kind == TypeKind::Function || (is_return && t->kind == TypeKind::Array))
            fail(ErrorCode::INVALID_TYPE,
                 what + " has type '" + shown + "', which cannot be passed by value");
        if (t->kind != TypeKind::Array && !types.is_complete(t))
            fail(ErrorCode::INCOMPLETE_TYPE, what + " has incomplete type '" + shown + "'");
    };
    check(sig.ret, sig.ret ? spelled_ret(types, sig) : "", "the return value", true);
    for (size_t i = 0; i < sig.call_args.size(); ++i) {
        const Type* t = sig.call_args[i];
        // A promoted variadic argument is not the type it was written as.
        bool as_written = t && i < sig.args.size() && sig.args[i] == t;
        std::string shown = !t ? "" : as_written ? spelled_arg(types, sig, i) : types.to_string(t);
        check(t, shown, "argument " + std::to_string(i + 1), false);
    }
}

CallPlan new_plan(const TypeTable& types, const CallSignature& sig) {
    check_signature(types, sig);
    CallPlan p;
    p.triple = types.target().triple;
    p.variadic = sig.variadic_call || sig.variadic_prototype;
    p.fixed_count = sig.variadic_call ? sig.fixed_count : sig.call_args.size();
    // The C types as written where the call passes them as written; a promoted variadic
    // argument by the type it is promoted to.
    p.ret.c_type = spelled_ret(types, sig);
    p.args.resize(sig.call_args.size());
    for (size_t i = 0; i < sig.call_args.size(); ++i)
        p.args[i].c_type = i < sig.args.size() && sig.args[i] == sig.call_args[i]
                               ? spelled_arg(types, sig, i)
                               : types.to_string(sig.call_args[i]);
    return p;
}

}  // namespace jiffi::detail::abi

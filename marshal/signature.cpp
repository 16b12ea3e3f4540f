// Call signatures: slot classes and their names, default argument promotions, variadic call sites.
#include "marshal/signature.hpp"

#include "base/error.hpp"

namespace jiffi::detail {

const char* value_class_name(ValueClass c) noexcept {
    switch (c) {
#define JIFFI_VALUE_CLASS(name, cxx_name, value, text) \
    case ValueClass::cxx_name: return text;
#include "jiffi/value_classes.def"
#undef JIFFI_VALUE_CLASS
    }
    return "?";
}

ValueClass value_class(const TypeTable& types, const Type* t) {
    switch (t->kind) {
    case TypeKind::Pointer: return ValueClass::Pointer;
    case TypeKind::Enum:
        return types.is_signed_integer(t) ? ValueClass::SInt : ValueClass::UInt;
    case TypeKind::Prim:
        switch (prim_class(t->prim)) {
        case PrimClass::Void: return ValueClass::Void;
        case PrimClass::Bool: return ValueClass::UInt;
        case PrimClass::Char:
        case PrimClass::Signed:
        case PrimClass::Unsigned:
            if (types.size_of(t) > 8) return ValueClass::Memory;
            return types.is_signed_integer(t) ? ValueClass::SInt : ValueClass::UInt;
        case PrimClass::Float:
            if (t->prim == Prim::Float) return ValueClass::Float;
            if (t->prim == Prim::Double) return ValueClass::Double;
            // long double is double on targets where they are one format.
            if (types.target().long_double == LongDoubleFormat::Double) return ValueClass::Double;
            return ValueClass::Memory;
        case PrimClass::Complex: return ValueClass::Memory;
        }
        return ValueClass::Memory;
    default: return ValueClass::Memory;
    }
}

const Type* default_promotion(TypeTable& types, const Type* t) {
    if (t->kind == TypeKind::Array) return types.pointer(t->inner);
    if (t->kind == TypeKind::Function) return types.pointer(t);
    if (t->kind == TypeKind::Prim && t->prim == Prim::Float) return types.prim(Prim::Double);
    if (t->is_integer()) {
        // Integer promotion: every type whose values all fit in int becomes int.
        Prim p = types.integer_prim(t);
        switch (p) {
        case Prim::Bool:
        case Prim::Char:
        case Prim::SChar:
        case Prim::UChar:
        case Prim::Short:
        case Prim::UShort: return types.prim(Prim::Int);
        default: return t->kind == TypeKind::Enum ? types.prim(p) : t;
        }
    }
    return t;
}

std::string spelled_ret(const TypeTable& types, const CallSignature& sig) {
    return sig.ret_spelling.base.empty() ? types.to_string(sig.ret) : sig.ret_spelling.str();
}

std::string spelled_arg(const TypeTable& types, const CallSignature& sig, size_t i) {
    return i < sig.arg_spellings.size() ? sig.arg_spellings[i] : types.to_string(sig.args[i]);
}

namespace {

// The C spelling of a call signature, "ret name(args[, ...])", with its types as written
// (spelled) or structurally (for CallSignature::key).
std::string signature_text(const TypeTable& types, const CallSignature& s, bool spelled) {
    std::string params;
    for (size_t i = 0; i < s.args.size(); ++i) {
        if (i) params += ", ";
        if (s.variadic_call && i == s.fixed_count) params += "... ";
        params += spelled ? spelled_arg(types, s, i) : types.to_string(s.args[i]);
    }
    if (s.variadic_prototype) params += s.args.empty() ? "..." : ", ...";
    if (s.args.empty() && !s.variadic_prototype) params = "void";
    TypeSpelling ret = spelled && !s.ret_spelling.base.empty() ? s.ret_spelling
                                                                : types.spelling(s.ret);
    return ret.str(s.name + "(" + params + ")");
}

// Fails naming what (a position) and its type, spelled shown, when t is complete and larger
// than kMaxByValueBytes, the bound on the stack copy of a by-value value.
void check_by_value_size(TypeTable& types, const Type* t, const std::string& what,
                         const std::string& shown) {
    if (t->is_void() || t->kind == TypeKind::Function || t->kind == TypeKind::Array ||
        !types.is_complete(t))
        return;
    uint64_t size = types.size_of(t);
    if (size > kMaxByValueBytes)
        fail(ErrorCode::INVALID_TYPE,
             what + " has type '" + shown + "' of " + std::to_string(size) +
                 " bytes, more than the " + std::to_string(kMaxByValueBytes) +
                 " bytes jiffi passes by value (the copy lives on the stack): pass a pointer "
                 "to it instead");
}

}  // namespace

CallSignature make_call_signature(TypeTable& types, const Type* fn, const std::string& name,
                                  const TypeSpelling* ret_spelling,
                                  const std::vector<std::string>* param_spellings) {
    if (fn->kind != TypeKind::Function)
        fail(ErrorCode::INVALID_TYPE, "'" + types.to_string(fn) + "' is not a function type");
    CallSignature s;
    s.ret = fn->inner;
    s.args = fn->params;
    s.call_args = fn->params;
    s.fixed_count = fn->params.size();
    s.variadic_prototype = fn->variadic;
    s.name = name;
    s.ret_spelling = ret_spelling && !ret_spelling->base.empty() ? *ret_spelling
                                                                 : types.spelling(fn->inner);
    if (param_spellings && param_spellings->size() == fn->params.size()) {
        s.arg_spellings = *param_spellings;
    } else {
        for (const Type* p : fn->params) s.arg_spellings.push_back(types.to_string(p));
    }
    s.text = signature_text(types, s, true);
    s.key = signature_text(types, s, false);
    check_by_value_size(types, fn->inner, "the return value of '" + s.text + "'",
                        s.ret_spelling.str());
    for (size_t i = 0; i < fn->params.size(); ++i)
        check_by_value_size(types, fn->params[i],
                            "parameter " + std::to_string(i + 1) + " of '" + s.text + "'",
                            s.arg_spellings[i]);
    return s;
}

CallSignature make_vararg_signature(TypeTable& types, const CallSignature& proto,
                                    const std::vector<const Type*>& extra,
                                    const std::vector<std::string>* extra_spellings) {
    if (!proto.variadic_prototype)
        fail(ErrorCode::VARIADIC,
             "signature '" + proto.text + "' is not a variadic prototype");
    bool spelled = extra_spellings && extra_spellings->size() == extra.size();
    CallSignature s = proto;
    s.variadic_prototype = false;
    s.variadic_call = true;
    s.arg_spellings.resize(proto.args.size());
    for (size_t i = 0; i < proto.args.size(); ++i) s.arg_spellings[i] = spelled_arg(types, proto, i);
    for (size_t i = 0; i < extra.size(); ++i) {
        const Type* t = extra[i];
        std::string shown = spelled ? (*extra_spellings)[i] : types.to_string(t);
        if (t->is_void() || (t->kind != TypeKind::Array && t->kind != TypeKind::Function &&
                             !types.is_complete(t)))
            fail(ErrorCode::INVALID_TYPE, "variadic argument " + std::to_string(i + 1) +
                                              " has type '" + shown +
                                              "', which cannot be passed");
        check_by_value_size(types, t, "variadic argument " + std::to_string(i + 1), shown);
        const Type* slot_type = t;
        if (t->kind == TypeKind::Array) slot_type = types.pointer(t->inner);
        if (t->kind == TypeKind::Function) slot_type = types.pointer(t);
        s.args.push_back(slot_type);
        s.call_args.push_back(default_promotion(types, t));
        // An array or function passes as a pointer, which its written spelling is not.
        s.arg_spellings.push_back(slot_type == t ? shown : types.to_string(slot_type));
    }
    s.text = signature_text(types, s, true);
    s.key = signature_text(types, s, false);
    return s;
}

}  // namespace jiffi::detail

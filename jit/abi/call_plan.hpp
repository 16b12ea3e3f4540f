// CallPlan: how one C signature is passed on one target, as Clang lowers it, without LLVM.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "marshal/signature.hpp"
#include "marshal/target.hpp"
#include "marshal/type.hpp"

namespace jiffi::detail {

// An LLVM IR type described without LLVM: what a value is coerced to for the call.
struct IrType {
    enum class Kind : uint8_t { Void, Int, Float, Double, X86Fp80, Fp128, Ptr, Vector, Array, Struct };
    Kind kind = Kind::Void;
    uint32_t bits = 0;          // Int: the width (i1, i8, i16, i24, i32, i64, i128, ...)
    uint32_t count = 0;         // Vector, Array: the element count
    std::vector<IrType> elems;  // Vector, Array: the one element type; Struct: the members

    static IrType int_bits(uint32_t bits);
    static IrType f32();
    static IrType f64();
    static IrType x86_fp80();
    static IrType fp128();
    static IrType ptr();
    static IrType vector(IrType elem, uint32_t count);
    static IrType array(IrType elem, uint32_t count);
    static IrType structure(std::vector<IrType> members);

    // The type in LLVM assembly syntax ("{ i64, double }", "<2 x float>", "[3 x float]").
    std::string text() const;
    bool operator==(const IrType& o) const;
};

// How one argument or the return value travels (Clang's ABIArgInfo kinds).
enum class PassKind : uint8_t {
    Direct,    // in registers or on the stack as `type` (an aggregate coerced to it)
    Extend,    // a small integer widened by the caller (signext / zeroext)
    Indirect,  // by address: a byval copy on the stack, a pointer to a caller copy, or sret
    Ignore     // nothing is passed (empty records, void)
};

// The plan for one argument or the return value.
struct ArgPlan {
    PassKind kind = PassKind::Ignore;
    IrType type;             // Direct, Extend: the IR type the value is passed as
    bool flatten = false;    // Direct with a Struct type: passed as its members, one parameter each
    bool sign = false;       // Extend: signext (true) or zeroext (false)
    bool byval = false;      // Indirect argument: the callee owns a stack copy (byval)
    uint32_t align = 0;      // Indirect: the align attribute; Direct: alignstack (0 if none)
    uint64_t size = 0;       // the C type's size in bytes (the byval / sret pointee size)
    bool noundef = false;    // Clang marks the value noundef (scalars, not coerced aggregates)
    uint32_t gprs = 0;       // general-purpose registers it uses (0 if on the stack)
    uint32_t fprs = 0;       // floating-point/vector registers it uses (0 if on the stack)
};

// The whole lowering of a call signature on one target.
struct CallPlan {
    std::string triple;
    ArgPlan ret;                 // Indirect: returned through an sret pointer
    std::vector<ArgPlan> args;   // one per C argument (call-site types for variadic calls)
    size_t fixed_count = 0;      // arguments before "..." (all of them unless variadic)
    bool variadic = false;       // a variadic call: the LLVM function type lists only the fixed
    uint32_t stack_bytes = 0;    // bytes of arguments passed on the stack

    // A readable description, one line per argument ("arg 1 struct f2: direct <2 x float>").
    std::string describe() const;
    // The LLVM function type with parameter attributes, as Clang would declare the callee
    // ("void (ptr noundef sret([24 x i8]) align 8, i64, double, ...)").
    std::string llvm_signature() const;
    // A key that identifies the plan for stub caching.
    std::string key() const;
};

// The calling-convention classifier of one target.
class Classifier {
public:
    virtual ~Classifier() = default;
    // The plan of sig (types from types, whose target must be this classifier's). Throws
    // Error(UNSUPPORTED) for a type the target cannot pass, naming it.
    virtual CallPlan classify(const TypeTable& types, const CallSignature& sig) const = 0;
};

// The classifier of target: x86-64 System V, AArch64 AAPCS64 (Linux) or Apple arm64.
const Classifier& classifier_for(const Target& target);

}  // namespace jiffi::detail

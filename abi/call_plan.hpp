// CallPlan: how one C signature is passed on one target, as Clang lowers it, without LLVM.
//
// Notes for consumers: `variadic` is also set for the plan of a variadic prototype itself
// (its args are then the fixed ones only). Direct with a non-zero `offset` reads `type` from
// that byte offset of the C value. The only deliberate difference from Clang 19: on x86-64 an
// __int128 argument that no longer fits in two GPRs is Indirect byval (pointee i128, align 16)
// where Clang passes a plain i128 (LLVM issue 123935; GCC's placement).
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
    bool packed = false;        // Struct: a packed struct type ("<{ i8, i32 }>")

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
    uint32_t offset = 0;     // Direct: byte offset in the value where `type` starts (Clang's
                             // direct offset: 8 when the first eightbyte is only padding)
    uint32_t stack_offset = 0;  // byte offset in the outgoing stack area (if on the stack)
    bool on_stack = false;   // passed (wholly) in the stack argument area
    IrType pointee;          // Indirect: the type the pointer points to (sret / byval type)
    std::string c_type;      // the C type, for describe()
};

// The whole lowering of a call signature on one target.
struct CallPlan {
    std::string triple;
    ArgPlan ret;                 // Indirect: returned through an sret pointer
    std::vector<ArgPlan> args;   // one per C argument (call-site types for variadic calls)
    size_t fixed_count = 0;      // arguments before "..." (all of them unless variadic)
    bool variadic = false;       // a variadic call (or prototype): the LLVM function type lists only the fixed
    uint32_t stack_bytes = 0;    // bytes of arguments passed on the stack

    // A readable description, one line per argument ("arg 1 struct f2: direct <2 x float>").
    std::string describe() const;
    // The LLVM function type with parameter attributes, as Clang would declare the callee
    // ("void (ptr noundef sret([24 x i8]) align 8, i64, double, ...)").
    std::string llvm_signature() const;
    // A key that identifies the plan for stub caching.
    std::string key() const;
    // The return type with its attributes as Clang writes them ("signext i8", "void").
    std::string llvm_return() const;
    // Every IR parameter with its attributes, variadic ones included, in order (an sret
    // pointer first, flattened aggregates as one entry per member, Ignore as none).
    std::vector<std::string> llvm_params() const;
    // The number of IR parameters that belong to the fixed arguments (sret included).
    size_t llvm_fixed_param_count() const;
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

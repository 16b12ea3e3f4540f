// Call signatures: the types of a call as slots carry them and as the C call passes them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "marshal/type.hpp"

namespace jiffi::detail {

// How a value travels in a jiffi_slot: jiffi_value_class of jiffi.h, both from value_classes.def.
enum class ValueClass : int {
#define JIFFI_VALUE_CLASS(name, cxx_name, value, text) cxx_name = value,
#include "jiffi/value_classes.def"
#undef JIFFI_VALUE_CLASS
};

// The name of a value class in messages ("signed integer"), "?" for a value outside the table.
const char* value_class_name(ValueClass c) noexcept;

// The slot class of t: scalars of at most 8 bytes by kind, every other type Memory.
ValueClass value_class(const TypeTable& types, const Type* t);

// The type a variadic argument of type t is passed as after C's default argument
// promotions: float -> double, integer types of lower rank than int -> int, arrays and
// functions -> pointers; others unchanged.
const Type* default_promotion(TypeTable& types, const Type* t);

// The largest value passed or returned by value, in bytes: a callee's copy of a by-value
// aggregate lives on the stack (and libffi copies it there once more), so larger ones would
// overflow a thread's stack instead of failing (documented in docs/security.md).
constexpr uint64_t kMaxByValueBytes = 65536;

// A signature ready to call: a plain prototype, or a variadic prototype's call site.
struct CallSignature {
    const Type* ret = nullptr;
    std::vector<const Type*> args;       // argument types as the slots carry them
    std::vector<const Type*> call_args;  // as the call passes them (promoted after fixed)
    size_t fixed_count = 0;              // arguments before "..."
    bool variadic_call = false;          // a call site of a variadic prototype
    bool variadic_prototype = false;     // a variadic prototype itself (not callable)
    std::string name;                    // the prototype's name, if it had one
    std::string symbol;                  // the name's linker symbol when __asm__ renamed it
    // The return type and each of args as written (typedef names kept), for messages.
    TypeSpelling ret_spelling;
    std::vector<std::string> arg_spellings;
    std::string text;  // the signature in C syntax, spelled as written ("size_t f(wchar_t)")
    // The same with every type spelled structurally ("unsigned long f(int)"): equal for
    // spellings of one signature, so what process-wide registries (callback thunks) key on.
    std::string key;
};

// The return type of sig as written, and argument i of sig as written; the structural
// spelling when sig carries none (a signature made without the parser).
std::string spelled_ret(const TypeTable& types, const CallSignature& sig);
std::string spelled_arg(const TypeTable& types, const CallSignature& sig, size_t i);

// The call signature of function type fn (with an optional prototype name), its types
// spelled as ret_spelling and param_spellings give them (structurally when those are
// empty). Throws Error(INVALID_TYPE) naming a parameter or return type larger than
// kMaxByValueBytes.
CallSignature make_call_signature(TypeTable& types, const Type* fn, const std::string& name,
                                  const TypeSpelling* ret_spelling = nullptr,
                                  const std::vector<std::string>* param_spellings = nullptr);

// The call site of variadic prototype proto with variadic arguments of types extra, spelled
// as extra_spellings gives them (structurally when null). Throws Error(VARIADIC) if proto is
// not variadic, INVALID_TYPE for a void or incomplete extra type (naming its position).
CallSignature make_vararg_signature(TypeTable& types, const CallSignature& proto,
                                    const std::vector<const Type*>& extra,
                                    const std::vector<std::string>* extra_spellings = nullptr);

}  // namespace jiffi::detail

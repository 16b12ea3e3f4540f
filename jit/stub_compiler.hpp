// Lowering of a StubSpec to the LLVM IR of an invoker-shaped call stub (LLVM stays in the .cpp).
#pragma once

#include <string>

#include "jit/stub_spec.hpp"

namespace llvm {
class Module;
}

namespace jiffi::detail {

// The version of the code emit_stub generates: bump it whenever a stub's code changes for the
// same spec, so that the disk cache (keyed by it) never serves an old stub.
constexpr int kStubFormatVersion = 2;

// Adds to module the function `void name(ptr fn, ptr args, ptr ret)` that calls fn by the
// C ABI as spec's plan says, loading arguments from the slots at args and storing the
// result at ret by the C_API.md slot rules. Throws Error(UNSUPPORTED) naming why the JIT
// cannot serve spec, leaving module unchanged.
void emit_stub(llvm::Module& module, const StubSpec& spec, const std::string& name);

}  // namespace jiffi::detail

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
constexpr int kStubFormatVersion = 5;

// Adds to module the code spec asks for, named name. Invoker: `void name(ptr fn, ptr args,
// ptr ret)` calling fn by the C ABI as spec's plan says, loading arguments from the slots
// at args and storing the result at ret by the docs/c-api.md slot rules (ErrnoInvoker: a fourth
// `ptr err` receiving errno right after the call). Thunk: a function of the plan's own C
// signature taking a callback slot in its nest register, which stores its arguments into
// slots, calls the slot's handler and returns what the handler left. Throws
// Error(UNSUPPORTED) naming why the JIT cannot serve spec, leaving module unchanged.
void emit_stub(llvm::Module& module, const StubSpec& spec, const std::string& name);

}  // namespace jiffi::detail

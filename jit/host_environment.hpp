// What compiled stubs depend on besides their specs: the stub format, the LLVM that made them,
// and the host CPU as its feature words describe it. Computed the same way by the core and by
// the JIT plugin, without LLVM, so that the core can check a cached stub's environment
// before it maps the stub itself (docs/design.md "Cached stubs without LLVM").
#pragma once

#include <string>

namespace jiffi::detail {

// "jiffi stubs N; LLVM V; <arch>; cpu <feature words in hex>; codegen O0", the same for two
// processes on one machine, different wherever the code LLVM makes for the host may differ.
const std::string& host_environment();

}  // namespace jiffi::detail

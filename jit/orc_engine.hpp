// The process's one ORC LLJIT, inside the JIT plugin: compiles batches of stub specs to native
// code (no LLVM in this header).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "jiffi/jiffi.h"
#include "jit/stub_spec.hpp"
#include "jit/jit_plugin.hpp"
#include "base/error.hpp"

namespace jiffi::detail {

// Native code of one compiled module; the code is freed when the last owner lets go.
class OrcBlock;

// The result of compiling a batch: the new specs as one module, cached ones from their objects.
struct OrcBatch {
    std::vector<jiffi_invoker> code;                   // per spec: the stub, or null when it failed
    std::vector<std::shared_ptr<OrcBlock>> blocks;    // per spec: the code holding its stub, or null
    std::vector<std::shared_ptr<const Error>> errors;  // per spec: why it failed, or null
};

// One LLJIT per process, created on first use; every method is thread-safe. The disk cache
// is off until the core gives its directory (set_cache_dir).
class OrcEngine {
public:
    // The engine, created on the first call; throws Error(JIT) if LLVM cannot target the host.
    static OrcEngine& instance();

    // Loads the specs' stubs from the disk cache when it is on, and compiles the others as
    // one optimized module (stored in the cache). A spec the JIT cannot serve gets its
    // Error(UNSUPPORTED) and no code; the others still compile. Throws Error(JIT) when LLVM
    // fails on the module as a whole.
    OrcBatch compile(const std::vector<const StubSpec*>& specs);

    // Uses dir as the disk cache of compiled stubs from now on (created 0700 if missing); an
    // empty dir turns the cache off. Throws Error(INVALID_ARGUMENT) for a dir that cannot be
    // used or trusted (not the effective user's, or writable by group or others).
    void set_cache_dir(const std::string& dir);
    // What the disk cache's files depend on besides spec keys: stub format, LLVM, host CPU.
    const std::string& cache_environment() const;

    // The LLVM IR of spec's stub after optimization, for tests and the CLI.
    std::string stub_ir(const StubSpec& spec);

    JitEngineStats stats() const;

    // Removes a code block's resource tracker (called by ~OrcBlock).
    void remove(OrcBlock& block) noexcept;

    // Before fork(): waits out an engine being created and takes the engine's lock, so that
    // no compile (nor any LLVM state it changes) is in progress in the child.
    static void fork_prepare() noexcept;
    // After fork(): releases what fork_prepare took (in the parent and the child alike).
    static void fork_release() noexcept;

    struct Impl;

private:
    OrcEngine();
    std::unique_ptr<Impl> impl_;
};

}  // namespace jiffi::detail

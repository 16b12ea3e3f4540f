// The process's one ORC LLJIT: compiles batches of stub specs to native code (no LLVM here).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "jiffi/jiffi.h"
#include "jit/stub_spec.hpp"
#include "marshal/error.hpp"

namespace jiffi::detail {

// Native code of one compiled module; the code is freed when the last owner lets go.
class CodeBlock;

// The result of compiling a batch: one module, one resource tracker.
struct CompiledBatch {
    std::shared_ptr<CodeBlock> block;  // null when nothing compiled
    std::vector<jiffi_invoker> code;   // per spec: the stub, or null when it failed
    std::vector<std::shared_ptr<const Error>> errors;  // per spec: why it failed, or null
};

// Counters of the engine's work, for tests and statistics.
struct JitEngineStats {
    uint64_t stubs_compiled = 0;   // stubs that reached native code
    uint64_t modules_compiled = 0; // batches (one module each) that reached native code
    uint64_t live_blocks = 0;      // modules whose code is still mapped
    double compile_seconds = 0;    // time spent building, optimizing and linking modules
    double emit_seconds = 0;       //   of which building the IR
    double optimize_seconds = 0;   //   of which the O2 pipeline
};

// One LLJIT per process, created on first use; every method is thread-safe.
class JitEngine {
public:
    // The engine, created on the first call; throws Error(JIT) if LLVM cannot target the host.
    static JitEngine& instance();

    // Compiles the specs as one optimized module under a new resource tracker. A spec the
    // JIT cannot serve gets its Error(UNSUPPORTED) and no code; the others still compile.
    // Throws Error(JIT) when LLVM fails on the module as a whole.
    CompiledBatch compile(const std::vector<const StubSpec*>& specs);

    // The LLVM IR of spec's stub after optimization, for tests and the CLI.
    std::string stub_ir(const StubSpec& spec);

    JitEngineStats stats() const;

    // Removes a code block's resource tracker (called by ~CodeBlock).
    void remove(CodeBlock& block) noexcept;

    struct Impl;

private:
    JitEngine();
    std::unique_ptr<Impl> impl_;
};

}  // namespace jiffi::detail

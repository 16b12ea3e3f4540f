// The interface between the core and the JIT plugin (libjiffi-jit.so, which holds LLVM): the
// core hands it batches of stub specs and gets native code back (docs/design.md "The core
// and its plugins"). No LLVM type crosses it; no exception crosses it either.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "jiffi/jiffi.h"
#include "jit/stub_compiler.hpp"
#include "jit/stub_spec.hpp"
#include "base/error.hpp"

namespace jiffi::detail {

// Counters of the engine's work, for tests and statistics.
struct JitEngineStats {
    uint64_t stubs_compiled = 0;   // stubs that reached native code through LLVM's codegen
    uint64_t modules_compiled = 0; // modules that reached native code (a large batch makes two)
    uint64_t live_blocks = 0;      // objects (compiled or loaded) whose code is still mapped
    double compile_seconds = 0;    // time spent in compile(): building, optimizing, linking
    // Thread time of its phases (a large batch is built on two threads at once):
    double emit_seconds = 0;       //   building the IR
    double optimize_seconds = 0;   //   the IR passes
    double codegen_seconds = 0;    //   machine-code generation
    double link_seconds = 0;       //   loading objects into memory (JITLink)
    uint64_t cache_hits = 0;       // stubs loaded from the disk cache
    uint64_t cache_misses = 0;     // stubs looked up in the disk cache and compiled
};

// What the plugin made of a batch, per spec: the stub (null when it failed), the plugin's
// handle of the code holding it (one reference, given back by release_block), and why it
// failed.
struct PluginBatch {
    std::vector<jiffi_invoker> code;
    std::vector<void*> blocks;
    std::vector<std::shared_ptr<const Error>> errors;
};

// The plugin's engine. Every method is thread-safe and noexcept: failures come back as
// Errors, never as exceptions across the library boundary.
class JitPlugin {
public:
    // Compiles specs (or loads them from the disk cache) into out; a failure of the batch as
    // a whole (LLVM failing on the module) is returned instead, with out left empty.
    virtual std::shared_ptr<const Error> compile(const std::vector<const StubSpec*>& specs,
                                                 PluginBatch& out) noexcept = 0;
    // Drops one reference to a block from compile; the last one frees its code.
    virtual void release_block(void* block) noexcept = 0;
    // Uses dir as the disk cache from now on ("" turns it off); the Error when dir cannot be
    // used or trusted.
    virtual std::shared_ptr<const Error> set_cache_dir(const std::string& dir) noexcept = 0;
    // What the disk cache's files depend on besides spec keys.
    virtual std::string cache_environment() const noexcept = 0;
    // The LLVM IR of spec's stub after optimization into ir, or the Error.
    virtual std::shared_ptr<const Error> stub_ir(const StubSpec& spec, std::string& ir) noexcept = 0;
    virtual JitEngineStats stats() const noexcept = 0;
    // Before fork(): takes the engine's locks; after fork(): releases them (parent and child).
    virtual void fork_prepare() noexcept = 0;
    virtual void fork_release() noexcept = 0;

protected:
    ~JitPlugin() = default;  // the plugin's engine lives as long as the process
};

// The version of this interface; the plugin refuses a core of another.
constexpr uint32_t kJitPluginInterface = 2;

// What both sides were built from, as text: the interface version, the stub format, the
// compiler and the sizes of the types that cross. A plugin of another build is refused.
inline std::string jit_plugin_build() {
    return "jiffi-jit " + std::to_string(kJitPluginInterface) + "; stubs " + std::to_string(kStubFormatVersion) +
           "; " + __VERSION__ + "; " + std::to_string(sizeof(StubSpec)) + " " + std::to_string(sizeof(CallPlan)) +
           " " + std::to_string(sizeof(Error)) + " " + std::to_string(sizeof(PluginBatch)) + " " +
           std::to_string(sizeof(JitEngineStats));
}

// The plugin's one exported function: its engine, created on the first call, when build is
// its own jit_plugin_build(); otherwise (or when LLVM cannot target the host) null, with the
// reason in why (of why_size bytes, NUL-terminated).
using JitPluginEntry = JitPlugin* (*)(const char* build, char* why, size_t why_size);
constexpr const char* kJitPluginEntryName = "jiffi_jit_plugin";

}  // namespace jiffi::detail

// The core's side of the JIT: the plugin holding LLVM (libjiffi-jit.so), loaded on first need,
// and the code it makes. Nothing here links LLVM (docs/design.md "The core and its plugins").
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "jiffi/jiffi.h"
#include "jit/jit_plugin.hpp"
#include "jit/object_loader.hpp"
#include "jit/stub_spec.hpp"
#include "base/error.hpp"

namespace jiffi::detail {

// Native code of one compiled module: as the plugin gave it (the plugin frees the code when
// the last owner of every block naming it lets go), or a cached object the core mapped
// itself (unmapped with the block).
class CodeBlock {
public:
    CodeBlock(JitPlugin& plugin, void* handle) : plugin_(&plugin), handle_(handle) {}
    explicit CodeBlock(std::unique_ptr<LoadedObject> mapped) : mapped_(std::move(mapped)) {}
    ~CodeBlock() {
        if (plugin_) plugin_->release_block(handle_);
    }
    CodeBlock(const CodeBlock&) = delete;
    CodeBlock& operator=(const CodeBlock&) = delete;

private:
    JitPlugin* plugin_ = nullptr;
    void* handle_ = nullptr;
    std::unique_ptr<LoadedObject> mapped_;
};

// The result of compiling a batch: the new specs as one module, cached ones from their objects.
struct CompiledBatch {
    std::vector<jiffi_invoker> code;                   // per spec: the stub, or null when it failed
    std::vector<std::shared_ptr<CodeBlock>> blocks;    // per spec: the code holding its stub, or null
    std::vector<std::shared_ptr<const Error>> errors;  // per spec: why it failed, or null
};

// The JIT as the core sees it: one plugin per process, loaded by the first call of instance()
// (from an absolute $JIFFI_JIT_LIB, beside the jiffi library, or from the installed private
// library directory) and never unloaded. Every method is thread-safe.
class JitEngine {
public:
    // The engine, loading the plugin on the first call; throws Error(NOT_AVAILABLE) naming
    // the places tried when no plugin loads, Error(JIT) when LLVM cannot target the host.
    // A failed load is retried by the next call.
    static JitEngine& instance();
    // True once the plugin is loaded (never loads it).
    static bool loaded() noexcept;
    // Loads the specs' stubs from the disk cache when it is on, and compiles the others as
    // one optimized module (stored in the cache). A spec the JIT cannot serve gets its
    // Error(UNSUPPORTED) and no code; the others still compile. Throws Error(JIT) when LLVM
    // fails on the module as a whole.
    CompiledBatch compile(const std::vector<const StubSpec*>& specs);
    // Uses dir as the disk cache of compiled stubs from now on (created 0700 if missing), for
    // the core and the plugin (set_jit_cache_dir); an empty dir turns the cache off. Throws Error(INVALID_ARGUMENT) for a dir that cannot be
    // used or trusted (not the effective user's, or writable by group or others).
    void set_cache_dir(const std::string& dir);
    // What the disk cache's files depend on besides spec keys: stub format, LLVM, host CPU.
    std::string cache_environment() const;
    // The LLVM IR of spec's stub after optimization, for tests and the CLI.
    std::string stub_ir(const StubSpec& spec);
    JitEngineStats stats() const;
    // The absolute path the plugin was loaded from.
    const std::string& plugin_path() const { return path_; }

    // Before fork(): waits out a plugin being loaded and takes the engine's locks, so that no
    // compile (nor any LLVM state it changes) is in progress in the child.
    static void fork_prepare() noexcept;
    // After fork(): releases what fork_prepare took (in the parent and the child alike).
    static void fork_release() noexcept;

private:
    friend void set_jit_cache_dir(const std::string& dir);
    JitEngine(JitPlugin& plugin, std::string path) : plugin_(plugin), path_(std::move(path)) {}

    JitPlugin& plugin_;
    std::string path_;
};

// Sets the process's JIT disk cache directory (empty: off), for jiffi_jit_set_cache_dir: the
// core's and, once loaded, the plugin's. Throws Error(INVALID_ARGUMENT) for a directory that
// cannot be used or trusted. Never loads the plugin.
void set_jit_cache_dir(const std::string& dir);

// The stubs of specs: those whose objects are in the disk cache mapped by the core itself
// (no plugin, no LLVM), the others compiled by the plugin (loaded then if it is not yet).
// Throws as JitEngine::compile.
CompiledBatch compile_stubs(const std::vector<const StubSpec*>& specs);

// True when the disk cache is on and holds a file for every spec (none a batch), so that
// compile_stubs will most likely need no plugin (a file found damaged is compiled after all).
// Looks at names only: reads and maps nothing.
bool stubs_on_disk(const std::vector<const StubSpec*>& specs);

// Stubs the core mapped from the disk cache (for statistics and tests).
uint64_t core_cache_hits() noexcept;

}  // namespace jiffi::detail

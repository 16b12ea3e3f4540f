// The core's side of the JIT: loads libjiffi-jit.so once and forwards to it.
#include "jit/jit_engine.hpp"

#include <dlfcn.h>

#include <atomic>
#include <mutex>

#include "base/plugin_loader.hpp"

namespace jiffi::detail {

namespace {

// The engine once loaded (never destroyed: stubs may be released by other static destructors
// at exit), the lock its loading holds (which fork_prepare takes to wait it out), and the
// thunk runtime to hand to the plugin.
std::atomic<JitEngine*> the_engine{nullptr};
std::mutex engine_load_mu;
ThunkRuntime thunk_rt;
bool thunk_rt_set = false;

// Rethrows a plugin's error as this side's exception.
void raise(const std::shared_ptr<const Error>& e) {
    if (e) throw Error(*e);
}

}  // namespace

JitEngine& JitEngine::instance() {
    if (JitEngine* e = the_engine.load(std::memory_order_acquire)) return *e;
    std::lock_guard<std::mutex> lock(engine_load_mu);
    if (JitEngine* e = the_engine.load(std::memory_order_relaxed)) return *e;
    std::string why;
    LoadedPlugin p = load_plugin("libjiffi-jit.so", "JIFFI_JIT_LIB", kJitPluginEntryName, why);
    if (!p.handle)
        fail(ErrorCode::NOT_AVAILABLE,
             "the JIT needs its plugin libjiffi-jit.so (set JIFFI_JIT_LIB to its absolute path); " + why);
    auto entry = reinterpret_cast<JitPluginEntry>(::dlsym(p.handle, kJitPluginEntryName));
    char reason[1024] = "";
    JitPlugin* plugin = entry(jit_plugin_build().c_str(), reason, sizeof reason);
    if (!plugin) fail(ErrorCode::JIT, "the JIT plugin " + p.path + " cannot be used: " + reason);
    if (thunk_rt_set) plugin->set_thunk_runtime(thunk_rt);
    auto* e = new JitEngine(*plugin, p.path);
    the_engine.store(e, std::memory_order_release);
    return *e;
}

bool JitEngine::loaded() noexcept { return the_engine.load(std::memory_order_acquire) != nullptr; }

CompiledBatch JitEngine::compile(const std::vector<const StubSpec*>& specs) {
    PluginBatch batch;
    raise(plugin_.compile(specs, batch));
    CompiledBatch out;
    out.code = std::move(batch.code);
    out.errors = std::move(batch.errors);
    out.blocks.assign(specs.size(), nullptr);
    for (size_t i = 0; i < specs.size(); ++i) {
        if (!batch.blocks[i]) continue;
        try {
            out.blocks[i] = std::make_shared<CodeBlock>(plugin_, batch.blocks[i]);
        } catch (...) {
            for (size_t j = i; j < specs.size(); ++j)
                if (batch.blocks[j]) plugin_.release_block(batch.blocks[j]);
            throw;
        }
    }
    return out;
}

void JitEngine::set_cache_dir(const std::string& dir) { raise(plugin_.set_cache_dir(dir)); }

std::string JitEngine::cache_environment() const { return plugin_.cache_environment(); }

std::string JitEngine::stub_ir(const StubSpec& spec) {
    std::string ir;
    raise(plugin_.stub_ir(spec, ir));
    return ir;
}

JitEngineStats JitEngine::stats() const { return plugin_.stats(); }

void JitEngine::set_thunk_runtime(const ThunkRuntime& rt) noexcept {
    std::lock_guard<std::mutex> lock(engine_load_mu);
    thunk_rt = rt;
    thunk_rt_set = true;
    if (JitEngine* e = the_engine.load(std::memory_order_relaxed)) e->plugin_.set_thunk_runtime(rt);
}

void JitEngine::fork_prepare() noexcept {
    engine_load_mu.lock();
    if (JitEngine* e = the_engine.load(std::memory_order_relaxed)) e->plugin_.fork_prepare();
}

void JitEngine::fork_release() noexcept {
    if (JitEngine* e = the_engine.load(std::memory_order_relaxed)) e->plugin_.fork_release();
    engine_load_mu.unlock();
}

void set_jit_cache_dir(const std::string& dir) { JitEngine::instance().set_cache_dir(dir); }

}  // namespace jiffi::detail

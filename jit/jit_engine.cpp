// The core's side of the JIT: loads libjiffi-jit.so once and forwards to it.
#include "jit/jit_engine.hpp"

#include <dlfcn.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "base/plugin_loader.hpp"
#include "base/secure_io.hpp"
#include "jit/host_environment.hpp"
#include "jit/object_cache.hpp"

namespace jiffi::detail {

namespace {

// The engine once loaded (never destroyed: stubs may be released by other static destructors
// at exit), and the lock its loading holds (which fork_prepare takes to wait it out).
std::atomic<JitEngine*> the_engine{nullptr};
std::mutex engine_load_mu;

// The disk cache as the core uses it: the directory's ObjectCache (null when off), made from
// $JIFFI_JIT_CACHE_DIR on first use or set by jiffi_jit_set_cache_dir; and the objects the
// core mapped from it that are still in use, by file id, so one file is mapped once.
struct CoreDiskCache {
    std::mutex mu;
    bool initialized = false;
    std::string dir;
    std::shared_ptr<ObjectCache> cache;
    struct Mapped {
        std::weak_ptr<CodeBlock> block;
        std::vector<jiffi_invoker> code;
    };
    std::unordered_map<uint64_t, Mapped> mapped;
};

CoreDiskCache& core_disk() {
    static auto* d = new CoreDiskCache();  // never destroyed: blocks may outlive static destructors
    return *d;
}

std::atomic<uint64_t> core_hits{0};

// The cache to use now (null when off); d.mu is held.
std::shared_ptr<ObjectCache> current_cache_locked(CoreDiskCache& d) {
    if (!d.initialized) {
        d.initialized = true;
        if (const char* dir = env_get("JIFFI_JIT_CACHE_DIR"); dir && *dir) {
            // A cache the environment names but that cannot be used or trusted only costs
            // recompilation; JIFFI_LOG=cache says why.
            try {
                d.cache = std::make_shared<ObjectCache>(dir, host_environment());
                d.dir = dir;
            } catch (const Error& e) {
                log_once("cache", "JIFFI_JIT_CACHE_DIR: " + e.message());
            }
        }
    }
    return d.cache;
}

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
    {
        // The plugin stores into the directory the core reads.
        CoreDiskCache& d = core_disk();
        std::lock_guard<std::mutex> disk(d.mu);
        current_cache_locked(d);
        if (std::shared_ptr<const Error> e = plugin->set_cache_dir(d.dir))
            log_once("cache", "the JIT plugin cannot use the cache directory: " + e->message());
    }
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

void JitEngine::set_cache_dir(const std::string& dir) { set_jit_cache_dir(dir); }

std::string JitEngine::cache_environment() const { return plugin_.cache_environment(); }

std::string JitEngine::stub_ir(const StubSpec& spec) {
    std::string ir;
    raise(plugin_.stub_ir(spec, ir));
    return ir;
}

JitEngineStats JitEngine::stats() const {
    JitEngineStats s = plugin_.stats();
    s.cache_hits += core_cache_hits();  // stubs the core mapped from the disk cache itself
    s.live_blocks += ObjectLoader::live();
    return s;
}

void JitEngine::fork_prepare() noexcept {
    engine_load_mu.lock();
    core_disk().mu.lock();
    if (JitEngine* e = the_engine.load(std::memory_order_relaxed)) e->plugin_.fork_prepare();
}

void JitEngine::fork_release() noexcept {
    if (JitEngine* e = the_engine.load(std::memory_order_relaxed)) e->plugin_.fork_release();
    core_disk().mu.unlock();
    engine_load_mu.unlock();
}

void set_jit_cache_dir(const std::string& dir) {
    std::lock_guard<std::mutex> load(engine_load_mu);
    std::shared_ptr<ObjectCache> cache;
    if (!dir.empty()) cache = std::make_shared<ObjectCache>(dir, host_environment());
    CoreDiskCache& d = core_disk();
    {
        std::lock_guard<std::mutex> disk(d.mu);
        d.initialized = true;
        d.cache = std::move(cache);
        d.dir = dir;
    }
    if (JitEngine* e = the_engine.load(std::memory_order_relaxed)) raise(e->plugin_.set_cache_dir(dir));
}

CompiledBatch compile_stubs(const std::vector<const StubSpec*>& specs) {
    CompiledBatch out;
    out.code.assign(specs.size(), nullptr);
    out.blocks.assign(specs.size(), nullptr);
    out.errors.assign(specs.size(), nullptr);
    std::vector<const StubSpec*> rest;
    std::vector<size_t> rest_at;
    CoreDiskCache& d = core_disk();
    std::shared_ptr<ObjectCache> cache;
    {
        std::lock_guard<std::mutex> disk(d.mu);
        cache = current_cache_locked(d);
    }
    // A batch holding process-bound code (compiled batches) neither comes from nor goes to the disk.
    bool cached = cache && ObjectLoader::supported() &&
                  std::all_of(specs.begin(), specs.end(), [](const StubSpec* s) { return s->cacheable(); });
    for (size_t i = 0; i < specs.size(); ++i) {
        if (cached && !out.code[i]) {
            std::string key = specs[i]->key();
            if (std::optional<CachedObject> obj = cache->find(key)) {
                std::shared_ptr<CodeBlock> block;
                std::vector<jiffi_invoker> code;
                {
                    std::lock_guard<std::mutex> disk(d.mu);
                    auto it = d.mapped.find(obj->id);
                    if (it != d.mapped.end() && (block = it->second.block.lock())) code = it->second.code;
                }
                if (!block) {
                    std::string why;
                    std::unique_ptr<LoadedObject> mapped = ObjectLoader::load(obj->object, obj->keys.size(), why);
                    if (mapped) {
                        code = mapped->code();
                        block = std::make_shared<CodeBlock>(std::move(mapped));
                        std::lock_guard<std::mutex> disk(d.mu);
                        for (auto it = d.mapped.begin(); it != d.mapped.end();)
                            it = it->second.block.expired() ? d.mapped.erase(it) : std::next(it);
                        d.mapped[obj->id] = CoreDiskCache::Mapped{block, code};
                    } else {
                        log_once("cache", "a cached stub object cannot be mapped (" + why + "); compiling it");
                    }
                }
                if (block) {
                    // The object serves every spec of this batch it holds, not only specs[i].
                    for (size_t j = i; j < specs.size(); ++j) {
                        if (out.code[j]) continue;
                        std::string kj = j == i ? key : specs[j]->key();
                        for (size_t k = 0; k < obj->keys.size(); ++k)
                            if (obj->keys[k] == kj) {
                                out.code[j] = code[k];
                                out.blocks[j] = block;
                                core_hits.fetch_add(1, std::memory_order_relaxed);
                                break;
                            }
                    }
                }
            }
        }
        if (!out.code[i]) {
            rest.push_back(specs[i]);
            rest_at.push_back(i);
        }
    }
    if (rest.empty()) return out;
    CompiledBatch made = JitEngine::instance().compile(rest);
    for (size_t k = 0; k < rest.size(); ++k) {
        out.code[rest_at[k]] = made.code[k];
        out.blocks[rest_at[k]] = std::move(made.blocks[k]);
        out.errors[rest_at[k]] = std::move(made.errors[k]);
    }
    return out;
}

bool stubs_on_disk(const std::vector<const StubSpec*>& specs) {
    CoreDiskCache& d = core_disk();
    std::shared_ptr<ObjectCache> cache;
    {
        std::lock_guard<std::mutex> disk(d.mu);
        cache = current_cache_locked(d);
    }
    if (!cache || !ObjectLoader::supported() || specs.empty()) return false;
    for (const StubSpec* s : specs) {
        struct stat st {};
        if (!s->cacheable() || ::lstat(cache->path_of(s->key()).c_str(), &st) != 0 || !S_ISREG(st.st_mode))
            return false;
    }
    return true;
}

uint64_t core_cache_hits() noexcept { return core_hits.load(std::memory_order_relaxed); }

}  // namespace jiffi::detail

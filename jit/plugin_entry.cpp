// libjiffi-jit.so's one exported function: the ORC engine behind the JitPlugin interface.
#include <cstdio>
#include <cstring>
#include <exception>
#include <mutex>
#include <new>

#include "jit/jit_plugin.hpp"
#include "jit/orc_engine.hpp"

namespace jiffi::detail {
namespace {

// The Error of the exception being handled (an Error, out of memory, or anything else).
std::shared_ptr<const Error> current_error(const char* doing) noexcept {
    try {
        try {
            throw;
        } catch (const Error& e) {
            return std::make_shared<const Error>(e);
        } catch (const std::bad_alloc&) {
            return std::make_shared<const Error>(ErrorCode::OUT_OF_MEMORY, std::string("out of memory ") + doing);
        } catch (const std::exception& e) {
            return std::make_shared<const Error>(ErrorCode::INTERNAL, std::string(doing) + ": " + e.what());
        } catch (...) {
            return std::make_shared<const Error>(ErrorCode::INTERNAL, std::string(doing) + ": unknown exception");
        }
    } catch (...) {
        return nullptr;  // no memory even for the error: the caller reports that
    }
}

// The engine seen through the plugin interface. A block handle is a heap copy of the
// engine's shared pointer to the code, one per spec served.
class OrcPlugin final : public JitPlugin {
public:
    explicit OrcPlugin(OrcEngine& engine) : engine_(engine) {}

    std::shared_ptr<const Error> compile(const std::vector<const StubSpec*>& specs, PluginBatch& out) noexcept override {
        try {
            OrcBatch batch = engine_.compile(specs);
            out.code = std::move(batch.code);
            out.errors = std::move(batch.errors);
            out.blocks.assign(specs.size(), nullptr);
            for (size_t i = 0; i < specs.size(); ++i)
                if (batch.blocks[i]) out.blocks[i] = new std::shared_ptr<OrcBlock>(std::move(batch.blocks[i]));
            return nullptr;
        } catch (...) {
            for (void* b : out.blocks) release_block(b);
            out = PluginBatch{};
            return current_error("compiling stubs");
        }
    }

    void release_block(void* block) noexcept override { delete static_cast<std::shared_ptr<OrcBlock>*>(block); }

    std::shared_ptr<const Error> set_cache_dir(const std::string& dir) noexcept override {
        try {
            engine_.set_cache_dir(dir);
            return nullptr;
        } catch (...) {
            return current_error("setting the JIT cache directory");
        }
    }

    std::string cache_environment() const noexcept override {
        try {
            return engine_.cache_environment();
        } catch (...) {
            return std::string();
        }
    }

    std::shared_ptr<const Error> stub_ir(const StubSpec& spec, std::string& ir) noexcept override {
        try {
            ir = engine_.stub_ir(spec);
            return nullptr;
        } catch (...) {
            return current_error("printing a stub's IR");
        }
    }

    JitEngineStats stats() const noexcept override { return engine_.stats(); }

    void fork_prepare() noexcept override { OrcEngine::fork_prepare(); }
    void fork_release() noexcept override { OrcEngine::fork_release(); }

private:
    OrcEngine& engine_;
};

std::mutex plugin_mu;

}  // namespace
}  // namespace jiffi::detail

extern "C" __attribute__((visibility("default"))) jiffi::detail::JitPlugin* jiffi_jit_plugin(const char* build,
                                                                                            char* why,
                                                                                            size_t why_size) {
    using namespace jiffi::detail;
    auto say = [&](const std::string& text) {
        if (why && why_size) std::snprintf(why, why_size, "%s", text.c_str());
    };
    std::string ours = jit_plugin_build();
    if (!build || ours != build) {
        say("it was built as '" + ours + "', the core as '" + std::string(build ? build : "(null)") + "'");
        return nullptr;
    }
    std::lock_guard<std::mutex> lock(plugin_mu);
    static OrcPlugin* plugin = nullptr;  // never destroyed: code lives until the process ends
    if (plugin) return plugin;
    try {
        plugin = new OrcPlugin(OrcEngine::instance());
    } catch (...) {
        std::shared_ptr<const Error> e = current_error("starting the JIT");
        say(e ? e->message() : "out of memory starting the JIT");
        return nullptr;
    }
    return plugin;
}

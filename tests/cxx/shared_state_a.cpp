// One of two shared objects built with hidden visibility, each linking libjiffi.so: this one
// sets the C++ API's process-wide state (test_cxx_shared_state reads it through the other).
#include <stdexcept>

#include "jiffi/callback.hpp"
#include "jiffi/memory.hpp"
#include "jiffi/registry.hpp"

#define EXPORT extern "C" __attribute__((visibility("default")))

EXPORT jiffi::CallbackErrorHook dso_a_set_hook(jiffi::CallbackErrorHook hook) {
    return jiffi::set_callback_error_hook(hook);
}

EXPORT void* dso_a_default_runtime() { return &jiffi::default_runtime(); }
EXPORT void* dso_a_default_registry() { return &jiffi::default_registry(); }
EXPORT void* dso_a_thread_memory_pool() { return &jiffi::thread_memory_pool(); }

// Registers "dso_a_triple" (x -> 3x) in the named-callback registry.
EXPORT void dso_a_define_triple() {
    static jiffi::Context ctx;
    jiffi::defcallback<int(int)>(ctx, "dso_a_triple", "int (int)", [](int x) { return 3 * x; });
}

// A callback int (const void *, const void *) whose handler always throws "from dso a".
EXPORT void* dso_a_throwing_compare() {
    static jiffi::Context ctx;
    static jiffi::Callback cb = jiffi::make_callback<int(const void*, const void*)>(
        ctx, "int (const void *, const void *)",
        [](const void*, const void*) -> int { throw std::runtime_error("from dso a"); });
    return cb.code();
}

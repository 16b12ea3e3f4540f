// The other of the two shared objects (see shared_state_a.cpp): it reads the state the first
// one set, through its own copy of the C++ API's inline code.
#include <cstring>
#include <stdexcept>

#include "jiffi/callback.hpp"
#include "jiffi/memory.hpp"
#include "jiffi/registry.hpp"

#define EXPORT extern "C" __attribute__((visibility("default")))

// The hook currently set (left in place).
EXPORT jiffi::CallbackErrorHook dso_b_current_hook() {
    jiffi::CallbackErrorHook hook = jiffi::set_callback_error_hook(nullptr);
    jiffi::set_callback_error_hook(hook);
    return hook;
}

EXPORT void* dso_b_default_runtime() { return &jiffi::default_runtime(); }
EXPORT void* dso_b_default_registry() { return &jiffi::default_registry(); }
EXPORT void* dso_b_thread_memory_pool() { return &jiffi::thread_memory_pool(); }

// The code of the callback registered as name, or null when this object's registry has none.
EXPORT void* dso_b_callback(const char* name) {
    try {
        return reinterpret_cast<void*>(jiffi::callback<int(int)>(name));
    } catch (const jiffi::Error&) {
        return nullptr;
    }
}

// Sorts three ints with qsort bound here, through compare; 1 when this object's call
// rethrew the handler's exception "from dso a", 0 when the call returned normally.
EXPORT int dso_b_qsort_rethrows(void* compare) {
    jiffi::Context ctx;
    jiffi::Library libc = ctx.open("libc");
    jiffi::Function qsort_fn =
        libc.bind("qsort", ctx.signature("void qsort(void *, size_t, size_t, int (*)(const void *, const void *))"));
    int v[3] = {3, 1, 2};
    try {
        qsort_fn.call(static_cast<void*>(v), size_t(3), sizeof(int), compare);
    } catch (const std::runtime_error& e) {
        return std::strcmp(e.what(), "from dso a") == 0;
    }
    return 0;
}

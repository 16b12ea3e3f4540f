// The C++ API's process-wide state, defined once in libjiffi so that every shared object
// using the API sees the same one (docs/design.md "The C++ API").
#include "jiffi/callback.hpp"
#include "jiffi/memory.hpp"
#include "jiffi/registry.hpp"

namespace jiffi {

namespace detail_api {

CallbackState& callback_state() {
    thread_local CallbackState state;
    return state;
}

std::atomic<CallbackErrorHook>& callback_error_hook() {
    static std::atomic<CallbackErrorHook> hook{nullptr};
    return hook;
}

}  // namespace detail_api

// Made on first use and never destroyed: callbacks and bindings may outlive static
// destructors of other translation units.
CallbackRegistry& CallbackRegistry::global() {
    static CallbackRegistry* r = new CallbackRegistry();
    return *r;
}

Runtime& default_runtime() {
    static Runtime* rt = new Runtime();
    return *rt;
}

SignatureRegistry& default_registry() {
    static SignatureRegistry* r = new SignatureRegistry();
    return *r;
}

MemoryPool& thread_memory_pool() {
    thread_local MemoryPool pool;
    return pool;
}

}  // namespace jiffi

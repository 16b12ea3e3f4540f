// The C++ API's process-wide state, defined once in libjiffi so that every shared object
// using the API sees the same one (docs/design.md "The C++ API"): the thread's callback
// state, the default runtime and signature registry, the thread's memory pool and binding
// key buffer. The callback
// error hook and named callbacks are in cxx/callback.cpp.
#include "cxx/marshal.hpp"
#include "jiffi/memory.hpp"
#include "jiffi/registry.hpp"
#include "jiffi/runtime.hpp"

namespace jiffi {

namespace detail_api {

CallbackState& callback_state() {
    thread_local CallbackState state;
    return state;
}

}  // namespace detail_api

// Made on first use and never destroyed: bindings may outlive static destructors of other
// translation units.
Runtime& default_runtime() {
    static Runtime* rt = new Runtime();
    return *rt;
}

SignatureRegistry& default_registry() {
    static SignatureRegistry* r = new SignatureRegistry();
    return *r;
}

namespace detail_ff {

std::string& binding_key_buffer() {
    thread_local std::string key;
    return key;
}

}  // namespace detail_ff

MemoryPool& thread_memory_pool() {
    thread_local MemoryPool pool;
    return pool;
}

}  // namespace jiffi

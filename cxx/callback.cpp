// Callbacks of the C++ API: the handler that runs a type-erased C++ callable and keeps its
// exceptions out of C frames, the type checks of make_callback, the error hook and the
// named-callback registry (one of each per process).
#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>

#include "jiffi/callback.hpp"

namespace jiffi {

namespace {

std::atomic<CallbackErrorHook> g_error_hook{nullptr};

// A C++ handler made by make_callback and the signature text it serves.
struct ErasedHandler {
    detail_api::HandlerInvoke invoke;
    void* state;
    detail_api::HandlerDestroy destroy;
    std::string text;
    ~ErasedHandler() { destroy(state); }
};

// Deals with the exception a handler of the callback of signature text threw.
void handler_failed(std::exception_ptr e, const std::string& text) noexcept {
    detail_api::CallbackState& s = detail_api::callback_state();
    if (s.depth > 0) {
        // The first failure wins; the outermost call rethrows it.
        if (!s.pending) s.pending = std::move(e);
        return;
    }
    if (CallbackErrorHook hook = g_error_hook.load()) {
        try {
            hook(std::move(e), text.c_str());
        } catch (...) {
        }
        return;
    }
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& x) {
        std::fprintf(stderr, "jiffi: a handler of callback '%s' threw: %s\n", text.c_str(), x.what());
    } catch (...) {
        std::fprintf(stderr, "jiffi: a handler of callback '%s' threw a non-standard exception\n", text.c_str());
    }
}

// The jiffi_handler of every C++ callback.
void handle(void* user, const jiffi_slot* args, void* ret) noexcept {
    auto& h = *static_cast<ErasedHandler*>(user);
    // After a failure the remaining calls of the same outer call return zero at once.
    if (detail_api::callback_state().pending) return;
    try {
        h.invoke(h.state, args, ret);
    } catch (...) {
        handler_failed(std::current_exception(), h.text);
    }
}

}  // namespace

namespace detail_api {

Callback make_erased_callback(Context& ctx, const Signature& sig, HandlerInvoke invoke, void* state,
                              HandlerDestroy destroy) {
    ErasedHandler* h = nullptr;
    try {
        h = new ErasedHandler{invoke, state, destroy, sig.text()};
    } catch (...) {
        destroy(state);
        throw;
    }
    jiffi_callback* cb = nullptr;
    jiffi_error* err = jiffi_callback_create_ex(
        ctx.get(), sig.get(), &handle, h, [](void* p) { delete static_cast<ErasedHandler*>(p); }, &cb);
    if (err) delete h;
    check(err);
    return Callback(cb);
}

void check_callback_arity(const Signature& sig, size_t arity) {
    if (sig.arg_count() != arity)
        throw Error(Errc::ARG_COUNT, "callback '" + sig.text() + "' takes " + std::to_string(sig.arg_count()) +
                                         " arguments; the C++ handler type takes " + std::to_string(arity));
}

void check_callback_type(const Signature& sig, long index, size_t size, bool is_void, bool slot_scalar) {
    jiffi_type_info info = sig.type_info(index);
    std::string what = index < 0 ? "the return type" : "argument " + std::to_string(index + 1);
    if (is_void) {
        if (info.value_class != JIFFI_CLASS_VOID)
            throw Error(Errc::ARG_TYPE, "callback '" + sig.text() + "': " + what + " is not void");
        return;
    }
    bool memory = info.value_class == JIFFI_CLASS_MEMORY;
    bool fits = size == info.size && (memory ? !slot_scalar || size > 8 : true);
    if (!fits)
        throw Error(Errc::ARG_TYPE, "callback '" + sig.text() + "': " + what + " has " + std::to_string(info.size) +
                                        " bytes in C, the C++ type " + std::to_string(size));
}

}  // namespace detail_api

CallbackErrorHook set_callback_error_hook(CallbackErrorHook hook) { return g_error_hook.exchange(hook); }

struct CallbackRegistry::Impl {
    mutable std::mutex mu;
    std::map<std::string, Callback, std::less<>> by_name;
};

CallbackRegistry::CallbackRegistry() : impl_(new Impl) {}

// Made on first use and never destroyed: callbacks may be called during static destruction.
CallbackRegistry& CallbackRegistry::global() {
    static CallbackRegistry* r = new CallbackRegistry();
    return *r;
}

void* CallbackRegistry::define(std::string_view name, Callback cb) {
    void* code = cb.code();
    Callback old;
    {
        std::lock_guard<std::mutex> lock(impl_->mu);
        old = std::exchange(impl_->by_name[std::string(name)], std::move(cb));
    }
    return code;
}

void* CallbackRegistry::code(std::string_view name) const {
    std::lock_guard<std::mutex> lock(impl_->mu);
    auto it = impl_->by_name.find(name);
    if (it == impl_->by_name.end())
        throw Error(Errc::INVALID_ARGUMENT, "no callback is defined as '" + std::string(name) + "'");
    return it->second.code();
}

bool CallbackRegistry::undefine(std::string_view name) {
    Callback old;
    std::lock_guard<std::mutex> lock(impl_->mu);
    auto it = impl_->by_name.find(name);
    if (it == impl_->by_name.end()) return false;
    old = std::move(it->second);
    impl_->by_name.erase(it);
    return true;
}

}  // namespace jiffi

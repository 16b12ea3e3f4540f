// The generated callback suite: every non-variadic case of the ABI call suite as a callback,
// called by the C compiler's reference caller with known arguments. The handler forwards its
// slots to the compiled callee through jiffi, so the callee's argument checksum shows what the
// handler saw, and the reference caller's copy of the result shows what the callback returned.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "abi_suite.h"
#include "jiffi/jiffi.h"

namespace {

// Forwards a callback's slots to the case's compiled function.
void forward(void* user, const jiffi_slot* args, void* ret) {
    jiffi_function_call(static_cast<jiffi_function*>(user), args, ret);
}

struct Tally {
    int called = 0;
    int refused = 0;  // the backend cannot pass the signature (libffi: unions, __int128, ...)
    int failed = 0;
};

// Runs every non-variadic case of suite through callbacks of backend b; with fresh_threads,
// each callback is called from a new thread, for which it is the first callback.
Tally run_backend(jiffi_backend b, const char* name, bool fresh_threads = false) {
    Tally t;
    jiffi_context* ctx = nullptr;
    REQUIRE(jiffi_context_create(b, &ctx) == nullptr);
    jiffi_library* lib = nullptr;
    jiffi_error* err = jiffi_library_open(ctx, JIFFI_ABI_FIXTURE_GCC, &lib);
    REQUIRE_MESSAGE(err == nullptr, jiffi_error_message(err));
    void* get = nullptr;
    REQUIRE(jiffi_library_symbol(lib, "abi_suite_get", &get) == nullptr);
    const abi_suite* suite = reinterpret_cast<abi_suite_get_fn>(get)();
    for (int i = 0; i < suite->count; ++i) {
        const abi_case& c = *suite->cases[i];
        if (c.varargs) continue;
        auto report = [&](const std::string& what) {
            if (++t.failed <= 20)
                std::fprintf(stderr, "callback suite, %s, case %d '%s' (%s): %s\n", name, c.index, c.prototype,
                             c.mode, what.c_str());
        };
        if (c.decls && *c.decls && (err = jiffi_cdef(ctx, c.decls))) {
            report(std::string("cdef: ") + jiffi_error_message(err));
            jiffi_error_dispose(err);
            continue;
        }
        jiffi_signature* sig = nullptr;
        if ((err = jiffi_signature_parse(ctx, c.prototype, &sig))) {
            report(std::string("parse: ") + jiffi_error_message(err));
            jiffi_error_dispose(err);
            continue;
        }
        jiffi_function* fn = nullptr;
        jiffi_error* bind_err = jiffi_function_bind(lib, c.symbol, sig, &fn);
        jiffi_callback* cb = nullptr;
        jiffi_error* cb_err = jiffi_callback_create(ctx, sig, forward, fn, &cb);
        if (bind_err || cb_err) {
            // A backend refuses a signature for calls and callbacks alike.
            bool both = bind_err && cb_err && jiffi_error_code(bind_err) == JIFFI_E_UNSUPPORTED &&
                        jiffi_error_code(cb_err) == JIFFI_E_UNSUPPORTED;
            if (both) ++t.refused;
            else report(std::string("bind: ") + (bind_err ? jiffi_error_message(bind_err) : "ok") +
                        "; callback: " + (cb_err ? jiffi_error_message(cb_err) : "ok"));
            jiffi_error_dispose(bind_err);
            jiffi_error_dispose(cb_err);
            jiffi_callback_release(cb);
            jiffi_function_destroy(fn);
            continue;
        }
        void* real = jiffi_function_address(fn);
        size_t size = c.types[0].size < 16 ? 16 : c.types[0].size;
        std::vector<unsigned char> want(size + 16, 0), got(size + 16, 0);
        *suite->checksum = 0;
        c.reference(real, want.data());
        uint64_t want_sum = *suite->checksum;
        *suite->checksum = 0;
        if (fresh_threads) std::thread([&] { c.reference(jiffi_callback_code(cb), got.data()); }).join();
        else c.reference(jiffi_callback_code(cb), got.data());
        uint64_t got_sum = *suite->checksum;
        bool same_return = c.types[0].value_class == ABI_MEMORY ? c.equal(want.data(), got.data()) != 0
                                                                 : std::memcmp(want.data(), got.data(), 8) == 0;
        if (want_sum != got_sum) report("the handler saw other arguments (checksums differ)");
        else if (!same_return) report("the callback returned another value");
        else ++t.called;
        jiffi_callback_release(cb);
        jiffi_function_destroy(fn);
    }
    jiffi_library_close(lib);
    jiffi_context_destroy(ctx);
    std::printf("callback suite, %s: %d cases called and matched, %d refused by the backend, %d failed\n", name,
                t.called, t.refused, t.failed);
    return t;
}

}  // namespace

TEST_CASE("generated callback signatures through JIT thunks") {
    Tally t = run_backend(JIFFI_BACKEND_JIT, "jit");
    CHECK(t.failed == 0);
    CHECK(t.refused == 0);
    CHECK(t.called >= 2000);
}

TEST_CASE("generated callback signatures through JIT thunks, each the first callback of its thread") {
    // A thread's first callback registers the thread in the trampolines' entry code, before the
    // slot is read.
    Tally t = run_backend(JIFFI_BACKEND_JIT, "jit, fresh threads", true);
    CHECK(t.failed == 0);
    CHECK(t.refused == 0);
    CHECK(t.called >= 2000);
}

TEST_CASE("generated callback signatures through libffi closures") {
    Tally t = run_backend(JIFFI_BACKEND_LIBFFI, "libffi");
    CHECK(t.failed == 0);
    CHECK(t.called >= 2000);
}

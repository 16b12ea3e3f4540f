// Callback benchmarks: C calling a JIT thunk, a libffi closure and the plain C function that
// does the same work; create + release of a seen signature; resident memory per callback.
#include "bench_callbacks.hpp"

#include <benchmark/benchmark.h>
#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "jiffi/jiffi.h"

namespace jiffi_bench {

namespace {

using Binop = int64_t (*)(int64_t, int64_t);
using Loop = int64_t (*)(Binop, long);
constexpr long kCallsPerIteration = 1000;
const char* const kSig = "int64_t (int64_t, int64_t)";

struct CallbackWorld {
    Loop loop = nullptr;
    Binop plain = nullptr;
    jiffi_handler handler = nullptr;
    jiffi_context* jit = nullptr;
    jiffi_context* ffi = nullptr;
    jiffi_signature* jit_sig = nullptr;
    jiffi_signature* ffi_sig = nullptr;
    jiffi_callback* jit_cb = nullptr;
    jiffi_callback* ffi_cb = nullptr;
};

CallbackWorld& cw() {
    static CallbackWorld w;
    return w;
}

// C's loop calling f kCallsPerIteration times per iteration.
void bench_invoke(benchmark::State& s, Binop f) {
    for (auto _ : s) benchmark::DoNotOptimize(cw().loop(f, kCallsPerIteration));
}

// Creates and releases a callback of a signature already seen, per iteration.
void bench_create_release(benchmark::State& s, jiffi_context* ctx, jiffi_signature* sig) {
    for (auto _ : s) {
        jiffi_callback* cb = nullptr;
        jiffi_callback_create(ctx, sig, cw().handler, nullptr, &cb);
        benchmark::DoNotOptimize(cb);
        jiffi_callback_release(cb);
    }
}

}  // namespace

void register_callback_benchmarks(const char* fixture_path) {
    CallbackWorld& w = cw();
    void* lib = dlopen(fixture_path, RTLD_NOW);
    if (!lib) {
        std::fprintf(stderr, "jiffi-bench: %s\n", dlerror());
        std::exit(1);
    }
    w.loop = reinterpret_cast<Loop>(must_sym(lib, "bench_cb_loop"));
    w.plain = reinterpret_cast<Binop>(must_sym(lib, "bench_cb_add"));
    w.handler = reinterpret_cast<jiffi_handler>(must_sym(lib, "bench_cb_handler"));
    must(jiffi_context_create(JIFFI_BACKEND_JIT, &w.jit), "JIT context");
    must(jiffi_context_create(JIFFI_BACKEND_LIBFFI, &w.ffi), "libffi context");
    must(jiffi_signature_parse(w.jit, kSig, &w.jit_sig), kSig);
    must(jiffi_signature_parse(w.ffi, kSig, &w.ffi_sig), kSig);
    must(jiffi_callback_create(w.jit, w.jit_sig, w.handler, nullptr, &w.jit_cb), "JIT callback");
    must(jiffi_callback_create(w.ffi, w.ffi_sig, w.handler, nullptr, &w.ffi_cb), "libffi callback");
    benchmark::RegisterBenchmark("callback/direct_c", bench_invoke, w.plain);
    benchmark::RegisterBenchmark("callback/jit_thunk", bench_invoke,
                                 reinterpret_cast<Binop>(jiffi_callback_code(w.jit_cb)));
    benchmark::RegisterBenchmark("callback/libffi_closure", bench_invoke,
                                 reinterpret_cast<Binop>(jiffi_callback_code(w.ffi_cb)));
#if JIFFI_BENCH_FLOORS
    // The callback shape written by hand (slot lookup, thunk, handler; no counting, no
    // realignment): the least a callback of this design can cost.
    benchmark::RegisterBenchmark("callback/floor_thunk", bench_invoke,
                                 reinterpret_cast<Binop>(must_sym(lib, "bench_floor_callback")));
#endif
    benchmark::RegisterBenchmark("callback/create_release_jit", bench_create_release, w.jit, w.jit_sig);
    benchmark::RegisterBenchmark("callback/create_release_libffi", bench_create_release, w.ffi, w.ffi_sig);
}

void print_callback_summary(const Collector& col) {
    double per = static_cast<double>(kCallsPerIteration);
    double d = col.ns("callback/direct_c") / per, j = col.ns("callback/jit_thunk") / per,
           f = col.ns("callback/libffi_closure") / per;
    std::printf("\ncallbacks (int64_t (int64_t, int64_t) called from a C loop; handler in C)\n");
    std::printf("  invocation: direct C %.2f ns, JIT thunk %.2f ns (%.2fx direct), libffi closure %.2f ns "
                "(%.2fx direct, %.1fx the thunk)\n",
                d, j, d > 0 ? j / d : 0.0, f, d > 0 ? f / d : 0.0, j > 0 ? f / j : 0.0);
    if (double fl = col.ns("callback/floor_thunk") / per; fl > 0 && d > 0)
        std::printf("  floor of the callback shape (hand-written, no counting, no realignment): %.2f ns (%.2fx direct)\n",
                    fl, fl / d);
    std::printf("  create + release, seen signature: JIT %.1f ns, libffi %.1f ns\n",
                col.ns("callback/create_release_jit"), col.ns("callback/create_release_libffi"));
    // Resident-set growth over 100,000 live JIT callbacks.
    CallbackWorld& w = cw();
    constexpr int kLive = 100000;
    std::vector<jiffi_callback*> live(kLive);
    size_t before = resident_bytes();
    for (jiffi_callback*& cb : live) must(jiffi_callback_create(w.jit, w.jit_sig, w.handler, nullptr, &cb), "live");
    size_t after = resident_bytes();
    for (jiffi_callback* cb : live) jiffi_callback_release(cb);
    std::printf("  memory per live JIT callback: %.1f bytes (resident-set growth over %d callbacks)\n",
                static_cast<double>(after - before) / kLive, kLive);
}

}  // namespace jiffi_bench

// A helper process for the JIT tests: times stub compilation, or binds signatures through a disk cache.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "jiffi/jiffi.h"
#include "jit/jit_engine.hpp"
#include "jit/stub_cache.hpp"

using namespace jiffi::detail;

namespace {

extern "C" {
__attribute__((noinline)) long jp_add3(long a, long b, long c) { return a + b + c; }
__attribute__((noinline)) double jp_fma(double a, double b, double c) { return a * b + c; }
__attribute__((noinline)) int jp_mix(int a, double b, const char* s, float f) {
    return a + static_cast<int>(b * 10) + static_cast<int>(std::strlen(s)) + static_cast<int>(f);
}
struct JpPair { float x, y; };
__attribute__((noinline)) JpPair jp_swap(JpPair p) { return {p.y, p.x}; }
struct JpBig { long a, b, c; };
__attribute__((noinline)) JpBig jp_scale(JpBig v, long k) { return {v.a * k, v.b * k, v.c * k}; }
__attribute__((noinline)) unsigned char jp_low(unsigned x) { return static_cast<unsigned char>(x); }
__attribute__((noinline)) long double jp_ld(long double a, long double b) { return a * b; }
}

// The scalar value of a plan: a type of the given IR kind (or integer bits) and its slot.
struct Scalar {
    IrType::Kind kind;
    uint32_t bits;
    ValueClass cls;
    uint64_t size;
};

const Scalar kScalars[] = {
    {IrType::Kind::Int, 64, ValueClass::SInt, 8},
    {IrType::Kind::Double, 0, ValueClass::Double, 8},
    {IrType::Kind::Ptr, 0, ValueClass::Pointer, 8},
    {IrType::Kind::Int, 32, ValueClass::SInt, 4},
};

// The direct plan and slot of s.
std::pair<ArgPlan, SlotInfo> scalar(const Scalar& s) {
    ArgPlan a;
    a.kind = PassKind::Direct;
    a.type.kind = s.kind;
    a.type.bits = s.bits;
    a.size = s.size;
    return {a, SlotInfo{s.cls, s.size, static_cast<uint32_t>(s.size)}};
}

// The i-th of a family of distinct scalar signatures (arguments from i's base-4 digits).
StubSpec numbered_spec(size_t i) {
    StubSpec spec;
    spec.plan.triple = Target::host().triple;
    auto [rp, rs] = scalar(kScalars[i % 3]);
    spec.plan.ret = rp;
    spec.ret = rs;
    for (size_t n = i + 1; n; n /= 4) {
        auto [ap, as] = scalar(kScalars[n % 4]);
        spec.plan.args.push_back(ap);
        spec.args.push_back(as);
    }
    spec.plan.fixed_count = spec.plan.args.size();
    return spec;
}

// The calling thread's CPU time in seconds.
double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Median of v.
double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// Times batches of 1, 10, 100 and 200 new stubs, rounds times each, printing a table.
int run_time(int rounds) {
    JitEngine& engine = JitEngine::instance();
    size_t next = 0;
    {
        // Warm-up: the first compilation pays LLVM's one-time set-up.
        StubCache cache;
        StubSpec s = numbered_spec(100000);
        StubRef r = cache.acquire(s);
    }
    std::printf("%6s %10s %10s %10s %10s %10s %10s\n", "batch", "us/stub", "cpu", "emit", "optimize", "codegen",
                "link");
    for (size_t batch : {1, 10, 100, 200}) {
        std::vector<double> total, cpu, emit, opt, gen, link;
        int n = batch >= 100 ? std::max(rounds / 10, 3) : rounds;
        for (int round = 0; round < n; ++round) {
            std::vector<StubSpec> specs;
            for (size_t i = 0; i < batch; ++i) specs.push_back(numbered_spec(next++ % 4000));
            std::vector<const StubSpec*> ptrs;
            for (auto& s : specs) ptrs.push_back(&s);
            StubCache cache;
            JitEngineStats before = engine.stats();
            double cpu_start = thread_cpu_seconds();
            auto start = std::chrono::steady_clock::now();
            std::vector<StubRef> refs = cache.acquire_batch(ptrs);
            double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            double cpu_seconds = thread_cpu_seconds() - cpu_start;
            JitEngineStats after = engine.stats();
            for (auto& r : refs)
                if (!r.ok()) {
                    std::fprintf(stderr, "stub failed: %s\n", r.error()->message().c_str());
                    return 1;
                }
            double per = 1e6 / static_cast<double>(batch);
            total.push_back(seconds * per);
            cpu.push_back(cpu_seconds * per);
            emit.push_back((after.emit_seconds - before.emit_seconds) * per);
            opt.push_back((after.optimize_seconds - before.optimize_seconds) * per);
            gen.push_back((after.codegen_seconds - before.codegen_seconds) * per);
            link.push_back((after.link_seconds - before.link_seconds) * per);
        }
        std::printf("%6zu %10.1f %10.1f %10.1f %10.1f %10.1f %10.1f\n", batch, median(total), median(cpu),
                    median(emit), median(opt), median(gen), median(link));
    }
    return 0;
}

// Fails the probe with the error's message unless e is null.
void check(jiffi_error* e, const char* what) {
    if (!e) return;
    std::fprintf(stderr, "%s: %s\n", what, jiffi_error_message(e));
    std::exit(2);
}

// Binds the probe's signatures on a JIT context with the cache in dir ("-": as the
// environment says), calls each once and prints the results and the engine's counters.
int run_cache(const char* dir) {
    if (std::strcmp(dir, "-") != 0) check(jiffi_jit_set_cache_dir(dir), "jiffi_jit_set_cache_dir");
    jiffi_context* ctx = nullptr;
    check(jiffi_context_create(JIFFI_BACKEND_JIT, &ctx), "jiffi_context_create");
    check(jiffi_cdef(ctx, "struct pair { float x, y; }; struct big { long a, b, c; };"), "jiffi_cdef");
    struct Bound {
        void* address;
        const char* text;
    };
    const Bound bound[] = {
        {reinterpret_cast<void*>(&jp_add3), "long (long, long, long)"},
        {reinterpret_cast<void*>(&jp_fma), "double (double, double, double)"},
        {reinterpret_cast<void*>(&jp_mix), "int (int, double, const char *, float)"},
        {reinterpret_cast<void*>(&jp_swap), "struct pair (struct pair)"},
        {reinterpret_cast<void*>(&jp_scale), "struct big (struct big, long)"},
        {reinterpret_cast<void*>(&jp_low), "unsigned char (unsigned)"},
        {reinterpret_cast<void*>(&jp_ld), "long double (long double, long double)"},
    };
    std::vector<jiffi_function*> fns;
    for (const Bound& b : bound) {
        jiffi_signature* sig = nullptr;
        check(jiffi_signature_parse(ctx, b.text, &sig), b.text);
        jiffi_function* fn = nullptr;
        check(jiffi_function_create(ctx, b.address, sig, &fn), b.text);
        fns.push_back(fn);
    }
    jiffi_slot a[4];
    jiffi_slot r;
    a[0].i64 = 1;
    a[1].i64 = 20;
    a[2].i64 = 300;
    jiffi_function_call(fns[0], a, &r);
    std::printf("add3 %lld\n", static_cast<long long>(r.i64));
    a[0].f64 = 1.5;
    a[1].f64 = 4;
    a[2].f64 = 0.25;
    jiffi_function_call(fns[1], a, &r);
    std::printf("fma %g\n", r.f64);
    a[0].i64 = 7;
    a[1].f64 = 0.5;
    a[2].ptr = const_cast<char*>("four");
    a[3].u64 = 0;
    a[3].f32 = 3.0f;
    jiffi_function_call(fns[2], a, &r);
    std::printf("mix %lld\n", static_cast<long long>(r.i64));
    JpPair p{1.5f, -2.0f}, q{};
    a[0].ptr = &p;
    jiffi_function_call(fns[3], a, &q);
    std::printf("swap %g %g\n", static_cast<double>(q.x), static_cast<double>(q.y));
    JpBig v{1, -2, 3}, w{};
    a[0].ptr = &v;
    a[1].i64 = 5;
    jiffi_function_call(fns[4], a, &w);
    std::printf("scale %ld %ld %ld\n", w.a, w.b, w.c);
    a[0].u64 = 0x1234;
    jiffi_function_call(fns[5], a, &r);
    std::printf("low %llu\n", static_cast<unsigned long long>(r.u64));
    alignas(16) long double x = 1.5L, y = 3.0L, z = 0;
    a[0].ptr = &x;
    a[1].ptr = &y;
    jiffi_function_call(fns[6], a, &z);
    std::printf("ld %g\n", static_cast<double>(z));
    JitEngineStats s = JitEngine::instance().stats();
    std::printf("stats compiled=%llu hits=%llu misses=%llu\n",
                static_cast<unsigned long long>(s.stubs_compiled), static_cast<unsigned long long>(s.cache_hits),
                static_cast<unsigned long long>(s.cache_misses));
    for (jiffi_function* fn : fns) jiffi_function_destroy(fn);
    jiffi_context_destroy(ctx);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc >= 2 && std::strcmp(argv[1], "time") == 0) return run_time(argc >= 3 ? std::atoi(argv[2]) : 50);
    if (argc >= 3 && std::strcmp(argv[1], "cache") == 0) return run_cache(argv[2]);
    std::fprintf(stderr, "usage: %s time [ROUNDS] | cache DIR\n", argv[0]);
    return 2;
}

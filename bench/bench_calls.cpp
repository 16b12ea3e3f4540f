// Per-call cost of jiffi against a direct C call and libffi's ffi_call, in one run.
#include <benchmark/benchmark.h>
#include <dlfcn.h>
#include <ffi.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "bench_callbacks.hpp"
#include "jiffi/jiffi.h"
#include "jit/jit_engine.hpp"
#include "jit/stub_cache.hpp"
#include "runtime/context.hpp"

using jiffi_bench::Collector;
using jiffi_bench::must;
using jiffi_bench::must_sym;
using jiffi_bench::resident_bytes;

namespace {

struct Vec2f {
    float x, y;
};
struct Vec3d {
    double x, y, z;
};

// Everything the benchmarks share: the fixture library, jiffi objects, libffi cifs.
struct World {
    void* fixture = nullptr;
    void* libc = nullptr;
    // One context per backend, each with the fixture library and libc open.
    struct Backend {
        const char* name;
        jiffi_backend kind;
        jiffi_context* ctx = nullptr;
        jiffi_library* lib = nullptr;
        jiffi_library* libc_lib = nullptr;
    };
    Backend backends[3] = {{"libffi", JIFFI_BACKEND_LIBFFI}, {"jit", JIFFI_BACKEND_JIT}, {"auto", JIFFI_BACKEND_AUTO}};

    World() {
        fixture = dlopen(JIFFI_BENCH_FIXTURE, RTLD_NOW);
        libc = dlopen("libc.so.6", RTLD_NOW);
        if (!fixture || !libc) {
            std::fprintf(stderr, "jiffi-bench: %s\n", dlerror());
            std::exit(1);
        }
        for (Backend& b : backends) {
            must(jiffi_context_create(b.kind, &b.ctx), "context");
            must(jiffi_cdef(b.ctx, "struct vec2f { float x, y; };\n"
                                   "struct vec3d { double x, y, z; };"),
                 "cdef");
            must(jiffi_library_open(b.ctx, JIFFI_BENCH_FIXTURE, &b.lib), "open fixture");
            must(jiffi_library_open(b.ctx, "libc", &b.libc_lib), "open libc");
        }
    }

    // Binds symbol (from libc when in_libc) with the signature text on backend b; call-site
    // types for a variadic one.
    jiffi_function* bind(Backend& b, const char* symbol, const char* text, bool in_libc = false,
                         const char* varargs = nullptr) {
        jiffi_signature* sig = nullptr;
        must(jiffi_signature_parse(b.ctx, text, &sig), text);
        if (varargs) must(jiffi_signature_vararg(b.ctx, sig, varargs, &sig), varargs);
        jiffi_function* fn = nullptr;
        must(jiffi_function_bind(in_libc ? b.libc_lib : b.lib, symbol, sig, &fn), symbol);
        return fn;
    }
};

World& world() {
    static World w;
    return w;
}

// One benchmarked function: how to call it directly, through ffi_call and through jiffi.
struct Case {
    std::string name;
    std::function<void(benchmark::State&)> direct;
    std::function<void(benchmark::State&)> ffi;
    jiffi_function* fn[3] = {};  // per backend: libffi, jit, auto
    std::vector<jiffi_slot> args;
};

// Binds the case's function on every backend.
void bind_all(Case& c, const char* symbol, const char* text, bool in_libc = false,
              const char* varargs = nullptr) {
    for (int b = 0; b < 3; ++b) c.fn[b] = world().bind(world().backends[b], symbol, text, in_libc, varargs);
    // AUTO is measured after warm-up: once its stub has replaced libffi.
    if (!jiffi_function_wait_jit(c.fn[2], 10000)) std::fprintf(stderr, "jiffi-bench: %s did not tier up\n", symbol);
}

// A deque: registered benchmarks keep pointers to their cases.
std::deque<Case>& cases() {
    static std::deque<Case> all;
    return all;
}

// Calls fn through jiffi_function_call in the benchmark loop.
void bench_call(benchmark::State& s, jiffi_function* fn, const jiffi_slot* args) {
    alignas(16) unsigned char ret[64];
    for (auto _ : s) {
        jiffi_function_call(fn, args, ret);
        benchmark::DoNotOptimize(ret);
    }
}

// Calls fn through its raw invoker and address in the benchmark loop.
void bench_invoker(benchmark::State& s, jiffi_function* fn, const jiffi_slot* args) {
    alignas(16) unsigned char ret[64];
    jiffi_invoker inv = jiffi_function_invoker(fn);
    void* addr = jiffi_function_address(fn);
    for (auto _ : s) {
        inv(addr, args, ret);
        benchmark::DoNotOptimize(ret);
    }
}

// Registers the paths of a case: direct, ffi_call, jiffi on libffi, the JIT stub through
// jiffi_function_call and through the raw invoker, and AUTO after warm-up.
void register_case(Case c) {
    cases().push_back(std::move(c));
    Case* cp = &cases().back();
    benchmark::RegisterBenchmark((cp->name + "/direct").c_str(), [cp](benchmark::State& s) { cp->direct(s); });
    benchmark::RegisterBenchmark((cp->name + "/ffi_call").c_str(), [cp](benchmark::State& s) { cp->ffi(s); });
    benchmark::RegisterBenchmark((cp->name + "/jiffi_libffi").c_str(),
                                 [cp](benchmark::State& s) { bench_call(s, cp->fn[0], cp->args.data()); });
    benchmark::RegisterBenchmark((cp->name + "/jit_call").c_str(),
                                 [cp](benchmark::State& s) { bench_call(s, cp->fn[1], cp->args.data()); });
    benchmark::RegisterBenchmark((cp->name + "/jit_invoker").c_str(),
                                 [cp](benchmark::State& s) { bench_invoker(s, cp->fn[1], cp->args.data()); });
    benchmark::RegisterBenchmark((cp->name + "/auto_call").c_str(),
                                 [cp](benchmark::State& s) { bench_call(s, cp->fn[2], cp->args.data()); });
}

// A prepared libffi call: the cif and argument type list kept alive.
struct FfiPrepared {
    ffi_cif cif;
    std::vector<ffi_type*> types;
    FfiPrepared(ffi_type* ret, std::vector<ffi_type*> args, int nfixed = -1) : types(std::move(args)) {
        ffi_status st = nfixed < 0
            ? ffi_prep_cif(&cif, FFI_DEFAULT_ABI, static_cast<unsigned>(types.size()), ret, types.data())
            : ffi_prep_cif_var(&cif, FFI_DEFAULT_ABI, static_cast<unsigned>(nfixed),
                               static_cast<unsigned>(types.size()), ret, types.data());
        if (st != FFI_OK) std::exit(1);
    }
};

ffi_type* struct_type(std::vector<ffi_type*>& elems) {
    auto* t = new ffi_type{0, 0, FFI_TYPE_STRUCT, nullptr};
    elems.push_back(nullptr);
    t->elements = elems.data();
    return t;
}

void register_all() {
    World& w = world();
    static int64_t a = 1, b = 2, c = 3;
    static double x = 1.5, y = 2.5, z = 0.25;
    static const char* text = "hello, jiffi";
    static Vec2f va{1, 2}, vb{3, 4};
    static Vec3d v3{1, 2, 3};
    static double k = 2.0;
    static char buf[64];
    static void* ptr = &buf;
    static int m_a = 1;
    static long m_c = 3;
    static float m_d = 4;
    static char m_e = 5;
    static unsigned m_g = 7;
    static short m_i = 9;

    {
        Case cs;
        cs.name = "add3";
        auto f = reinterpret_cast<int64_t (*)(int64_t, int64_t, int64_t)>(must_sym(w.fixture, "bench_add3"));
        cs.direct = [f](benchmark::State& s) {
            for (auto _ : s) benchmark::DoNotOptimize(f(a, b, c));
        };
        auto* p = new FfiPrepared(&ffi_type_sint64, {&ffi_type_sint64, &ffi_type_sint64, &ffi_type_sint64});
        cs.ffi = [p, f](benchmark::State& s) {
            void* av[3] = {&a, &b, &c};
            ffi_arg r;
            for (auto _ : s) {
                ffi_call(&p->cif, FFI_FN(f), &r, av);
                benchmark::DoNotOptimize(r);
            }
        };
        bind_all(cs, "bench_add3", "int64_t (int64_t, int64_t, int64_t)");
        cs.args.resize(3);
        cs.args[0].i64 = a;
        cs.args[1].i64 = b;
        cs.args[2].i64 = c;
        register_case(std::move(cs));
        // The JIT path from two threads at once, one function: the call counters are per
        // thread, so the calls share no written cache line.
        Case& added = cases().back();
        benchmark::RegisterBenchmark("add3/jit_call_2_threads", [&added](benchmark::State& s) {
            bench_call(s, added.fn[1], added.args.data());
        })->Threads(2)->UseRealTime();
#if JIFFI_BENCH_FLOORS
        // The invoker shape written by hand: the least a call through it can cost.
        auto floor = reinterpret_cast<jiffi_invoker>(must_sym(w.fixture, "bench_floor_invoker"));
        static jiffi_slot floor_args[3] = {{.i64 = a}, {.i64 = b}, {.i64 = c}};
        benchmark::RegisterBenchmark("add3/floor_invoker", [floor, f](benchmark::State& s) {
            alignas(16) unsigned char ret[16];
            for (auto _ : s) {
                floor(reinterpret_cast<void*>(f), floor_args, ret);
                benchmark::DoNotOptimize(ret);
            }
        });
#endif
    }
    {
        Case cs;
        cs.name = "fma";
        auto f = reinterpret_cast<double (*)(double, double, double)>(must_sym(w.fixture, "bench_fma"));
        cs.direct = [f](benchmark::State& s) {
            for (auto _ : s) benchmark::DoNotOptimize(f(x, y, z));
        };
        auto* p = new FfiPrepared(&ffi_type_double, {&ffi_type_double, &ffi_type_double, &ffi_type_double});
        cs.ffi = [p, f](benchmark::State& s) {
            void* av[3] = {&x, &y, &z};
            double r;
            for (auto _ : s) {
                ffi_call(&p->cif, FFI_FN(f), &r, av);
                benchmark::DoNotOptimize(r);
            }
        };
        bind_all(cs, "bench_fma", "double (double, double, double)");
        cs.args.resize(3);
        cs.args[0].f64 = x;
        cs.args[1].f64 = y;
        cs.args[2].f64 = z;
        register_case(std::move(cs));
    }
    {
        Case cs;
        cs.name = "strlen";
        auto f = reinterpret_cast<size_t (*)(const char*)>(must_sym(w.libc, "strlen"));
        cs.direct = [f](benchmark::State& s) {
            for (auto _ : s) benchmark::DoNotOptimize(f(text));
        };
        auto* p = new FfiPrepared(&ffi_type_uint64, {&ffi_type_pointer});
        cs.ffi = [p, f](benchmark::State& s) {
            void* av[1] = {&text};
            ffi_arg r;
            for (auto _ : s) {
                ffi_call(&p->cif, FFI_FN(f), &r, av);
                benchmark::DoNotOptimize(r);
            }
        };
        bind_all(cs, "strlen", "size_t strlen(const char *)", true);
        cs.args.resize(1);
        cs.args[0].ptr = const_cast<char*>(text);
        register_case(std::move(cs));
    }
    {
        Case cs;
        cs.name = "vec2f_add";
        auto f = reinterpret_cast<Vec2f (*)(Vec2f, Vec2f)>(must_sym(w.fixture, "bench_vec2_add"));
        cs.direct = [f](benchmark::State& s) {
            for (auto _ : s) benchmark::DoNotOptimize(f(va, vb));
        };
        static std::vector<ffi_type*> e{&ffi_type_float, &ffi_type_float};
        ffi_type* st = struct_type(e);
        auto* p = new FfiPrepared(st, {st, st});
        cs.ffi = [p, f](benchmark::State& s) {
            void* av[2] = {&va, &vb};
            Vec2f r;
            for (auto _ : s) {
                ffi_call(&p->cif, FFI_FN(f), &r, av);
                benchmark::DoNotOptimize(r);
            }
        };
        bind_all(cs, "bench_vec2_add", "struct vec2f (struct vec2f, struct vec2f)");
        cs.args.resize(2);
        cs.args[0].ptr = &va;
        cs.args[1].ptr = &vb;
        register_case(std::move(cs));
    }
    {
        Case cs;
        cs.name = "vec3d_scale";
        auto f = reinterpret_cast<Vec3d (*)(Vec3d, double)>(must_sym(w.fixture, "bench_vec3_scale"));
        cs.direct = [f](benchmark::State& s) {
            for (auto _ : s) benchmark::DoNotOptimize(f(v3, k));
        };
        static std::vector<ffi_type*> e{&ffi_type_double, &ffi_type_double, &ffi_type_double};
        ffi_type* st = struct_type(e);
        auto* p = new FfiPrepared(st, {st, &ffi_type_double});
        cs.ffi = [p, f](benchmark::State& s) {
            void* av[2] = {&v3, &k};
            Vec3d r;
            for (auto _ : s) {
                ffi_call(&p->cif, FFI_FN(f), &r, av);
                benchmark::DoNotOptimize(r);
            }
        };
        bind_all(cs, "bench_vec3_scale", "struct vec3d (struct vec3d, double)");
        cs.args.resize(2);
        cs.args[0].ptr = &v3;
        cs.args[1].f64 = k;
        register_case(std::move(cs));
    }
    {
        Case cs;
        cs.name = "mixed10";
        using F = double (*)(int, double, long, float, char, double, unsigned, const void*, short, double);
        auto f = reinterpret_cast<F>(must_sym(w.fixture, "bench_mixed10"));
        cs.direct = [f](benchmark::State& s) {
            for (auto _ : s) benchmark::DoNotOptimize(f(m_a, x, m_c, m_d, m_e, y, m_g, ptr, m_i, z));
        };
        auto* p = new FfiPrepared(&ffi_type_double,
                                  {&ffi_type_sint32, &ffi_type_double, &ffi_type_sint64, &ffi_type_float,
                                   &ffi_type_sint8, &ffi_type_double, &ffi_type_uint32, &ffi_type_pointer,
                                   &ffi_type_sint16, &ffi_type_double});
        cs.ffi = [p, f](benchmark::State& s) {
            void* av[10] = {&m_a, &x, &m_c, &m_d, &m_e, &y, &m_g, &ptr, &m_i, &z};
            double r;
            for (auto _ : s) {
                ffi_call(&p->cif, FFI_FN(f), &r, av);
                benchmark::DoNotOptimize(r);
            }
        };
        bind_all(cs, "bench_mixed10",
                       "double (int, double, long, float, char, double, unsigned, const void *, short, double)");
        cs.args.resize(10);
        cs.args[0].i64 = m_a;
        cs.args[1].f64 = x;
        cs.args[2].i64 = m_c;
        cs.args[3].u64 = 0;
        cs.args[3].f32 = m_d;
        cs.args[4].i64 = m_e;
        cs.args[5].f64 = y;
        cs.args[6].u64 = m_g;
        cs.args[7].ptr = ptr;
        cs.args[8].i64 = m_i;
        cs.args[9].f64 = z;
        register_case(std::move(cs));
    }
    {
        Case cs;
        cs.name = "snprintf3";
        using F = int (*)(char*, size_t, const char*, ...);
        auto f = reinterpret_cast<F>(must_sym(w.libc, "snprintf"));
        static const char* fmt = "%d %.1f %s";
        static int iv = 42;
        static const char* sv = "x";
        cs.direct = [f](benchmark::State& s) {
            for (auto _ : s) benchmark::DoNotOptimize(f(buf, sizeof buf, fmt, iv, x, sv));
        };
        auto* p = new FfiPrepared(&ffi_type_sint32,
                                  {&ffi_type_pointer, &ffi_type_uint64, &ffi_type_pointer, &ffi_type_sint32,
                                   &ffi_type_double, &ffi_type_pointer},
                                  3);
        cs.ffi = [p, f](benchmark::State& s) {
            static void* bp = buf;
            static size_t n = sizeof buf;
            void* av[6] = {&bp, &n, &fmt, &iv, &x, &sv};
            ffi_arg r;
            for (auto _ : s) {
                ffi_call(&p->cif, FFI_FN(f), &r, av);
                benchmark::DoNotOptimize(r);
            }
        };
        bind_all(cs, "snprintf", "int snprintf(char *, size_t, const char *, ...)", true,
                       "int, double, const char *");
        cs.args.resize(6);
        cs.args[0].ptr = buf;
        cs.args[1].u64 = sizeof buf;
        cs.args[2].ptr = const_cast<char*>(fmt);
        cs.args[3].i64 = iv;
        cs.args[4].f64 = x;
        cs.args[5].ptr = const_cast<char*>(sv);
        register_case(std::move(cs));
    }
}

// Prints each case's paths with ratios against the direct call and against ffi_call.
void print_summary(const Collector& col) {
    std::printf("\njiffi call benchmark summary (ns per call, same run; x = ratio)\n");
    std::printf("%-12s %7s %8s %8s %8s %8s %8s %10s %10s %12s\n", "function", "direct", "ffi_call",
                "libffi", "jit", "jit_inv", "auto", "jit/direct", "inv/direct", "ffi_call/jit");
    for (const Case& c : cases()) {
        auto get = [&](const char* path) { return col.ns(c.name + "/" + path); };
        double d = get("direct"), f = get("ffi_call"), l = get("jiffi_libffi"), j = get("jit_call"),
               i = get("jit_invoker"), a = get("auto_call");
        std::printf("%-12s %7.2f %8.2f %8.2f %8.2f %8.2f %8.2f %9.2fx %9.2fx %11.1fx\n", c.name.c_str(), d, f,
                    l, j, i, a, d > 0 ? j / d : 0.0, d > 0 ? i / d : 0.0, j > 0 ? f / j : 0.0);
    }
    std::printf("columns: direct C call through a function pointer; libffi ffi_call with a prepared cif;\n"
                "jiffi on the libffi backend; the JIT stub via jiffi_function_call and via the raw\n"
                "invoker; AUTO after warm-up (tiered up from libffi to the JIT stub).\n");
    // Real time over the iterations of both threads: each thread's call took twice that.
    if (double two = col.ns("add3/jit_call_2_threads/real_time/threads:2"); two > 0)
        std::printf("add3 through jiffi_function_call from 2 threads at once: %.2f ns per call on each thread\n",
                    2 * two);
    double floor = col.ns("add3/floor_invoker"), direct = col.ns("add3/direct");
    if (floor > 0 && direct > 0)
        std::printf("floor of the invoker shape (hand-written, add3): %.2f ns, %.2fx direct\n", floor, floor / direct);
}

// A variadic argument type list never used before in this process (bijective base 6 over
// the types below), so that its call site needs a stub of its own.
std::string fresh_vararg_types() {
    static const char* kinds[] = {"int", "long", "double", "char *", "struct vec2f", "struct vec3d"};
    static unsigned long counter = 0;
    unsigned long n = ++counter;
    std::string out;
    while (n > 0) {
        unsigned long d = (n - 1) % 6;
        out += (out.empty() ? "" : ", ") + std::string(kinds[d]);
        n = (n - 1) / 6;
    }
    return out;
}

double now_us() {
    return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Binds and calls bench_sink through a new call-site signature on backend b; returns the
// microseconds from parsing the call site to the end of the first call.
double first_call_us(World::Backend& b, jiffi_signature* proto) {
    static jiffi_slot zero_args[32];
    static Vec3d zero_struct{};
    std::string types = fresh_vararg_types();
    double t0 = now_us();
    jiffi_signature* site = nullptr;
    must(jiffi_signature_vararg(b.ctx, proto, types.c_str(), &site), types.c_str());
    jiffi_function* fn = nullptr;
    must(jiffi_function_bind(b.lib, "bench_sink", site, &fn), "bench_sink");
    size_t n = jiffi_signature_arg_count(site);
    for (size_t i = 0; i < n && i < 32; ++i) zero_args[i].ptr = &zero_struct;
    zero_args[0].i64 = 0;
    jiffi_slot ret;
    jiffi_function_call(fn, zero_args, &ret);
    double t = now_us() - t0;
    jiffi_function_destroy(fn);
    return t;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

// Time to the first call of a new signature per backend, JIT compile time alone and in
// batches of 100, and memory per cached stub.
void print_compile_summary() {
    World& w = world();
    std::printf("\nnew signatures (variadic call sites of long bench_sink(int, ...), each never seen)\n");
    for (World::Backend& b : w.backends) {
        jiffi_signature* proto = nullptr;
        must(jiffi_signature_parse(b.ctx, "long bench_sink(int, ...)", &proto), "bench_sink");
        std::vector<double> t;
        for (int i = 0; i < 21; ++i) t.push_back(first_call_us(b, proto));
        std::printf("  first completed call after bind, %-6s backend: median %8.1f us\n", b.name, median(t));
    }
    World::Backend& jit = w.backends[1];
    jiffi_signature* proto = nullptr;
    must(jiffi_signature_parse(jit.ctx, "long bench_sink(int, ...)", &proto), "bench_sink");
    std::vector<std::vector<jiffi::detail::StubRef>> keep;
    size_t rss0 = resident_bytes();
    size_t stubs = 0;
    std::vector<double> per_stub;
    jiffi::detail::JitEngineStats engine0 = jiffi::detail::JitEngine::instance().stats();
    for (int batch = 0; batch < 5; ++batch) {
        std::vector<const jiffi::detail::StubSpec*> specs;
        for (int i = 0; i < 100; ++i) {
            jiffi_signature* site = nullptr;
            std::string types = fresh_vararg_types();
            must(jiffi_signature_vararg(jit.ctx, proto, types.c_str(), &site), types.c_str());
            if (const jiffi::detail::StubSpec* spec = site->jit().spec()) specs.push_back(spec);
        }
        uint64_t before = jiffi::detail::JitEngine::instance().stats().stubs_compiled;
        double t0 = now_us();
        keep.push_back(jiffi::detail::StubCache::global().acquire_batch(specs));
        double t = now_us() - t0;
        uint64_t compiled = jiffi::detail::JitEngine::instance().stats().stubs_compiled - before;
        stubs += compiled;
        if (compiled) per_stub.push_back(t / static_cast<double>(compiled));
    }
    size_t rss1 = resident_bytes();
    std::printf("  JIT compile time per stub in batches of 100: median %.1f us (%zu stubs)\n", median(per_stub),
                stubs);
    // Where the time goes, per stub over all batches: the engine's phase clocks, summed over
    // the threads a large batch is built on.
    jiffi::detail::JitEngineStats engine1 = jiffi::detail::JitEngine::instance().stats();
    double per = stubs ? 1e6 / static_cast<double>(stubs) : 0.0;
    std::printf("    thread time: IR %.1f us, IR passes %.1f us, machine code %.1f us, linking %.1f us\n",
                (engine1.emit_seconds - engine0.emit_seconds) * per,
                (engine1.optimize_seconds - engine0.optimize_seconds) * per,
                (engine1.codegen_seconds - engine0.codegen_seconds) * per,
                (engine1.link_seconds - engine0.link_seconds) * per);
    std::printf("  memory per cached stub: %.0f bytes (resident-set growth over %zu stubs, IR and code)\n",
                stubs ? static_cast<double>(rss1 - rss0) / static_cast<double>(stubs) : 0.0, stubs);
}

}  // namespace

int main(int argc, char** argv) {
    bool summary = false;
    std::vector<char*> args = jiffi_bench::benchmark_args(argc, argv, summary);
    int n = static_cast<int>(args.size());
    benchmark::Initialize(&n, args.data());
    register_all();
    jiffi_bench::register_callback_benchmarks(JIFFI_BENCH_FIXTURE);
    jiffi_bench::register_batch_benchmarks(JIFFI_BENCH_FIXTURE);
    Collector col;
    benchmark::RunSpecifiedBenchmarks(&col);
    if (summary) {
        print_summary(col);
        print_compile_summary();
        jiffi_bench::print_callback_summary(col);
        jiffi_bench::print_batch_summary(col);
    }
    benchmark::Shutdown();
    return 0;
}

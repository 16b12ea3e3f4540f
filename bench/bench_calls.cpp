// Per-call cost of jiffi against a direct C call and libffi's ffi_call, in one run.
#include <benchmark/benchmark.h>
#include <dlfcn.h>
#include <ffi.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "jiffi/jiffi.h"

namespace {

struct Vec2f {
    float x, y;
};
struct Vec3d {
    double x, y, z;
};

// Exits with a message if err is set: a benchmark cannot run without its setup.
void must(jiffi_error* err, const char* what) {
    if (!err) return;
    std::fprintf(stderr, "jiffi-bench: %s: %s\n", what, jiffi_error_message(err));
    std::exit(1);
}

void* must_sym(void* handle, const char* name) {
    void* p = dlsym(handle, name);
    if (!p) {
        std::fprintf(stderr, "jiffi-bench: symbol %s: %s\n", name, dlerror());
        std::exit(1);
    }
    return p;
}

// Everything the benchmarks share: the fixture library, jiffi objects, libffi cifs.
struct World {
    void* fixture = nullptr;
    void* libc = nullptr;
    jiffi_context* ctx = nullptr;
    jiffi_library* lib = nullptr;
    jiffi_library* libc_lib = nullptr;

    World() {
        fixture = dlopen(JIFFI_BENCH_FIXTURE, RTLD_NOW);
        libc = dlopen("libc.so.6", RTLD_NOW);
        if (!fixture || !libc) {
            std::fprintf(stderr, "jiffi-bench: %s\n", dlerror());
            std::exit(1);
        }
        must(jiffi_context_create(JIFFI_BACKEND_AUTO, &ctx), "context");
        must(jiffi_cdef(ctx, "struct vec2f { float x, y; };\n"
                             "struct vec3d { double x, y, z; };"),
             "cdef");
        must(jiffi_library_open(ctx, JIFFI_BENCH_FIXTURE, &lib), "open fixture");
        must(jiffi_library_open(ctx, "libc", &libc_lib), "open libc");
    }

    // Binds symbol (from libc when in_libc) with the signature text; call-site types for
    // a variadic one.
    jiffi_function* bind(const char* symbol, const char* text, bool in_libc = false,
                         const char* varargs = nullptr) {
        jiffi_signature* sig = nullptr;
        must(jiffi_signature_parse(ctx, text, &sig), text);
        if (varargs) must(jiffi_signature_vararg(ctx, sig, varargs, &sig), varargs);
        jiffi_function* fn = nullptr;
        must(jiffi_function_bind(in_libc ? libc_lib : lib, symbol, sig, &fn), symbol);
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
    jiffi_function* fn = nullptr;
    std::vector<jiffi_slot> args;
    size_t ret_size = 8;
};

// A deque: registered benchmarks keep pointers to their cases.
std::deque<Case>& cases() {
    static std::deque<Case> all;
    return all;
}

// Registers the four paths of a case: direct, ffi_call, jiffi_function_call, invoker.
void register_case(Case c) {
    cases().push_back(std::move(c));
    Case* cp = &cases().back();
    benchmark::RegisterBenchmark((cp->name + "/direct").c_str(), [cp](benchmark::State& s) { cp->direct(s); });
    benchmark::RegisterBenchmark((cp->name + "/ffi_call").c_str(), [cp](benchmark::State& s) { cp->ffi(s); });
    benchmark::RegisterBenchmark((cp->name + "/jiffi_call").c_str(), [cp](benchmark::State& s) {
        alignas(16) unsigned char ret[64];
        for (auto _ : s) {
            jiffi_function_call(cp->fn, cp->args.data(), ret);
            benchmark::DoNotOptimize(ret);
        }
    });
    benchmark::RegisterBenchmark((cp->name + "/jiffi_invoker").c_str(), [cp](benchmark::State& s) {
        alignas(16) unsigned char ret[64];
        jiffi_invoker inv = jiffi_function_invoker(cp->fn);
        void* addr = jiffi_function_address(cp->fn);
        for (auto _ : s) {
            inv(addr, cp->args.data(), ret);
            benchmark::DoNotOptimize(ret);
        }
    });
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
        cs.fn = w.bind("bench_add3", "int64_t (int64_t, int64_t, int64_t)");
        cs.args.resize(3);
        cs.args[0].i64 = a;
        cs.args[1].i64 = b;
        cs.args[2].i64 = c;
        register_case(std::move(cs));
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
        cs.fn = w.bind("bench_fma", "double (double, double, double)");
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
        cs.fn = w.bind("strlen", "size_t strlen(const char *)", true);
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
        cs.fn = w.bind("bench_vec2_add", "struct vec2f (struct vec2f, struct vec2f)");
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
        cs.fn = w.bind("bench_vec3_scale", "struct vec3d (struct vec3d, double)");
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
        cs.fn = w.bind("bench_mixed10",
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
        cs.fn = w.bind("snprintf", "int snprintf(char *, size_t, const char *, ...)", true,
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

// Keeps every run's time per iteration while printing as the console reporter does.
class Collector : public benchmark::ConsoleReporter {
public:
    std::map<std::string, double> ns;
    void ReportRuns(const std::vector<Run>& runs) override {
        for (const Run& r : runs)
            if (!r.error_occurred) ns[r.benchmark_name()] = r.GetAdjustedRealTime();
        ConsoleReporter::ReportRuns(runs);
    }
};

// Prints each case's paths with ratios against the direct call and against ffi_call.
void print_summary(const Collector& col) {
    std::printf("\njiffi benchmark summary (ns per call; ratio = time / direct call time)\n");
    std::printf("%-12s %9s %9s %11s %13s %10s %12s\n", "function", "direct", "ffi_call",
                "jiffi_call", "jiffi_invoker", "call/direct", "ffi/call");
    for (const Case& c : cases()) {
        auto get = [&](const char* path) {
            auto it = col.ns.find(c.name + "/" + path);
            return it == col.ns.end() ? 0.0 : it->second;
        };
        double d = get("direct"), f = get("ffi_call"), j = get("jiffi_call"), i = get("jiffi_invoker");
        std::printf("%-12s %9.2f %9.2f %11.2f %13.2f %9.2fx %11.2fx\n", c.name.c_str(), d, f, j, i,
                    d > 0 ? j / d : 0.0, j > 0 ? f / j : 0.0);
    }
    std::printf("(backend: libffi; the JIT backend's stubs replace it as they land)\n");
}

}  // namespace

int main(int argc, char** argv) {
    bool summary = false;
    std::vector<char*> args;
    std::string min_time = "--benchmark_min_time=0.1";
    args.push_back(argv[0]);
    args.push_back(min_time.data());
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--summary")) summary = true;
        else args.push_back(argv[i]);
    }
    int n = static_cast<int>(args.size());
    benchmark::Initialize(&n, args.data());
    register_all();
    Collector col;
    benchmark::RunSpecifiedBenchmarks(&col);
    if (summary) print_summary(col);
    benchmark::Shutdown();
    return 0;
}

// Batch benchmarks: N small calls (add3) through jiffi_function_call one by one, against the
// same N calls as one compiled batch (one dispatch), for N = 3, 5 and 10.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench_callbacks.hpp"
#include "jiffi/jiffi.h"

namespace jiffi_bench {

namespace {

const int kSizes[] = {3, 5, 10};

struct BatchWorld {
    jiffi_context* ctx = nullptr;
    jiffi_function* add3 = nullptr;
    jiffi_slot args[3];
    jiffi_batch* batches[3] = {};
};

BatchWorld& bw() {
    static BatchWorld w;
    return w;
}

// n calls of add3, each through jiffi_function_call.
void bench_single(benchmark::State& s, int n) {
    BatchWorld& w = bw();
    jiffi_slot ret;
    for (auto _ : s) {
        for (int i = 0; i < n; ++i) jiffi_function_call(w.add3, w.args, &ret);
        benchmark::DoNotOptimize(ret);
    }
}

// The same n calls as one batch call.
void bench_batch(benchmark::State& s, int which) {
    BatchWorld& w = bw();
    int n = kSizes[which];
    std::vector<const jiffi_slot*> args(static_cast<size_t>(n), w.args);
    std::vector<jiffi_slot> rets(static_cast<size_t>(n));
    std::vector<void*> ret_ptrs;
    for (jiffi_slot& r : rets) ret_ptrs.push_back(&r);
    for (auto _ : s) {
        jiffi_batch_call(w.batches[which], args.data(), ret_ptrs.data());
        benchmark::DoNotOptimize(rets.data());
    }
}

}  // namespace

void register_batch_benchmarks(const char* fixture_path) {
    BatchWorld& w = bw();
    must(jiffi_context_create(JIFFI_BACKEND_JIT, &w.ctx), "JIT context");
    jiffi_library* lib = nullptr;
    must(jiffi_library_open(w.ctx, fixture_path, &lib), fixture_path);
    jiffi_signature* sig = nullptr;
    must(jiffi_signature_parse(w.ctx, "int64_t bench_add3(int64_t, int64_t, int64_t)", &sig), "add3");
    must(jiffi_function_bind(lib, "bench_add3", sig, &w.add3), "bench_add3");
    w.args[0].i64 = 1;
    w.args[1].i64 = 2;
    w.args[2].i64 = 3;
    for (int k = 0; k < 3; ++k) {
        std::vector<jiffi_function*> fns(static_cast<size_t>(kSizes[k]), w.add3);
        must(jiffi_batch_create(fns.data(), fns.size(), &w.batches[k]), "batch");
        std::string n = std::to_string(kSizes[k]);
        benchmark::RegisterBenchmark(("batch/single_x" + n).c_str(), bench_single, kSizes[k]);
        benchmark::RegisterBenchmark(("batch/batch_x" + n).c_str(), bench_batch, k);
    }
}

void print_batch_summary(const Collector& col) {
    std::printf("\nbatches (N calls of add3: one by one through jiffi_function_call vs one batch call)\n");
    for (int n : kSizes) {
        double single = col.ns("batch/single_x" + std::to_string(n)), batch = col.ns("batch/batch_x" + std::to_string(n));
        std::printf("  N=%-2d  one by one %7.2f ns  batch %7.2f ns  (%.2fx faster; %.2f ns per call)\n", n, single,
                    batch, batch > 0 ? single / batch : 0.0, batch / n);
    }
}

}  // namespace jiffi_bench

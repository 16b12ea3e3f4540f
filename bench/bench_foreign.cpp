// Cost of the foreign surface: pools against malloc, scoped memory, shared-call and
// defshared against a typed call, struct field access by path, the signature registry's
// cached trampoline lookup.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "bench_callbacks.hpp"
#include "jiffi/foreign.hpp"
#include "jiffi/memory.hpp"
#include "jiffi/registry.hpp"
#include "jiffi/structs.hpp"

namespace {

// One pool allocate + free of 400 bytes (an :int count 100).
void BM_PoolAllocFree(benchmark::State& state) {
    jiffi::MemoryPool& pool = jiffi::thread_memory_pool();
    for (auto _ : state) {
        void* p = pool.allocate(400);
        benchmark::DoNotOptimize(p);
        pool.deallocate(p, 400);
    }
}

// with-pooled-memory ((ptr :int :count 100)): the RAII scope around the pool.
void BM_PooledMemoryScope(benchmark::State& state) {
    for (auto _ : state) {
        jiffi::PooledMemory<int> mem(100);
        benchmark::DoNotOptimize(mem.get());
    }
}

// The same size from the C heap, for comparison.
void BM_MallocFree(benchmark::State& state) {
    for (auto _ : state) {
        void* p = std::malloc(400);
        benchmark::DoNotOptimize(p);
        std::free(p);
    }
}

// with-foreign-memory ((ptr :int :count 100)): zeroed C heap memory.
void BM_ForeignMemoryScope(benchmark::State& state) {
    for (auto _ : state) {
        jiffi::ForeignMemory<int> mem(100);
        benchmark::DoNotOptimize(mem.get());
    }
}

// (shared-call '("strlen" "libc") :unsigned-long '(:string) "hello"): cached binding lookup,
// checked conversion, call.
void BM_SharedCallStrlen(benchmark::State& state) {
    for (auto _ : state) {
        jiffi::Value v = jiffi::shared_call({"strlen", "libc"}, "unsigned-long", {"string"}, "hello");
        benchmark::DoNotOptimize(v);
    }
}

// (my-strlen "hello") through a defshared binding: checked conversion and call.
void BM_DefsharedStrlen(benchmark::State& state) {
    static jiffi::SharedFunction my_strlen = jiffi::defshared("strlen", "libc", "unsigned-long", {{"s", "string"}});
    my_strlen.function().wait_jit(5000);
    for (auto _ : state) {
        jiffi::Value v = my_strlen("hello");
        benchmark::DoNotOptimize(v);
    }
}

// The typed fast path underneath: Function::call<size_t>.
void BM_TypedCallStrlen(benchmark::State& state) {
    static jiffi::SharedFunction my_strlen = jiffi::defshared("strlen", "libc", "unsigned-long", {{"s", "string"}});
    my_strlen.function().wait_jit(5000);
    const char* s = "hello";
    for (auto _ : state) benchmark::DoNotOptimize(my_strlen.function().call<size_t>(s));
}

// (setf (struct-ref ts 'nsec) n) and (struct-ref ts 'nsec) by a cached path.
void BM_StructFieldSetGet(benchmark::State& state) {
    static jiffi::StructType ts = jiffi::define_c_struct("bench_timespec", {{"sec", "long"}, {"nsec", "long"}});
    jiffi::CStruct s(ts);
    long n = 0;
    for (auto _ : state) {
        s.set("nsec", ++n);
        benchmark::DoNotOptimize(s.get<long>("nsec"));
    }
}

// (get-or-create-trampoline :unsigned-long '(:string)) once the invoker is cached: the
// registry's lookup by signature text.
void BM_GetOrCreateTrampoline(benchmark::State& state) {
    benchmark::DoNotOptimize(jiffi::get_or_create_trampoline(":unsigned-long", {":string"}));
    for (auto _ : state) benchmark::DoNotOptimize(jiffi::get_or_create_trampoline(":unsigned-long", {":string"}));
}

BENCHMARK(BM_PoolAllocFree);
BENCHMARK(BM_PooledMemoryScope);
BENCHMARK(BM_MallocFree);
BENCHMARK(BM_ForeignMemoryScope);
BENCHMARK(BM_SharedCallStrlen);
BENCHMARK(BM_DefsharedStrlen);
BENCHMARK(BM_TypedCallStrlen);
BENCHMARK(BM_StructFieldSetGet);
BENCHMARK(BM_GetOrCreateTrampoline);


}  // namespace

int main(int argc, char** argv) {
    bool summary = false;
    std::vector<char*> args = jiffi_bench::benchmark_args(argc, argv, summary);
    int n = static_cast<int>(args.size());
    benchmark::Initialize(&n, args.data());
    jiffi_bench::Collector col;
    benchmark::RunSpecifiedBenchmarks(&col);
    if (summary) {
        std::printf("\njiffi foreign-surface summary (ns per operation, same run)\n");
        std::printf("  pool allocate+free (400 B)            %7.2f   (target < 10; malloc+free %.2f)\n",
                    col.ns("BM_PoolAllocFree"), col.ns("BM_MallocFree"));
        std::printf("  with-pooled-memory scope (:int x100)  %7.2f   (with-foreign-memory, zeroed: %.2f)\n",
                    col.ns("BM_PooledMemoryScope"), col.ns("BM_ForeignMemoryScope"));
        std::printf("  shared-call strlen \"hello\"            %7.2f\n", col.ns("BM_SharedCallStrlen"));
        std::printf("  defshared my-strlen \"hello\"           %7.2f   (typed Function::call %.2f)\n",
                    col.ns("BM_DefsharedStrlen"), col.ns("BM_TypedCallStrlen"));
        std::printf("  struct-ref set+get by field name      %7.2f\n", col.ns("BM_StructFieldSetGet"));
        std::printf("  get-or-create-trampoline, cached      %7.2f\n", col.ns("BM_GetOrCreateTrampoline"));
    }
    benchmark::Shutdown();
    return 0;
}

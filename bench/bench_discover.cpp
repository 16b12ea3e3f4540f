// Layout discovery: dumping a big header with jiffi-discover, and define-c-struct-auto served
// from the on-disk layout cache (targets: openssl/ssl.h under 1 s, a cached lookup under 50 us).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "jiffi/jiffi.h"
#include "layout/discover/discover.hpp"

namespace {

using namespace jiffi::detail;

// Parses openssl/ssl.h and everything it includes, evaluates its macros, writes the JSON.
void BM_DumpOpensslSsl(benchmark::State& state) {
    DiscoverOptions o;
    o.headers = {"openssl/ssl.h"};
    size_t bytes = 0, records = 0, macros = 0;
    for (auto _ : state) {
        LayoutDump d = discover_layout(o);
        std::string json = state.range(0) ? write_c2ffi_json(d) : write_jiffi_json(d);
        bytes = json.size();
        records = d.records.size();
        macros = d.macros.size();
        benchmark::DoNotOptimize(json.data());
    }
    state.counters["json_bytes"] = double(bytes);
    state.counters["records"] = double(records);
    state.counters["macros"] = double(macros);
    state.SetLabel(state.range(0) ? "c2ffi format" : "jiffi format");
}
BENCHMARK(BM_DumpOpensslSsl)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(5);

// The cache directory of the cached-lookup benchmarks, filled by their first request.
const std::string& bench_cache() {
    static const std::string dir = [] {
        std::string d = std::filesystem::temp_directory_path().string() + "/jiffi-bench-layout-" + std::to_string(::getpid());
        std::filesystem::remove_all(d);
        return d;
    }();
    return dir;
}

// define-c-struct-auto of struct stat from <sys/stat.h> into ctx.
jiffi_auto_record lookup(jiffi_context* ctx, const char* name, const char* header) {
    const char* headers[] = {header};
    jiffi_layout_request req{};
    req.name = name;
    req.headers = headers;
    req.header_count = 1;
    req.cache_dir = bench_cache().c_str();
    jiffi_auto_record out{};
    if (jiffi_error* err = jiffi_layout_discover(ctx, &req, &out)) {
        std::fprintf(stderr, "%s\n", jiffi_error_message(err));
        std::abort();
    }
    return out;
}

// A cached lookup in a context that already holds the record (cache read, dependency check,
// JSON parse, layout comparison).
void BM_CachedStructAuto(benchmark::State& state, const char* name, const char* header) {
    jiffi_context* ctx = nullptr;
    jiffi_context_create(JIFFI_BACKEND_LIBFFI, &ctx);
    lookup(ctx, name, header);  // warms the cache (runs Clang once)
    for (auto _ : state) {
        jiffi_auto_record r = lookup(ctx, name, header);
        if (!r.from_cache) state.SkipWithError("not served from the cache");
        benchmark::DoNotOptimize(r.size);
    }
    jiffi_context_destroy(ctx);
}
BENCHMARK_CAPTURE(BM_CachedStructAuto, stat, "stat", "sys/stat.h")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_CachedStructAuto, sqlite3_vfs, "sqlite3_vfs", "sqlite3.h")->Unit(benchmark::kMicrosecond);

// A cached lookup whose entry is read and parsed from disk each time (the first lookup of a
// process): the entry's time is changed between iterations, which voids the in-memory copy.
void BM_CachedStructAutoFromDisk(benchmark::State& state) {
    jiffi_context* ctx = nullptr;
    jiffi_context_create(JIFFI_BACKEND_LIBFFI, &ctx);
    lookup(ctx, "stat", "sys/stat.h");
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(bench_cache())) files.push_back(e.path().string());
    int64_t tick = 0;
    for (auto _ : state) {
        state.PauseTiming();
        for (const std::string& f : files) {
            struct timespec times[2] = {{1000000 + ++tick, 0}, {1000000 + tick, 0}};
            ::utimensat(AT_FDCWD, f.c_str(), times, 0);
        }
        state.ResumeTiming();
        jiffi_auto_record r = lookup(ctx, "stat", "sys/stat.h");
        if (!r.from_cache) state.SkipWithError("not served from the cache");
    }
    jiffi_context_destroy(ctx);
}
BENCHMARK(BM_CachedStructAutoFromDisk)->Unit(benchmark::kMicrosecond);

// A cached lookup into a new context each time (records created and registered).
void BM_CachedStructAutoFreshContext(benchmark::State& state) {
    jiffi_context* warm = nullptr;
    jiffi_context_create(JIFFI_BACKEND_LIBFFI, &warm);
    lookup(warm, "stat", "sys/stat.h");
    jiffi_context_destroy(warm);
    for (auto _ : state) {
        state.PauseTiming();
        jiffi_context* ctx = nullptr;
        jiffi_context_create(JIFFI_BACKEND_LIBFFI, &ctx);
        state.ResumeTiming();
        jiffi_auto_record r = lookup(ctx, "stat", "sys/stat.h");
        benchmark::DoNotOptimize(r.size);
        state.PauseTiming();
        jiffi_context_destroy(ctx);
        state.ResumeTiming();
    }
}
BENCHMARK(BM_CachedStructAutoFreshContext)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();

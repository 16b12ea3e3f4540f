// What the benchmark files share, and the benchmarks beside the call table: callbacks (invocation from C of a JIT thunk, a libffi
// closure and a plain C function; create + release; memory per live callback) and batches.
#pragma once

#include <benchmark/benchmark.h>
#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "jiffi/jiffi.h"

namespace jiffi_bench {

// Exits with a message if err is set: a benchmark cannot run without its setup.
inline void must(jiffi_error* err, const char* what) {
    if (!err) return;
    std::fprintf(stderr, "jiffi-bench: %s: %s\n", what, jiffi_error_message(err));
    std::exit(1);
}

// The symbol name of the library handle, or an exit with dlerror's message.
inline void* must_sym(void* handle, const char* name) {
    void* p = dlsym(handle, name);
    if (!p) {
        std::fprintf(stderr, "jiffi-bench: symbol %s: %s\n", name, dlerror());
        std::exit(1);
    }
    return p;
}

// The arguments for benchmark::Initialize: a 0.1 s minimum time per benchmark, then argv
// without "--summary", whose presence goes to summary.
inline std::vector<char*> benchmark_args(int argc, char** argv, bool& summary) {
    static std::string min_time = "--benchmark_min_time=0.1";
    std::vector<char*> args{argv[0], min_time.data()};
    summary = false;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--summary")) summary = true;
        else args.push_back(argv[i]);
    }
    return args;
}

// Resident set size of the process in bytes.
inline size_t resident_bytes() {
    FILE* f = std::fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long pages = 0, resident = 0;
    if (std::fscanf(f, "%lu %lu", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
    return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// Keeps each benchmark's ns per iteration (real time) for the summaries.
class Collector : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run>& runs) override {
        for (const Run& r : runs)
            if (!r.error_occurred) ns_[r.benchmark_name()] = r.GetAdjustedRealTime();
        ConsoleReporter::ReportRuns(runs);
    }
    // The ns per iteration of the benchmark named name; 0 when it did not run.
    double ns(const std::string& name) const {
        auto it = ns_.find(name);
        return it == ns_.end() ? 0.0 : it->second;
    }

private:
    std::map<std::string, double> ns_;
};

// Registers the callback benchmarks with Google Benchmark.
void register_callback_benchmarks(const char* fixture_path);
// Prints their summary from the per-iteration times by benchmark name.
void print_callback_summary(const Collector& col);

// Registers the batch benchmarks: N add3 calls one by one and as one batch, N = 3, 5, 10.
void register_batch_benchmarks(const char* fixture_path);
// Prints the gain of batches over single calls.
void print_batch_summary(const Collector& col);

}  // namespace jiffi_bench

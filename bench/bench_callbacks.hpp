// Callback benchmarks: invocation from C (JIT thunk, libffi closure, plain C function),
// create + release, memory per live callback.
#pragma once

#include <map>
#include <string>

namespace jiffi_bench {

// Registers the callback benchmarks with Google Benchmark.
void register_callback_benchmarks(const char* fixture_path);
// Prints their summary from the per-iteration times by benchmark name.
void print_callback_summary(const std::map<std::string, double>& ns);

}  // namespace jiffi_bench

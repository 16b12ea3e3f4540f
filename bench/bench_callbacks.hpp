// Benchmarks beside the call table: callbacks (invocation from C of a JIT thunk, a libffi
// closure and a plain C function; create + release; memory per live callback) and batches.
#pragma once

#include <map>
#include <string>

namespace jiffi_bench {

// Registers the callback benchmarks with Google Benchmark.
void register_callback_benchmarks(const char* fixture_path);
// Prints their summary from the per-iteration times by benchmark name.
void print_callback_summary(const std::map<std::string, double>& ns);

// Registers the batch benchmarks: N add3 calls one by one and as one batch, N = 3, 5, 10.
void register_batch_benchmarks(const char* fixture_path);
// Prints the gain of batches over single calls.
void print_batch_summary(const std::map<std::string, double>& ns);

}  // namespace jiffi_bench

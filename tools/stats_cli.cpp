// `jiffi stats`: calls a C function many times on an AUTO context and prints the tiering counters.
#include <cctype>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cli_call.hpp"
#include "jiffi/jiffi.h"

namespace {

const char* kStatsUsage =
    "usage: jiffi stats [--calls N] [--backend auto|libffi|jit] [--cdef DECLARATIONS]...\n"
    "                   [--vararg TYPES] [--symbol NAME] [--no-wait] LIBRARY PROTOTYPE [ARG]...\n"
    "  Binds PROTOTYPE's function as 'jiffi call' does, calls it N times (default 1000) and\n"
    "  prints the last result and the context's counters: calls by backend, stubs compiled,\n"
    "  functions tiered up, plans the JIT declined (with the reasons), libffi fallbacks.\n"
    "  The first call comes right after binding; then, unless --no-wait, the tool waits for\n"
    "  the JIT stub (printing how long after the bind it was ready) before the other calls.\n";

// Prints the context's counters and every decline reason.
int print_stats(jiffi_context* ctx) {
    jiffi_stats s;
    if (jiffi_error* e = jiffi_context_stats(ctx, &s)) return jiffi::cli::report(e, "stats");
    std::printf("calls: %llu (jit %llu, libffi %llu)\n",
                static_cast<unsigned long long>(s.calls_jit + s.calls_libffi),
                static_cast<unsigned long long>(s.calls_jit),
                static_cast<unsigned long long>(s.calls_libffi));
    std::printf("stubs compiled: %llu\n", static_cast<unsigned long long>(s.stubs_compiled));
    std::printf("functions tiered up: %llu\n", static_cast<unsigned long long>(s.functions_tiered_up));
    std::printf("jit declined: %llu\n", static_cast<unsigned long long>(s.jit_declined));
    for (size_t i = 0;; ++i) {
        uint64_t n = 0;
        size_t len = jiffi_context_declined_reason(ctx, i, nullptr, 0, &n);
        if (!len) break;
        std::vector<char> text(len);
        jiffi_context_declined_reason(ctx, i, text.data(), len, nullptr);
        std::printf("  declined %llu x: %s\n", static_cast<unsigned long long>(n), text.data());
    }
    std::printf("libffi fallbacks: %llu\n", static_cast<unsigned long long>(s.libffi_fallbacks));
    return 0;
}

}  // namespace

// Runs `jiffi stats` on the arguments after the subcommand; returns the exit status.
int run_stats(int argc, char** argv) {
    long long calls = 1000;
    bool wait = true;
    auto extra = [&](const std::string& opt, const char* val) -> int {
        if (opt == "--no-wait") {
            wait = false;
            return 1;
        }
        if (opt != "--calls") return 0;
        char* end = nullptr;
        errno = 0;
        calls = std::isdigit(static_cast<unsigned char>(*val)) ? std::strtoll(val, &end, 10) : 0;
        if (!end || *end || calls < 1) {
            std::fprintf(stderr, "jiffi: --calls needs a positive count, not '%s'\n", val);
            return 2 + 2;
        }
        if (errno == ERANGE) {
            std::fprintf(stderr, "jiffi: --calls '%s' is out of range (at most %lld)\n", val, LLONG_MAX);
            return 2 + 2;
        }
        return 1;
    };
    jiffi::cli::BoundCall call;
    int status = jiffi::cli::bind_from_args(argc, argv, kStatsUsage, {"--no-wait"}, extra, call);
    if (status >= 0) return status;
    using Clock = std::chrono::steady_clock;
    Clock::time_point bound = Clock::now();
    std::fflush(stdout);
    jiffi_function_call(call.fn, call.args.data(), call.ret.data());
    if (wait) {
        int on_jit = jiffi_function_wait_jit(call.fn, 10000);
        double ms = std::chrono::duration<double, std::milli>(Clock::now() - bound).count();
        std::printf("bind took %.1f us; %s %.3f ms after it\n", call.bind_us, on_jit ? "on the JIT" : "not on the JIT",
                    ms);
    }
    for (long long k = 1; k < calls; ++k) jiffi_function_call(call.fn, call.args.data(), call.ret.data());
    std::fflush(stdout);
    jiffi::cli::print_result(call.ret_info, call.ret, "result: ");
    return print_stats(call.ctx);
}

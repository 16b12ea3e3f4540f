// `jiffi stats`: calls a C function many times on an AUTO context and prints the tiering counters.
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

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

// Prints err to stderr prefixed by what failed, disposes it, and returns exit status 1.
int fail_with(jiffi_error* err, const char* what) {
    std::fprintf(stderr, "jiffi: %s: %s\n", what, jiffi_error_message(err));
    jiffi_error_dispose(err);
    return 1;
}

// Parses a whole string as a signed integer (any base prefix).
bool to_int(const char* s, long long& out) {
    errno = 0;
    char* end = nullptr;
    out = std::strtoll(s, &end, 0);
    return *s && end && *end == 0 && errno == 0;
}

// Parses a whole string as an unsigned integer (any base prefix), refusing a sign.
bool to_uint(const char* s, unsigned long long& out) {
    errno = 0;
    char* end = nullptr;
    if (*s == '-') return false;
    out = std::strtoull(s, &end, 0);
    return *s && end && *end == 0 && errno == 0;
}

// Parses a whole string as a floating-point number.
bool to_double(const char* s, double& out) {
    errno = 0;
    char* end = nullptr;
    out = std::strtod(s, &end);
    return *s && end && *end == 0 && errno != ERANGE;
}

// The type to pass a variadic argument written as text in the shell.
std::string vararg_type(const char* s) {
    long long i;
    double d;
    if (to_int(s, i)) return (i >= -2147483648LL && i <= 2147483647LL) ? "int" : "long";
    if (to_double(s, d)) return "double";
    return "const char *";
}

// Converts the text of argument k to its slot by the parameter's type; false if it cannot.
bool to_slot(const jiffi_type_info& info, const char* a, jiffi_slot& slot) {
    switch (info.value_class) {
    case JIFFI_CLASS_SINT: {
        long long v = 0;
        bool ok = to_int(a, v);
        slot.i64 = v;
        return ok;
    }
    case JIFFI_CLASS_UINT: {
        unsigned long long v = 0;
        bool ok = to_uint(a, v);
        slot.u64 = v;
        return ok;
    }
    case JIFFI_CLASS_FLOAT: {
        double v = 0;
        bool ok = to_double(a, v);
        slot.u64 = 0;
        slot.f32 = static_cast<float>(v);
        return ok;
    }
    case JIFFI_CLASS_DOUBLE: return to_double(a, slot.f64);
    case JIFFI_CLASS_POINTER: {
        unsigned long long v = 0;
        if (!std::strcmp(a, "NULL")) slot.ptr = nullptr;
        else if (!info.is_char_pointer && std::strncmp(a, "0x", 2) == 0 && to_uint(a, v))
            slot.ptr = reinterpret_cast<void*>(static_cast<uintptr_t>(v));
        else slot.ptr = const_cast<char*>(a);
        return true;
    }
    default: return false;
    }
}

// Prints a scalar result by its class (records as hex bytes).
void print_result(const jiffi_type_info& ri, const std::vector<unsigned char>& ret) {
    jiffi_slot r;
    std::memcpy(&r, ret.data(), sizeof(r));
    switch (ri.value_class) {
    case JIFFI_CLASS_VOID: std::printf("result: (void)\n"); break;
    case JIFFI_CLASS_SINT: std::printf("result: %lld\n", static_cast<long long>(r.i64)); break;
    case JIFFI_CLASS_UINT: std::printf("result: %llu\n", static_cast<unsigned long long>(r.u64)); break;
    case JIFFI_CLASS_FLOAT: std::printf("result: %.9g\n", r.f32); break;
    case JIFFI_CLASS_DOUBLE: std::printf("result: %.17g\n", r.f64); break;
    case JIFFI_CLASS_POINTER:
        if (ri.is_char_pointer) std::printf("result: %s\n", r.ptr ? static_cast<const char*>(r.ptr) : "NULL");
        else std::printf("result: %p\n", r.ptr);
        break;
    default:
        std::printf("result: ");
        for (size_t k = 0; k < ri.size; ++k) std::printf("%02x", ret[k]);
        std::printf("\n");
    }
}

// Prints the context's counters and every decline reason.
int print_stats(jiffi_context* ctx) {
    jiffi_stats s;
    if (jiffi_error* e = jiffi_context_stats(ctx, &s)) return fail_with(e, "stats");
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
    jiffi_backend backend = JIFFI_BACKEND_AUTO;
    std::vector<std::string> cdefs;
    const char* vararg = nullptr;
    const char* symbol = nullptr;
    long long calls = 1000;
    bool wait = true;
    int i = 0;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; ++i) {
        std::string opt = argv[i];
        if (opt == "--no-wait") {
            wait = false;
            continue;
        }
        if (i + 1 >= argc) {
            std::fprintf(stderr, "jiffi: option %s needs a value\n%s", opt.c_str(), kStatsUsage);
            return 2;
        }
        const char* val = argv[++i];
        if (opt == "--calls") {
            if (!to_int(val, calls) || calls < 1) {
                std::fprintf(stderr, "jiffi: --calls needs a positive count, not '%s'\n", val);
                return 2;
            }
        } else if (opt == "--backend") {
            if (!std::strcmp(val, "auto")) backend = JIFFI_BACKEND_AUTO;
            else if (!std::strcmp(val, "libffi")) backend = JIFFI_BACKEND_LIBFFI;
            else if (!std::strcmp(val, "jit")) backend = JIFFI_BACKEND_JIT;
            else {
                std::fprintf(stderr, "jiffi: unknown backend '%s'\n", val);
                return 2;
            }
        } else if (opt == "--cdef") {
            cdefs.push_back(val);
        } else if (opt == "--vararg") {
            vararg = val;
        } else if (opt == "--symbol") {
            symbol = val;
        } else {
            std::fprintf(stderr, "jiffi: unknown option '%s'\n%s", opt.c_str(), kStatsUsage);
            return 2;
        }
    }
    if (argc - i < 2) {
        std::fputs(kStatsUsage, stderr);
        return 2;
    }
    const char* libname = argv[i];
    const char* proto = argv[i + 1];
    char** args = argv + i + 2;
    int nargs = argc - i - 2;

    jiffi_context* ctx = nullptr;
    if (jiffi_error* e = jiffi_context_create(backend, &ctx)) return fail_with(e, "context");
    struct Cleanup {
        jiffi_context* ctx;
        jiffi_library* lib = nullptr;
        jiffi_function* fn = nullptr;
        ~Cleanup() {
            jiffi_function_destroy(fn);
            jiffi_library_close(lib);
            jiffi_context_destroy(ctx);
        }
    } cleanup{ctx};
    for (const std::string& d : cdefs)
        if (jiffi_error* e = jiffi_cdef(ctx, d.c_str())) return fail_with(e, "--cdef");
    jiffi_signature* sig = nullptr;
    if (jiffi_error* e = jiffi_signature_parse(ctx, proto, &sig)) return fail_with(e, "prototype");
    if (jiffi_signature_is_variadic(sig)) {
        std::string types;
        if (vararg) {
            types = vararg;
        } else {
            for (int k = static_cast<int>(jiffi_signature_arg_count(sig)); k < nargs; ++k)
                types += (types.empty() ? "" : ", ") + vararg_type(args[k]);
        }
        jiffi_signature* site = nullptr;
        if (jiffi_error* e = jiffi_signature_vararg(ctx, sig, types.c_str(), &site))
            return fail_with(e, "--vararg");
        sig = site;
    }
    size_t n = jiffi_signature_arg_count(sig);
    if (static_cast<size_t>(nargs) != n) {
        std::fprintf(stderr, "jiffi: '%s' takes %zu arguments, %d given\n",
                     jiffi_signature_text(sig), n, nargs);
        return 2;
    }
    std::vector<jiffi_slot> slots(n + 1);
    for (size_t k = 0; k < n; ++k) {
        jiffi_type_info info;
        if (jiffi_error* e = jiffi_signature_type_info(sig, static_cast<long>(k), &info))
            return fail_with(e, "signature");
        if (!to_slot(info, args[k], slots[k])) {
            std::fprintf(stderr, "jiffi: argument %zu ('%s') cannot be passed as that type of '%s'\n",
                         k + 1, args[k], jiffi_signature_text(sig));
            return 2;
        }
    }
    jiffi_library* lib = nullptr;
    if (jiffi_error* e = jiffi_library_open(ctx, std::strcmp(libname, "-") ? libname : nullptr, &lib))
        return fail_with(e, "library");
    cleanup.lib = lib;
    std::string name = symbol ? symbol : jiffi_signature_name(sig);
    if (name.empty()) {
        std::fprintf(stderr, "jiffi: the prototype '%s' names no function: add --symbol NAME\n", proto);
        return 2;
    }
    jiffi_type_info ri;
    if (jiffi_error* e = jiffi_signature_type_info(sig, -1, &ri)) return fail_with(e, "signature");
    std::vector<unsigned char> ret(ri.size + 32);

    using Clock = std::chrono::steady_clock;
    Clock::time_point bound = Clock::now();
    jiffi_function* fn = nullptr;
    if (jiffi_error* e = jiffi_function_bind(lib, name.c_str(), sig, &fn)) return fail_with(e, "bind");
    cleanup.fn = fn;
    double bind_us = std::chrono::duration<double, std::micro>(Clock::now() - bound).count();
    std::fflush(stdout);
    jiffi_function_call(fn, slots.data(), ret.data());
    if (wait) {
        int on_jit = jiffi_function_wait_jit(fn, 10000);
        double ms = std::chrono::duration<double, std::milli>(Clock::now() - bound).count();
        if (on_jit) std::printf("bind took %.1f us; on the JIT %.3f ms after it\n", bind_us, ms);
        else std::printf("bind took %.1f us; not on the JIT %.3f ms after it\n", bind_us, ms);
    }
    for (long long k = 1; k < calls; ++k) jiffi_function_call(fn, slots.data(), ret.data());
    std::fflush(stdout);
    print_result(ri, ret);
    return print_stats(ctx);
}

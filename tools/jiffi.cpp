// The jiffi command line: call C functions from the shell.
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "jiffi/jiffi.h"

int run_plan(int argc, char** argv);  // tools/plan_cli.cpp
int run_stats(int argc, char** argv);  // tools/stats_cli.cpp

namespace {

const char* kUsage =
    "usage: jiffi call [--backend auto|libffi|jit] [--cdef DECLARATIONS]... \n"
    "                  [--vararg TYPES] [--symbol NAME] LIBRARY PROTOTYPE [ARG]...\n"
    "  Calls PROTOTYPE's function from LIBRARY (a path, file or short name such as libc;\n"
    "  '-' for the running process) with ARGs converted by the parameter types, and prints\n"
    "  the result. A variadic prototype takes its variadic types from --vararg, or infers\n"
    "  them from the ARGs (integer -> int or long, decimal -> double, else const char *).\n"
    "  --symbol names the function when PROTOTYPE does not (\":int (:int)\", \"int (int)\").\n"
    "  example: jiffi call libc 'size_t strlen(const char *)' hello   # prints 5\n"
    "       jiffi plan [--target T] [--cdef DECLS]... [--vararg TYPES] PROTOTYPE\n"
    "  Prints how PROTOTYPE is passed on target T (default: the host) and its LLVM type.\n"
    "       jiffi stats [--calls N] [CALL OPTIONS] LIBRARY PROTOTYPE [ARG]...\n"
    "  Calls the function N times on an AUTO context and prints the tiering counters.\n"
    "exit status: 0 success, 1 a jiffi error (message on stderr), 2 usage error\n";

// Prints err to stderr prefixed by what failed, disposes it, and returns exit status 1.
int report(jiffi_error* err, const char* what) {
    std::fprintf(stderr, "jiffi: %s: %s\n", what, jiffi_error_message(err));
    jiffi_error_dispose(err);
    return 1;
}

// Parses a whole string as a signed integer (any base prefix).
bool parse_int(const char* s, long long& out) {
    errno = 0;
    char* end = nullptr;
    out = std::strtoll(s, &end, 0);
    return *s && end && *end == 0 && errno == 0;
}

// Parses a whole string as an unsigned integer (any base prefix), refusing a sign.
bool parse_uint(const char* s, unsigned long long& out) {
    errno = 0;
    char* end = nullptr;
    if (*s == '-') return false;
    out = std::strtoull(s, &end, 0);
    return *s && end && *end == 0 && errno == 0;
}

// Parses a whole string as a floating-point number.
bool parse_double(const char* s, double& out) {
    errno = 0;
    char* end = nullptr;
    out = std::strtod(s, &end);
    return *s && end && *end == 0 && errno != ERANGE;
}

// The type to pass a variadic argument written as text in the shell.
std::string infer_vararg_type(const char* s) {
    long long i;
    double d;
    if (parse_int(s, i)) return (i >= -2147483648LL && i <= 2147483647LL) ? "int" : "long";
    if (parse_double(s, d)) return "double";
    return "const char *";
}

// Prints a double in its shortest round-trip form.
void print_double(double d) {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof(buf), d);
    *r.ptr = 0;
    std::printf("%s\n", buf);
}

int run_call(int argc, char** argv) {
    jiffi_backend backend = JIFFI_BACKEND_AUTO;
    std::vector<std::string> cdefs;
    const char* vararg = nullptr;
    const char* symbol = nullptr;
    int i = 0;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; ++i) {
        std::string opt = argv[i];
        if (i + 1 >= argc) {
            std::fprintf(stderr, "jiffi: option %s needs a value\n%s", opt.c_str(), kUsage);
            return 2;
        }
        const char* val = argv[++i];
        if (opt == "--backend") {
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
            std::fprintf(stderr, "jiffi: unknown option '%s'\n%s", opt.c_str(), kUsage);
            return 2;
        }
    }
    if (argc - i < 2) {
        std::fputs(kUsage, stderr);
        return 2;
    }
    const char* libname = argv[i];
    const char* proto = argv[i + 1];
    char** args = argv + i + 2;
    int nargs = argc - i - 2;

    jiffi_context* ctx = nullptr;
    if (jiffi_error* e = jiffi_context_create(backend, &ctx)) return report(e, "context");
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
        if (jiffi_error* e = jiffi_cdef(ctx, d.c_str())) return report(e, "--cdef");
    jiffi_signature* sig = nullptr;
    if (jiffi_error* e = jiffi_signature_parse(ctx, proto, &sig)) return report(e, "prototype");
    if (jiffi_signature_is_variadic(sig)) {
        std::string types;
        if (vararg) {
            types = vararg;
        } else {
            for (int k = static_cast<int>(jiffi_signature_arg_count(sig)); k < nargs; ++k)
                types += (types.empty() ? "" : ", ") + infer_vararg_type(args[k]);
        }
        jiffi_signature* site = nullptr;
        if (jiffi_error* e = jiffi_signature_vararg(ctx, sig, types.c_str(), &site))
            return report(e, "--vararg");
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
            return report(e, "signature");
        const char* a = args[k];
        bool ok = true;
        switch (info.value_class) {
        case JIFFI_CLASS_SINT: {
            long long v = 0;
            ok = parse_int(a, v);
            slots[k].i64 = v;
            break;
        }
        case JIFFI_CLASS_UINT: {
            unsigned long long v = 0;
            ok = parse_uint(a, v);
            slots[k].u64 = v;
            break;
        }
        case JIFFI_CLASS_FLOAT: {
            double v = 0;
            ok = parse_double(a, v);
            slots[k].u64 = 0;
            slots[k].f32 = static_cast<float>(v);
            break;
        }
        case JIFFI_CLASS_DOUBLE: ok = parse_double(a, slots[k].f64); break;
        case JIFFI_CLASS_POINTER: {
            unsigned long long v = 0;
            if (!std::strcmp(a, "NULL")) slots[k].ptr = nullptr;
            else if (!info.is_char_pointer && std::strncmp(a, "0x", 2) == 0 && parse_uint(a, v))
                slots[k].ptr = reinterpret_cast<void*>(static_cast<uintptr_t>(v));
            else slots[k].ptr = const_cast<char*>(a);
            break;
        }
        default:
            std::fprintf(stderr, "jiffi: argument %zu of '%s' is passed by value in memory and "
                                 "cannot be given on the command line\n",
                         k + 1, jiffi_signature_text(sig));
            return 2;
        }
        if (!ok) {
            std::fprintf(stderr, "jiffi: argument %zu ('%s') is not a valid %s for '%s'\n", k + 1,
                         a, info.value_class == JIFFI_CLASS_FLOAT || info.value_class == JIFFI_CLASS_DOUBLE
                             ? "number" : "integer",
                         jiffi_signature_text(sig));
            return 2;
        }
    }
    jiffi_library* lib = nullptr;
    if (jiffi_error* e = jiffi_library_open(ctx, std::strcmp(libname, "-") ? libname : nullptr, &lib))
        return report(e, "library");
    cleanup.lib = lib;
    std::string name = symbol ? symbol : jiffi_signature_name(sig);
    if (name.empty()) {
        std::fprintf(stderr, "jiffi: the prototype '%s' names no function: add --symbol NAME\n", proto);
        return 2;
    }
    jiffi_function* fn = nullptr;
    if (jiffi_error* e = jiffi_function_bind(lib, name.c_str(), sig, &fn)) return report(e, "bind");
    cleanup.fn = fn;
    jiffi_type_info ri;
    if (jiffi_error* e = jiffi_signature_type_info(sig, -1, &ri)) return report(e, "signature");
    std::vector<unsigned char> ret(ri.size + 32);
    std::fflush(stdout);
    jiffi_function_call(fn, slots.data(), ret.data());
    jiffi_slot r;
    std::memcpy(&r, ret.data(), sizeof(r));
    switch (ri.value_class) {
    case JIFFI_CLASS_VOID: break;
    case JIFFI_CLASS_SINT: std::printf("%lld\n", static_cast<long long>(r.i64)); break;
    case JIFFI_CLASS_UINT: std::printf("%llu\n", static_cast<unsigned long long>(r.u64)); break;
    case JIFFI_CLASS_FLOAT: print_double(r.f32); break;
    case JIFFI_CLASS_DOUBLE: print_double(r.f64); break;
    case JIFFI_CLASS_POINTER:
        if (ri.is_char_pointer) std::printf("%s\n", r.ptr ? static_cast<const char*>(r.ptr) : "NULL");
        else if (r.ptr) std::printf("%p\n", r.ptr);
        else std::printf("NULL\n");
        break;
    default:
        for (size_t k = 0; k < ri.size; ++k) std::printf("%02x", ret[k]);
        std::printf("\n");
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc >= 2 && !std::strcmp(argv[1], "call")) return run_call(argc - 2, argv + 2);
    if (argc >= 2 && !std::strcmp(argv[1], "plan")) return run_plan(argc - 2, argv + 2);
    if (argc >= 2 && !std::strcmp(argv[1], "stats")) return run_stats(argc - 2, argv + 2);
    if (argc >= 2 && (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "help"))) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    std::fputs(kUsage, stderr);
    return 2;
}

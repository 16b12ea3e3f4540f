// Binding a prototype from command-line arguments, shared by `jiffi call` and `jiffi stats`.
#include "cli_call.hpp"

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace jiffi::cli {

namespace {

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

// Converts the text a to the slot of a parameter described by info; false if it cannot.
bool to_slot(const jiffi_type_info& info, const char* a, jiffi_slot& slot) {
    switch (info.value_class) {
    case JIFFI_CLASS_SINT: {
        long long v = 0;
        bool ok = parse_int(a, v);
        slot.i64 = v;
        return ok;
    }
    case JIFFI_CLASS_UINT: {
        unsigned long long v = 0;
        bool ok = parse_uint(a, v);
        slot.u64 = v;
        return ok;
    }
    case JIFFI_CLASS_FLOAT: {
        double v = 0;
        bool ok = parse_double(a, v);
        slot.u64 = 0;
        slot.f32 = static_cast<float>(v);
        return ok;
    }
    case JIFFI_CLASS_DOUBLE: return parse_double(a, slot.f64);
    case JIFFI_CLASS_POINTER: {
        unsigned long long v = 0;
        if (!std::strcmp(a, "NULL")) slot.ptr = nullptr;
        else if (!info.is_char_pointer && std::strncmp(a, "0x", 2) == 0 && parse_uint(a, v))
            slot.ptr = reinterpret_cast<void*>(static_cast<uintptr_t>(v));
        else slot.ptr = const_cast<char*>(a);
        return true;
    }
    default: return false;
    }
}

// Prints a double in its shortest round-trip form.
void print_double(const char* prefix, double d) {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof(buf), d);
    *r.ptr = 0;
    std::printf("%s%s\n", prefix, buf);
}

}  // namespace

BoundCall::~BoundCall() {
    jiffi_function_destroy(fn);
    jiffi_library_close(lib);
    jiffi_context_destroy(ctx);
}

int report(jiffi_error* err, const char* what) {
    std::fprintf(stderr, "jiffi: %s: %s\n", what, jiffi_error_message(err));
    jiffi_error_dispose(err);
    return 1;
}

int bind_from_args(int argc, char** argv, const char* usage, const std::vector<std::string>& flags,
                   const ExtraOption& extra, BoundCall& out) {
    jiffi_backend backend = JIFFI_BACKEND_AUTO;
    std::vector<std::string> cdefs;
    const char* vararg = nullptr;
    const char* symbol = nullptr;
    int i = 0;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; ++i) {
        std::string opt = argv[i];
        bool is_flag = false;
        for (const std::string& f : flags) is_flag = is_flag || f == opt;
        if (is_flag) {
            extra(opt, nullptr);
            continue;
        }
        if (i + 1 >= argc) {
            std::fprintf(stderr, "jiffi: option %s needs a value\n%s", opt.c_str(), usage);
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
        } else if (int taken = extra ? extra(opt, val) : 0) {
            if (taken > 1) return taken - 2;
        } else {
            std::fprintf(stderr, "jiffi: unknown option '%s'\n%s", opt.c_str(), usage);
            return 2;
        }
    }
    if (argc - i < 2) {
        std::fputs(usage, stderr);
        return 2;
    }
    const char* libname = argv[i];
    const char* proto = argv[i + 1];
    char** args = argv + i + 2;
    int nargs = argc - i - 2;

    if (jiffi_error* e = jiffi_context_create(backend, &out.ctx)) return report(e, "context");
    for (const std::string& d : cdefs)
        if (jiffi_error* e = jiffi_cdef(out.ctx, d.c_str())) return report(e, "--cdef");
    if (jiffi_error* e = jiffi_signature_parse(out.ctx, proto, &out.sig)) return report(e, "prototype");
    if (jiffi_signature_is_variadic(out.sig)) {
        std::string types;
        if (vararg) {
            types = vararg;
        } else {
            for (int k = static_cast<int>(jiffi_signature_arg_count(out.sig)); k < nargs; ++k)
                types += (types.empty() ? "" : ", ") + infer_vararg_type(args[k]);
        }
        jiffi_signature* site = nullptr;
        if (jiffi_error* e = jiffi_signature_vararg(out.ctx, out.sig, types.c_str(), &site))
            return report(e, "--vararg");
        out.sig = site;
    }
    size_t n = jiffi_signature_arg_count(out.sig);
    if (static_cast<size_t>(nargs) != n) {
        std::fprintf(stderr, "jiffi: '%s' takes %zu arguments, %d given\n", jiffi_signature_text(out.sig), n,
                     nargs);
        return 2;
    }
    out.args.assign(n + 1, jiffi_slot{});
    for (size_t k = 0; k < n; ++k) {
        jiffi_type_info info;
        if (jiffi_error* e = jiffi_signature_type_info(out.sig, static_cast<long>(k), &info))
            return report(e, "signature");
        if (!to_slot(info, args[k], out.args[k])) {
            const char* what = info.value_class == JIFFI_CLASS_MEMORY ? "value passed in memory"
                               : info.value_class == JIFFI_CLASS_FLOAT || info.value_class == JIFFI_CLASS_DOUBLE
                                   ? "number"
                                   : "integer";
            std::fprintf(stderr, "jiffi: argument %zu ('%s') is not a valid %s for '%s'\n", k + 1, args[k], what,
                         jiffi_signature_text(out.sig));
            return 2;
        }
    }
    if (jiffi_error* e = jiffi_library_open(out.ctx, std::strcmp(libname, "-") ? libname : nullptr, &out.lib))
        return report(e, "library");
    std::string name = symbol ? symbol : jiffi_signature_name(out.sig);
    if (name.empty()) {
        std::fprintf(stderr, "jiffi: the prototype '%s' names no function: add --symbol NAME\n", proto);
        return 2;
    }
    if (jiffi_error* e = jiffi_signature_type_info(out.sig, -1, &out.ret_info)) return report(e, "signature");
    out.ret.assign(out.ret_info.size + 32, 0);
    auto t0 = std::chrono::steady_clock::now();
    if (jiffi_error* e = jiffi_function_bind(out.lib, name.c_str(), out.sig, &out.fn)) return report(e, "bind");
    out.bind_us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
    return -1;
}

void print_result(const jiffi_type_info& info, const std::vector<unsigned char>& ret, const char* prefix) {
    jiffi_slot r;
    std::memcpy(&r, ret.data(), sizeof(r));
    switch (info.value_class) {
    case JIFFI_CLASS_VOID: break;
    case JIFFI_CLASS_SINT: std::printf("%s%lld\n", prefix, static_cast<long long>(r.i64)); break;
    case JIFFI_CLASS_UINT: std::printf("%s%llu\n", prefix, static_cast<unsigned long long>(r.u64)); break;
    case JIFFI_CLASS_FLOAT: print_double(prefix, r.f32); break;
    case JIFFI_CLASS_DOUBLE: print_double(prefix, r.f64); break;
    case JIFFI_CLASS_POINTER:
        if (info.is_char_pointer) std::printf("%s%s\n", prefix, r.ptr ? static_cast<const char*>(r.ptr) : "NULL");
        else if (r.ptr) std::printf("%s%p\n", prefix, r.ptr);
        else std::printf("%sNULL\n", prefix);
        break;
    default:
        std::printf("%s", prefix);
        for (size_t k = 0; k < info.size; ++k) std::printf("%02x", ret[k]);
        std::printf("\n");
    }
}

}  // namespace jiffi::cli

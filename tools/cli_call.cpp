// Binding a prototype from command-line arguments, shared by `jiffi call` and `jiffi stats`.
#include "cli_call.hpp"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace jiffi::cli {

namespace {

// How parsing a whole string as a number went.
enum class Parsed { Ok, NotANumber, OutOfRange };

// Parses a whole string (no surrounding space) as a signed integer (any base prefix).
Parsed parse_int(const char* s, long long& out) {
    errno = 0;
    char* end = nullptr;
    if (!*s || std::isspace(static_cast<unsigned char>(*s))) return Parsed::NotANumber;
    out = std::strtoll(s, &end, 0);
    if (end == s || *end) return Parsed::NotANumber;
    return errno == ERANGE ? Parsed::OutOfRange : Parsed::Ok;
}

// Parses a whole string as an unsigned integer (any base prefix); a negative number is out of range.
Parsed parse_uint(const char* s, unsigned long long& out) {
    long long neg = 0;
    if (*s == '-') {
        Parsed p = parse_int(s, neg);
        out = 0;
        return p == Parsed::Ok && neg == 0 ? Parsed::Ok : p == Parsed::NotANumber ? p : Parsed::OutOfRange;
    }
    errno = 0;
    char* end = nullptr;
    if (!*s || std::isspace(static_cast<unsigned char>(*s))) return Parsed::NotANumber;
    out = std::strtoull(s, &end, 0);
    if (end == s || *end) return Parsed::NotANumber;
    return errno == ERANGE ? Parsed::OutOfRange : Parsed::Ok;
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
    if (parse_int(s, i) == Parsed::Ok) return (i >= -2147483648LL && i <= 2147483647LL) ? "int" : "long";
    if (parse_double(s, d)) return "double";
    return "const char *";
}

// The largest magnitude that rounds to a finite float (FLT_MAX plus half its ulp, exclusive).
constexpr double kFloatOverflow = 0x1.ffffffp127;

// Parses a pointer argument. A char pointer is its text (NULL for a null pointer); any other
// pointer written as NULL, 0 or a whole nonnegative integer (decimal, 0x hex, 0 octal) is that
// address, and other text is passed as a C string. False for a number that is no address.
bool parse_pointer(const char* a, bool is_char_pointer, void*& out) {
    out = const_cast<char*>(a);
    if (!std::strcmp(a, "NULL")) out = nullptr;
    if (is_char_pointer || !out) return true;
    unsigned long long v = 0;
    Parsed p = parse_uint(a, v);
    if (p == Parsed::Ok && v <= UINTPTR_MAX) out = reinterpret_cast<void*>(static_cast<uintptr_t>(v));
    return p != Parsed::OutOfRange && v <= UINTPTR_MAX;
}

// The range of a C integer of bits width (at most 64) and signedness, in words.
std::string range_text(const jiffi_type_detail& detail, unsigned bits, bool is_signed) {
    if (detail.kind == JIFFI_KIND_BOOL) return "0..1";
    if (is_signed)
        return std::to_string(bits >= 64 ? LLONG_MIN : -(1LL << (bits - 1))) + ".." +
               std::to_string(bits >= 64 ? LLONG_MAX : (1LL << (bits - 1)) - 1);
    return "0.." + std::to_string(bits >= 64 ? ULLONG_MAX : (1ULL << bits) - 1);
}

// Converts the text a to the slot of a parameter described by info and detail; returns ""
// or why it cannot (the text is not a number of the class, or out of the C type's range).
std::string to_slot(const jiffi_type_info& info, const jiffi_type_detail& detail, const char* a, jiffi_slot& slot) {
    unsigned bits = info.size >= 8 ? 64 : static_cast<unsigned>(info.size * 8);
    std::string out_of_range = "is out of range of " + std::string(detail.spelling);
    switch (info.value_class) {
    case JIFFI_CLASS_SINT: {
        long long v = 0;
        Parsed p = parse_int(a, v);
        long long lo = bits >= 64 ? LLONG_MIN : -(1LL << (bits - 1));
        long long hi = bits >= 64 ? LLONG_MAX : (1LL << (bits - 1)) - 1;
        if (p == Parsed::NotANumber) return "is not a valid integer";
        if (p == Parsed::OutOfRange || v < lo || v > hi) return out_of_range + " (" + range_text(detail, bits, true) + ")";
        slot.i64 = v;
        return "";
    }
    case JIFFI_CLASS_UINT: {
        unsigned long long v = 0;
        unsigned long long hi = detail.kind == JIFFI_KIND_BOOL ? 1 : bits >= 64 ? ULLONG_MAX : (1ULL << bits) - 1;
        Parsed p = parse_uint(a, v);
        if (p == Parsed::NotANumber) return "is not a valid integer";
        if (p == Parsed::OutOfRange || v > hi) return out_of_range + " (" + range_text(detail, bits, false) + ")";
        slot.u64 = v;
        return "";
    }
    case JIFFI_CLASS_FLOAT: {
        double v = 0;
        if (!parse_double(a, v)) return "is not a valid number";
        if (std::isfinite(v) && std::fabs(v) >= kFloatOverflow)
            return out_of_range + " (a finite value beyond FLT_MAX)";
        slot.u64 = 0;
        slot.f32 = static_cast<float>(v);
        return "";
    }
    case JIFFI_CLASS_DOUBLE:
        if (!parse_double(a, slot.f64)) return "is not a valid number (or out of range of double)";
        return "";
    case JIFFI_CLASS_POINTER:
        if (!parse_pointer(a, info.is_char_pointer != 0, slot.ptr))
            return "is not an address for " + std::string(detail.spelling);
        return "";
    default:
        return "cannot be given on the command line: " + std::string(detail.spelling) + " is passed in memory";
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
        jiffi_type_detail detail;
        if (jiffi_error* e = jiffi_signature_type_detail(out.sig, static_cast<long>(k), &detail))
            return report(e, "signature");
        std::string why = to_slot(info, detail, args[k], out.args[k]);
        if (!why.empty()) {
            std::fprintf(stderr, "jiffi: argument %zu ('%s') %s for '%s'\n", k + 1, args[k], why.c_str(),
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

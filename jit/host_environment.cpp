// The host environment string of cached stubs (see host_environment.hpp).
#include "jit/host_environment.hpp"

#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <string>

#if defined(__x86_64__)
#include <cpuid.h>
#elif defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

#include "jit/stub_compiler.hpp"

#ifndef JIFFI_LLVM_VERSION
#error "JIFFI_LLVM_VERSION must name the LLVM the JIT plugin is built with"
#endif

namespace jiffi::detail {

namespace {

// The words LLVM's host detection reads (CPU name and features), without those that differ
// from one core or one moment to the next (the APIC id, the logical processor count).
std::string cpu_words() {
    std::string out;
    auto add = [&](uint32_t v) {
        char buf[12];
        std::snprintf(buf, sizeof buf, "%s%08x", out.empty() ? "" : ".", v);
        out += buf;
    };
#if defined(__x86_64__)
    unsigned a = 0, b = 0, c = 0, d = 0;
    unsigned max = __get_cpuid_max(0, nullptr);
    __cpuid(0, a, b, c, d);
    add(b), add(d), add(c);  // the vendor
    __cpuid(1, a, b, c, d);
    add(a), add(c), add(d);  // signature (family, model, stepping) and feature flags
    if (max >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        add(b), add(c), add(d);
        __cpuid_count(7, 1, a, b, c, d);
        add(a), add(b), add(c), add(d);
    }
    if (max >= 0xd) {
        __cpuid_count(0xd, 1, a, b, c, d);
        add(a);
    }
    if (max >= 0x14) {
        __cpuid_count(0x14, 0, a, b, c, d);
        add(b);
    }
    if (max >= 0x19) {
        __cpuid_count(0x19, 0, a, b, c, d);
        add(b);
    }
    unsigned ext = __get_cpuid_max(0x80000000, nullptr);
    if (ext >= 0x80000001) {
        __cpuid(0x80000001, a, b, c, d);
        add(c), add(d);
    }
    if (ext >= 0x80000008) {
        __cpuid(0x80000008, a, b, c, d);
        add(b);
    }
    __cpuid(1, a, b, c, d);
    if (c & bit_OSXSAVE) {
        uint32_t lo = 0, hi = 0;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        add(lo), add(hi);  // which register states the system saves (AVX, AVX-512 usable)
    }
#elif defined(__aarch64__) && defined(__linux__)
    unsigned long hw = getauxval(AT_HWCAP), hw2 = getauxval(AT_HWCAP2);
    add(static_cast<uint32_t>(hw)), add(static_cast<uint32_t>(hw >> 32));
    add(static_cast<uint32_t>(hw2)), add(static_cast<uint32_t>(hw2 >> 32));
    // The CPU's own identity, read by LLVM from /proc/cpuinfo for its CPU name.
    if (FILE* f = std::fopen("/proc/cpuinfo", "r")) {
        char line[256];
        while (std::fgets(line, sizeof line, f))
            for (const char* k : {"CPU implementer", "CPU part", "CPU variant"})
                if (std::string(line).rfind(k, 0) == 0) out += std::string(";") + line;
        std::fclose(f);
    }
#endif
    return out;
}

#if defined(__x86_64__)
constexpr const char* kArch = "x86_64";
#elif defined(__aarch64__)
constexpr const char* kArch = "aarch64";
#else
constexpr const char* kArch = "unknown";
#endif

}  // namespace

const std::string& host_environment() {
    static const std::string env = "jiffi stubs " + std::to_string(kStubFormatVersion) + "; LLVM " JIFFI_LLVM_VERSION +
                                   "; " + kArch + "; cpu " + cpu_words() + "; codegen O0";
    return env;
}

}  // namespace jiffi::detail

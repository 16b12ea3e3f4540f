// Target facts for the triples jiffi knows.
#include "marshal/target.hpp"

#include <vector>

#include "base/error.hpp"

namespace jiffi::detail {

namespace {

// The '-'-separated components of a triple.
std::vector<std::string> triple_parts(const std::string& triple) {
    std::vector<std::string> parts;
    size_t b = 0;
    while (true) {
        size_t e = triple.find('-', b);
        parts.push_back(triple.substr(b, e == std::string::npos ? std::string::npos : e - b));
        if (e == std::string::npos) return parts;
        b = e + 1;
    }
}

// True when s starts with prefix.
bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// Whether the vendor, OS and environment after the architecture name an ABI jiffi implements:
// Linux with glibc or musl (vendor pc, unknown or none), or Apple's macOS (darwin, macos).
// Returns "" when supported, else why not; sets apple for the Apple ABI.
std::string os_problem(const std::vector<std::string>& parts, bool& apple) {
    apple = false;
    if (parts.size() == 1) return "it names no operating system";
    // arch-os, arch-linux-env, or arch-vendor-os[-env].
    bool has_vendor = parts.size() > 2 && parts[1] != "linux";
    const std::string vendor = has_vendor ? parts[1] : "";
    size_t k = has_vendor ? 2 : 1;
    if (vendor == "apple" || (!has_vendor && parts.size() == 2 && parts[1] == "apple")) {
        apple = true;
        if (!has_vendor) return "";
        if (parts.size() == 3 && (starts_with(parts[2], "darwin") || starts_with(parts[2], "macos")))
            return "";
        return "Apple operating system '" + parts[2] + "' is not supported (only macOS: darwin, macos)";
    }
    const std::string& os = parts[k];
    if (os != "linux") return "operating system '" + os + "' is not supported";
    if (has_vendor && vendor != "pc" && vendor != "unknown")
        return "vendor '" + vendor + "' is not supported";
    if (k + 1 == parts.size()) return "";
    if (k + 2 < parts.size()) return "it has more components than arch-vendor-os-environment";
    if (k + 2 == parts.size() && (parts[k + 1] == "gnu" || parts[k + 1] == "musl")) return "";
    return "environment '" + parts[k + 1] + "' is not supported (only gnu and musl)";
}

}  // namespace

Target Target::from_triple(const std::string& triple) {
    Target t;
    std::vector<std::string> parts = triple_parts(triple);
    const std::string& arch = parts[0];
    bool apple = false;
    if (arch == "x86_64" || arch == "amd64" || arch == "aarch64" || arch == "arm64") {
        std::string problem = os_problem(parts, apple);
        if (!problem.empty())
            fail(ErrorCode::INVALID_ARGUMENT,
                 "unsupported target triple '" + triple + "': " + problem +
                     " (supported: x86_64-linux-gnu, aarch64-linux-gnu, x86_64-apple-macos, "
                     "arm64-apple-macos)");
    }
    if (arch == "x86_64" || arch == "amd64") {
        t.arch = Arch::X64;
        t.triple = apple ? "x86_64-apple-macos" : "x86_64-linux-gnu";
        t.os = apple ? OS::Darwin : OS::Linux;
        t.char_signed = true;
        t.wchar_signed = true;
        t.long_double = LongDoubleFormat::X87;
        t.long_double_size = 16;
        t.long_double_align = 16;
    } else if (arch == "aarch64" || arch == "arm64") {
        t.arch = Arch::AArch64;
        if (apple) {
            t.triple = "arm64-apple-macos";
            t.os = OS::Darwin;
            t.char_signed = true;
            t.wchar_signed = true;
            t.long_double = LongDoubleFormat::Double;
            t.long_double_size = 8;
            t.long_double_align = 8;
        } else {
            t.triple = "aarch64-linux-gnu";
            t.os = OS::Linux;
            t.zero_width_bitfield_aligns_record = true;
            t.char_signed = false;
            t.wchar_signed = false;
            t.long_double = LongDoubleFormat::IEEEQuad;
            t.long_double_size = 16;
            t.long_double_align = 16;
        }
    } else {
        fail(ErrorCode::INVALID_ARGUMENT,
             "unknown target triple '" + triple +
                 "' (known: x86_64-linux-gnu, aarch64-linux-gnu, arm64-apple-macos)");
    }
    return t;
}

const Target& Target::host() {
#if defined(__x86_64__) && defined(__linux__)
    static const Target t = from_triple("x86_64-linux-gnu");
#elif defined(__aarch64__) && defined(__APPLE__)
    static const Target t = from_triple("arm64-apple-macos");
#elif defined(__aarch64__) && defined(__linux__)
    static const Target t = from_triple("aarch64-linux-gnu");
#else
#error "jiffi: unsupported host target"
#endif
    return t;
}

}  // namespace jiffi::detail

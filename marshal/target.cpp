// Target facts for the triples jiffi knows.
#include "marshal/target.hpp"

#include "marshal/error.hpp"

namespace jiffi::detail {

Target Target::from_triple(const std::string& triple) {
    Target t;
    auto starts = [&](const char* p) { return triple.rfind(p, 0) == 0; };
    bool apple = triple.find("apple") != std::string::npos ||
                 triple.find("darwin") != std::string::npos ||
                 triple.find("macos") != std::string::npos;
    if (starts("x86_64") || starts("amd64")) {
        t.arch = Arch::X64;
        t.triple = apple ? "x86_64-apple-macos" : "x86_64-linux-gnu";
        t.os = apple ? OS::Darwin : OS::Linux;
        t.char_signed = true;
        t.wchar_signed = true;
        t.long_double = LongDoubleFormat::X87;
        t.long_double_size = 16;
        t.long_double_align = 16;
    } else if (starts("aarch64") || starts("arm64")) {
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

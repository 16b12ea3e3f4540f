// A compilation target: the data model facts that types and layouts depend on.
#pragma once

#include <cstdint>
#include <string>

namespace jiffi::detail {

enum class Arch : uint8_t { X64, AArch64 };
enum class OS : uint8_t { Linux, Darwin };
enum class LongDoubleFormat : uint8_t { X87, IEEEQuad, Double };

// The facts of one target triple that jiffi's types and layouts need.
struct Target {
    std::string triple;            // normalized, e.g. "x86_64-linux-gnu"
    Arch arch = Arch::X64;
    OS os = OS::Linux;
    bool char_signed = true;       // plain char is signed (x86-64, Apple arm64)
    bool wchar_signed = true;      // wchar_t is int (true) or unsigned int (false)
    LongDoubleFormat long_double = LongDoubleFormat::X87;
    uint32_t long_double_size = 16;
    uint32_t long_double_align = 16;
    // Unnamed bitfields, zero-width or not, raise the record's alignment to their type's
    // (AAPCS64 as GCC and Clang implement it on Linux; not on x86-64 nor Apple arm64).
    bool zero_width_bitfield_aligns_record = false;

    // The target jiffi runs on.
    static const Target& host();
    // The target for a triple such as "x86_64-linux-gnu", "aarch64-linux-gnu" or
    // "arm64-apple-macos"; throws Error(INVALID_ARGUMENT) naming a triple of an unknown
    // architecture or of an OS or environment whose ABI jiffi does not implement (Windows,
    // MinGW, Android, x32, the BSDs...).
    static Target from_triple(const std::string& triple);
};

}  // namespace jiffi::detail

// Content hashing for caches: BLAKE3 (from LLVM's static Support library, so no libLLVM is
// loaded), the one hash jiffi uses for file names, dependency checks and file integrity.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace jiffi::detail {

// The 256-bit BLAKE3 digest of bytes.
std::array<uint8_t, 32> blake3(std::string_view bytes) noexcept;

// The first 64 bits of blake3(bytes), for names and quick comparisons (not for integrity).
uint64_t blake3_64(std::string_view bytes) noexcept;

}  // namespace jiffi::detail

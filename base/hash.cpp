// BLAKE3 through LLVM's C interface to it (llvm-c/blake3.h, a plain C header).
#include "base/hash.hpp"

#include <llvm-c/blake3.h>

#include <cstring>

namespace jiffi::detail {

std::array<uint8_t, 32> blake3(std::string_view bytes) noexcept {
    llvm_blake3_hasher h;
    llvm_blake3_hasher_init(&h);
    llvm_blake3_hasher_update(&h, bytes.data(), bytes.size());
    std::array<uint8_t, 32> d;
    llvm_blake3_hasher_finalize(&h, d.data(), d.size());
    return d;
}

uint64_t blake3_64(std::string_view bytes) noexcept {
    std::array<uint8_t, 32> d = blake3(bytes);
    uint64_t h;
    std::memcpy(&h, d.data(), sizeof h);
    return h;
}

}  // namespace jiffi::detail

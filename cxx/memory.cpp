// Foreign memory of the C++ API: C heap allocation with overflow checks and the memory
// pool's slow paths (new chunks, large blocks).
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "jiffi/memory.hpp"

namespace jiffi {

size_t MemoryPool::array_bytes(size_t elem, size_t count) {
    if (count == 0) throw Error(Errc::INVALID_ARGUMENT, "pool allocate: count must be at least 1");
    if (elem && count > SIZE_MAX / elem)
        throw Error(Errc::OUT_OF_MEMORY, "pool allocate: " + std::to_string(count) + " objects of " +
                                             std::to_string(elem) + " bytes overflow size_t");
    return elem * count;
}

void* foreign_alloc_bytes(size_t elem_size, size_t count) {
    size_t elem = elem_size ? elem_size : 1;
    if (count == 0) throw Error(Errc::INVALID_ARGUMENT, "foreign_alloc: count must be at least 1");
    if (count > SIZE_MAX / elem)
        throw Error(Errc::OUT_OF_MEMORY, "foreign_alloc: " + std::to_string(count) + " objects of " +
                                             std::to_string(elem) + " bytes overflow size_t");
    void* p = std::calloc(1, elem * count);
    if (!p) throw Error(Errc::OUT_OF_MEMORY, "foreign_alloc: " + std::to_string(elem * count) + " bytes");
    return p;
}

void foreign_free(void* p) noexcept { std::free(p); }

MemoryPool::~MemoryPool() {
    for (size_t i = 0; i < chunk_count_; ++i) std::free(chunks_[i]);
    std::free(chunks_);
}

void* MemoryPool::allocate_large(size_t bytes) {
    void* p = std::aligned_alloc(kMinBlock, (bytes + kMinBlock - 1) / kMinBlock * kMinBlock);
    if (!p) throw Error(Errc::OUT_OF_MEMORY, "memory pool: " + std::to_string(bytes) + " bytes");
    return p;
}

void MemoryPool::deallocate_large(void* p) noexcept { std::free(p); }

void* MemoryPool::refill(size_t c) {
    size_t block = kMinBlock << c;
    if (chunk_count_ == chunk_cap_) {
        size_t want = chunk_cap_ ? chunk_cap_ * 2 : 8;
        void* grown = std::realloc(chunks_, want * sizeof(void*));
        if (!grown) throw Error(Errc::OUT_OF_MEMORY, "memory pool: the chunk list");
        chunks_ = static_cast<void**>(grown);
        chunk_cap_ = want;
    }
    void* chunk = std::aligned_alloc(64, kChunk);
    if (!chunk) throw Error(Errc::OUT_OF_MEMORY, "memory pool: a chunk of 64 KiB");
    chunks_[chunk_count_++] = chunk;
    auto* base = static_cast<unsigned char*>(chunk);
    for (size_t off = block; off + block <= kChunk; off += block) {
        Node* n = reinterpret_cast<Node*>(base + off);
        n->next = free_[c];
        free_[c] = n;
    }
    return base;
}

}  // namespace jiffi

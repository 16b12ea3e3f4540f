// jiffi foreign memory: typed allocation, scoped allocation, memory pools, pinned arrays.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "jiffi/jiffi.hpp"

namespace jiffi {

// foreign-alloc by size: count zeroed objects of elem_size bytes (aligned for any C type);
// Error(INVALID_ARGUMENT) for a zero count, Error(OUT_OF_MEMORY) on overflow or exhaustion.
JIFFI_CXX_API void* foreign_alloc_bytes(size_t elem_size, size_t count = 1);

// foreign-alloc: count zeroed objects of T in C heap memory, freed with foreign_free.
template <class T>
T* foreign_alloc(size_t count = 1) {
    static_assert(std::is_trivially_copyable_v<T>, "foreign memory holds C objects");
    return static_cast<T*>(foreign_alloc_bytes(sizeof(T), count));
}

class Runtime;
// foreign-alloc by type name (":int", "struct timespec", keyword or C syntax) in a runtime's
// context (the default runtime's without rt): count zeroed objects (cxx/foreign.cpp).
JIFFI_CXX_API void* foreign_alloc(Runtime& rt, std::string_view type_name, size_t count = 1);
JIFFI_CXX_API void* foreign_alloc(std::string_view type_name, size_t count = 1);

// foreign-free: frees memory from foreign_alloc (a null pointer is ignored).
JIFFI_CXX_API void foreign_free(void* p) noexcept;

// with-foreign-memory: count zeroed objects of T, freed when the object goes out of scope.
template <class T>
class ForeignMemory {
public:
    explicit ForeignMemory(size_t count = 1) : ptr_(foreign_alloc<T>(count)), count_(count) {}
    ForeignMemory(ForeignMemory&& o) noexcept
        : ptr_(std::exchange(o.ptr_, nullptr)), count_(std::exchange(o.count_, 0)) {}
    ForeignMemory& operator=(ForeignMemory&& o) noexcept {
        std::swap(ptr_, o.ptr_);
        std::swap(count_, o.count_);
        return *this;
    }
    ForeignMemory(const ForeignMemory&) = delete;
    ForeignMemory& operator=(const ForeignMemory&) = delete;
    ~ForeignMemory() { foreign_free(ptr_); }

    T* get() const { return ptr_; }
    T& operator[](size_t i) const { return ptr_[i]; }
    T& operator*() const { return *ptr_; }
    size_t count() const { return count_; }
    size_t size_bytes() const { return count_ * sizeof(T); }
    T* begin() const { return ptr_; }
    T* end() const { return ptr_ + count_; }

private:
    T* ptr_;
    size_t count_;
};

// Runs f with a pointer to count zeroed objects of T, freed when f returns or throws.
template <class T, class F>
decltype(auto) with_foreign_memory(size_t count, F&& f) {
    ForeignMemory<T> mem(count);
    return std::forward<F>(f)(mem.get());
}

// A memory pool: size classes of 16 to 4096 bytes kept on free lists carved from 64 KiB
// chunks; larger requests go to the C heap. One thread at a time (thread_memory_pool() is
// one per thread); blocks are 16-byte aligned and not zeroed.
class JIFFI_CXX_API MemoryPool {
public:
    static constexpr size_t kMinBlock = 16;
    static constexpr size_t kMaxBlock = 4096;
    static constexpr size_t kClasses = 9;  // 16, 32, ..., 4096
    static constexpr size_t kChunk = 64 * 1024;

    MemoryPool() = default;
    MemoryPool(const MemoryPool&) = delete;
    MemoryPool& operator=(const MemoryPool&) = delete;
    ~MemoryPool();

    // A block of at least bytes bytes (16-byte aligned); throws Error(OUT_OF_MEMORY).
    void* allocate(size_t bytes) {
        if (__builtin_expect(bytes > kMaxBlock, 0)) return allocate_large(bytes);
        size_t c = size_class(bytes);
        Node* n = free_[c];
        if (__builtin_expect(!n, 0)) return refill(c);
        free_[c] = n->next;
        return n;
    }

    // Returns a block from allocate(bytes) of this pool (bytes as given to allocate).
    void deallocate(void* p, size_t bytes) noexcept {
        if (!p) return;
        if (__builtin_expect(bytes > kMaxBlock, 0)) return deallocate_large(p);
        size_t c = size_class(bytes);
        Node* n = static_cast<Node*>(p);
        n->next = free_[c];
        free_[c] = n;
    }

    // Typed allocation of count objects of T.
    template <class T>
    T* allocate(size_t count) {
        static_assert(alignof(T) <= kMinBlock, "pool blocks are 16-byte aligned");
        return static_cast<T*>(allocate(array_bytes(sizeof(T), count)));
    }
    template <class T>
    void deallocate(T* p, size_t count) noexcept {
        deallocate(static_cast<void*>(p), sizeof(T) * count);
    }

    // Bytes held in chunks (for tests and statistics).
    size_t reserved_bytes() const { return chunk_count_ * kChunk; }

    // The size class of a request of 1..kMaxBlock bytes (0 is 16 bytes).
    static size_t size_class(size_t bytes) {
        return bytes <= kMinBlock ? 0 : static_cast<size_t>(64 - __builtin_clzll(bytes - 1)) - 4;
    }

private:
    struct Node {
        Node* next;
    };

    // Bytes for count objects of elem bytes, failing on zero or overflow.
    static size_t array_bytes(size_t elem, size_t count);
    void* allocate_large(size_t bytes);
    static void deallocate_large(void* p) noexcept;
    // Carves a new chunk into blocks of class c and returns one of them.
    void* refill(size_t c);

    Node* free_[kClasses] = {};
    void** chunks_ = nullptr;  // the chunks, freed with the pool
    size_t chunk_count_ = 0, chunk_cap_ = 0;
};

// The calling thread's memory pool.
JIFFI_CXX_API MemoryPool& thread_memory_pool();

// with-pooled-memory: count objects of T from the thread's pool (not zeroed), returned to
// it when the object goes out of scope; must be destroyed on the thread that made it.
template <class T>
class PooledMemory {
public:
    explicit PooledMemory(size_t count = 1)
        : pool_(&thread_memory_pool()), ptr_(pool_->allocate<T>(count)), count_(count) {}
    PooledMemory(MemoryPool& pool, size_t count) : pool_(&pool), ptr_(pool.allocate<T>(count)), count_(count) {}
    PooledMemory(const PooledMemory&) = delete;
    PooledMemory& operator=(const PooledMemory&) = delete;
    ~PooledMemory() { pool_->deallocate(ptr_, count_); }

    T* get() const { return ptr_; }
    T& operator[](size_t i) const { return ptr_[i]; }
    size_t count() const { return count_; }
    size_t size_bytes() const { return count_ * sizeof(T); }

private:
    MemoryPool* pool_;
    T* ptr_;
    size_t count_;
};

// Runs f with a pointer to count objects of T from the thread's pool, returned after f.
template <class T, class F>
decltype(auto) with_pooled_memory(size_t count, F&& f) {
    PooledMemory<T> mem(count);
    return std::forward<F>(f)(mem.get());
}

// with-pinned-array: a zero-copy view of a contiguous buffer, passed as a pointer argument.
// C++ objects never move, so pinning is taking the buffer's address and length.
template <class T>
class PinnedArray {
public:
    PinnedArray(T* data, size_t count) : data_(data), count_(count) {}
    T* data() const { return data_; }
    size_t size() const { return count_; }
    size_t size_bytes() const { return count_ * sizeof(T); }
    operator T*() const { return data_; }

private:
    T* data_;
    size_t count_;
};

// Pins a contiguous container (std::vector, std::array, std::string, span: anything with
// .data() and .size()) or a C array.
template <class C>
auto pin(C& container) {
    using T = std::remove_reference_t<decltype(*container.data())>;
    return PinnedArray<T>(container.data(), container.size());
}
template <class T, size_t N>
PinnedArray<T> pin(T (&array)[N]) {
    return PinnedArray<T>(array, N);
}

// Runs f with the pinned view of container.
template <class C, class F>
decltype(auto) with_pinned_array(C& container, F&& f) {
    return std::forward<F>(f)(pin(container));
}

// Pinned arrays, scoped and pooled memory go to foreign calls as pointers to their first element.
template <class T>
struct Converter<PinnedArray<T>> {
    static Value to_foreign(const PinnedArray<T>& a, const TypeDesc&) { return Value(static_cast<const void*>(a.data())); }
};
template <class T>
struct Converter<ForeignMemory<T>> {
    static Value to_foreign(const ForeignMemory<T>& m, const TypeDesc&) { return Value(static_cast<void*>(m.get())); }
};
template <class T>
struct Converter<PooledMemory<T>> {
    static Value to_foreign(const PooledMemory<T>& m, const TypeDesc&) { return Value(static_cast<void*>(m.get())); }
};

}  // namespace jiffi

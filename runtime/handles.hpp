// C API handles: objects in type-stable pools whose handles carry a generation, so that a
// destroyed, repeated or stale handle is recognized instead of reaching freed memory.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#include "base/error.hpp"

namespace jiffi::detail {

// A handle is its cell's address (below 2^48) with the cell's generation (never 0) in the
// top 16 bits; the cell's tag holds the handle while the object is live.
constexpr unsigned kHandleGenerationShift = 48;
constexpr uintptr_t kHandleAddressMask = (uintptr_t(1) << kHandleGenerationShift) - 1;

// What a handle that is not live was: never live here, destroyed already, or stale (its cell
// now holds a newer object).
enum class HandleState { Live, Destroyed, Stale };

// Writes one line on stderr saying that api was given a handle (of kind what) that is not
// live, and that the call did nothing.
void report_bad_handle(const char* api, const char* what, const void* handle, HandleState why) noexcept;

// The pool of one object type. Cells are never freed: a stale handle always reads a tag,
// never memory returned to the allocator. Objects are reference counted: the handle holds
// one reference, and objects that need another one alive (a context's children) hold more.
template <class T>
class HandlePool {
    struct alignas(64) Cell {
        std::atomic<uintptr_t> tag{0};  // the handle while live; handle | 1 once destroyed
        std::atomic<uint32_t> refs{0};
        uint16_t generation = 0;        // of the newest handle made in the cell
        Cell* next_free = nullptr;
        alignas(T) unsigned char storage[sizeof(T)];
    };
    static constexpr size_t kStorageOffset = offsetof(Cell, storage);
    static constexpr size_t kChunkCells = 64;

public:
    // The pool, made on first use and never destroyed (handles may outlive static destructors).
    static HandlePool& instance() {
        static HandlePool* pool = new HandlePool();
        return *pool;
    }

    // Constructs an object holding one reference, not yet reachable by a handle.
    template <class... A>
    T* make(A&&... args) {
        Cell* c = take();
        try {
            new (c->storage) T(std::forward<A>(args)...);
        } catch (...) {
            give_back(c);
            throw;
        }
        c->refs.store(1, std::memory_order_relaxed);
        return object(c);
    }

    // Gives obj (made by make) its handle, which is live from now on.
    uintptr_t publish(T* obj) {
        Cell* c = cell(obj);
        uint16_t g = static_cast<uint16_t>(c->generation + 1);
        if (g == 0) g = 1;
        c->generation = g;
        uintptr_t h = reinterpret_cast<uintptr_t>(c) | (uintptr_t(g) << kHandleGenerationShift);
        c->tag.store(h, std::memory_order_release);
        return h;
    }

    // The object a live handle names, or null (for a null handle or one that is not live).
    static T* resolve(const void* handle) noexcept {
        auto h = reinterpret_cast<uintptr_t>(handle);
        auto* c = reinterpret_cast<Cell*>(h & kHandleAddressMask);
        if (!c || c->tag.load(std::memory_order_acquire) != h) return nullptr;
        return object(c);
    }

    // Why a non-null handle that resolve refused is not live.
    static HandleState state(const void* handle) noexcept {
        auto h = reinterpret_cast<uintptr_t>(handle);
        auto* c = reinterpret_cast<Cell*>(h & kHandleAddressMask);
        uintptr_t tag = c->tag.load(std::memory_order_acquire);
        if (tag == h) return HandleState::Live;
        return tag == (h | 1) ? HandleState::Destroyed : HandleState::Stale;
    }

    // Ends a live handle and drops its reference; false (nothing done) when the handle was not
    // live, also when another thread ended it first.
    bool destroy(const void* handle) {
        auto h = reinterpret_cast<uintptr_t>(handle);
        auto* c = reinterpret_cast<Cell*>(h & kHandleAddressMask);
        if (!c) return false;
        uintptr_t expected = h;
        if (!c->tag.compare_exchange_strong(expected, h | 1, std::memory_order_acq_rel)) return false;
        release(object(c));
        return true;
    }

    // Calls f with each object whose handle is live (which may be ending meanwhile: f must only
    // touch what stays valid in a destroyed object's cell, such as atomics).
    template <class F>
    void for_each_live(F&& f) {
        std::lock_guard<std::mutex> lock(mu_);
        for (Cell* chunk : chunks_)
            for (size_t i = 0; i < kChunkCells; ++i) {
                uintptr_t tag = chunk[i].tag.load(std::memory_order_acquire);
                if (tag && !(tag & 1)) f(object(&chunk[i]));
            }
    }

    // Before fork(): takes the pool's lock (a leaf: nothing else is locked while it is held).
    void fork_prepare() noexcept { mu_.lock(); }
    // After fork(): releases it (in the parent and the child alike).
    void fork_release() noexcept { mu_.unlock(); }

    // Takes another reference on obj.
    static void retain(T* obj) noexcept { cell(obj)->refs.fetch_add(1, std::memory_order_relaxed); }

    // Drops a reference on obj: the last one destroys it and recycles its cell.
    void release(T* obj) {
        Cell* c = cell(obj);
        if (c->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
        obj->~T();
        give_back(c);
    }

private:
    HandlePool() = default;

    static T* object(Cell* c) noexcept { return std::launder(reinterpret_cast<T*>(c->storage)); }
    static Cell* cell(T* obj) noexcept {
        return reinterpret_cast<Cell*>(reinterpret_cast<char*>(obj) - kStorageOffset);
    }

    // A free cell, the one freed longest ago (so a cell's generations go round slowly).
    Cell* take() {
        std::lock_guard<std::mutex> lock(mu_);
        if (!head_) grow();
        Cell* c = head_;
        head_ = c->next_free;
        if (!head_) tail_ = nullptr;
        return c;
    }

    void give_back(Cell* c) {
        std::lock_guard<std::mutex> lock(mu_);
        c->next_free = nullptr;
        if (tail_) tail_->next_free = c;
        else head_ = c;
        tail_ = c;
    }

    // Adds a chunk of cells to the free list (under mu_).
    void grow() {
        void* mem = ::operator new(sizeof(Cell) * kChunkCells, std::align_val_t(alignof(Cell)));
        if ((reinterpret_cast<uintptr_t>(mem) + sizeof(Cell) * kChunkCells) & ~kHandleAddressMask) {
            ::operator delete(mem, std::align_val_t(alignof(Cell)));
            fail(ErrorCode::OUT_OF_MEMORY, "no memory below 2^48 for C API handles");
        }
        auto* cells = static_cast<Cell*>(mem);
        for (size_t i = 0; i < kChunkCells; ++i) {
            new (&cells[i]) Cell();
            cells[i].next_free = i + 1 < kChunkCells ? &cells[i + 1] : nullptr;
        }
        head_ = &cells[0];
        tail_ = &cells[kChunkCells - 1];
        chunks_.push_back(cells);
    }

    std::mutex mu_;
    std::vector<Cell*> chunks_;  // every chunk made, never freed
    Cell* head_ = nullptr;
    Cell* tail_ = nullptr;
};

// The handle value of a published object, as the C API's pointer type H.
template <class H>
H* as_handle(uintptr_t h) noexcept {
    return reinterpret_cast<H*>(h);
}

}  // namespace jiffi::detail

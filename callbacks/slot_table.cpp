// Trampoline chunks: code pages written once then made read+execute, parallel data pages.
#include "callbacks/slot_table.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "jit/stub_compiler.hpp"
#include "marshal/error.hpp"

// The released-call trap: a trampoline's target once its slot is released. The slot arrives
// in the static-chain register (%r10); the report never returns.
#if defined(__x86_64__)
asm(R"(
    .text
    .p2align 4
    .globl jiffi_callbacks_released_trap
    .hidden jiffi_callbacks_released_trap
    .type jiffi_callbacks_released_trap, @function
jiffi_callbacks_released_trap:
    mov %r10, %rdi
    and $-16, %rsp
    call jiffi_callbacks_released_call
    ud2
    .size jiffi_callbacks_released_trap, .-jiffi_callbacks_released_trap
)");
extern "C" void jiffi_callbacks_released_trap();
#endif

namespace jiffi::detail {

namespace {

// A chunk: kSlots trampolines of kCode bytes, then their data slots. Chunks are aligned to
// kChunkAlign so a data slot finds its chunk (and its trampoline) by masking its address.
constexpr size_t kSlots = 2048;
constexpr size_t kCode = 24;
constexpr size_t kCodeBytes = kSlots * kCode;
constexpr size_t kDataBytes = kSlots * sizeof(SlotData);
constexpr size_t kChunkAlign = 256 * 1024;
constexpr int64_t kThreadEntering = offsetof(ThreadRecord, entering);

// Thunks read slots and thread records at the offsets the JIT was given.
static_assert(offsetof(SlotData, handler) == kSlotHandlerOffset);
static_assert(offsetof(SlotData, user_data) == kSlotUserDataOffset);
static_assert(offsetof(ThreadRecord, depth) == kThreadDepthOffset);
static_assert(offsetof(ThreadRecord, registered) == kThreadRegisteredOffset);
static_assert(offsetof(ThreadRecord, exits) == kThreadExitsOffset);
static_assert(offsetof(ThreadRecord, entering) == kThreadEnteringOffset);
static_assert(kCodeBytes + kDataBytes <= kChunkAlign);

// How each released-call message names its signature.
std::atomic<OwnerDescriber> describer{nullptr};

// Writes trampoline i of a chunk at code: marks the thread's record as entering (before the
// target is read, so that a release that finds the thread idle cannot race the jump), puts
// the data slot in %r10 and jumps to its target:
//   movb $1, %fs:entering ; lea slot(%rip), %r10 ; jmp *slot(%rip) ; int3 padding
void write_trampoline(unsigned char* code, size_t i, int32_t entering_offset) {
    unsigned char* at = code + i * kCode;
    auto disp = [&](size_t from) {
        return static_cast<int32_t>(static_cast<int64_t>(kCodeBytes + i * sizeof(SlotData)) -
                                    static_cast<int64_t>(i * kCode + from));
    };
    std::memset(at, 0xcc, kCode);
    at[0] = 0x64; at[1] = 0xc6; at[2] = 0x04; at[3] = 0x25;  // movb $imm8, %fs:disp32
    std::memcpy(at + 4, &entering_offset, 4);
    at[8] = 0x01;
    int32_t lea = disp(16), jmp = disp(22);
    at[9] = 0x4c; at[10] = 0x8d; at[11] = 0x15;  // lea disp32(%rip), %r10
    std::memcpy(at + 12, &lea, 4);
    at[16] = 0xff; at[17] = 0x25;                // jmp *disp32(%rip)
    std::memcpy(at + 18, &jmp, 4);
}

}  // namespace

bool SlotTable::supported() {
#if defined(__x86_64__)
    return true;
#else
    return false;
#endif
}

SlotTable& SlotTable::instance() {
    if (!supported()) fail(ErrorCode::UNSUPPORTED, "JIT callbacks have no trampoline code for this host");
    // Never destroyed: callbacks may be called or released by other static destructors.
    static SlotTable* table = new SlotTable();
    return *table;
}

void SlotTable::grow() {
    // Reserve twice the alignment, keep an aligned chunk, give the rest back.
    size_t reserve = 2 * kChunkAlign;
    void* raw = mmap(nullptr, reserve, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) fail(ErrorCode::OUT_OF_MEMORY, "cannot map a callback trampoline chunk");
    auto start = reinterpret_cast<uintptr_t>(raw);
    uintptr_t base = (start + kChunkAlign - 1) & ~(kChunkAlign - 1);
    if (base > start) munmap(raw, base - start);
    munmap(reinterpret_cast<void*>(base + kChunkAlign), start + reserve - base - kChunkAlign);
    auto* chunk = reinterpret_cast<char*>(base);
    // Code pages are written while read+write, then made read+execute: never both at once.
    if (mprotect(chunk, kCodeBytes + kDataBytes, PROT_READ | PROT_WRITE) != 0) {
        munmap(chunk, kChunkAlign);
        fail(ErrorCode::OUT_OF_MEMORY, "cannot make a callback trampoline chunk writable");
    }
    auto* code = reinterpret_cast<unsigned char*>(chunk);
    int64_t record = 0;
    if (!thread_record_offset(record) || record + kThreadEntering < INT32_MIN || record + kThreadEntering > INT32_MAX) {
        munmap(chunk, kChunkAlign);
        fail(ErrorCode::UNSUPPORTED, "callback trampolines cannot reach the thread's callback record");
    }
    for (size_t i = 0; i < kSlots; ++i) write_trampoline(code, i, static_cast<int32_t>(record + kThreadEntering));
    if (mprotect(chunk, kCodeBytes, PROT_READ | PROT_EXEC) != 0) {
        munmap(chunk, kChunkAlign);
        fail(ErrorCode::OUT_OF_MEMORY, "cannot make callback trampolines executable");
    }
    // New slots join the free list in address order.
    auto* data = reinterpret_cast<SlotData*>(chunk + kCodeBytes);
    for (size_t i = kSlots; i-- > 0;) {
        data[i].user_data = free_;
        free_ = &data[i];
    }
    chunks_.push_back(chunk);
    capacity_ += kSlots;
}

void SlotTable::recycle(std::vector<std::pair<void (*)(void*), void*>>& disposals) {
    // Oldest batches first; the filling batch is never recycled.
    size_t done = 0;
    while (done + 1 < quarantine_.size()) {
        Batch& b = quarantine_[done];
        if (quarantined_ - b.slots.size() < kMinQuarantine || !has_returned(b.in_flight)) break;
        for (SlotData* s : b.slots) {
            if (!disposers_.empty()) {
                auto it = disposers_.find(s);
                if (it != disposers_.end()) {
                    disposals.push_back(it->second);
                    disposers_.erase(it);
                }
            }
            s->user_data = free_;
            free_ = s;
        }
        quarantined_ -= b.slots.size();
        ++done;
    }
    quarantine_.erase(quarantine_.begin(), quarantine_.begin() + static_cast<long>(done));
}

SlotData* SlotTable::acquire(void* thunk, jiffi_handler handler, void* user_data, const void* owner,
                             void (*dispose)(void*)) {
    SlotData* s;
    std::vector<std::pair<void (*)(void*), void*>> disposals;
    {
        std::lock_guard<SpinLock> lock(mu_);
        if (!free_ && quarantine_.size() > 1) recycle(disposals);
        if (!free_) grow();
        if (dispose) disposers_[free_] = {dispose, user_data};  // may throw: before the slot is taken
        s = free_;
        free_ = static_cast<SlotData*>(s->user_data);
        ++live_;
    }
    // The released callbacks' data goes back to its owners outside the lock.
    for (auto& [fn, data] : disposals) fn(data);
    s->handler = handler;
    s->user_data = user_data;
    s->owner = owner;
    s->target.store(thunk, std::memory_order_release);
    return s;
}

void* SlotTable::code(const SlotData* slot) const {
    auto p = reinterpret_cast<uintptr_t>(slot);
    uintptr_t base = p & ~(kChunkAlign - 1);
    size_t i = (p - base - kCodeBytes) / sizeof(SlotData);
    return reinterpret_cast<void*>(base + i * kCode);
}

void SlotTable::release(SlotData* slot) {
#if defined(__x86_64__)
    // A second release of the same callback changes nothing.
    auto* trap = reinterpret_cast<void*>(&jiffi_callbacks_released_trap);
    if (slot->target.exchange(trap, std::memory_order_acq_rel) == trap) return;
#endif
    constexpr size_t kBatch = 1024;  // two process-wide barriers per batch, amortized
    std::vector<std::pair<void (*)(void*), void*>> disposals;
    {
        std::lock_guard<SpinLock> lock(mu_);
        if (quarantine_.empty() || quarantine_.back().slots.size() == kBatch) {
            // The filled batch's grace period starts now: the calls running now must return.
            if (!quarantine_.empty()) quarantine_.back().in_flight = snapshot_in_flight();
            quarantine_.emplace_back();
            quarantine_.back().slots.reserve(kBatch);
            // Batches past the quarantine's minimum go back to the free list once their
            // calls returned, so the quarantine stays bounded and handler data is freed.
            recycle(disposals);
        }
        quarantine_.back().slots.push_back(slot);
        ++quarantined_;
        --live_;
    }
    for (auto& [fn, data] : disposals) fn(data);
}

bool SlotTable::is_live(const SlotData* p) const {
    auto addr = reinterpret_cast<uintptr_t>(p);
    uintptr_t base = addr & ~(kChunkAlign - 1);
    std::lock_guard<SpinLock> lock(mu_);
    bool ours = std::find(chunks_.begin(), chunks_.end(), reinterpret_cast<char*>(base)) != chunks_.end();
    if (!ours || addr < base + kCodeBytes || addr >= base + kCodeBytes + kDataBytes) return false;
    if ((addr - base - kCodeBytes) % sizeof(SlotData)) return false;
#if defined(__x86_64__)
    void* target = p->target.load(std::memory_order_acquire);
    return target && target != reinterpret_cast<void*>(&jiffi_callbacks_released_trap);
#else
    return false;
#endif
}

SlotTableStats SlotTable::stats() const {
    std::lock_guard<SpinLock> lock(mu_);
    return SlotTableStats{capacity_, live_, quarantined_, chunks_.size()};
}

void set_owner_describer(OwnerDescriber fn) { describer.store(fn); }

extern "C" void jiffi_callbacks_released_call(const SlotData* slot) {
    OwnerDescriber d = describer.load();
    const char* what = d && slot->owner ? d(slot->owner) : "(unknown signature)";
    std::fprintf(stderr, "jiffi: a released callback was called: '%s' (callback %p); aborting\n", what,
                 static_cast<const void*>(slot));
    std::fflush(stderr);
    std::abort();
}

}  // namespace jiffi::detail

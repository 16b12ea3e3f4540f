// Trampoline chunks: code pages written once then made read+execute, parallel data pages.
#include "callbacks/slot_table.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

#include "jit/stub_compiler.hpp"
#include "base/error.hpp"
#include "base/messages.hpp"

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

// A chunk: kSlots code places of kCode bytes, then their data slots, then a tag word per
// slot. The first kEntrySlots places hold the chunk's entry code, the others a trampoline
// each. Chunks are aligned to kChunkAlign so a data slot finds its chunk (and its
// trampoline and tag) by masking its address.
constexpr size_t kSlots = 2048;
constexpr size_t kCode = 16;
constexpr size_t kEntrySlots = 4;
constexpr size_t kCodeBytes = kSlots * kCode;
constexpr size_t kDataBytes = kSlots * sizeof(SlotData);
constexpr size_t kTagBytes = kSlots * sizeof(std::atomic<uint64_t>);
constexpr size_t kChunkAlign = 256 * 1024;
constexpr int64_t kThreadEntering = offsetof(ThreadRecord, entering);
constexpr int64_t kThreadRegistered = offsetof(ThreadRecord, registered);

static_assert(kCodeBytes + kDataBytes + kTagBytes <= kChunkAlign);
static_assert(std::atomic<uint64_t>::is_always_lock_free);

// How each released-call message names its signature.
std::atomic<OwnerDescriber> describer{nullptr};

// The owner of a plain table's chunk's first data slot (never handed out): it tells the
// released-call report that the slot was an invoker, not a callback.
const char kPlainChunk = 0;

// Writes the chunk's entry code at code, which every trampoline of the chunk jumps to with
// its data slot in %r10. It marks the thread's record as entering (before the target is
// read, so that a release that finds the thread idle cannot race the jump), registers the
// thread on its first callback (before the target is read: what a thread reads of a slot,
// releasers can see it reading), and jumps to the slot's target:
//   movb $1, %fs:entering ; cmpl $0, %fs:registered ; je 1f ; jmp *(%r10)
//   1: movabs $register, %r11 ; call *%r11 ; jmp *(%r10)
// register keeps every register but r11, so the arguments reach the target untouched.
void write_entry(unsigned char* code, int32_t entering, int32_t registered, void (*register_thread)()) {
    unsigned char* at = code;
    std::memset(code, 0xcc, kEntrySlots * kCode);
    auto put = [&](std::initializer_list<unsigned char> bytes) {
        for (unsigned char b : bytes) *at++ = b;
    };
    auto put32 = [&](int32_t v) {
        std::memcpy(at, &v, 4);
        at += 4;
    };
    put({0x64, 0xc6, 0x04, 0x25});  // movb $imm8, %fs:disp32
    put32(entering);
    put({0x01});
    put({0x64, 0x83, 0x3c, 0x25});  // cmpl $imm8, %fs:disp32
    put32(registered);
    put({0x00});
    put({0x74, 0x03});              // je +3
    put({0x41, 0xff, 0x22});        // jmp *(%r10)
    put({0x49, 0xbb});              // movabs $imm64, %r11
    auto address = reinterpret_cast<uint64_t>(register_thread);
    std::memcpy(at, &address, 8);
    at += 8;
    put({0x41, 0xff, 0xd3});        // call *%r11
    put({0x41, 0xff, 0x22});        // jmp *(%r10)
    if (at > code + kEntrySlots * kCode) std::abort();  // the entry code outgrew its places
}

// Writes the entry code of a plain table's chunk at code: it jumps to the slot's target,
// recording nothing (the slots are not callbacks):   jmp *(%r10)
void write_plain_entry(unsigned char* code) {
    std::memset(code, 0xcc, kEntrySlots * kCode);
    code[0] = 0x41; code[1] = 0xff; code[2] = 0x22;  // jmp *(%r10)
}

// Writes trampoline i of a chunk at code: puts the data slot in %r10 and jumps to the
// chunk's entry code:
//   lea slot(%rip), %r10 ; jmp entry ; int3 padding
void write_trampoline(unsigned char* code, size_t i) {
    unsigned char* at = code + i * kCode;
    std::memset(at, 0xcc, kCode);
    auto lea = static_cast<int32_t>(static_cast<int64_t>(kCodeBytes + i * sizeof(SlotData)) -
                                    static_cast<int64_t>(i * kCode + 7));
    auto jmp = static_cast<int32_t>(-static_cast<int64_t>(i * kCode + 12));
    at[0] = 0x4c; at[1] = 0x8d; at[2] = 0x15;  // lea disp32(%rip), %r10
    std::memcpy(at + 3, &lea, 4);
    at[7] = 0xe9;                              // jmp rel32
    std::memcpy(at + 8, &jmp, 4);
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
    if (!supported()) fail(ErrorCode::UNSUPPORTED, messages::kNoTrampolineCode);
    // Never destroyed: callbacks may be called or released by other static destructors.
    static SlotTable* table = new SlotTable(true);
    return *table;
}

SlotTable& SlotTable::plain() {
    if (!supported()) fail(ErrorCode::UNSUPPORTED, "this host has no trampoline code");
    // Never destroyed, like the callbacks' table.
    static SlotTable* table = new SlotTable(false);
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
    if (mprotect(chunk, kCodeBytes + kDataBytes + kTagBytes, PROT_READ | PROT_WRITE) != 0) {
        munmap(chunk, kChunkAlign);
        fail(ErrorCode::OUT_OF_MEMORY, "cannot make a callback trampoline chunk writable");
    }
    auto* code = reinterpret_cast<unsigned char*>(chunk);
    int64_t record = 0;
    if (!thread_record_offset(record) || record < INT32_MIN || record + kThreadEntering > INT32_MAX) {
        munmap(chunk, kChunkAlign);
        fail(ErrorCode::UNSUPPORTED, "callback trampolines cannot reach the thread's callback record");
    }
#if defined(__x86_64__)
    if (tracked_)
        write_entry(code, static_cast<int32_t>(record + kThreadEntering),
                    static_cast<int32_t>(record + kThreadRegistered), &jiffi_callbacks_register_thread_preserving);
    else
        write_plain_entry(code);
#endif
    for (size_t i = kEntrySlots; i < kSlots; ++i) write_trampoline(code, i);
    if (mprotect(chunk, kCodeBytes, PROT_READ | PROT_EXEC) != 0) {
        munmap(chunk, kChunkAlign);
        fail(ErrorCode::OUT_OF_MEMORY, "cannot make callback trampolines executable");
    }
    // New slots join the free list in address order.
    auto* data = reinterpret_cast<SlotData*>(chunk + kCodeBytes);
    data[0].owner = tracked_ ? nullptr : &kPlainChunk;
    for (size_t i = kSlots; i-- > kEntrySlots;) {
        data[i].user_data = free_;
        free_ = &data[i];
    }
    chunks_.push_back(chunk);
    capacity_ += kSlots - kEntrySlots;
}

void SlotTable::recycle(std::vector<std::pair<void (*)(void*), void*>>& disposals) {
    // Oldest batches first; the filling batch is never recycled.
    if (quarantine_.size() < 2 || quarantined_ - quarantine_.front().slots.size() < kMinQuarantine) return;
    std::vector<const void*> running;
    if (!running_callbacks(running)) return;
    size_t done = 0;
    while (done + 1 < quarantine_.size()) {
        Batch& b = quarantine_[done];
        if (quarantined_ - b.slots.size() < kMinQuarantine) break;
        // Both lists are sorted: a merge finds a slot of the batch still running.
        bool busy = false;
        for (size_t i = 0, j = 0; i < running.size() && j < b.slots.size() && !busy;) {
            const void* slot = b.slots[j];
            if (running[i] < slot) ++i;
            else if (slot < running[i]) ++j;
            else busy = true;
        }
        if (busy) break;
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
#if defined(__x86_64__)
    if (!thunk) thunk = reinterpret_cast<void*>(&jiffi_callbacks_released_trap);
#endif
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
            // The filled batch is sorted for the checks of the callbacks running.
            if (!quarantine_.empty()) std::sort(quarantine_.back().slots.begin(), quarantine_.back().slots.end());
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
    if (!ours || addr < base + kCodeBytes + kEntrySlots * sizeof(SlotData) || addr >= base + kCodeBytes + kDataBytes)
        return false;
    if ((addr - base - kCodeBytes) % sizeof(SlotData)) return false;
#if defined(__x86_64__)
    void* target = p->target.load(std::memory_order_acquire);
    return target && target != reinterpret_cast<void*>(&jiffi_callbacks_released_trap);
#else
    return false;
#endif
}

bool SlotTable::is_slot_address(const void* p) noexcept {
    auto addr = reinterpret_cast<uintptr_t>(p);
    uintptr_t at = addr & (kChunkAlign - 1);
    return at >= kCodeBytes + kEntrySlots * sizeof(SlotData) && at < kCodeBytes + kDataBytes &&
           (at - kCodeBytes) % sizeof(SlotData) == 0;
}

std::atomic<uint64_t>& SlotTable::tag(const SlotData* slot) noexcept {
    auto addr = reinterpret_cast<uintptr_t>(slot);
    uintptr_t base = addr & ~(kChunkAlign - 1);
    size_t i = (addr - base - kCodeBytes) / sizeof(SlotData);
    return reinterpret_cast<std::atomic<uint64_t>*>(base + kCodeBytes + kDataBytes)[i];
}

SlotTableStats SlotTable::stats() const {
    std::lock_guard<SpinLock> lock(mu_);
    return SlotTableStats{capacity_, live_, quarantined_, chunks_.size()};
}

void set_owner_describer(OwnerDescriber fn) { describer.store(fn); }

extern "C" void jiffi_callbacks_released_call(const SlotData* slot) {
    uintptr_t base = reinterpret_cast<uintptr_t>(slot) & ~(kChunkAlign - 1);
    if (reinterpret_cast<const SlotData*>(base + kCodeBytes)->owner == &kPlainChunk) {
        std::fprintf(stderr, "jiffi: a libffi invoker was called after its signature was destroyed (slot %p); aborting\n",
                     static_cast<const void*>(slot));
        std::fflush(stderr);
        std::abort();
    }
    OwnerDescriber d = describer.load();
    const char* what = d && slot->owner ? d(slot->owner) : "(unknown signature)";
    std::fprintf(stderr, messages::kReleasedCallbackCalled, what,
                 static_cast<const void*>(slot));
    std::fflush(stderr);
    std::abort();
}

}  // namespace jiffi::detail

// Per-thread callback records in initial-exec TLS, their registry, and the callbacks running.
#include "callbacks/threads.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>

#include <linux/membarrier.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

// jiffi_callbacks_register_thread behind a wrapper that preserves every register but r11, so
// that the trampolines' entry code calls it on a thread's first callback with the callback's
// arguments in place.
#if defined(__x86_64__)
asm(R"(
    .text
    .p2align 4
    .globl jiffi_callbacks_register_thread_preserving
    .hidden jiffi_callbacks_register_thread_preserving
    .type jiffi_callbacks_register_thread_preserving, @function
jiffi_callbacks_register_thread_preserving:
    push %rbp
    mov %rsp, %rbp
    and $-16, %rsp
    sub $336, %rsp
    movdqu %xmm0, 0(%rsp)
    movdqu %xmm1, 16(%rsp)
    movdqu %xmm2, 32(%rsp)
    movdqu %xmm3, 48(%rsp)
    movdqu %xmm4, 64(%rsp)
    movdqu %xmm5, 80(%rsp)
    movdqu %xmm6, 96(%rsp)
    movdqu %xmm7, 112(%rsp)
    movdqu %xmm8, 128(%rsp)
    movdqu %xmm9, 144(%rsp)
    movdqu %xmm10, 160(%rsp)
    movdqu %xmm11, 176(%rsp)
    movdqu %xmm12, 192(%rsp)
    movdqu %xmm13, 208(%rsp)
    movdqu %xmm14, 224(%rsp)
    movdqu %xmm15, 240(%rsp)
    mov %rax, 256(%rsp)
    mov %rcx, 264(%rsp)
    mov %rdx, 272(%rsp)
    mov %rsi, 280(%rsp)
    mov %rdi, 288(%rsp)
    mov %r8, 296(%rsp)
    mov %r9, 304(%rsp)
    mov %r10, 312(%rsp)
    call jiffi_callbacks_register_thread
    movdqu 0(%rsp), %xmm0
    movdqu 16(%rsp), %xmm1
    movdqu 32(%rsp), %xmm2
    movdqu 48(%rsp), %xmm3
    movdqu 64(%rsp), %xmm4
    movdqu 80(%rsp), %xmm5
    movdqu 96(%rsp), %xmm6
    movdqu 112(%rsp), %xmm7
    movdqu 128(%rsp), %xmm8
    movdqu 144(%rsp), %xmm9
    movdqu 160(%rsp), %xmm10
    movdqu 176(%rsp), %xmm11
    movdqu 192(%rsp), %xmm12
    movdqu 208(%rsp), %xmm13
    movdqu 224(%rsp), %xmm14
    movdqu 240(%rsp), %xmm15
    mov 256(%rsp), %rax
    mov 264(%rsp), %rcx
    mov 272(%rsp), %rdx
    mov 280(%rsp), %rsi
    mov 288(%rsp), %rdi
    mov 296(%rsp), %r8
    mov 304(%rsp), %r9
    mov 312(%rsp), %r10
    mov %rbp, %rsp
    pop %rbp
    ret
    .size jiffi_callbacks_register_thread_preserving, .-jiffi_callbacks_register_thread_preserving
)");
#endif

namespace jiffi::detail {

namespace {

// Initial-exec: the record sits at one fixed offset from the thread pointer in every thread,
// which is what lets a thunk address it with a constant.
__thread ThreadRecord tls_record __attribute__((tls_model("initial-exec")));

// The registered threads' records.
struct Registry {
    std::mutex mu;
    std::vector<ThreadRecord*> records;
};

Registry& registry() {
    // Never destroyed: threads may exit after static destructors ran.
    static Registry* r = new Registry();
    return *r;
}

// Unregisters the thread's record when the thread exits.
struct ThreadExit {
    ~ThreadExit() {
        Registry& r = registry();
        std::lock_guard<std::mutex> lock(r.mu);
        auto it = std::find(r.records.begin(), r.records.end(), &tls_record);
        if (it != r.records.end()) r.records.erase(it);
        // A callback run later in the thread's teardown must not register it again: the
        // record is about to be freed with the thread.
        std::atomic_ref<uint32_t>(tls_record.registered).store(kRetired, std::memory_order_relaxed);
    }
};

// Serializes the fallback process barrier's protection changes.
std::mutex barrier_mu;

// The thread pointer of the calling thread.
char* thread_pointer() {
#if defined(__x86_64__)
    char* tp;
    asm("mov %%fs:0, %0" : "=r"(tp));
    return tp;
#elif defined(__aarch64__)
    char* tp;
    asm("mrs %0, tpidr_el0" : "=r"(tp));
    return tp;
#else
    return nullptr;
#endif
}

// Makes the stores of every thread of the process visible before the caller reads their
// records (trampolines and thunks count calls without a fence): membarrier where the kernel
// has it, else a TLB shootdown (changing a touched page's protection interrupts every CPU
// running the process), which serializes each of them the same way.
void process_barrier() {
#ifdef __NR_membarrier
    static const bool registered =
        syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
    if (registered && syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0) return;
#endif
    static char* page = [] {
        void* p = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return p == MAP_FAILED ? nullptr : static_cast<char*>(p);
    }();
    if (!page) return;
    std::lock_guard<std::mutex> lock(barrier_mu);
    mprotect(page, 4096, PROT_READ | PROT_WRITE);
    *static_cast<volatile char*>(page) = 1;
    mprotect(page, 4096, PROT_READ);
}

}  // namespace

bool thread_record_offset(int64_t& offset) {
    char* tp = thread_pointer();
    if (!tp) return false;
    offset = reinterpret_cast<char*>(&tls_record) - tp;
    return true;
}

extern "C" void jiffi_callbacks_register_thread() {
    if (tls_record.registered) return;  // registered, or retired by an exiting thread
    // Reached from trampolines, which cannot unwind: out of memory leaves the thread unregistered
    // (its calls then hold back no reuse) rather than throwing.
    try {
        static thread_local ThreadExit on_exit;
        (void)&on_exit;
        Registry& r = registry();
        std::lock_guard<std::mutex> lock(r.mu);
        r.records.push_back(&tls_record);
        std::atomic_ref<uint32_t>(tls_record.registered).store(kRegistered, std::memory_order_relaxed);
    } catch (...) {
    }
}

CallbackScope::CallbackScope(const void* id) {
    if (!tls_record.registered) jiffi_callbacks_register_thread();
    depth_ = tls_record.depth;
    // The callback is named before the depth counts it, and both before the mark a trampoline
    // in front of the closure set is cleared: a check that sees the mark clear sees the call.
    std::atomic_ref<const void*>(tls_record.active[std::min(depth_, kActiveCallbacks)])
        .store(id, std::memory_order_relaxed);
    std::atomic_signal_fence(std::memory_order_seq_cst);
    std::atomic_ref<uint32_t>(tls_record.depth).store(depth_ + 1, std::memory_order_relaxed);
    std::atomic_signal_fence(std::memory_order_seq_cst);
    std::atomic_ref<uint8_t>(tls_record.entering).store(0, std::memory_order_relaxed);
    // The record is written before the caller reads the callback (the checker's process-wide
    // barrier orders the hardware; this keeps the compiler from moving those reads up).
    std::atomic_signal_fence(std::memory_order_seq_cst);
}

CallbackScope::~CallbackScope() {
    std::atomic_signal_fence(std::memory_order_seq_cst);
    std::atomic_ref<uint32_t>(tls_record.depth).store(depth_, std::memory_order_relaxed);
}

bool running_callbacks(std::vector<const void*>& ids) {
    ids.clear();
    // Every thread's earlier stores to its record are visible after the barrier, and so is
    // every released slot's trap to any thread reading a target after it.
    process_barrier();
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mu);
    for (ThreadRecord* rec : r.records) {
        // A thread between a trampoline's entry and its thunk may be entering a released
        // callback (its target read before the release): a few instructions, waited out.
        std::atomic_ref<uint8_t> entering(rec->entering);
        for (int spin = 0; spin < 4096 && entering.load(std::memory_order_acquire); ++spin) {
#if defined(__x86_64__)
            __builtin_ia32_pause();
#endif
        }
        if (entering.load(std::memory_order_acquire)) return false;
        uint32_t depth = std::atomic_ref<uint32_t>(rec->depth).load(std::memory_order_acquire);
        if (depth > kActiveCallbacks) return false;
        for (uint32_t i = 0; i < depth; ++i)
            ids.push_back(std::atomic_ref<const void*>(rec->active[i]).load(std::memory_order_relaxed));
    }
    std::sort(ids.begin(), ids.end());
    return true;
}

void threads_fork_prepare() noexcept {
    barrier_mu.lock();
    registry().mu.lock();
}

void threads_fork_release(bool child) noexcept {
    Registry& r = registry();
    if (child) {
        // The forking thread's record is the only one whose thread exists (registering it
        // again cannot allocate: the vector keeps its capacity).
        r.records.clear();
        if (tls_record.registered == kRegistered) r.records.push_back(&tls_record);
    }
    r.mu.unlock();
    barrier_mu.unlock();
}

}  // namespace jiffi::detail

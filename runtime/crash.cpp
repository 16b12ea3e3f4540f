// Crash reports: fatal-signal handlers that name the foreign function (and callback) a
// faulting thread is inside, written async-signal-safely, before the signal is passed on.
#include "runtime/crash.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>

#include "base/secure_io.hpp"
#include "callbacks/slot_table.hpp"
#include "callbacks/threads.hpp"
#include "callbacks/thunks.hpp"
#include "base/error.hpp"
#include "runtime/context.hpp"
#include "runtime/function.hpp"

namespace jiffi::detail {

std::atomic<bool> g_crash_reports{false};

namespace {

// The thread's mark: the function it is calling through jiffi_function_call (innermost), and
// its callback depth when that call began. Initial-exec: plain reads in the signal handler.
__thread const jiffi_function* tls_fn __attribute__((tls_model("initial-exec"))) = nullptr;
__thread uint32_t tls_depth __attribute__((tls_model("initial-exec"))) = 0;
__thread bool tls_stack_ready __attribute__((tls_model("initial-exec"))) = false;

constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE};

std::mutex g_install_mu;
bool g_installed = false;
struct sigaction g_previous[NSIG];  // written before the handlers are, read by them
bool g_have_record = false;         // the callback record is reachable from the thread pointer
int64_t g_record_offset = 0;
std::atomic<bool> g_reported{false};

// The calling thread's thread pointer (null where unknown).
char* thread_pointer() noexcept {
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

// The calling thread's callback record (callbacks/threads.hpp), or null where unreachable.
const ThreadRecord* thread_record() noexcept {
    char* tp = g_have_record ? thread_pointer() : nullptr;
    return tp ? reinterpret_cast<const ThreadRecord*>(tp + g_record_offset) : nullptr;
}

// How many callbacks the calling thread is running now.
uint32_t callback_depth() noexcept {
    const ThreadRecord* r = thread_record();
    return r ? *reinterpret_cast<const volatile uint32_t*>(&r->depth) : 0;
}

// A thread's alternate signal stack, unmapped when the thread exits.
struct AltStack {
    char* mem = nullptr;
    size_t size = 0;
    ~AltStack() {
        if (!mem) return;
        stack_t cur{};
        if (sigaltstack(nullptr, &cur) == 0 && static_cast<char*>(cur.ss_sp) >= mem &&
            static_cast<char*>(cur.ss_sp) < mem + size) {
            stack_t off{};
            off.ss_flags = SS_DISABLE;
            sigaltstack(&off, nullptr);
        }
        munmap(mem, size);
    }
};

// Gives the calling thread an alternate signal stack (with a guard page below it) unless it
// has one, so that a stack overflow in foreign code is still reported.
void prepare_thread() noexcept {
    tls_stack_ready = true;
    stack_t cur{};
    if (sigaltstack(nullptr, &cur) != 0 || !(cur.ss_flags & SS_DISABLE)) return;  // the thread has one
    static thread_local AltStack alt;
    size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    size_t size = std::max<size_t>(64 * 1024, static_cast<size_t>(SIGSTKSZ) * 4);
    size = (size + page - 1) / page * page;
    void* p = mmap(nullptr, size + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return;  // the report then runs on the thread's own stack
    auto* mem = static_cast<char*>(p);
    mprotect(mem, page, PROT_NONE);
    stack_t ss{};
    ss.ss_sp = mem + page;
    ss.ss_size = size;
    if (sigaltstack(&ss, nullptr) != 0) {
        munmap(mem, size + page);
        return;
    }
    alt.mem = mem;
    alt.size = size + page;
}

// A fixed buffer for one report line, filled without allocating.
struct Line {
    char buf[2048];
    size_t n = 0;
    void add(const char* s) noexcept {
        while (s && *s && n < sizeof buf - 1) buf[n++] = *s++;
    }
    void hex(uintptr_t v) noexcept {
        char tmp[2 + 16];
        int k = 0;
        do {
            tmp[k++] = "0123456789abcdef"[v & 15];
            v >>= 4;
        } while (v && k < 16);
        add("0x");
        while (k > 0 && n < sizeof buf - 1) buf[n++] = tmp[--k];
    }
    void dec(uint32_t v) noexcept {
        char tmp[12];
        int k = 0;
        do {
            tmp[k++] = static_cast<char>('0' + v % 10);
            v /= 10;
        } while (v);
        while (k > 0 && n < sizeof buf - 1) buf[n++] = tmp[--k];
    }
    void flush() noexcept {
        buf[n++] = '\n';
        for (size_t off = 0; off < n;) {
            ssize_t w = write(STDERR_FILENO, buf + off, n - off);
            if (w > 0) off += static_cast<size_t>(w);
            else if (w < 0 && errno == EINTR) continue;
            else break;
        }
    }
};

const char* signal_name(int sig) noexcept {
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGILL: return "SIGILL";
    case SIGFPE: return "SIGFPE";
    default: return "a fatal signal";
    }
}

// Names the callback the record's entry id stands for: its signature and handler.
void describe_callback(Line& line, const void* id) noexcept {
    if (SlotTable::supported() && id) {
        const auto* slot = static_cast<const SlotData*>(id);
        line.add("callback '");
        line.add(slot->owner ? static_cast<const ThunkSignature*>(slot->owner)->text().c_str() : "?");
        line.add("'");
        if (slot->handler) {  // a JIT callback's (a libffi one's closure holds its own)
            line.add(" (handler ");
            line.hex(reinterpret_cast<uintptr_t>(slot->handler));
            line.add(")");
        }
    } else {
        line.add("a libffi callback");
    }
}

// Writes the report of signal sig for the calling thread.
void write_report(int sig, const siginfo_t* info, const void* uc) noexcept {
    Line line;
    line.add("jiffi: crash report: ");
    line.add(signal_name(sig));
    line.add(" (fault address ");
    line.hex(reinterpret_cast<uintptr_t>(info->si_addr));
#if defined(__x86_64__)
    if (uc) {
        line.add(", pc ");
        line.hex(static_cast<uintptr_t>(static_cast<const ucontext_t*>(uc)->uc_mcontext.gregs[REG_RIP]));
    }
#else
    (void)uc;
#endif
    line.add(")");
    const jiffi_function* fn = tls_fn;
    uint32_t depth = callback_depth();
    if (fn) {
        line.add(" in a call of foreign function '");
        if (!fn->symbol.empty()) line.add(fn->symbol.c_str());
        else {
            line.add("at ");
            line.hex(reinterpret_cast<uintptr_t>(fn->address));
        }
        line.add("' of ");
        line.add(fn->library_path.empty() ? "the running process" : fn->library_path.c_str());
        line.add(", signature '");
        line.add(fn->sig->sig.text.c_str());
        line.add("'");
    } else {
        line.add(" outside any call through jiffi_function_call on this thread");
    }
    if (depth > (fn ? tls_depth : 0)) {
        const ThreadRecord* r = thread_record();
        uint32_t i = std::min(depth - 1, kActiveCallbacks);
        line.add(": the fault is inside the handler of ");
        describe_callback(line, r->active[i]);
        line.add(fn ? ", which the callee called" : "");
        line.add(" (callbacks running on the thread: ");
        line.dec(depth);
        line.add(")");
    } else if (fn) {
        line.add(": the fault is in the callee");
    }
    line.flush();
}

// The handler of every fatal signal: reports the first one, then gives the signal back to
// the action installed before (the default one ends the process with it).
void on_fatal(int sig, siginfo_t* info, void* uc) {
    int saved = errno;
    if (!g_reported.exchange(true)) write_report(sig, info, uc);
    sigaction(sig, &g_previous[sig], nullptr);
    // A fault happens again when the handler returns, now under the previous action; a signal
    // sent by a process is sent again, to be delivered under it once the handler returns.
    if (info->si_code <= 0) raise(sig);
    errno = saved;
}

}  // namespace

CrashMark::CrashMark(const jiffi_function* fn) noexcept : prev_fn_(tls_fn), prev_depth_(tls_depth) {
    if (!tls_stack_ready) prepare_thread();
    tls_depth = callback_depth();
    std::atomic_signal_fence(std::memory_order_seq_cst);
    tls_fn = fn;
    std::atomic_signal_fence(std::memory_order_seq_cst);
}

CrashMark::~CrashMark() {
    std::atomic_signal_fence(std::memory_order_seq_cst);
    tls_fn = prev_fn_;
    tls_depth = prev_depth_;
}

void crash_install() {
    std::lock_guard<std::mutex> lock(g_install_mu);
    if (!g_installed) {
        g_have_record = thread_record_offset(g_record_offset);
        size_t done = 0;
        for (int sig : kSignals) {
            struct sigaction sa {};
            sa.sa_sigaction = &on_fatal;
            sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
            sigemptyset(&sa.sa_mask);
            if (sigaction(sig, &sa, &g_previous[sig]) != 0) {
                int e = errno;
                for (size_t i = 0; i < done; ++i) sigaction(kSignals[i], &g_previous[kSignals[i]], nullptr);
                fail(ErrorCode::INTERNAL, std::string("jiffi_crash_report_install: sigaction(") + signal_name(sig) +
                                              ") failed: " + std::strerror(e));
            }
            ++done;
        }
        g_installed = true;
        g_crash_reports.store(true, std::memory_order_relaxed);
        // Either this pass sees a new function's handle live, or its maker sees reports on.
        std::atomic_thread_fence(std::memory_order_seq_cst);
        mark_functions_for_crash_reports();
    }
    prepare_thread();
}

void crash_install_from_env() noexcept {
    if (!env_on("JIFFI_CRASH_REPORT")) return;
    try {
        crash_install();
    } catch (const Error& e) {
        std::fprintf(stderr, "jiffi: JIFFI_CRASH_REPORT is set, but %s\n", e.message().c_str());
    }
}

}  // namespace jiffi::detail

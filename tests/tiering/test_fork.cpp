// fork(): children forked at random moments of a multi-threaded workload keep a usable jiffi.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "jiffi/jiffi.h"

extern "C" {
// The C functions called through jiffi.
__attribute__((noinline)) int64_t fork_add3(int64_t a, int64_t b, int64_t c) { return a + b * 3 + c * 7; }
__attribute__((noinline)) double fork_mix(double a, float b, int c) { return a * 2 + b - c; }
}

namespace {

// What a child reports through its exit status (0: everything right).
enum ChildFailure {
    kOk = 0,
    kOldFunction = 10,    // a function made before the fork gave a wrong result
    kOldCallback,         // a callback made before the fork gave a wrong result
    kNewSignature,        // parsing a signature failed
    kNewFunction,         // making a function failed
    kNoTierUp,            // an AUTO function never got its stub
    kNewFunctionResult,   // the new function gave a wrong result
    kNewCallback,         // making a callback failed
    kNewCallbackResult,   // the new callback gave a wrong result
};

// The callbacks' handler: int64_t (int64_t a, int64_t b) returning a * 10 + b + user_data.
void handler(void* user_data, const jiffi_slot* args, void* ret) {
    *static_cast<int64_t*>(ret) = args[0].i64 * 10 + args[1].i64 + static_cast<int64_t>(reinterpret_cast<intptr_t>(user_data));
}

using Callback2 = int64_t (*)(int64_t, int64_t);

// The signature text, or null with the error dropped.
jiffi_signature* parse(jiffi_context* ctx, const std::string& text) {
    jiffi_signature* s = nullptr;
    if (jiffi_error* e = jiffi_signature_parse(ctx, text.c_str(), &s)) {
        jiffi_error_dispose(e);
        return nullptr;
    }
    return s;
}

// A function of ctx, or null with the error dropped.
jiffi_function* make_function(jiffi_context* ctx, void* address, jiffi_signature* sig) {
    jiffi_function* f = nullptr;
    if (!sig) return nullptr;
    if (jiffi_error* e = jiffi_function_create(ctx, address, sig, &f)) {
        jiffi_error_dispose(e);
        return nullptr;
    }
    return f;
}

// A callback of ctx calling handler with user_data, or null with the error dropped.
jiffi_callback* make_callback(jiffi_context* ctx, jiffi_signature* sig, intptr_t user_data) {
    jiffi_callback* cb = nullptr;
    if (!sig) return nullptr;
    if (jiffi_error* e = jiffi_callback_create(ctx, sig, handler, reinterpret_cast<void*>(user_data), &cb)) {
        jiffi_error_dispose(e);
        return nullptr;
    }
    return cb;
}

// Calls an add3 function.
int64_t call_add3(jiffi_function* fn, int64_t a, int64_t b, int64_t c) {
    jiffi_slot args[3];
    args[0].i64 = a;
    args[1].i64 = b;
    args[2].i64 = c;
    jiffi_slot ret{};
    jiffi_function_call(fn, args, &ret);
    return ret.i64;
}

// Calls a mix function.
double call_mix(jiffi_function* fn, double a, float b, int c) {
    jiffi_slot args[3];
    args[0].f64 = a;
    args[1].f32 = b;
    args[2].i64 = c;
    jiffi_slot ret{};
    jiffi_function_call(fn, args, &ret);
    return ret.f64;
}

// A C type name for the parent's signature variety (so that stubs keep being compiled).
const char* type_name(unsigned k) {
    static const char* const names[] = {"int64_t", "double", "int32_t", "float"};
    return names[k % 4];
}

// One worker's loop on ctx until stop: binds functions of new signatures (compiled by the JIT
// or the background compiler), calls add3, and makes, calls and releases callbacks.
// GCC 12's AddressSanitizer allocator has no fork handlers: a child forked while another
// thread holds one of its locks deadlocks at its first allocation, inside the sanitizer
// (docs/testing.md, "Sanitizer builds"). Under it, each worker's round holds this gate shared
// and every fork takes it exclusively, so forks fall between rounds; the unsanitized build
// forks at any moment, inside jiffi's locks too.
#ifdef __SANITIZE_ADDRESS__
std::shared_mutex fork_gate;
using RoundLock = std::shared_lock<std::shared_mutex>;
using ForkLock = std::unique_lock<std::shared_mutex>;
#else
struct NoGate {};
NoGate fork_gate;
struct RoundLock {
    explicit RoundLock(NoGate&) {}
    void unlock() {}
};
struct ForkLock {
    explicit ForkLock(NoGate&) {}
    void unlock() {}
};
#endif

void work(jiffi_context* ctx, int id, const std::atomic<bool>& stop, std::atomic<int>& wrong) {
    jiffi_signature* add3 = parse(ctx, "int64_t (int64_t, int64_t, int64_t)");
    for (unsigned i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        RoundLock round(fork_gate);
        // Every fourth round, a signature of a varying shape (64 texts a worker, so that the
        // context stays small): its stub is compiled again when the last function of the
        // shape went.
        unsigned shape = (i / 4) * 7 + static_cast<unsigned>(id) * 13;
        std::string text = std::string(type_name(shape)) + " w" + std::to_string(id) + "_" + std::to_string(i / 4 % 64) +
                           "(" + type_name(shape / 4) + ", " + type_name(shape / 16) + ", " + type_name(shape / 64) + ")";
        if (i % 4 == 0)
            if (jiffi_function* f = make_function(ctx, reinterpret_cast<void*>(&fork_add3), parse(ctx, text)))
                jiffi_function_destroy(f);
        if (jiffi_function* f = make_function(ctx, reinterpret_cast<void*>(&fork_add3), add3)) {
            if (call_add3(f, i, 2, 3) != int64_t(i) + 6 + 21) wrong.fetch_add(1);
            jiffi_function_destroy(f);
        }
        std::string cb_text = "int64_t c" + std::to_string(id) + "_" + std::to_string(i % 64) + "(int64_t, int64_t)";
        if (jiffi_callback* cb = make_callback(ctx, parse(ctx, i % 2 ? cb_text : "int64_t (int64_t, int64_t)"), id)) {
            auto code = reinterpret_cast<Callback2>(jiffi_callback_code(cb));
            if (code(int64_t(i), 4) != int64_t(i) * 10 + 4 + id) wrong.fetch_add(1);
            jiffi_callback_release(cb);
        }
        round.unlock();  // the breath below is outside the gate
        // A breath between rounds: two cores also run the children and the compiler.
        std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
}

// What runs in a child: checks the objects made before the fork, makes new ones (tiered up on
// AUTO), and destroys the context. Returns a ChildFailure.
int child(jiffi_backend backend, jiffi_context* ctx, jiffi_function* old_fn, jiffi_callback* old_cb, int serial) {
    if (call_add3(old_fn, 5, 6, 7) != 5 + 18 + 49) return kOldFunction;
    if (reinterpret_cast<Callback2>(jiffi_callback_code(old_cb))(7, 8) != 78 + 1) return kOldCallback;
    // A text no process used before: a new signature, whose AUTO job needs the compiler.
    std::string suffix = std::to_string(getpid()) + "_" + std::to_string(serial);
    jiffi_signature* ms = parse(ctx, "double child_mix_" + suffix + "(double, float, int)");
    jiffi_signature* cs = parse(ctx, "int64_t child_cb_" + suffix + "(int64_t, int64_t)");
    if (!ms || !cs) return kNewSignature;
    jiffi_function* fn = make_function(ctx, reinterpret_cast<void*>(&fork_mix), ms);
    if (!fn) return kNewFunction;
    if (backend != JIFFI_BACKEND_LIBFFI && !jiffi_function_wait_jit(fn, 5000)) return kNoTierUp;
    if (call_mix(fn, 1.5, 2.0f, 3) != 1.5 * 2 + 2.0 - 3) return kNewFunctionResult;
    jiffi_function_destroy(fn);
    jiffi_callback* cb = make_callback(ctx, cs, 5);
    if (!cb) return kNewCallback;
    if (reinterpret_cast<Callback2>(jiffi_callback_code(cb))(2, 3) != 23 + 5) return kNewCallbackResult;
    jiffi_callback_release(cb);
    jiffi_callback_release(old_cb);
    jiffi_function_destroy(old_fn);
    jiffi_context_destroy(ctx);
    return kOk;
}

// How the children of one backend ended.
struct Outcome {
    int forks = 0;
    int hangs = 0;
    int failures = 0;  // wrong results or crashes
    std::string first_failure;
};

// Waits for child pid at most timeout; kills it and counts a hang past that.
void reap(pid_t pid, std::chrono::milliseconds timeout, Outcome& out) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) break;
        if (std::chrono::steady_clock::now() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            ++out.hangs;
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == kOk) return;
    ++out.failures;
    if (out.first_failure.empty())
        out.first_failure = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                              : "signal " + std::to_string(WTERMSIG(status));
}

// Forks `forks` children at random moments of a three-thread workload on backend.
Outcome fork_under_load(jiffi_backend backend, int forks, unsigned seed) {
    Outcome out;
    jiffi_context* ctx = nullptr;
    REQUIRE(jiffi_context_create(backend, &ctx) == nullptr);
    std::atomic<bool> stop{false};
    std::atomic<int> wrong{0};
    std::vector<std::thread> workers;
    for (int id = 1; id <= 3; ++id) workers.emplace_back(work, ctx, id, std::cref(stop), std::ref(wrong));
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> pause_us(0, 3000);
    for (int k = 0; k < forks && out.hangs < 3; ++k) {
        // Made before the fork: the child calls them (the callback's user data is 1).
        jiffi_function* old_fn = make_function(ctx, reinterpret_cast<void*>(&fork_add3),
                                               parse(ctx, "int64_t (int64_t, int64_t, int64_t)"));
        jiffi_callback* old_cb = make_callback(ctx, parse(ctx, "int64_t (int64_t, int64_t)"), 1);
        REQUIRE(old_fn);
        REQUIRE(old_cb);
        std::this_thread::sleep_for(std::chrono::microseconds(pause_us(rng)));
        ForkLock gate(fork_gate);
        pid_t pid = fork();
        gate.unlock();
        REQUIRE(pid >= 0);
        if (pid == 0) _exit(child(backend, ctx, old_fn, old_cb, k));
        ++out.forks;
        reap(pid, std::chrono::seconds(10), out);
        jiffi_callback_release(old_cb);
        jiffi_function_destroy(old_fn);
    }
    stop = true;
    for (std::thread& t : workers) t.join();
    CHECK(wrong.load() == 0);
    jiffi_context_destroy(ctx);
    return out;
}

}  // namespace

TEST_CASE("fork: children forked under a multi-threaded workload call, bind, tier up and tear down") {
    struct Case {
        jiffi_backend backend;
        const char* name;
    };
    for (Case c : {Case{JIFFI_BACKEND_JIT, "JIT"}, Case{JIFFI_BACKEND_LIBFFI, "LIBFFI"}, Case{JIFFI_BACKEND_AUTO, "AUTO"}}) {
        std::string name = c.name;
        CAPTURE(name);
        auto start = std::chrono::steady_clock::now();
        Outcome o = fork_under_load(c.backend, 34, 1234u + unsigned(c.backend));
        long ms = long(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count());
        MESSAGE(name << ": " << o.forks << " forks, " << o.hangs << " hangs, " << o.failures << " failures, " << ms << " ms");
        CHECK(o.hangs == 0);
        CHECK(o.failures == 0);
        CHECK(o.first_failure == "");
    }
}

namespace {

// Set while a thread runs blocking_handler; it returns once release_blocked is set.
std::atomic<bool> in_blocked{false};
std::atomic<bool> release_blocked{false};

// A handler that waits inside the callback until release_blocked is set.
void blocking_handler(void*, const jiffi_slot*, void* ret) {
    in_blocked = true;
    while (!release_blocked.load()) std::this_thread::sleep_for(std::chrono::microseconds(100));
    *static_cast<int64_t*>(ret) = 0;
}

// In a child forked while another thread runs callback `blocked`: releases it and churns
// callbacks until its slot is handed out again. Returns 0 when it is, 1 when it never is.
int child_reuses(jiffi_context* ctx, jiffi_signature* sig, jiffi_callback* blocked) {
    // Handles carry a generation, so the slot is recognised by its code address.
    void* blocked_code = jiffi_callback_code(blocked);
    jiffi_callback_release(blocked);
    for (int k = 0; k < 8192; ++k) {
        jiffi_callback* cb = make_callback(ctx, sig, k);
        if (!cb) return 2;
        bool reused = jiffi_callback_code(cb) == blocked_code;
        jiffi_callback_release(cb);
        if (reused) return 0;
    }
    return 1;
}

}  // namespace

TEST_CASE("fork: a callback running on a thread the child does not have holds back no reuse there") {
    for (jiffi_backend backend : {JIFFI_BACKEND_JIT, JIFFI_BACKEND_LIBFFI}) {
        CAPTURE(int(backend));
        jiffi_context* ctx = nullptr;
        REQUIRE(jiffi_context_create(backend, &ctx) == nullptr);
        jiffi_signature* sig = parse(ctx, "int64_t (int64_t, int64_t)");
        REQUIRE(sig);
        jiffi_callback* blocked = nullptr;
        REQUIRE(jiffi_callback_create(ctx, sig, blocking_handler, nullptr, &blocked) == nullptr);
        in_blocked = false;
        release_blocked = false;
        std::thread runner([&] { reinterpret_cast<Callback2>(jiffi_callback_code(blocked))(1, 2); });
        while (!in_blocked.load()) std::this_thread::sleep_for(std::chrono::microseconds(100));
        pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) _exit(child_reuses(ctx, sig, blocked));
        Outcome o;
        reap(pid, std::chrono::seconds(10), o);
        release_blocked = true;
        runner.join();
        CHECK(o.hangs == 0);
        CHECK(o.first_failure == "");
        jiffi_callback_release(blocked);
        jiffi_context_destroy(ctx);
    }
}

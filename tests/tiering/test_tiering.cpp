// AUTO tiering: libffi first, the background-compiled stub after, under threads, with counters.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "jiffi/jiffi.h"
#include "runtime/context.hpp"
#include "callbacks/slot_table.hpp"
#include "runtime/handles.hpp"
#include "runtime/tiering.hpp"

using jiffi::detail::StubSpec;
using jiffi::detail::TierCompiler;
using jiffi::detail::TierJob;
using jiffi::detail::TierPhase;
using jiffi::detail::TierWaiter;

extern "C" {
// The C functions called through jiffi.
__attribute__((noinline)) int64_t tier_add3(int64_t a, int64_t b, int64_t c) { return a + b * 3 + c * 7; }
__attribute__((noinline)) double tier_mix(double a, float b, int c) { return a * 2 + b - c; }
union tier_u { int i; float f; };
__attribute__((noinline)) int tier_union(union tier_u u, int k) { return u.i + k; }
}

namespace {

// Fails the test with err's message when err is set.
void check(jiffi_error* err) {
    if (err) {
        std::string m = jiffi_error_message(err);
        jiffi_error_dispose(err);
        FAIL(m);
    }
}

// The context's counters.
jiffi_stats stats_of(jiffi_context* ctx) {
    jiffi_stats s{};
    check(jiffi_context_stats(ctx, &s));
    return s;
}

// Calls an add3 function and returns its result.
int64_t call_add3(jiffi_function* fn, int64_t a, int64_t b, int64_t c) {
    jiffi_slot args[3];
    args[0].i64 = a;
    args[1].i64 = b;
    args[2].i64 = c;
    jiffi_slot ret{};
    jiffi_function_call(fn, args, &ret);
    return ret.i64;
}

// Holds the compiler for a scope so that new functions stay on libffi.
struct Hold {
    Hold() { TierCompiler::instance().hold(true); }
    ~Hold() { release(); }
    void release() { TierCompiler::instance().hold(false); }
};

// An AUTO context destroyed at scope exit.
struct Ctx {
    jiffi_context* ctx = nullptr;
    explicit Ctx(jiffi_backend b = JIFFI_BACKEND_AUTO) { check(jiffi_context_create(b, &ctx)); }
    ~Ctx() { jiffi_context_destroy(ctx); }
    // Parses a signature in this context.
    jiffi_signature* sig(const char* text) {
        jiffi_signature* s = nullptr;
        check(jiffi_signature_parse(ctx, text, &s));
        return s;
    }
    // Makes a function for address and the signature text.
    jiffi_function* fn(void* address, const char* text) {
        jiffi_function* f = nullptr;
        check(jiffi_function_create(ctx, address, sig(text), &f));
        return f;
    }
};

const char* kAdd3 = "int64_t tier_add3(int64_t, int64_t, int64_t)";

}  // namespace

TEST_CASE("an AUTO function starts on libffi and switches to its stub, counted exactly") {
    Ctx c;
    jiffi_function* f = nullptr;
    jiffi_invoker ffi_invoker = nullptr;
    {
        Hold hold;
        f = c.fn(reinterpret_cast<void*>(&tier_add3), kAdd3);
        ffi_invoker = jiffi_function_invoker(f);
        for (int i = 0; i < 3; ++i) CHECK(call_add3(f, i, 2, 3) == tier_add3(i, 2, 3));
        jiffi_stats s = stats_of(c.ctx);
        CHECK(s.calls_libffi == 3);
        CHECK(s.calls_jit == 0);
        CHECK(s.stubs_compiled == 0);
        CHECK(s.functions_tiered_up == 0);
        CHECK(jiffi_function_wait_jit(f, 0) == 0);
    }
    REQUIRE(jiffi_function_wait_jit(f, 30000) == 1);
    jiffi_invoker stub = jiffi_function_invoker(f);
    CHECK((stub != ffi_invoker));
    for (int i = 0; i < 5; ++i)
        CHECK(call_add3(f, -i, 1LL << 40, 9) == tier_add3(-i, 1LL << 40, 9));
    jiffi_slot args[3], ret{};
    args[0].i64 = 1;
    args[1].i64 = 2;
    args[2].i64 = 3;
    stub(jiffi_function_address(f), args, &ret);  // the raw invoker is not counted
    CHECK(ret.i64 == tier_add3(1, 2, 3));
    jiffi_stats s = stats_of(c.ctx);
    CHECK(s.calls_libffi == 3);
    CHECK(s.calls_jit == 5);
    CHECK(s.stubs_compiled == 1);
    CHECK(s.functions_tiered_up == 1);
    CHECK(s.jit_declined == 0);
    CHECK(s.libffi_fallbacks == 0);

    // A second function of the signature is on the shared stub from its bind.
    jiffi_function* g = c.fn(reinterpret_cast<void*>(&tier_add3), kAdd3);
    CHECK((jiffi_function_invoker(g) == stub));
    CHECK(call_add3(g, 4, 5, 6) == tier_add3(4, 5, 6));
    jiffi_function_destroy(f);
    jiffi_function_destroy(g);
    s = stats_of(c.ctx);  // destroyed functions' calls stay counted
    CHECK(s.calls_jit == 6);
    CHECK(s.calls_libffi == 3);
    CHECK(s.stubs_compiled == 1);
    CHECK(s.functions_tiered_up == 1);
    CHECK(jiffi_context_declined_reason(c.ctx, 0, nullptr, 0, nullptr) == 0);
}

TEST_CASE("functions bound together tier up together, with floats and ints right") {
    Ctx c;
    std::vector<jiffi_function*> fns;
    {
        Hold hold;
        fns.push_back(c.fn(reinterpret_cast<void*>(&tier_add3), kAdd3));
        fns.push_back(c.fn(reinterpret_cast<void*>(&tier_mix), "double tier_mix(double, float, int)"));
        fns.push_back(c.fn(reinterpret_cast<void*>(&tier_add3), kAdd3));
    }
    for (jiffi_function* f : fns) REQUIRE(jiffi_function_wait_jit(f, 30000) == 1);
    jiffi_slot args[3], ret{};
    args[0].f64 = 1.25;
    args[1].u64 = 0;
    args[1].f32 = 0.5f;
    args[2].i64 = -3;
    jiffi_function_call(fns[1], args, &ret);
    CHECK(ret.f64 == tier_mix(1.25, 0.5f, -3));
    jiffi_stats s = stats_of(c.ctx);
    CHECK(s.stubs_compiled == 2);
    CHECK(s.functions_tiered_up == 3);
    CHECK(s.calls_jit == 1);
    for (jiffi_function* f : fns) jiffi_function_destroy(f);
}

TEST_CASE("8 threads calling a function while it tiers up all get right results") {
    Ctx c;
    Hold hold;
    jiffi_function* f = c.fn(reinterpret_cast<void*>(&tier_add3), kAdd3);
    std::atomic<bool> done{false};
    std::atomic<int64_t> calls{0}, wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&, t] {
            for (int64_t i = 0; !done.load(std::memory_order_acquire) || i < 200; ++i) {
                if (call_add3(f, i, t, -i) != tier_add3(i, t, -i)) wrong.fetch_add(1);
                calls.fetch_add(1, std::memory_order_relaxed);
            }
        });
    while (calls.load() < 2000) std::this_thread::yield();
    hold.release();
    CHECK(jiffi_function_wait_jit(f, 30000) == 1);
    int64_t at_switch = calls.load();
    while (calls.load() < at_switch + 2000) std::this_thread::yield();
    done.store(true, std::memory_order_release);
    for (auto& t : threads) t.join();
    CHECK(wrong.load() == 0);
    jiffi_stats s = stats_of(c.ctx);
    CHECK(s.calls_jit + s.calls_libffi == static_cast<uint64_t>(calls.load()));
    CHECK(s.calls_libffi >= 2000);
    CHECK(s.calls_jit >= 1);
    CHECK(s.functions_tiered_up == 1);
    jiffi_function_destroy(f);
}

TEST_CASE("destroying functions and contexts before their stubs are ready is safe") {
    const char* sigs[] = {"long (long)", "int (int, int)", "double (double, long)",
                          "float (float, float, int)", "void (char *, short)"};
    jiffi_context* ctx = nullptr;
    for (int i = 0; i < 1000; ++i) {
        if (i % 10 == 0) {
            jiffi_context_destroy(ctx);  // with its last function's stub likely still queued
            check(jiffi_context_create(JIFFI_BACKEND_AUTO, &ctx));
        }
        jiffi_signature* sig = nullptr;
        check(jiffi_signature_parse(ctx, sigs[i % 5], &sig));
        jiffi_function* f = nullptr;
        check(jiffi_function_create(ctx, reinterpret_cast<void*>(&tier_add3), sig, &f));
        jiffi_function_destroy(f);
    }
    jiffi_context_destroy(ctx);
    // The compiler is still sound afterwards.
    Ctx c;
    jiffi_function* f = c.fn(reinterpret_cast<void*>(&tier_add3), kAdd3);
    CHECK(jiffi_function_wait_jit(f, 30000) == 1);
    CHECK(call_add3(f, 1, 1, 1) == 11);
    jiffi_function_destroy(f);
}

TEST_CASE("a signature libffi refuses is compiled before an AUTO bind returns") {
    Ctx c;
    check(jiffi_cdef(c.ctx, "union tier_u { int i; float f; };"));
    jiffi_function* f = c.fn(reinterpret_cast<void*>(&tier_union), "int tier_union(union tier_u, int)");
    CHECK(jiffi_function_wait_jit(f, 0) == 1);
    union tier_u u;
    u.i = 40;
    jiffi_slot args[2], ret{};
    args[0].ptr = &u;
    args[1].i64 = 2;
    jiffi_function_call(f, args, &ret);
    CHECK(static_cast<int>(ret.i64) == 42);
    jiffi_stats s = stats_of(c.ctx);
    CHECK(s.calls_jit == 1);
    CHECK(s.calls_libffi == 0);
    CHECK(s.stubs_compiled == 1);
    CHECK(s.functions_tiered_up == 0);  // it never was on libffi
    CHECK(s.libffi_fallbacks == 0);
    jiffi_function_destroy(f);
}

TEST_CASE("a plan the JIT declines in the background leaves its functions on libffi, counted") {
    // No signature jiffi parses is declined by this JIT, so the job is made by hand from a
    // plan for another target, which the stub compiler refuses on this host.
    Ctx c;
    jiffi_signature* sig = c.sig(kAdd3);
    StubSpec spec = *sig->jit().spec();
    spec.plan.triple = spec.plan.triple.rfind("x86_64", 0) == 0 ? "aarch64-unknown-linux-gnu"
                                                                 : "x86_64-unknown-linux-gnu";
    std::shared_ptr<TierJob> slot;
    std::atomic<jiffi_invoker> first{nullptr}, second{nullptr};
    auto make = [&] { return std::make_shared<TierJob>(spec, "foreign add3", jiffi::detail::HandlePool<jiffi_context>::resolve(c.ctx)->stats); };
    TierCompiler& compiler = TierCompiler::instance();
    compiler.attach(slot, make, TierWaiter{&first, true});
    compiler.attach(slot, make, TierWaiter{&second, true});
    CHECK(compiler.wait(*slot, 30000) == TierPhase::Declined);
    CHECK(!first.load());
    CHECK(!second.load());
    jiffi_stats s = stats_of(c.ctx);
    CHECK(s.jit_declined == 1);
    CHECK(s.libffi_fallbacks == 2);
    CHECK(s.stubs_compiled == 0);
    uint64_t n = 0;
    char buf[512];
    REQUIRE(jiffi_context_declined_reason(c.ctx, 0, buf, sizeof buf, &n) > 1);
    CHECK(n == 1);
    CHECK(std::string(buf).find("not the host") != std::string::npos);
    // A function attached after the decline is a fallback at once.
    std::atomic<jiffi_invoker> third{nullptr};
    CHECK(compiler.attach(slot, make, TierWaiter{&third, true}) == TierPhase::Declined);
    CHECK(stats_of(c.ctx).libffi_fallbacks == 3);
    CHECK(stats_of(c.ctx).jit_declined == 1);
}

TEST_CASE("JIFFI_DISABLE_JIT makes AUTO pure libffi, counting declines and fallbacks") {
    setenv("JIFFI_DISABLE_JIT", "1", 1);
    jiffi_context* ctx = nullptr;
    check(jiffi_context_create(JIFFI_BACKEND_AUTO, &ctx));
    unsetenv("JIFFI_DISABLE_JIT");
    jiffi_signature *add3 = nullptr, *mix = nullptr;
    check(jiffi_signature_parse(ctx, kAdd3, &add3));
    check(jiffi_signature_parse(ctx, "double (double, float, int)", &mix));
    jiffi_function *a = nullptr, *b = nullptr, *m = nullptr;
    check(jiffi_function_create(ctx, reinterpret_cast<void*>(&tier_add3), add3, &a));
    check(jiffi_function_create(ctx, reinterpret_cast<void*>(&tier_add3), add3, &b));
    check(jiffi_function_create(ctx, reinterpret_cast<void*>(&tier_mix), mix, &m));
    CHECK(jiffi_function_wait_jit(a, 100) == 0);
    CHECK(call_add3(a, 1, 2, 3) == tier_add3(1, 2, 3));
    CHECK(call_add3(b, 3, 2, 1) == tier_add3(3, 2, 1));
    jiffi_stats s = stats_of(ctx);
    CHECK(s.calls_libffi == 2);
    CHECK(s.calls_jit == 0);
    CHECK(s.stubs_compiled == 0);
    CHECK(s.jit_declined == 2);
    CHECK(s.libffi_fallbacks == 3);
    uint64_t n = 0;
    size_t len = jiffi_context_declined_reason(ctx, 0, nullptr, 0, &n);
    REQUIRE(len > 1);
    std::vector<char> text(len);
    CHECK(jiffi_context_declined_reason(ctx, 0, text.data(), len, nullptr) == len);
    CHECK(std::string(text.data()).find("JIFFI_DISABLE_JIT") != std::string::npos);
    CHECK(n == 2);
    char small[5];
    CHECK(jiffi_context_declined_reason(ctx, 0, small, sizeof small, nullptr) == len);
    CHECK(std::strlen(small) == 4);
    CHECK(jiffi_context_declined_reason(ctx, 1, nullptr, 0, nullptr) == 0);

    // A signature only the JIT could call is refused like on a libffi context.
    check(jiffi_cdef(ctx, "union tier_u { int i; float f; };"));
    jiffi_signature* un = nullptr;
    check(jiffi_signature_parse(ctx, "int (union tier_u, int)", &un));
    jiffi_function* u = nullptr;
    jiffi_error* err = jiffi_function_create(ctx, reinterpret_cast<void*>(&tier_union), un, &u);
    CHECK(jiffi_error_code(err) == JIFFI_E_UNSUPPORTED);
    jiffi_error_dispose(err);

    for (jiffi_function* f : {a, b, m}) jiffi_function_destroy(f);
    jiffi_context_destroy(ctx);
}

TEST_CASE("JIT and libffi contexts count their calls too") {
    Ctx jit(JIFFI_BACKEND_JIT), ffi(JIFFI_BACKEND_LIBFFI);
    jiffi_function* j1 = jit.fn(reinterpret_cast<void*>(&tier_add3), kAdd3);
    jiffi_function* j2 = jit.fn(reinterpret_cast<void*>(&tier_add3), kAdd3);
    jiffi_function* l = ffi.fn(reinterpret_cast<void*>(&tier_add3), kAdd3);
    CHECK(jiffi_function_wait_jit(j1, 0) == 1);
    CHECK(jiffi_function_wait_jit(l, 0) == 0);
    CHECK(call_add3(j1, 1, 2, 3) == tier_add3(1, 2, 3));
    CHECK(call_add3(j2, 1, 2, 3) == tier_add3(1, 2, 3));
    CHECK(call_add3(l, 1, 2, 3) == tier_add3(1, 2, 3));
    jiffi_stats sj = stats_of(jit.ctx), sl = stats_of(ffi.ctx);
    CHECK(sj.calls_jit == 2);
    CHECK(sj.stubs_compiled == 1);
    CHECK(sj.functions_tiered_up == 0);
    CHECK(sl.calls_libffi == 1);
    CHECK(sl.calls_jit == 0);
    CHECK(sl.jit_declined == 0);
    CHECK(sl.libffi_fallbacks == 0);
    for (jiffi_function* f : {j1, j2, l}) jiffi_function_destroy(f);
}

TEST_CASE("the compiler thread stops when idle and starts again on demand") {
    bool stopped = false;
    for (int i = 0; i < 100 && !stopped; ++i) {
        stopped = !TierCompiler::instance().running();
        if (!stopped) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    CHECK(stopped);
    Ctx c;
    jiffi_function* f = c.fn(reinterpret_cast<void*>(&tier_mix), "double (double, float, int)");
    CHECK(jiffi_function_wait_jit(f, 30000) == 1);
    jiffi_function_destroy(f);
}

TEST_CASE("an AUTO stub's code goes with the last function holding it and is made again for a new one") {
    Ctx c;
    const char* text = "double tier_mix(double, float, int)";
    const StubSpec* spec = c.sig(text)->jit().spec();
    REQUIRE(spec != nullptr);
    auto& cache = jiffi::detail::StubCache::global();
    jiffi_function* f = c.fn(reinterpret_cast<void*>(&tier_mix), text);
    jiffi_function* g = c.fn(reinterpret_cast<void*>(&tier_mix), text);
    REQUIRE(jiffi_function_wait_jit(f, 30000) == 1);
    REQUIRE(jiffi_function_wait_jit(g, 30000) == 1);
    TierCompiler::instance().quiesce();  // the compiler has let go of the batch's references
    CHECK(cache.find(*spec).ok());
    jiffi_function_destroy(f);
    CHECK(cache.find(*spec).ok());  // g still holds it
    jiffi_slot args[3], ret{};
    args[0].f64 = 1.5;
    args[1].f32 = 2.0f;
    args[2].i64 = 3;
    jiffi_function_call(g, args, &ret);
    CHECK(ret.f64 == tier_mix(1.5, 2.0f, 3));
    jiffi_function_destroy(g);
    CHECK_FALSE(cache.find(*spec).ok());  // the last holder went: the code is freed

    // A new function of the signature starts on libffi and gets a stub again.
    jiffi_function* h = c.fn(reinterpret_cast<void*>(&tier_mix), text);
    REQUIRE(jiffi_function_wait_jit(h, 30000) == 1);
    jiffi_function_call(h, args, &ret);
    CHECK(ret.f64 == tier_mix(1.5, 2.0f, 3));
    CHECK(stats_of(c.ctx).stubs_compiled == 2);
    jiffi_function_destroy(h);
}

TEST_CASE("call counts stay exact across exited threads, destroyed functions and many contexts") {
    // Nine contexts: more than a thread's shard cache holds, so their entries collide.
    constexpr int kContexts = 9;
    std::vector<jiffi_context*> ctxs(kContexts);
    std::vector<jiffi_function*> fns(kContexts);
    for (int i = 0; i < kContexts; ++i) {
        check(jiffi_context_create(i % 2 ? JIFFI_BACKEND_LIBFFI : JIFFI_BACKEND_JIT, &ctxs[i]));
        jiffi_signature* s = nullptr;
        check(jiffi_signature_parse(ctxs[i], kAdd3, &s));
        check(jiffi_function_create(ctxs[i], reinterpret_cast<void*>(&tier_add3), s, &fns[i]));
    }
    // Threads that call every context, round robin, then exit before the counts are read.
    constexpr int kThreads = 4, kRounds = 500;
    std::vector<std::thread> threads;
    std::atomic<int> wrong{0};
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int r = 0; r < kRounds; ++r)
                for (int i = 0; i < kContexts; ++i)
                    if (call_add3(fns[i], r, t, i) != tier_add3(r, t, i)) wrong.fetch_add(1);
        });
    for (auto& t : threads) t.join();
    CHECK(wrong.load() == 0);
    // This thread adds calls of its own, to every other context, then destroys the functions.
    for (int i = 0; i < kContexts; i += 2) CHECK(call_add3(fns[i], 1, 2, 3) == tier_add3(1, 2, 3));
    for (jiffi_function* f : fns) jiffi_function_destroy(f);
    for (int i = 0; i < kContexts; ++i) {
        jiffi_stats s = stats_of(ctxs[i]);
        uint64_t expected = kThreads * kRounds + (i % 2 ? 0 : 1);
        if (i % 2) {
            CHECK(s.calls_libffi == expected);
            CHECK(s.calls_jit == 0);
        } else {
            CHECK(s.calls_jit == expected);
            CHECK(s.calls_libffi == 0);
        }
        jiffi_context_destroy(ctxs[i]);
    }
}

namespace {

// A callback handler: the sum of its three arguments.
void sum3_handler(void*, const jiffi_slot* args, void* ret) {
    static_cast<jiffi_slot*>(ret)->i64 = args[0].i64 + args[1].i64 + args[2].i64;
}

// True when cb is a JIT callback: its trampoline slot names the handler itself (a libffi
// callback's slot names libffi's closure entry).
bool is_jit_callback(jiffi_callback* cb) {
    auto base = reinterpret_cast<uintptr_t>(cb) & jiffi::detail::kHandleAddressMask;
    return reinterpret_cast<const jiffi::detail::SlotData*>(base)->handler == &sum3_handler;
}

}  // namespace

TEST_CASE("an AUTO callback is made by libffi until its thunk is compiled in the background, then by the JIT") {
    Ctx c;
    jiffi_signature* sig = c.sig("long (long, short, signed char)");
    Hold hold;
    jiffi_callback* early = nullptr;
    check(jiffi_callback_create(c.ctx, sig, &sum3_handler, nullptr, &early));
    CHECK_FALSE(is_jit_callback(early));  // the creation did not wait for the compiler
    auto f = reinterpret_cast<long (*)(long, short, signed char)>(jiffi_callback_code(early));
    CHECK(f(40, 2, -1) == 41);
    hold.release();
    TierCompiler::instance().quiesce();
    jiffi_callback* later = nullptr;
    check(jiffi_callback_create(c.ctx, sig, &sum3_handler, nullptr, &later));
    CHECK(is_jit_callback(later));
    auto g = reinterpret_cast<long (*)(long, short, signed char)>(jiffi_callback_code(later));
    CHECK(g(1000, -3, 7) == 1004);
    CHECK(f(1, 1, 1) == 3);  // the early callback stays on libffi and works
    jiffi_callback_release(early);
    jiffi_callback_release(later);
}

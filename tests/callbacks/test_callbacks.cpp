// Callbacks through the C API on every backend: libc's qsort and bsearch, values of every
// kind, C threads, misaligned stacks, release while running, the released-call trap.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "jiffi/jiffi.h"

extern "C" {
int64_t cb_call_binop(int64_t (*f)(int64_t, int64_t), int64_t a, int64_t b);
long cb_run_threads(int64_t (*f)(int64_t, int64_t), int threads, long calls);
int64_t cb_call_misaligned(int64_t (*f)(int64_t, int64_t), int64_t a, int64_t b);
}

namespace {

using Binop = int64_t (*)(int64_t, int64_t);

// Fails the test with the error's message when err is not null.
void ok(jiffi_error* err) {
    if (!err) return;
    std::string msg = jiffi_error_message(err);
    jiffi_error_dispose(err);
    FAIL(msg);
}

// A context of one backend with its signatures; destroyed with the fixture.
struct Ctx {
    explicit Ctx(jiffi_backend b) { ok(jiffi_context_create(b, &ctx)); }
    ~Ctx() { jiffi_context_destroy(ctx); }
    const jiffi_signature* sig(const char* text) {
        jiffi_signature* s = nullptr;
        ok(jiffi_signature_parse(ctx, text, &s));
        return s;
    }
    jiffi_callback* callback(const char* text, jiffi_handler h, void* user) {
        jiffi_callback* cb = nullptr;
        ok(jiffi_callback_create(ctx, sig(text), h, user, &cb));
        REQUIRE(cb != nullptr);
        return cb;
    }
    jiffi_context* ctx = nullptr;
};

const jiffi_backend kBackends[] = {JIFFI_BACKEND_JIT, JIFFI_BACKEND_LIBFFI, JIFFI_BACKEND_AUTO};
const char* backend_name(jiffi_backend b) {
    return b == JIFFI_BACKEND_JIT ? "jit" : b == JIFFI_BACKEND_LIBFFI ? "libffi" : "auto";
}

// int compare(const void *, const void *) over ints; counts its calls in user_data.
void compare_ints(void* user, const jiffi_slot* args, void* ret) {
    ++*static_cast<int*>(user);
    int a = *static_cast<const int*>(args[0].ptr), b = *static_cast<const int*>(args[1].ptr);
    static_cast<jiffi_slot*>(ret)->i64 = (a > b) - (a < b);
}

struct Person {
    char name[12];
    int age;
};

// Orders Persons by age.
void compare_age(void*, const jiffi_slot* args, void* ret) {
    auto* a = static_cast<const Person*>(args[0].ptr);
    auto* b = static_cast<const Person*>(args[1].ptr);
    static_cast<jiffi_slot*>(ret)->i64 = (a->age > b->age) - (a->age < b->age);
}

// int64 (int64 a, int64 b) -> a * 3 + b.
void affine(void*, const jiffi_slot* args, void* ret) {
    static_cast<jiffi_slot*>(ret)->i64 = args[0].i64 * 3 + args[1].i64;
}

// Calls libc's qsort(base, n, size, cmp) through ctx.
void qsort_via(Ctx& c, void* base, size_t n, size_t size, void* cmp) {
    jiffi_library* libc = nullptr;
    ok(jiffi_library_open(c.ctx, "libc", &libc));
    jiffi_function* fn = nullptr;
    ok(jiffi_function_bind(libc, "qsort", c.sig("void qsort(void *, size_t, size_t, int (*)(const void *, const void *))"), &fn));
    jiffi_slot args[4];
    args[0].ptr = base;
    args[1].u64 = n;
    args[2].u64 = size;
    args[3].ptr = cmp;
    jiffi_function_call(fn, args, nullptr);
    jiffi_function_destroy(fn);
    jiffi_library_close(libc);
}

}  // namespace

TEST_CASE("qsort sorts ints and structs through a callback on every backend") {
    for (jiffi_backend b : kBackends) {
        CAPTURE(backend_name(b));
        Ctx c(b);
        int calls = 0;
        jiffi_callback* cmp = c.callback("int (const void *, const void *)", compare_ints, &calls);
        std::vector<int> v{5, -3, 99, 0, 42, 7, -100, 8};
        qsort_via(c, v.data(), v.size(), sizeof(int), jiffi_callback_code(cmp));
        CHECK(v == std::vector<int>{-100, -3, 0, 5, 7, 8, 42, 99});
        CHECK(calls > 0);

        // bsearch finds 42 in the sorted array and misses 6.
        auto* bsearch_fn = reinterpret_cast<void* (*)(const void*, const void*, size_t, size_t,
                                                     int (*)(const void*, const void*))>(&::bsearch);
        auto* code = reinterpret_cast<int (*)(const void*, const void*)>(jiffi_callback_code(cmp));
        int key = 42, missing = 6;
        auto* found = static_cast<const int*>(bsearch_fn(&key, v.data(), v.size(), sizeof(int), code));
        REQUIRE(found != nullptr);
        CHECK(found - v.data() == 6);
        CHECK(bsearch_fn(&missing, v.data(), v.size(), sizeof(int), code) == nullptr);
        jiffi_callback_release(cmp);

        jiffi_callback* by_age = c.callback("int (const void *, const void *)", compare_age, nullptr);
        std::vector<Person> people{{"ann", 41}, {"bob", 7}, {"cy", 93}, {"di", 18}};
        qsort_via(c, people.data(), people.size(), sizeof(Person), jiffi_callback_code(by_age));
        CHECK(std::string(people[0].name) == "bob");
        CHECK(std::string(people[1].name) == "di");
        CHECK(std::string(people[2].name) == "ann");
        CHECK(std::string(people[3].name) == "cy");
        jiffi_callback_release(by_age);
    }
}

namespace {

struct Vec3 {
    double x, y, z;
};
struct Pair {
    float a;
    int32_t b;
};

// struct vec3 (struct vec3 v, double k): v scaled by k (a memory-class argument and sret).
void scale(void*, const jiffi_slot* args, void* ret) {
    Vec3 v;
    std::memcpy(&v, args[0].ptr, sizeof v);
    double k = args[1].f64;
    Vec3 r{v.x * k, v.y * k, v.z * k};
    std::memcpy(ret, &r, sizeof r);
}

// struct pair (struct pair p, char c, unsigned short s): a register-pair struct and small ints.
void pair_mix(void*, const jiffi_slot* args, void* ret) {
    Pair p;
    std::memcpy(&p, args[0].ptr, sizeof p);
    Pair r{p.a + static_cast<float>(args[1].i64), p.b + static_cast<int32_t>(args[2].u64)};
    std::memcpy(ret, &r, sizeof r);
}

// long double (long double, __int128): adds the two as long doubles.
void wide(void*, const jiffi_slot* args, void* ret) {
    long double x;
    __int128 y;
    std::memcpy(&x, args[0].ptr, sizeof x);
    std::memcpy(&y, args[1].ptr, sizeof y);
    long double r = x + static_cast<long double>(y);
    std::memcpy(ret, &r, sizeof r);
}

// signed char (12 int64, 10 doubles, signed char): a checksum of them, as a small signed int.
void spill(void*, const jiffi_slot* args, void* ret) {
    int64_t s = 0;
    for (int i = 0; i < 12; ++i) s += args[i].i64 * (i + 1);
    double d = 0;
    for (int i = 0; i < 10; ++i) d += args[12 + i].f64 * (i + 1);
    s += static_cast<int64_t>(d) + args[22].i64;
    static_cast<jiffi_slot*>(ret)->i64 = static_cast<signed char>(s);
}

}  // namespace

TEST_CASE("callbacks take and return structs, long double, __int128 and spilled arguments") {
    for (jiffi_backend b : kBackends) {
        CAPTURE(backend_name(b));
        Ctx c(b);
        ok(jiffi_cdef(c.ctx, "struct vec3 { double x, y, z; }; struct pair { float a; int b; };"));
        jiffi_callback* s = c.callback("struct vec3 (struct vec3, double)", scale, nullptr);
        auto* scale_fn = reinterpret_cast<Vec3 (*)(Vec3, double)>(jiffi_callback_code(s));
        Vec3 r = scale_fn({1.5, -2, 4}, 2);
        CHECK(r.x == 3);
        CHECK(r.y == -4);
        CHECK(r.z == 8);
        jiffi_callback_release(s);

        jiffi_callback* p = c.callback("struct pair (struct pair, char, unsigned short)", pair_mix, nullptr);
        auto* pair_fn = reinterpret_cast<Pair (*)(Pair, char, unsigned short)>(jiffi_callback_code(p));
        Pair q = pair_fn({2.5f, 40}, -3, 65535);
        CHECK(q.a == -0.5f);
        CHECK(q.b == 40 + 65535);
        jiffi_callback_release(p);

        jiffi_callback* sp = c.callback(
            "signed char (long, long, long, long, long, long, long, long, long, long, long, long, double, double, "
            "double, double, double, double, double, double, double, double, signed char)",
            spill, nullptr);
        auto* spill_fn = reinterpret_cast<signed char (*)(long, long, long, long, long, long, long, long, long, long,
                                                          long, long, double, double, double, double, double, double,
                                                          double, double, double, double, signed char)>(
            jiffi_callback_code(sp));
        int64_t expect = 0;
        for (int i = 0; i < 12; ++i) expect += (i + 100) * (i + 1);
        double d = 0;
        for (int i = 0; i < 10; ++i) d += (0.5 + i) * (i + 1);
        expect += static_cast<int64_t>(d) - 7;
        CHECK(spill_fn(100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5,
                       7.5, 8.5, 9.5, -7) == static_cast<signed char>(expect));
        jiffi_callback_release(sp);

        if (b == JIFFI_BACKEND_LIBFFI) {
            // libffi cannot pass __int128: refused with a message naming it.
            jiffi_callback* w = nullptr;
            jiffi_error* err = jiffi_callback_create(c.ctx, c.sig("long double (long double, __int128)"), wide, nullptr, &w);
            REQUIRE(err != nullptr);
            CHECK(jiffi_error_code(err) == JIFFI_E_UNSUPPORTED);
            CHECK(std::string(jiffi_error_message(err)).find("__int128") != std::string::npos);
            jiffi_error_dispose(err);
            continue;
        }
        jiffi_callback* w = c.callback("long double (long double, __int128)", wide, nullptr);
        auto* wide_fn = reinterpret_cast<long double (*)(long double, __int128)>(jiffi_callback_code(w));
        __int128 big = static_cast<__int128>(1) << 70;
        CHECK(wide_fn(0.25L, big) == 0.25L + static_cast<long double>(big));
        jiffi_callback_release(w);
    }
}

TEST_CASE("variadic callbacks, a signature of another context and null arguments are refused") {
    Ctx c(JIFFI_BACKEND_AUTO), other(JIFFI_BACKEND_AUTO);
    jiffi_callback* cb = nullptr;
    jiffi_error* err = jiffi_callback_create(c.ctx, c.sig("int printf(const char *, ...)"), affine, nullptr, &cb);
    REQUIRE(err != nullptr);
    CHECK(jiffi_error_code(err) == JIFFI_E_VARIADIC);
    CHECK(std::string(jiffi_error_message(err)).find("printf") != std::string::npos);
    jiffi_error_dispose(err);
    CHECK(cb == nullptr);

    err = jiffi_callback_create(c.ctx, other.sig("long (long, long)"), affine, nullptr, &cb);
    REQUIRE(err != nullptr);
    CHECK(jiffi_error_code(err) == JIFFI_E_INVALID_ARGUMENT);
    jiffi_error_dispose(err);

    err = jiffi_callback_create(c.ctx, c.sig("long (long, long)"), nullptr, nullptr, &cb);
    REQUIRE(err != nullptr);
    CHECK(std::string(jiffi_error_message(err)).find("handler") != std::string::npos);
    jiffi_error_dispose(err);
    CHECK(jiffi_callback_code(nullptr) == nullptr);
    jiffi_callback_release(nullptr);
}

TEST_CASE("one callback called from 8 C threads, 100000 calls each") {
    for (jiffi_backend b : kBackends) {
        CAPTURE(backend_name(b));
        Ctx c(b);
        jiffi_callback* cb = c.callback("int64_t (int64_t, int64_t)", affine, nullptr);
        auto f = reinterpret_cast<Binop>(jiffi_callback_code(cb));
        CHECK(cb_call_binop(f, 5, 1) == 16);
        CHECK(cb_run_threads(f, 8, 100000) == 0);
        jiffi_callback_release(cb);
    }
}

TEST_CASE("a JIT thunk realigns a misaligned stack") {
    Ctx c(JIFFI_BACKEND_JIT);
    // The handler's 16-byte aligned local is at a 16-byte aligned address only if the thunk
    // realigned the stack it was entered with.
    jiffi_handler aligned = [](void*, const jiffi_slot* args, void* ret) {
        alignas(16) volatile unsigned char probe[16];
        probe[0] = 1;
        bool ok16 = (reinterpret_cast<uintptr_t>(&probe[0]) & 15) == 0;
        static_cast<jiffi_slot*>(ret)->i64 = ok16 ? args[0].i64 + args[1].i64 : -1;
    };
    jiffi_callback* cb = c.callback("int64_t (int64_t, int64_t)", aligned, nullptr);
    auto f = reinterpret_cast<Binop>(jiffi_callback_code(cb));
    CHECK(cb_call_misaligned(f, 20, 22) == 42);
    CHECK(cb_call_binop(f, 20, 22) == 42);
    jiffi_callback_release(cb);
}

namespace {

// Where a handler blocks until the test lets it go, to hold a call in flight.
struct Gate {
    std::mutex mu;
    std::condition_variable cv;
    bool inside = false;
    bool open = false;

    // Called by the handler: announces the call and blocks until open.
    void pass() {
        std::unique_lock<std::mutex> lock(mu);
        inside = true;
        cv.notify_all();
        cv.wait(lock, [this] { return open; });
    }
    // Waits until a call is inside.
    void wait_inside() {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [this] { return inside; });
    }
    // Lets the call inside return.
    void let_go() {
        {
            std::lock_guard<std::mutex> lock(mu);
            open = true;
        }
        cv.notify_all();
    }
};

void gated(void* user, const jiffi_slot* args, void* ret) {
    static_cast<Gate*>(user)->pass();
    static_cast<jiffi_slot*>(ret)->i64 = args[0].i64 * 3 + args[1].i64;
}

// Creates and releases 6000 callbacks of c, far past the quarantine; true if one of them got
// one of codes.
bool churn_gives_back(Ctx& c, std::initializer_list<void*> codes) {
    bool given = false;
    for (int round = 0; round < 6000; ++round) {
        jiffi_callback* other = c.callback("int64_t (int64_t, int64_t)", affine, nullptr);
        void* code = jiffi_callback_code(other);
        for (void* p : codes) given |= code == p;
        jiffi_callback_release(other);
    }
    return given;
}

}  // namespace

TEST_CASE("releasing a callback while a call is in flight: its code is not reused until the call returns") {
    for (jiffi_backend b : {JIFFI_BACKEND_JIT, JIFFI_BACKEND_LIBFFI}) {
        CAPTURE(backend_name(b));
        Ctx c(b);
        Gate gate;
        jiffi_callback* cb = c.callback("int64_t (int64_t, int64_t)", gated, &gate);
        auto f = reinterpret_cast<Binop>(jiffi_callback_code(cb));
        int64_t result = 0;
        std::thread caller([&] { result = cb_call_binop(f, 10, 4); });
        gate.wait_inside();
        jiffi_callback_release(cb);
        // The in-flight callback's code must not come back.
        CHECK_FALSE(churn_gives_back(c, {reinterpret_cast<void*>(f)}));
        gate.let_go();
        caller.join();
        CHECK(result == 34);
    }
}

namespace {

// Callbacks that call one another through C: the one at level i calls level i + 1, the last
// waits at the gate. Each returns the level below's result plus its own level.
struct Nest {
    std::vector<Binop> codes;
    Gate* gate = nullptr;
};

void nested(void* user, const jiffi_slot* args, void* ret) {
    auto* n = static_cast<Nest*>(user);
    int64_t level = args[0].i64;
    int64_t below = 0;
    if (level + 1 < static_cast<int64_t>(n->codes.size())) {
        below = cb_call_binop(n->codes[static_cast<size_t>(level) + 1], level + 1, args[1].i64);
    } else {
        n->gate->pass();
        below = args[1].i64;
    }
    static_cast<jiffi_slot*>(ret)->i64 = below + level;
}

}  // namespace

TEST_CASE("a callback released while running 10 callbacks deep is not reused until it returns") {
    for (jiffi_backend b : {JIFFI_BACKEND_JIT, JIFFI_BACKEND_LIBFFI}) {
        CAPTURE(backend_name(b));
        Ctx c(b);
        Gate gate;
        Nest nest;
        nest.gate = &gate;
        std::vector<jiffi_callback*> cbs;
        for (int i = 0; i < 11; ++i) {
            cbs.push_back(c.callback("int64_t (int64_t, int64_t)", nested, &nest));
            nest.codes.push_back(reinterpret_cast<Binop>(jiffi_callback_code(cbs.back())));
        }
        int64_t result = 0;
        std::thread caller([&] { result = cb_call_binop(nest.codes[0], 0, 100); });
        gate.wait_inside();
        // Level 9 is deeper than a thread's record names its callbacks; level 2 is not.
        void* deep = jiffi_callback_code(cbs[9]);
        void* shallow = jiffi_callback_code(cbs[2]);
        jiffi_callback_release(cbs[9]);
        jiffi_callback_release(cbs[2]);
        CHECK_FALSE(churn_gives_back(c, {deep, shallow}));
        gate.let_go();
        caller.join();
        CHECK(result == 100 + 55);  // 0 + 1 + ... + 10 over the innermost's 100
        for (int i = 0; i < 11; ++i)
            if (i != 9 && i != 2) jiffi_callback_release(cbs[static_cast<size_t>(i)]);
    }
}

TEST_CASE("a thread that stays inside a callback does not hold back the reuse of others") {
    // A thread pool's worker loop run as a callback: it stays inside while others churn.
    for (jiffi_backend b : {JIFFI_BACKEND_JIT, JIFFI_BACKEND_LIBFFI}) {
        CAPTURE(backend_name(b));
        Ctx c(b);
        Gate gate;
        jiffi_callback* loop = c.callback("int64_t (int64_t, int64_t)", gated, &gate);
        int64_t result = 0;
        std::thread held([&] { result = cb_call_binop(reinterpret_cast<Binop>(jiffi_callback_code(loop)), 1, 2); });
        gate.wait_inside();
        size_t capacity_before = 0, capacity_after = 0;
        jiffi_callback_table_stats(&capacity_before, nullptr, nullptr);
        for (int i = 0; i < 20000; ++i) jiffi_callback_release(c.callback("int64_t (int64_t, int64_t)", affine, nullptr));
        jiffi_callback_table_stats(&capacity_after, nullptr, nullptr);
        CHECK(capacity_after == capacity_before);
        gate.let_go();
        held.join();
        CHECK(result == 5);
        jiffi_callback_release(loop);
    }
}

TEST_CASE("released code is quarantined, then reused: the table does not grow under churn") {
    // libffi closures sit behind trampoline slots too, freed when their slot is reused.
    for (jiffi_backend b : {JIFFI_BACKEND_JIT, JIFFI_BACKEND_LIBFFI}) {
        CAPTURE(backend_name(b));
        Ctx c(b);
        jiffi_callback* first = c.callback("int64_t (int64_t, int64_t)", affine, nullptr);
        void* first_code = jiffi_callback_code(first);
        jiffi_callback_release(first);
        size_t capacity_before = 0, capacity_after = 0, live = 0, quarantined = 0;
        jiffi_callback_table_stats(&capacity_before, nullptr, nullptr);
        std::set<void*> seen;
        bool early_reuse = false, reused = false;
        long wrong = 0;
        for (int i = 0; i < 20000; ++i) {
            jiffi_callback* cb = c.callback("int64_t (int64_t, int64_t)", affine, nullptr);
            void* code = jiffi_callback_code(cb);
            if (code == first_code) (i < 1000 ? early_reuse : reused) = true;
            seen.insert(code);
            if (i % 97 == 0) wrong += cb_call_binop(reinterpret_cast<Binop>(code), i, 1) != i * 3 + 1;
            jiffi_callback_release(cb);
        }
        CHECK_FALSE(early_reuse);
        CHECK(reused);
        CHECK(wrong == 0);
        // 20000 create/release cycles reuse slots: the table keeps its size.
        jiffi_callback_table_stats(&capacity_after, &live, &quarantined);
        CHECK(seen.size() < 20000);
        CHECK(capacity_after == capacity_before);
        CHECK(quarantined >= 1024);
    }
}

TEST_CASE("100000 live callbacks, each calling its own handler data") {
    Ctx c(JIFFI_BACKEND_JIT);
    const jiffi_signature* sig = c.sig("int64_t (int64_t, int64_t)");
    constexpr int kCount = 100000;
    std::vector<jiffi_callback*> cbs(kCount);
    std::vector<int64_t> offsets(kCount);
    jiffi_handler plus = [](void* user, const jiffi_slot* args, void* ret) {
        static_cast<jiffi_slot*>(ret)->i64 = args[0].i64 + args[1].i64 + *static_cast<int64_t*>(user);
    };
    for (int i = 0; i < kCount; ++i) {
        offsets[i] = i * 10;
        ok(jiffi_callback_create(c.ctx, sig, plus, &offsets[i], &cbs[i]));
    }
    std::set<void*> codes;
    for (jiffi_callback* cb : cbs) codes.insert(jiffi_callback_code(cb));
    CHECK(codes.size() == kCount);
    long wrong = 0;
    for (int i = 0; i < kCount; i += 7) {
        auto f = reinterpret_cast<Binop>(jiffi_callback_code(cbs[i]));
        wrong += f(1, 2) != 3 + i * 10;
    }
    CHECK(wrong == 0);
    for (jiffi_callback* cb : cbs) jiffi_callback_release(cb);
}

TEST_CASE("calling a released callback names its signature and aborts") {
    for (jiffi_backend b : {JIFFI_BACKEND_JIT, JIFFI_BACKEND_LIBFFI}) {
        CAPTURE(backend_name(b));
        Ctx c(b);
        jiffi_callback* cb = c.callback("int64_t (int64_t, int64_t)", affine, nullptr);
        auto f = reinterpret_cast<Binop>(jiffi_callback_code(cb));
        jiffi_callback_release(cb);
        int err_pipe[2];
        REQUIRE(pipe(err_pipe) == 0);
        std::fflush(nullptr);  // the child must not write the parent's buffered output again
        pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            // The child dies by the trap's abort, not by the test framework's handlers.
            std::signal(SIGABRT, SIG_DFL);
            std::signal(SIGSEGV, SIG_DFL);
            std::signal(SIGILL, SIG_DFL);
            dup2(err_pipe[1], 2);
            if (FILE* null_out = std::freopen("/dev/null", "w", stdout)) (void)null_out;
            cb_call_binop(f, 1, 2);
            _exit(0);  // not reached when the trap works
        }
        close(err_pipe[1]);
        std::string text;
        char buf[256];
        for (ssize_t n; (n = read(err_pipe[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
        close(err_pipe[0]);
        int status = 0;
        waitpid(pid, &status, 0);
        CHECK(WIFSIGNALED(status));
        CHECK(WTERMSIG(status) == SIGABRT);
        CHECK(text.find("released callback") != std::string::npos);
        // The signature's structural text: the thunk (and the libffi slot's name) is shared by
        // every spelling of one signature, so typedef names are resolved (int64_t is long
        // on LP64 Linux, long long on Darwin).
        const char* structural = std::is_same_v<int64_t, long> ? "long (long, long)" : "long long (long long, long long)";
        CHECK(text.find(std::string("'") + jiffi_signature_text(c.sig(structural)) + "'") != std::string::npos);
        CHECK(text.find("int64_t") == std::string::npos);
    }
}

TEST_CASE("a libffi callback released while running survives its context's destruction") {
    auto* c = new Ctx(JIFFI_BACKEND_LIBFFI);
    Gate gate;
    jiffi_callback* cb = c->callback("int64_t (int64_t, int64_t)", gated, &gate);
    auto f = reinterpret_cast<Binop>(jiffi_callback_code(cb));
    int64_t result = 0;
    std::thread caller([&] { result = cb_call_binop(f, 7, 1); });
    gate.wait_inside();
    jiffi_callback_release(cb);
    delete c;  // the context and its signatures go while the call is in its handler
    gate.let_go();
    caller.join();
    CHECK(result == 22);
}

TEST_CASE("releasing one callback from two threads at once releases it once") {
    for (jiffi_backend b : {JIFFI_BACKEND_JIT, JIFFI_BACKEND_LIBFFI}) {
        CAPTURE(backend_name(b));
        Ctx c(b);
        size_t quarantined_before = 0, quarantined_after = 0;
        for (int round = 0; round < 200; ++round) {
            jiffi_callback* cb = c.callback("int64_t (int64_t, int64_t)", affine, nullptr);
            jiffi_callback_table_stats(nullptr, nullptr, &quarantined_before);
            std::thread t1([cb] { jiffi_callback_release(cb); });
            std::thread t2([cb] { jiffi_callback_release(cb); });
            t1.join();
            t2.join();
            jiffi_callback_table_stats(nullptr, nullptr, &quarantined_after);
            if (b == JIFFI_BACKEND_JIT && quarantined_after > quarantined_before)
                CHECK(quarantined_after - quarantined_before == 1);
        }
        // Every later callback still gets a code address of its own.
        std::set<void*> codes;
        std::vector<jiffi_callback*> live;
        for (int i = 0; i < 3000; ++i) {
            live.push_back(c.callback("int64_t (int64_t, int64_t)", affine, nullptr));
            codes.insert(jiffi_callback_code(live.back()));
        }
        CHECK(codes.size() == live.size());
        for (jiffi_callback* cb : live) jiffi_callback_release(cb);
    }
}

TEST_CASE("libffi callbacks and invokers made, called and released on four threads at once") {
    // Each thread has its own context: nothing jiffi shares between them but the process's
    // tables, and libffi (whose closure allocator is not thread-safe).
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([t, &wrong] {
            jiffi_context* ctx = nullptr;
            if (jiffi_context_create(JIFFI_BACKEND_LIBFFI, &ctx)) return (void)++wrong;
            for (int i = 0; i < 500; ++i) {
                // A fresh signature each round: its libffi preparation and invoker are new too.
                jiffi_signature* sig = nullptr;
                jiffi_callback* cb = nullptr;
                if (jiffi_signature_parse(ctx, "int64_t (int64_t, int64_t)", &sig) ||
                    jiffi_callback_create(ctx, sig, affine, nullptr, &cb)) {
                    ++wrong;
                    break;
                }
                jiffi_invoker inv = nullptr;
                jiffi_error* err = jiffi_signature_invoker(sig, &inv);
                if (err) {
                    jiffi_error_dispose(err);
                    ++wrong;
                    break;
                }
                auto f = reinterpret_cast<Binop>(jiffi_callback_code(cb));
                jiffi_slot args[2], ret;
                args[0].i64 = i;
                args[1].i64 = t;
                ret.i64 = 0;
                inv(reinterpret_cast<void*>(f), args, &ret);  // C calling the callback, through libffi
                if (ret.i64 != 3 * i + t || cb_call_binop(f, t, i) != 3 * t + i) ++wrong;
                jiffi_callback_release(cb);
            }
            jiffi_context_destroy(ctx);
        });
    }
    for (std::thread& th : threads) th.join();
    CHECK(wrong.load() == 0);
}

TEST_CASE("calling a libffi invoker after its signature was destroyed reports it and aborts") {
    Binop sub = [](int64_t a, int64_t b) -> int64_t { return a - b; };
    jiffi_invoker inv = nullptr;
    {
        Ctx c(JIFFI_BACKEND_LIBFFI);
        ok(jiffi_signature_invoker(c.sig("int64_t (int64_t, int64_t)"), &inv));
        jiffi_slot args[2], ret;
        args[0].i64 = 5;
        args[1].i64 = 1;
        ret.i64 = 0;
        inv(reinterpret_cast<void*>(sub), args, &ret);  // a live invoker works
        CHECK(ret.i64 == 4);
    }
    int err_pipe[2];
    REQUIRE(pipe(err_pipe) == 0);
    std::fflush(nullptr);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        std::signal(SIGABRT, SIG_DFL);
        std::signal(SIGSEGV, SIG_DFL);
        std::signal(SIGILL, SIG_DFL);
        dup2(err_pipe[1], 2);
        jiffi_slot args[2] = {}, ret;
        inv(reinterpret_cast<void*>(sub), args, &ret);
        _exit(0);  // not reached when the trap works
    }
    close(err_pipe[1]);
    std::string text;
    char buf[256];
    for (ssize_t n; (n = read(err_pipe[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
    close(err_pipe[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGABRT);
    CHECK(text.find("libffi invoker was called after its signature was destroyed") != std::string::npos);
}

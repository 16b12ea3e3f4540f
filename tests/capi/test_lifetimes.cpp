// Object lifetimes through the C API: a context outlives its children, and destroyed, repeated
// or stale handles are reported and refused instead of reaching freed or reused memory.
#include <doctest/doctest.h>

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "jiffi/jiffi.h"
#include "runtime/handles.hpp"

namespace {

std::atomic<int> g_calls{0};

// The foreign function of these tests: counts its calls and adds one.
extern "C" int64_t lifetimes_add1(int64_t x) {
    g_calls.fetch_add(1);
    return x + 1;
}

// Captures what is written to stderr while it lives.
class StderrCapture {
public:
    StderrCapture() {
        std::fflush(stderr);
        file_ = std::tmpfile();
        saved_ = dup(2);
        dup2(fileno(file_), 2);
    }
    ~StderrCapture() { restore(); }
    // Everything written so far (stderr goes back to where it was).
    std::string text() {
        restore();
        std::string s;
        std::rewind(file_);
        char buf[1024];
        for (size_t n; (n = std::fread(buf, 1, sizeof buf, file_)) > 0;) s.append(buf, n);
        return s;
    }

private:
    void restore() {
        if (saved_ < 0) return;
        std::fflush(stderr);
        dup2(saved_, 2);
        close(saved_);
        saved_ = -1;
    }
    std::FILE* file_ = nullptr;
    int saved_ = -1;
};

// Makes a context of backend with lifetimes_add1 bound in it.
struct Add1 {
    explicit Add1(jiffi_backend b = JIFFI_BACKEND_LIBFFI) {
        REQUIRE(!jiffi_context_create(b, &ctx));
        REQUIRE(!jiffi_signature_parse(ctx, "int64_t (int64_t)", &sig));
        REQUIRE(!jiffi_function_create(ctx, reinterpret_cast<void*>(&lifetimes_add1), sig, &fn));
    }
    jiffi_context* ctx = nullptr;
    jiffi_signature* sig = nullptr;
    jiffi_function* fn = nullptr;
};

// Calls fn with x and returns its result (0 when no call was made).
int64_t call1(jiffi_function* fn, int64_t x) {
    jiffi_slot a[1];
    a[0].i64 = x;
    int64_t r = 0;
    jiffi_function_call(fn, a, &r);
    return r;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Reuses freed heap memory of every small size with a pattern, so that a read of freed
// memory sees the pattern rather than what was there.
void scribble_heap() {
    std::vector<std::unique_ptr<char[]>> blocks;
    for (size_t size = 16; size <= 4096; size += 16)
        for (int k = 0; k < 8; ++k) {
            blocks.emplace_back(new char[size]);
            std::memset(blocks.back().get(), 0x5a, size);
        }
}

}  // namespace

TEST_CASE("a destroyed context lives on while its function does, with its signature") {
    for (jiffi_backend b : {JIFFI_BACKEND_LIBFFI, JIFFI_BACKEND_JIT, JIFFI_BACKEND_AUTO}) {
        CAPTURE(b);
        Add1 a(b);
        jiffi_context_destroy(a.ctx);
        scribble_heap();
        CHECK(call1(a.fn, 41) == 42);
        CHECK(std::string(jiffi_signature_text(jiffi_function_signature(a.fn))) == "int64_t(int64_t)");
        jiffi_function_destroy(a.fn);
    }
}

TEST_CASE("destroying a context while another thread calls its function is safe") {
    for (jiffi_backend b : {JIFFI_BACKEND_LIBFFI, JIFFI_BACKEND_JIT}) {
        CAPTURE(b);
        Add1 a(b);
        std::atomic<bool> stop{false};
        std::atomic<long> wrong{0}, made{0};
        std::thread caller([&] {
            for (int64_t i = 0; !stop.load() || made.load() < 1000; ++i) {
                if (call1(a.fn, i) != i + 1) wrong.fetch_add(1);
                made.fetch_add(1);
            }
        });
        while (made.load() < 100) std::this_thread::yield();
        jiffi_context_destroy(a.ctx);
        scribble_heap();
        stop.store(true);
        caller.join();
        CHECK(wrong.load() == 0);
        jiffi_function_destroy(a.fn);
    }
}

TEST_CASE("destroying twice, and calling a destroyed function, is reported and does nothing") {
    Add1 a;
    jiffi_library* lib = nullptr;
    REQUIRE(!jiffi_library_open(a.ctx, nullptr, &lib));
    jiffi_function_destroy(a.fn);
    jiffi_library_close(lib);
    jiffi_context_destroy(a.ctx);
    int before = g_calls.load();
    StderrCapture cap;
    jiffi_function_destroy(a.fn);
    jiffi_library_close(lib);
    jiffi_context_destroy(a.ctx);
    CHECK(call1(a.fn, 1) == 0);
    std::string err = cap.text();
    CAPTURE(err);
    CHECK(g_calls.load() == before);
    CHECK(has(err, "jiffi_function_destroy: the function handle"));
    CHECK(has(err, "jiffi_library_close: the library handle"));
    CHECK(has(err, "jiffi_context_destroy: the context handle"));
    CHECK(has(err, "jiffi_function_call: the function handle"));
    CHECK(has(err, "was destroyed already; nothing done"));
}

TEST_CASE("a destroyed context's handle is refused with an error naming it") {
    jiffi_context* ctx = nullptr;
    REQUIRE(!jiffi_context_create(JIFFI_BACKEND_LIBFFI, &ctx));
    jiffi_context_destroy(ctx);
    jiffi_signature* sig = nullptr;
    jiffi_error* err = jiffi_signature_parse(ctx, "int (int)", &sig);
    REQUIRE(err);
    CHECK(jiffi_error_code(err) == JIFFI_E_INVALID_ARGUMENT);
    CHECK(std::string(jiffi_error_message(err)) ==
          "jiffi_signature_parse: argument 'ctx' names a context that was destroyed");
    jiffi_error_dispose(err);
    err = jiffi_cdef(ctx, "typedef int t;");
    CHECK(jiffi_error_code(err) == JIFFI_E_INVALID_ARGUMENT);
    jiffi_error_dispose(err);
}

TEST_CASE("a stale function handle never reaches the function now in its memory") {
    Add1 a;
    jiffi_function_destroy(a.fn);
    auto same_cell = [](const void* x, const void* y) {
        return (reinterpret_cast<uintptr_t>(x) & jiffi::detail::kHandleAddressMask) ==
               (reinterpret_cast<uintptr_t>(y) & jiffi::detail::kHandleAddressMask);
    };
    jiffi_function* now = nullptr;
    for (int i = 0; i < 10000 && !now; ++i) {
        jiffi_function* f = nullptr;
        REQUIRE(!jiffi_function_create(a.ctx, reinterpret_cast<void*>(&lifetimes_add1), a.sig, &f));
        if (same_cell(f, a.fn)) now = f;
        else jiffi_function_destroy(f);
    }
    REQUIRE(now);
    CHECK(now != a.fn);
    StderrCapture cap;
    jiffi_function_destroy(a.fn);
    CHECK(call1(a.fn, 1) == 0);
    std::string err = cap.text();
    CAPTURE(err);
    CHECK(has(err, "is stale"));
    CHECK(call1(now, 9) == 10);
    jiffi_function_destroy(now);
    jiffi_context_destroy(a.ctx);
}

namespace {
// A callback's handler: its result is the user data's value plus the argument.
void add_user(void* user, const jiffi_slot* args, void* ret) {
    *static_cast<int*>(ret) = *static_cast<int*>(user) + static_cast<int>(args[0].i64);
}
}  // namespace

TEST_CASE("releasing a callback again after its slot was reused leaves the new callback alone") {
    for (jiffi_backend b : {JIFFI_BACKEND_JIT, JIFFI_BACKEND_LIBFFI}) {
        CAPTURE(b);
        jiffi_context* ctx = nullptr;
        REQUIRE(!jiffi_context_create(b, &ctx));
        jiffi_signature* sig = nullptr;
        REQUIRE(!jiffi_signature_parse(ctx, "int (int)", &sig));
        int one = 1, two = 2;
        jiffi_callback* first = nullptr;
        REQUIRE(!jiffi_callback_create(ctx, sig, add_user, &one, &first));
        void* code = jiffi_callback_code(first);
        jiffi_callback_release(first);
        jiffi_callback* reuser = nullptr;
        for (int i = 0; i < 20000 && !reuser; ++i) {
            jiffi_callback* cb = nullptr;
            REQUIRE(!jiffi_callback_create(ctx, sig, add_user, &two, &cb));
            if (jiffi_callback_code(cb) == code) reuser = cb;
            else jiffi_callback_release(cb);
        }
        if (!reuser) {
            MESSAGE("the released slot was not reused on this host");
            jiffi_context_destroy(ctx);
            continue;
        }
        StderrCapture cap;
        jiffi_callback_release(first);
        CHECK(jiffi_callback_code(first) == nullptr);
        std::string err = cap.text();
        CAPTURE(err);
        CHECK(has(err, "jiffi_callback_release: the callback handle"));
        CHECK(has(err, "is not a live callback"));
        auto fp = reinterpret_cast<int (*)(int)>(jiffi_callback_code(reuser));
        CHECK(reinterpret_cast<void*>(fp) == code);
        CHECK(fp(40) == 42);
        jiffi_callback_release(reuser);
        jiffi_context_destroy(ctx);
    }
}

TEST_CASE("a batch call with NULL arguments for a call that takes them makes no call") {
    for (jiffi_backend b : {JIFFI_BACKEND_LIBFFI, JIFFI_BACKEND_JIT}) {
        CAPTURE(b);
        Add1 a(b);
        jiffi_batch* batch = nullptr;
        REQUIRE(!jiffi_batch_create(&a.fn, 1, &batch));
        const jiffi_slot* args[1] = {nullptr};
        int64_t r = 0;
        void* rets[1] = {&r};
        int before = g_calls.load();
        StderrCapture cap;
        jiffi_batch_call(batch, args, rets);
        std::string err = cap.text();
        CAPTURE(err);
        CHECK(g_calls.load() == before);
        CHECK(has(err, std::string("jiffi_batch_call: args[0] is NULL for '") + jiffi_signature_text(a.sig) +
                           "', which takes arguments; no call made"));
        jiffi_batch_destroy(batch);
        jiffi_function_destroy(a.fn);
        jiffi_context_destroy(a.ctx);
    }
}

TEST_CASE("a batch keeps its functions alive, and a destroyed batch is refused") {
    Add1 a;
    jiffi_batch* batch = nullptr;
    REQUIRE(!jiffi_batch_create(&a.fn, 1, &batch));
    jiffi_function_destroy(a.fn);
    jiffi_context_destroy(a.ctx);
    scribble_heap();
    jiffi_slot x[1];
    x[0].i64 = 6;
    const jiffi_slot* args[1] = {x};
    int64_t r = 0;
    void* rets[1] = {&r};
    jiffi_batch_call(batch, args, rets);
    CHECK(r == 7);
    jiffi_batch_destroy(batch);
    StderrCapture cap;
    jiffi_batch_destroy(batch);
    r = 0;
    jiffi_batch_call(batch, args, rets);
    CHECK(r == 0);
    CHECK(has(cap.text(), "jiffi_batch_destroy: the batch handle"));
}

TEST_CASE("a function bound from a closed library still calls into it") {
    jiffi_context* ctx = nullptr;
    REQUIRE(!jiffi_context_create(JIFFI_BACKEND_LIBFFI, &ctx));
    jiffi_library* lib = nullptr;
    REQUIRE(!jiffi_library_open(ctx, JIFFI_CRASH_FIXTURE, &lib));
    jiffi_signature* sig = nullptr;
    REQUIRE(!jiffi_signature_parse(ctx, "int jiffi_crash_twice(int)", &sig));
    jiffi_function* fn = nullptr;
    REQUIRE(!jiffi_function_bind(lib, "jiffi_crash_twice", sig, &fn));
    jiffi_library_close(lib);
    jiffi_context_destroy(ctx);
    jiffi_slot a[1];
    a[0].i64 = 21;
    jiffi_slot r;  // an int return is written as a whole slot
    r.i64 = 0;
    jiffi_function_call(fn, a, &r);
    CHECK(r.i64 == 42);
    jiffi_function_destroy(fn);
}

TEST_CASE("a backend value outside the enum is refused by its integer") {
    for (int raw : {-1, 3, 0x7fffffff}) {
        CAPTURE(raw);
        jiffi_backend b;
        std::memcpy(&b, &raw, sizeof b);
        jiffi_context* ctx = reinterpret_cast<jiffi_context*>(1);
        jiffi_error* err = jiffi_context_create(b, &ctx);
        REQUIRE(err);
        CHECK(ctx == nullptr);
        CHECK(jiffi_error_code(err) == JIFFI_E_INVALID_ARGUMENT);
        CHECK(has(jiffi_error_message(err), "unknown backend " + std::to_string(raw)));
        jiffi_error_dispose(err);
    }
}

// Batches, signature invokers and errno capture through the C API, on every backend.
#include <doctest/doctest.h>

#include <fcntl.h>

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "jiffi/jiffi.h"

namespace {

void ok(jiffi_error* err) {
    if (!err) return;
    std::string msg = jiffi_error_message(err);
    jiffi_error_dispose(err);
    FAIL(msg);
}

// A context of one backend with libc and libm open.
struct World {
    explicit World(jiffi_backend b) {
        ok(jiffi_context_create(b, &ctx));
        ok(jiffi_library_open(ctx, "libc", &libc));
        ok(jiffi_library_open(ctx, "libm", &libm));
    }
    ~World() {
        for (jiffi_function* f : fns) jiffi_function_destroy(f);
        jiffi_library_close(libm);
        jiffi_library_close(libc);
        jiffi_context_destroy(ctx);
    }
    jiffi_signature* sig(const char* text) {
        jiffi_signature* s = nullptr;
        ok(jiffi_signature_parse(ctx, text, &s));
        return s;
    }
    jiffi_function* bind(jiffi_library* lib, const char* name, jiffi_signature* s) {
        jiffi_function* f = nullptr;
        ok(jiffi_function_bind(lib, name, s, &f));
        fns.push_back(f);
        return f;
    }
    jiffi_context* ctx = nullptr;
    jiffi_library* libc = nullptr;
    jiffi_library* libm = nullptr;
    std::vector<jiffi_function*> fns;
};

const jiffi_backend kBackends[] = {JIFFI_BACKEND_JIT, JIFFI_BACKEND_LIBFFI, JIFFI_BACKEND_AUTO};

}  // namespace

TEST_CASE("a batch makes its calls in order: scalars, a struct return, a variadic call site") {
    for (jiffi_backend b : kBackends) {
        CAPTURE(static_cast<int>(b));
        World w(b);
        ok(jiffi_cdef(w.ctx, "typedef struct { int quot; int rem; } div_t;"));
        jiffi_signature* snprintf_proto = w.sig("int snprintf(char *, size_t, const char *, ...)");
        jiffi_signature* snprintf_site = nullptr;
        ok(jiffi_signature_vararg(w.ctx, snprintf_proto, "int, char *", &snprintf_site));
        jiffi_function* calls[] = {
            w.bind(w.libc, "labs", w.sig("long labs(long)")),
            w.bind(w.libc, "div", w.sig("div_t div(int, int)")),
            w.bind(w.libm, "hypot", w.sig("double hypot(double, double)")),
            w.bind(w.libc, "snprintf", snprintf_site),
            w.bind(w.libc, "strlen", w.sig("size_t strlen(const char *)")),
        };
        jiffi_batch* batch = nullptr;
        ok(jiffi_batch_create(calls, 5, &batch));
        CHECK(jiffi_batch_is_compiled(batch) == (b == JIFFI_BACKEND_LIBFFI ? 0 : 1));

        char buf[32] = {0};
        jiffi_slot a_labs[1], a_div[2], a_hypot[2], a_snprintf[5], a_strlen[1];
        a_labs[0].i64 = -41;
        a_div[0].i64 = 47;
        a_div[1].i64 = 5;
        a_hypot[0].f64 = 3;
        a_hypot[1].f64 = 4;
        a_snprintf[0].ptr = buf;
        a_snprintf[1].u64 = sizeof buf;
        a_snprintf[2].ptr = const_cast<char*>("%d-%s");
        a_snprintf[3].i64 = 42;
        a_snprintf[4].ptr = const_cast<char*>("x");
        // strlen reads buf, which snprintf (the call before it) filled.
        a_strlen[0].ptr = buf;
        const jiffi_slot* args[] = {a_labs, a_div, a_hypot, a_snprintf, a_strlen};
        jiffi_slot r_labs, r_hypot, r_snprintf, r_strlen;
        struct {
            int quot, rem;
        } r_div{};
        void* rets[] = {&r_labs, &r_div, &r_hypot, &r_snprintf, &r_strlen};
        for (int round = 0; round < 3; ++round) {
            std::memset(buf, 0, sizeof buf);
            jiffi_batch_call(batch, args, rets);
            CHECK(r_labs.i64 == 41);
            CHECK(r_div.quot == 9);
            CHECK(r_div.rem == 2);
            CHECK(r_hypot.f64 == 5.0);
            CHECK(r_snprintf.i64 == 4);
            CHECK(std::string(buf) == "42-x");
            CHECK(r_strlen.u64 == 4);
        }
        // Discarded results: NULL return storage is given scratch.
        void* some[] = {&r_labs, nullptr, nullptr, nullptr, &r_strlen};
        r_labs.i64 = 0;
        jiffi_batch_call(batch, args, some);
        jiffi_batch_call(batch, args, nullptr);
        CHECK(r_labs.i64 == 41);
        jiffi_batch_destroy(batch);
    }
}

TEST_CASE("batch creation errors name the problem") {
    World w(JIFFI_BACKEND_JIT);
    jiffi_batch* batch = nullptr;
    jiffi_error* err = jiffi_batch_create(nullptr, 0, &batch);
    REQUIRE(err != nullptr);
    CHECK(jiffi_error_code(err) == JIFFI_E_INVALID_ARGUMENT);
    jiffi_error_dispose(err);
    jiffi_function* fns[] = {w.bind(w.libc, "labs", w.sig("long labs(long)")), nullptr};
    err = jiffi_batch_create(fns, 2, &batch);
    REQUIRE(err != nullptr);
    CHECK(std::string(jiffi_error_message(err)).find("function 1") != std::string::npos);
    jiffi_error_dispose(err);
    CHECK(batch == nullptr);
}

TEST_CASE("a signature's invoker calls any function of that signature") {
    for (jiffi_backend b : kBackends) {
        World w(b);
        jiffi_invoker inv = nullptr;
        ok(jiffi_signature_invoker(w.sig("long (long)"), &inv));
        REQUIRE(reinterpret_cast<void*>(inv) != nullptr);
        jiffi_slot arg, ret;
        arg.i64 = -9;
        inv(reinterpret_cast<void*>(&::labs), &arg, &ret);
        CHECK(ret.i64 == 9);
        jiffi_invoker again = nullptr;
        ok(jiffi_signature_invoker(w.sig("long (long)"), &again));
        CHECK(reinterpret_cast<void*>(again) == reinterpret_cast<void*>(inv));
        jiffi_error* err = jiffi_signature_invoker(w.sig("int printf(const char *, ...)"), &again);
        REQUIRE(err != nullptr);
        CHECK(jiffi_error_code(err) == JIFFI_E_VARIADIC);
        jiffi_error_dispose(err);
    }
}

TEST_CASE("errno is captured right after the call on every backend") {
    for (jiffi_backend b : kBackends) {
        CAPTURE(static_cast<int>(b));
        World w(b);
        jiffi_signature* site = nullptr;
        ok(jiffi_signature_vararg(w.ctx, w.sig("int open(const char *, int, ...)"), "", &site));
        jiffi_function* open_fn = w.bind(w.libc, "open", site);
        jiffi_slot args[2], ret;
        args[0].ptr = const_cast<char*>("/nonexistent-jiffi-dir/file");
        args[1].i64 = O_RDONLY;
        int err = 0;
        errno = 0;
        ok(jiffi_function_call_errno(open_fn, args, &ret, &err));
        CHECK(ret.i64 == -1);
        CHECK(err == ENOENT);

        jiffi_function* strtol_fn = w.bind(w.libc, "strtol", w.sig("long strtol(const char *, char **, int)"));
        jiffi_slot sargs[3];
        sargs[0].ptr = const_cast<char*>("99999999999999999999999");
        sargs[1].ptr = nullptr;
        sargs[2].i64 = 10;
        err = 0;
        ok(jiffi_function_call_errno(strtol_fn, sargs, &ret, &err));
        CHECK(ret.i64 == LONG_MAX);
        CHECK(err == ERANGE);
        // A call that succeeds reports what errno held after it (strtol leaves it alone).
        sargs[0].ptr = const_cast<char*>("12");
        errno = 0;
        err = -1;
        ok(jiffi_function_call_errno(strtol_fn, sargs, &ret, &err));
        CHECK(ret.i64 == 12);
        CHECK(err == 0);

        jiffi_error* e = jiffi_function_call_errno(strtol_fn, sargs, &ret, nullptr);
        REQUIRE(e != nullptr);
        CHECK(std::string(jiffi_error_message(e)).find("errno_out") != std::string::npos);
        jiffi_error_dispose(e);
    }
}

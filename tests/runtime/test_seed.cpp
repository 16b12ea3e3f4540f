// The first examples of the Lisp FFI's documentation, through the C API.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>

#include "jiffi/jiffi.h"

namespace {

// Fails the test with the error's message if err is set, and disposes it.
void ok(jiffi_error* err) {
    if (err) {
        std::string msg = jiffi_error_message(err);
        jiffi_error_dispose(err);
        FAIL_CHECK(msg);
    }
}

struct Ctx {
    jiffi_context* ctx = nullptr;
    Ctx() { ok(jiffi_context_create(JIFFI_BACKEND_AUTO, &ctx)); }
    ~Ctx() { jiffi_context_destroy(ctx); }
};

}  // namespace

TEST_CASE("strlen(\"hello\") through the short name libc is 5") {
    Ctx c;
    jiffi_library* libc = nullptr;
    ok(jiffi_library_open(c.ctx, "libc", &libc));
    REQUIRE(libc);
    CHECK(std::string(jiffi_library_path(libc)).find("libc.so.6") != std::string::npos);
    jiffi_signature* sig = nullptr;
    ok(jiffi_signature_parse(c.ctx, ":unsigned-long (:string)", &sig));
    jiffi_function* fn = nullptr;
    ok(jiffi_function_bind(libc, "strlen", sig, &fn));
    REQUIRE(fn);
    jiffi_slot arg, ret;
    arg.ptr = const_cast<char*>("hello");
    ret.u64 = 77;
    jiffi_function_call(fn, &arg, &ret);
    CHECK(ret.u64 == 5);
    // The invoker paired with the address does the same.
    arg.ptr = const_cast<char*>("world!");
    jiffi_function_invoker(fn)(jiffi_function_address(fn), &arg, &ret);
    CHECK(ret.u64 == 6);
    jiffi_function_destroy(fn);
    jiffi_library_close(libc);
}

TEST_CASE("getenv(\"PATH\") returns the process's PATH") {
    Ctx c;
    setenv("JIFFI_TEST_VAR", "/opt/jiffi:/usr/bin", 1);
    jiffi_library* libc = nullptr;
    ok(jiffi_library_open(c.ctx, "libc", &libc));
    jiffi_signature* sig = nullptr;
    ok(jiffi_signature_parse(c.ctx, "char *getenv(const char *name)", &sig));
    jiffi_function* fn = nullptr;
    ok(jiffi_function_bind(libc, "getenv", sig, &fn));
    jiffi_slot arg, ret;
    arg.ptr = const_cast<char*>("JIFFI_TEST_VAR");
    jiffi_function_call(fn, &arg, &ret);
    REQUIRE(ret.ptr);
    CHECK(std::string(static_cast<char*>(ret.ptr)) == "/opt/jiffi:/usr/bin");
    arg.ptr = const_cast<char*>("PATH");
    jiffi_function_call(fn, &arg, &ret);
    CHECK(ret.ptr == std::getenv("PATH"));
    arg.ptr = const_cast<char*>("JIFFI_NO_SUCH_VARIABLE_X");
    jiffi_function_call(fn, &arg, &ret);
    CHECK(ret.ptr == nullptr);
    jiffi_function_destroy(fn);
    jiffi_library_close(libc);
}

TEST_CASE("nanosleep with a struct timespec declared by cdef") {
    Ctx c;
    ok(jiffi_cdef(c.ctx, "struct timespec { long tv_sec; long tv_nsec; };\n"
                         "int nanosleep(const struct timespec *req, struct timespec *rem);"));
    jiffi_library* libc = nullptr;
    ok(jiffi_library_open(c.ctx, "libc", &libc));
    jiffi_signature* sig = nullptr;
    // A bare name uses the prototype declared by cdef.
    ok(jiffi_signature_parse(c.ctx, "nanosleep", &sig));
    CHECK(jiffi_signature_arg_count(sig) == 2);
    jiffi_function* fn = nullptr;
    ok(jiffi_function_bind(libc, "nanosleep", sig, &fn));
    struct timespec req = {0, 20 * 1000 * 1000}, rem = {0, 0};
    jiffi_slot args[2];
    args[0].ptr = &req;
    args[1].ptr = &rem;
    jiffi_slot ret;
    ret.i64 = 99;
    auto t0 = std::chrono::steady_clock::now();
    jiffi_function_call(fn, args, &ret);
    auto elapsed = std::chrono::steady_clock::now() - t0;
    CHECK(ret.i64 == 0);
    CHECK(elapsed >= std::chrono::milliseconds(20));
    // An invalid timespec gives -1 (EINVAL), sign-extended into the slot.
    req.tv_nsec = 2000000000L;
    jiffi_function_call(fn, args, &ret);
    CHECK(ret.i64 == -1);
    jiffi_function_destroy(fn);
    jiffi_library_close(libc);
}

TEST_CASE("write(fd, buffer, n) writes the bytes") {
    Ctx c;
    jiffi_library* libc = nullptr;
    ok(jiffi_library_open(c.ctx, "libc", &libc));
    jiffi_signature* sig = nullptr;
    ok(jiffi_signature_parse(c.ctx, ":long (:int :pointer :unsigned-long)", &sig));
    jiffi_function* fn = nullptr;
    ok(jiffi_function_bind(libc, "write", sig, &fn));
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    const char msg[] = "jiffi writes\n";
    jiffi_slot args[3], ret;
    args[0].i64 = fds[1];
    args[1].ptr = const_cast<char*>(msg);
    args[2].u64 = sizeof(msg) - 1;
    jiffi_function_call(fn, args, &ret);
    CHECK(ret.i64 == static_cast<int64_t>(sizeof(msg) - 1));
    char buf[64] = {};
    CHECK(read(fds[0], buf, sizeof(buf)) == static_cast<ssize_t>(sizeof(msg) - 1));
    CHECK(std::string(buf) == msg);
    // And to standard output, as the example does.
    args[0].i64 = 1;
    jiffi_function_call(fn, args, &ret);
    CHECK(ret.i64 == static_cast<int64_t>(sizeof(msg) - 1));
    close(fds[0]);
    close(fds[1]);
    jiffi_function_destroy(fn);
    jiffi_library_close(libc);
}

TEST_CASE("snprintf through a call-site signature of a variadic prototype") {
    Ctx c;
    jiffi_library* libc = nullptr;
    ok(jiffi_library_open(c.ctx, "libc", &libc));
    jiffi_signature* proto = nullptr;
    ok(jiffi_signature_parse(c.ctx, "int snprintf(char *, size_t, const char *, ...)", &proto));
    CHECK(jiffi_signature_is_variadic(proto));
    jiffi_function* fn = nullptr;
    jiffi_error* err = jiffi_function_bind(libc, "snprintf", proto, &fn);
    REQUIRE(err);
    CHECK(jiffi_error_code(err) == JIFFI_E_VARIADIC);
    CHECK(std::string(jiffi_error_message(err)).find("snprintf") != std::string::npos);
    jiffi_error_dispose(err);
    jiffi_signature* site = nullptr;
    ok(jiffi_signature_vararg(c.ctx, proto, "int, float, const char *, char, long double", &site));
    CHECK(jiffi_signature_arg_count(site) == 8);
    ok(jiffi_function_bind(libc, "snprintf", site, &fn));
    char buf[128];
    long double ld = 2.5L;
    jiffi_slot args[8], ret;
    args[0].ptr = buf;
    args[1].u64 = sizeof(buf);
    args[2].ptr = const_cast<char*>("%d %.2f %s %c %.1Lf");
    args[3].i64 = -42;
    args[4].u64 = 0;
    args[4].f32 = 1.25f;  // a float slot, promoted to double in the call
    args[5].ptr = const_cast<char*>("str");
    args[6].i64 = 'x';
    args[7].ptr = &ld;
    jiffi_function_call(fn, args, &ret);
    CHECK(std::string(buf) == "-42 1.25 str x 2.5");
    CHECK(ret.i64 == static_cast<int64_t>(std::strlen(buf)));
    jiffi_function_destroy(fn);
    jiffi_library_close(libc);
}

TEST_CASE("the running process is a library") {
    Ctx c;
    jiffi_library* self = nullptr;
    ok(jiffi_library_open(c.ctx, nullptr, &self));
    void* p = nullptr;
    ok(jiffi_library_symbol(self, "strlen", &p));
    CHECK(p != nullptr);
    jiffi_library_close(self);
}

TEST_CASE("a prototype renamed by __asm__ binds the symbol it names") {
    Ctx c;
    ok(jiffi_cdef(c.ctx, "int my_abs(int) __asm__(\"abs\");\n"
                         "int __isoc99_sscanf(const char *, const char *, ...);\n"
                         "int sscanf(const char *, const char *, ...) __asm__(\"__isoc99_sscanf\");"));
    jiffi_library* libc = nullptr;
    ok(jiffi_library_open(c.ctx, "libc", &libc));
    jiffi_signature* sig = nullptr;
    ok(jiffi_signature_parse(c.ctx, "my_abs", &sig));
    jiffi_function* fn = nullptr;
    ok(jiffi_function_bind(libc, "my_abs", sig, &fn));
    jiffi_slot arg, ret;
    arg.i64 = -12;
    jiffi_function_call(fn, &arg, &ret);
    CHECK(ret.i64 == 12);
    void* abs_address = nullptr;
    ok(jiffi_library_symbol(libc, "abs", &abs_address));
    CHECK(jiffi_function_address(fn) == abs_address);
    jiffi_function_destroy(fn);
    // glibc's own renaming: sscanf is __isoc99_sscanf.
    jiffi_signature* proto = nullptr;
    ok(jiffi_signature_parse(c.ctx, "sscanf", &proto));
    jiffi_signature* site = nullptr;
    ok(jiffi_signature_vararg(c.ctx, proto, "int *", &site));
    ok(jiffi_function_bind(libc, "sscanf", site, &fn));
    int value = 0;
    jiffi_slot args[3];
    args[0].ptr = const_cast<char*>("417");
    args[1].ptr = const_cast<char*>("%d");
    args[2].ptr = &value;
    jiffi_function_call(fn, args, &ret);
    CHECK(ret.i64 == 1);
    CHECK(value == 417);
    void* label_address = nullptr;
    ok(jiffi_library_symbol(libc, "__isoc99_sscanf", &label_address));
    CHECK(jiffi_function_address(fn) == label_address);
    jiffi_function_destroy(fn);
    jiffi_library_close(libc);
}

// The C API on a JIT context: libc calls, varargs, records and types libffi cannot pass, errors.
#include <doctest/doctest.h>

#include <array>

#include <cstring>
#include <string>

#include "jiffi/jiffi.h"
#include "jit/jit_engine.hpp"

namespace {

extern "C" {
struct JcVec2 { double x, y; };
__attribute__((noinline)) JcVec2 jc_vadd(JcVec2 a, JcVec2 b) { return {a.x + b.x, a.y + b.y}; }
union JcNum { double d; long l; };
__attribute__((noinline)) union JcNum jc_unum(union JcNum a, int as_long) {
    JcNum r;
    if (as_long) r.l = a.l * 2;
    else r.d = a.d * 2;
    return r;
}
struct JcBits { unsigned a : 3; int b : 7; unsigned c : 20; };
__attribute__((noinline)) int jc_bits(struct JcBits v) { return static_cast<int>(v.a) * 1000000 + v.b * 1000 + static_cast<int>(v.c % 1000); }
__attribute__((noinline)) __int128 jc_i128(__int128 a, long b) { return a * b; }
__attribute__((noinline)) long double jc_ld(long double a, int b, long double c) { return a * b + c; }
__attribute__((noinline)) signed char jc_schar(signed char x) { return static_cast<signed char>(x - 1); }
struct JcBig { long a[5]; };
__attribute__((noinline)) struct JcBig jc_big(struct JcBig v, int k) {
    for (long& x : v.a) x *= k;
    return v;
}
}

// A context of backend b with the given declarations, destroyed with the fixture.
struct Ctx {
    jiffi_context* ctx = nullptr;
    explicit Ctx(jiffi_backend b = JIFFI_BACKEND_JIT, const char* decls = nullptr) {
        REQUIRE(jiffi_context_create(b, &ctx) == nullptr);
        if (decls) REQUIRE(jiffi_cdef(ctx, decls) == nullptr);
    }
    ~Ctx() { jiffi_context_destroy(ctx); }

    // The function at address with signature text, which must bind.
    jiffi_function* function(void* address, const char* text) {
        jiffi_signature* sig = nullptr;
        jiffi_error* e = jiffi_signature_parse(ctx, text, &sig);
        REQUIRE_MESSAGE(e == nullptr, jiffi_error_message(e));
        jiffi_function* fn = nullptr;
        e = jiffi_function_create(ctx, address, sig, &fn);
        REQUIRE_MESSAGE(e == nullptr, jiffi_error_message(e));
        return fn;
    }
};

}  // namespace

TEST_CASE("JIT context: strlen from libc through the stub, the invoker is the stub") {
    Ctx c;
    CHECK(jiffi_context_backend(c.ctx) == JIFFI_BACKEND_JIT);
    jiffi_library* libc = nullptr;
    REQUIRE(jiffi_library_open(c.ctx, "libc", &libc) == nullptr);
    jiffi_signature* sig = nullptr;
    REQUIRE(jiffi_signature_parse(c.ctx, "size_t strlen(const char *)", &sig) == nullptr);
    jiffi_function* fn = nullptr;
    REQUIRE(jiffi_function_bind(libc, "strlen", sig, &fn) == nullptr);
    jiffi_slot arg;
    arg.ptr = const_cast<char*>("hello");
    jiffi_slot ret;
    jiffi_function_call(fn, &arg, &ret);
    CHECK(ret.u64 == 5);
    jiffi_invoker inv = jiffi_function_invoker(fn);
    arg.ptr = const_cast<char*>("jiffi!");
    inv(jiffi_function_address(fn), &arg, &ret);
    CHECK(ret.u64 == 6);

    // A second function of the same signature shares the stub.
    jiffi_function* again = nullptr;
    REQUIRE(jiffi_function_bind(libc, "strlen", sig, &again) == nullptr);
    CHECK(reinterpret_cast<void*>(jiffi_function_invoker(again)) == reinterpret_cast<void*>(inv));
    jiffi_function_destroy(again);
    jiffi_function_destroy(fn);
    jiffi_library_close(libc);
}

TEST_CASE("JIT context: snprintf with an int, a double and a string as varargs") {
    Ctx c;
    jiffi_signature* proto = nullptr;
    REQUIRE(jiffi_signature_parse(c.ctx, "int snprintf(char *, size_t, const char *, ...)", &proto) == nullptr);
    jiffi_signature* site = nullptr;
    REQUIRE(jiffi_signature_vararg(c.ctx, proto, "int, double, float, const char *", &site) == nullptr);
    jiffi_function* fn = nullptr;
    REQUIRE(jiffi_function_create(c.ctx, reinterpret_cast<void*>(&snprintf), site, &fn) == nullptr);
    char buf[64];
    jiffi_slot a[7];
    a[0].ptr = buf;
    a[1].u64 = sizeof buf;
    a[2].ptr = const_cast<char*>("%d|%.2f|%.1f|%s");
    a[3].i64 = -42;
    a[4].f64 = 3.14159;
    a[5].u64 = 0;
    a[5].f32 = 2.5f;
    a[6].ptr = const_cast<char*>("ok");
    jiffi_slot r;
    jiffi_function_call(fn, a, &r);
    CHECK(std::string(buf) == "-42|3.14|2.5|ok");
    CHECK(r.i64 == static_cast<int64_t>(std::strlen(buf)));
    jiffi_function_destroy(fn);

    // The prototype itself cannot be bound.
    jiffi_error* e = jiffi_function_create(c.ctx, reinterpret_cast<void*>(&snprintf), proto, &fn);
    REQUIRE(e != nullptr);
    CHECK(jiffi_error_code(e) == JIFFI_E_VARIADIC);
    jiffi_error_dispose(e);
}

TEST_CASE("JIT context: records by value, a union and bitfields (which libffi refuses)") {
    Ctx c(JIFFI_BACKEND_JIT,
          "struct vec2 { double x, y; };"
          "union num { double d; long l; };"
          "struct bits { unsigned a : 3; int b : 7; unsigned c : 20; };"
          "struct big { long a[5]; };");
    jiffi_function* vadd = c.function(reinterpret_cast<void*>(&jc_vadd), "struct vec2 vadd(struct vec2, struct vec2)");
    JcVec2 p{1, 2}, q{10, 20}, out{};
    jiffi_slot a[2];
    a[0].ptr = &p;
    a[1].ptr = &q;
    jiffi_function_call(vadd, a, &out);
    CHECK(out.x == 11);
    CHECK(out.y == 22);
    jiffi_function_destroy(vadd);

    jiffi_function* unum = c.function(reinterpret_cast<void*>(&jc_unum), "union num unum(union num, int)");
    JcNum n;
    n.l = 21;
    a[0].ptr = &n;
    a[1].i64 = 1;
    JcNum got{};
    jiffi_function_call(unum, a, &got);
    CHECK(got.l == 42);
    n.d = 1.25;
    a[1].i64 = 0;
    jiffi_function_call(unum, a, &got);
    CHECK(got.d == 2.5);
    jiffi_function_destroy(unum);

    jiffi_function* bits = c.function(reinterpret_cast<void*>(&jc_bits), "int bits(struct bits)");
    JcBits bv{5, -33, 123456};
    a[0].ptr = &bv;
    jiffi_slot r;
    jiffi_function_call(bits, a, &r);
    CHECK(r.i64 == jc_bits(bv));
    jiffi_function_destroy(bits);

    jiffi_function* big = c.function(reinterpret_cast<void*>(&jc_big), "struct big big(struct big, int)");
    JcBig bin{{1, 2, 3, 4, 5}}, bout{};
    a[0].ptr = &bin;
    a[1].i64 = -3;
    jiffi_function_call(big, a, &bout);
    CHECK(bout.a[4] == -15);
    CHECK(bin.a[4] == 5);
    jiffi_function_destroy(big);

    // The libffi backend refuses the union: this is what the JIT adds.
    Ctx l(JIFFI_BACKEND_LIBFFI, "union num { double d; long l; };");
    jiffi_signature* sig = nullptr;
    REQUIRE(jiffi_signature_parse(l.ctx, "union num unum(union num, int)", &sig) == nullptr);
    jiffi_function* fn = nullptr;
    jiffi_error* e = jiffi_function_create(l.ctx, reinterpret_cast<void*>(&jc_unum), sig, &fn);
    REQUIRE(e != nullptr);
    CHECK(jiffi_error_code(e) == JIFFI_E_UNSUPPORTED);
    jiffi_error_dispose(e);
}

TEST_CASE("JIT context: __int128, long double and a signed char return") {
    Ctx c;
    jiffi_function* i128 = c.function(reinterpret_cast<void*>(&jc_i128), "__int128 i128(__int128, long)");
    alignas(16) __int128 x = (static_cast<__int128>(1) << 100) + 7, got = 0;
    jiffi_slot a[3];
    a[0].ptr = &x;
    a[1].i64 = -2;
    jiffi_function_call(i128, a, &got);
    CHECK(got == x * -2);
    jiffi_function_destroy(i128);

    jiffi_function* ld = c.function(reinterpret_cast<void*>(&jc_ld), "long double ld(long double, int, long double)");
    alignas(16) long double p = 1.0L / 3, q = 0.5L, res = 0;
    a[0].ptr = &p;
    a[1].i64 = 3;
    a[2].ptr = &q;
    jiffi_function_call(ld, a, &res);
    CHECK(res == jc_ld(p, 3, q));
    jiffi_function_destroy(ld);

    jiffi_function* sc = c.function(reinterpret_cast<void*>(&jc_schar), "signed char schar(signed char)");
    a[0].i64 = -128;
    jiffi_slot r;
    jiffi_function_call(sc, a, &r);
    CHECK(r.i64 == 127);
    jiffi_function_destroy(sc);
}

TEST_CASE("JIT context: destroying the last function frees its stub's code") {
    Ctx c;
    jiffi::detail::JitEngine& engine = jiffi::detail::JitEngine::instance();
    uint64_t live = engine.stats().live_blocks;
    jiffi_function* f1 = c.function(reinterpret_cast<void*>(&jc_i128), "__int128 (__int128, long, long, long)");
    jiffi_function* f2 = c.function(reinterpret_cast<void*>(&jc_i128), "__int128 (__int128, long, long, long)");
    CHECK(engine.stats().live_blocks == live + 1);
    jiffi_function_destroy(f1);
    CHECK(engine.stats().live_blocks == live + 1);
    jiffi_function_destroy(f2);
    CHECK(engine.stats().live_blocks == live);
}

TEST_CASE("JIT context: errors name the input") {
    Ctx c(JIFFI_BACKEND_JIT, "struct opaque;");
    jiffi_signature* sig = nullptr;
    jiffi_error* e = jiffi_signature_parse(c.ctx, "int (struct opaque)", &sig);
    if (!e) {
        jiffi_function* fn = nullptr;
        e = jiffi_function_create(c.ctx, reinterpret_cast<void*>(&jc_schar), sig, &fn);
    }
    REQUIRE(e != nullptr);
    CHECK(std::string(jiffi_error_message(e)).find("opaque") != std::string::npos);
    jiffi_error_dispose(e);

    jiffi_context* bad = nullptr;
    e = jiffi_context_create(static_cast<jiffi_backend>(7), &bad);
    REQUIRE(e != nullptr);
    CHECK(jiffi_error_code(e) == JIFFI_E_INVALID_ARGUMENT);
    jiffi_error_dispose(e);
}

TEST_CASE("jit: jiffi_function_call with a null ret discards the result of any return kind") {
    jiffi_context* ctx = nullptr;
    REQUIRE(jiffi_context_create(JIFFI_BACKEND_JIT, &ctx) == nullptr);
    REQUIRE(jiffi_cdef(ctx, "struct big3 { long a, b, c; }; struct two { double x, y; };") == nullptr);
    const char* sigs[] = {"double (double)", "struct big3 (long)", "struct two (double)", "long double (int)"};
    void* fns[] = {reinterpret_cast<void*>(+[](double x) { return x * 2; }),
                   reinterpret_cast<void*>(+[](long v) { return std::array<long, 3>{v, v, v}; }),
                   reinterpret_cast<void*>(+[](double v) { return std::array<double, 2>{v, v}; }),
                   reinterpret_cast<void*>(+[](int v) { return static_cast<long double>(v); })};
    for (int i = 0; i < 4; ++i) {
        CAPTURE(sigs[i]);
        jiffi_signature* sig = nullptr;
        REQUIRE(jiffi_signature_parse(ctx, sigs[i], &sig) == nullptr);
        jiffi_function* fn = nullptr;
        REQUIRE(jiffi_function_create(ctx, fns[i], sig, &fn) == nullptr);
        jiffi_slot arg;
        arg.i64 = 3;
        if (i == 0 || i == 2) arg.f64 = 1.5;
        jiffi_function_call(fn, &arg, nullptr);
        alignas(16) unsigned char out[32] = {};
        jiffi_function_call(fn, &arg, out);
        if (i == 0) CHECK(reinterpret_cast<jiffi_slot*>(out)->f64 == 3.0);
        if (i == 1) CHECK(reinterpret_cast<long*>(out)[2] == 3);
        if (i == 2) CHECK(reinterpret_cast<double*>(out)[1] == 1.5);
        if (i == 3) CHECK(*reinterpret_cast<long double*>(out) == 3.0L);
        jiffi_function_destroy(fn);
    }
    jiffi_context_destroy(ctx);
}

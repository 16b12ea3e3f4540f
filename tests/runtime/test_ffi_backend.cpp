// The libffi backend: return widening, records with arrays, long double, complex, refusals.
#include <doctest/doctest.h>

#include <malloc.h>

#include <cstring>
#include <memory>
#include <string>

#include "jiffi/jiffi.h"

namespace {

struct WithArray {
    int a[3];
    float f;
    char tag[2];
};

extern "C" WithArray jiffi_test_bump(WithArray w, int by) {
    for (int& x : w.a) x += by;
    w.f *= 2;
    w.tag[1] = static_cast<char>(w.tag[0] + by);
    return w;
}
extern "C" long double jiffi_test_ld(long double a, int b, long double c) { return a * b + c; }
extern "C" double _Complex jiffi_test_cmul(double _Complex a, double _Complex b) { return a * b; }
extern "C" signed char jiffi_test_schar(signed char x) { return static_cast<signed char>(x - 1); }
extern "C" unsigned short jiffi_test_ushort(unsigned short x) {
    return static_cast<unsigned short>(x + 1);
}
extern "C" bool jiffi_test_bool(int x) { return x != 0; }
extern "C" float jiffi_test_float(float a, double b) { return a + static_cast<float>(b); }
extern "C" int jiffi_test_dummy(void) { return 0; }

struct OnlyLd {
    long double x;
};
extern "C" OnlyLd jiffi_test_only_ld(long double a) { return {a * 2}; }

struct LongDouble2 {
    long a;
    double b;
};
extern "C" double jiffi_test_r9(double d, long, long, long, long, long, LongDouble2 r) { return d + r.b; }

#if defined(__x86_64__)
// Returns 0xffffffffffff_ff05 in rax: an unsigned char return of 5 with garbage above it.
extern "C" unsigned char jiffi_test_dirty_uchar(void);
extern "C" int jiffi_test_dirty_int(void);
asm(".text\n.globl jiffi_test_dirty_uchar\njiffi_test_dirty_uchar:\n"
    "  movq $-251, %rax\n  ret\n"
    ".globl jiffi_test_dirty_int\njiffi_test_dirty_int:\n"
    "  movabsq $0x12345678fffffffe, %rax\n  ret\n");
#endif

struct V3 {
    float v[3];
};
extern "C" V3 jiffi_test_v3_scale(V3 a, float k) { return {{a.v[0] * k, a.v[1] * k, a.v[2] * k}}; }
struct Grid {
    int m[4][3];
    double d;
};
extern "C" double jiffi_test_grid_sum(Grid g) {
    double sum = g.d;
    for (auto& row : g.m)
        for (int x : row) sum += x;
    return sum;
}
struct Cell {
    short s;
    char c;
};
struct Cells {
    Cell in[5];
    long tail;
};
extern "C" long jiffi_test_cells(Cells c) { return c.in[0].s + c.in[4].c * 100 + c.tail * 1000; }
struct Big {
    unsigned char a[65536];
};
extern "C" Big jiffi_test_big_flip(Big b) {
    for (unsigned char& x : b.a) x = static_cast<unsigned char>(255 - x);
    return b;
}

struct Fixture {
    jiffi_context* ctx = nullptr;
    Fixture() { REQUIRE(jiffi_context_create(JIFFI_BACKEND_LIBFFI, &ctx) == nullptr); }
    ~Fixture() { jiffi_context_destroy(ctx); }

    // A function for address with signature text; fails the test on error.
    jiffi_function* fn(void* address, const char* text) {
        jiffi_signature* sig = nullptr;
        jiffi_error* err = jiffi_signature_parse(ctx, text, &sig);
        if (err) FAIL(jiffi_error_message(err));
        jiffi_function* f = nullptr;
        err = jiffi_function_create(ctx, address, sig, &f);
        if (err) FAIL(jiffi_error_message(err));
        return f;
    }
    // The error making a function for text gives; the test fails if there is none.
    std::pair<int, std::string> refusal(const char* text) {
        jiffi_signature* sig = nullptr;
        jiffi_error* err = jiffi_signature_parse(ctx, text, &sig);
        if (err) FAIL(jiffi_error_message(err));
        jiffi_function* f = nullptr;
        err = jiffi_function_create(ctx, reinterpret_cast<void*>(&jiffi_test_dummy), sig, &f);
        REQUIRE(err != nullptr);
        std::pair<int, std::string> r{jiffi_error_code(err), jiffi_error_message(err)};
        jiffi_error_dispose(err);
        return r;
    }
};

}  // namespace

TEST_CASE("small integer returns are widened by their type") {
    Fixture fx;
    jiffi_slot arg, ret;
    jiffi_function* f = fx.fn(reinterpret_cast<void*>(&jiffi_test_schar), "signed char (signed char)");
    arg.i64 = -4;
    ret.u64 = 0xdeadbeefdeadbeefULL;
    jiffi_function_call(f, &arg, &ret);
    CHECK(ret.i64 == -5);
    jiffi_function_destroy(f);

    f = fx.fn(reinterpret_cast<void*>(&jiffi_test_ushort), "unsigned short (unsigned short)");
    arg.u64 = 65534;
    ret.u64 = ~0ULL;
    jiffi_function_call(f, &arg, &ret);
    CHECK(ret.u64 == 65535);
    jiffi_function_destroy(f);

    f = fx.fn(reinterpret_cast<void*>(&jiffi_test_bool), "_Bool (int)");
    arg.i64 = 12;
    ret.u64 = ~0ULL;
    jiffi_function_call(f, &arg, &ret);
    CHECK(ret.u64 == 1);
    jiffi_function_destroy(f);

    f = fx.fn(reinterpret_cast<void*>(&jiffi_test_float), "float (float, double)");
    jiffi_slot args[2];
    args[0].u64 = 0;
    args[0].f32 = 1.5f;
    args[1].f64 = 0.25;
    ret.u64 = ~0ULL;
    jiffi_function_call(f, args, &ret);
    CHECK(ret.f32 == 1.75f);
    CHECK((ret.u64 >> 32) == 0);
    jiffi_function_destroy(f);
}

#if defined(__x86_64__)
TEST_CASE("garbage above a small integer return is never trusted") {
    Fixture fx;
    jiffi_slot ret;
    jiffi_function* f = fx.fn(reinterpret_cast<void*>(&jiffi_test_dirty_uchar), "unsigned char (void)");
    jiffi_function_call(f, nullptr, &ret);
    CHECK(ret.u64 == 5);
    jiffi_function_destroy(f);
    f = fx.fn(reinterpret_cast<void*>(&jiffi_test_dirty_int), "int (void)");
    jiffi_function_call(f, nullptr, &ret);
    CHECK(ret.i64 == -2);
    jiffi_function_destroy(f);
}
#endif

TEST_CASE("records with arrays inside pass and return by value") {
    Fixture fx;
    REQUIRE(jiffi_cdef(fx.ctx, "struct with_array { int a[3]; float f; char tag[2]; };") == nullptr);
    jiffi_function* f = fx.fn(reinterpret_cast<void*>(&jiffi_test_bump),
                              "struct with_array (struct with_array, int)");
    WithArray in{{1, 2, 3}, 1.5f, {'a', 0}};
    WithArray out;
    std::memset(&out, 0x5a, sizeof out);
    jiffi_slot args[2];
    args[0].ptr = &in;
    args[1].i64 = 10;
    jiffi_function_call(f, args, &out);
    CHECK(out.a[0] == 11);
    CHECK(out.a[1] == 12);
    CHECK(out.a[2] == 13);
    CHECK(out.f == 3.0f);
    CHECK(out.tag[0] == 'a');
    CHECK(out.tag[1] == 'a' + 10);
    jiffi_function_destroy(f);
}

TEST_CASE("long double and _Complex double") {
    Fixture fx;
    jiffi_function* f = fx.fn(reinterpret_cast<void*>(&jiffi_test_ld),
                              "long double (long double, int, long double)");
    long double a = 1.25L, c = 1e-30L, out = 0;
    jiffi_slot args[3];
    args[0].ptr = &a;
    args[1].i64 = 3;
    args[2].ptr = &c;
    jiffi_function_call(f, args, &out);
    CHECK(out == 1.25L * 3 + 1e-30L);
    jiffi_function_destroy(f);

    f = fx.fn(reinterpret_cast<void*>(&jiffi_test_cmul),
              "_Complex double (_Complex double, double _Complex)");
    double _Complex x, y, z = 0;
    __real__ x = 1.0;
    __imag__ x = 2.0;
    __real__ y = 3.0;
    __imag__ y = -1.0;
    args[0].ptr = &x;
    args[1].ptr = &y;
    jiffi_function_call(f, args, &z);
    CHECK(__real__ z == 5.0);
    CHECK(__imag__ z == 5.0);
    jiffi_function_destroy(f);
}

TEST_CASE("what libffi cannot pass is refused with a reason") {
    Fixture fx;
    REQUIRE(jiffi_cdef(fx.ctx,
                       "union u { int i; float f; };\n"
                       "struct bits { int a : 3; int b : 5; };\n"
                       "struct __attribute__((packed)) pk { char c; int i; };\n"
                       "struct over { int x; } __attribute__((aligned(32)));\n"
                       "struct empty { };\n") == nullptr);
    auto r = fx.refusal("void (union u)");
    CHECK(r.first == JIFFI_E_UNSUPPORTED);
    CHECK(r.second.find("union u") != std::string::npos);
    r = fx.refusal("struct bits (void)");
    CHECK(r.first == JIFFI_E_UNSUPPORTED);
    CHECK(r.second.find("struct bits") != std::string::npos);
    CHECK(r.second.find("bitfield") != std::string::npos);
    r = fx.refusal("void (int, __int128)");
    CHECK(r.first == JIFFI_E_UNSUPPORTED);
    CHECK(r.second.find("argument 2") != std::string::npos);
    r = fx.refusal("void (struct pk)");
    CHECK(r.first == JIFFI_E_UNSUPPORTED);
    CHECK(r.second.find("struct pk") != std::string::npos);
    r = fx.refusal("struct over (void)");
    CHECK(r.first == JIFFI_E_UNSUPPORTED);
    CHECK(r.second.find("struct over") != std::string::npos);
    r = fx.refusal("void (struct empty)");
    CHECK(r.first == JIFFI_E_UNSUPPORTED);
    // Pointers to all of them are fine.
    jiffi_function* f = fx.fn(reinterpret_cast<void*>(&jiffi_test_dummy),
                              "int (union u *, struct bits *, struct pk *, struct over *)");
    jiffi_function_destroy(f);
}

TEST_CASE("one signature serves many functions; the invoker matches call") {
    Fixture fx;
    jiffi_signature* sig = nullptr;
    REQUIRE(jiffi_signature_parse(fx.ctx, "signed char (signed char)", &sig) == nullptr);
    jiffi_signature* again = nullptr;
    REQUIRE(jiffi_signature_parse(fx.ctx, "signed char (signed char)", &again) == nullptr);
    CHECK(sig == again);
    jiffi_function *f1 = nullptr, *f2 = nullptr;
    REQUIRE(jiffi_function_create(fx.ctx, reinterpret_cast<void*>(&jiffi_test_schar), sig, &f1) == nullptr);
    REQUIRE(jiffi_function_create(fx.ctx, reinterpret_cast<void*>(&jiffi_test_schar), sig, &f2) == nullptr);
    CHECK(reinterpret_cast<void*>(jiffi_function_invoker(f1)) ==
          reinterpret_cast<void*>(jiffi_function_invoker(f2)));
    jiffi_slot arg, r1, r2;
    arg.i64 = -128;
    jiffi_function_call(f1, &arg, &r1);
    jiffi_function_invoker(f2)(jiffi_function_address(f2), &arg, &r2);
    CHECK(r1.i64 == 127);  // -128 - 1 wraps in signed char
    CHECK(r2.i64 == r1.i64);
    jiffi_function_destroy(f1);
    jiffi_function_destroy(f2);
}

TEST_CASE("a record holding only a long double returns in st0 like the scalar") {
    Fixture fx;
    REQUIRE(jiffi_cdef(fx.ctx, "struct only_ld { long double x; };") == nullptr);
    jiffi_function* f = fx.fn(reinterpret_cast<void*>(&jiffi_test_only_ld), "struct only_ld (long double)");
    for (int i = 0; i < 12; ++i) {  // more calls than the x87 stack has registers
        long double in = 1.25L + i;
        OnlyLd out{0};
        jiffi_slot arg;
        arg.ptr = &in;
        jiffi_function_call(f, &arg, &out);
        CHECK(out.x == in * 2);
    }
    long double check = 3.0L;
    CHECK(check * 2 == 6.0L);  // the x87 stack still computes
    jiffi_function_destroy(f);
}

TEST_CASE("a record in the last integer register after a double is called right or refused") {
    Fixture fx;
    REQUIRE(jiffi_cdef(fx.ctx, "struct ld2 { long a; double b; };") == nullptr);
    jiffi_signature* sig = nullptr;
    REQUIRE(jiffi_signature_parse(fx.ctx, "double (double, long, long, long, long, long, struct ld2)", &sig) ==
            nullptr);
    jiffi_function* f = nullptr;
    jiffi_error* err = jiffi_function_create(fx.ctx, reinterpret_cast<void*>(&jiffi_test_r9), sig, &f);
    if (err) {
        // Only a libffi with the register-copy bug refuses, and says why.
        CHECK(jiffi_error_code(err) == JIFFI_E_UNSUPPORTED);
        CHECK(std::string(jiffi_error_message(err)).find("argument 7") != std::string::npos);
        CHECK(std::string(jiffi_error_message(err)).find("libffi pull request 848") != std::string::npos);
        jiffi_error_dispose(err);
    } else {
        LongDouble2 r{9, 0.5};
        jiffi_slot args[7], ret;
        args[0].f64 = 1.0;
        for (int i = 1; i < 6; ++i) args[i].i64 = i;
        args[6].ptr = &r;
        jiffi_function_call(f, args, &ret);
        CHECK(ret.f64 == 1.5);
        jiffi_function_destroy(f);
    }
    // Without the earlier double, the same record is passed right and never refused.
    REQUIRE(jiffi_signature_parse(fx.ctx, "double (long, long, long, long, long, struct ld2)", &sig) == nullptr);
    REQUIRE(jiffi_function_create(fx.ctx, reinterpret_cast<void*>(&jiffi_test_dummy), sig, &f) == nullptr);
    jiffi_function_destroy(f);
}

TEST_CASE("records with arrays of any length are described to libffi compactly and exactly") {
    Fixture fx;
    REQUIRE(jiffi_cdef(fx.ctx,
                       "struct v3 { float v[3]; };\n"
                       "struct grid { int m[4][3]; double d; };\n"
                       "struct cell { short s; char c; };\n"
                       "struct cells { struct cell in[5]; long tail; };\n"
                       "struct big { unsigned char a[65536]; };\n") == nullptr);
    // Three floats: two in one SSE register, the third in the next (x86-64), an HFA (AArch64).
    jiffi_function* f = fx.fn(reinterpret_cast<void*>(&jiffi_test_v3_scale), "struct v3 (struct v3, float)");
    V3 in{{1.5f, -2.0f, 4.0f}}, out{};
    jiffi_slot args[2];
    args[0].ptr = &in;
    args[1].f32 = 2.0f;
    jiffi_function_call(f, args, &out);
    CHECK(out.v[0] == 3.0f);
    CHECK(out.v[1] == -4.0f);
    CHECK(out.v[2] == 8.0f);
    jiffi_function_destroy(f);

    f = fx.fn(reinterpret_cast<void*>(&jiffi_test_grid_sum), "double (struct grid)");
    Grid g{};
    for (int r = 0; r < 4; ++r)
        for (int k = 0; k < 3; ++k) g.m[r][k] = r * 3 + k;
    g.d = 0.5;
    args[0].ptr = &g;
    jiffi_slot ret{};
    jiffi_function_call(f, args, &ret);
    CHECK(ret.f64 == 66.5);
    jiffi_function_destroy(f);

    f = fx.fn(reinterpret_cast<void*>(&jiffi_test_cells), "long (struct cells)");
    Cells c{};
    c.in[0].s = 7;
    c.in[4].c = 3;
    c.tail = 2;
    args[0].ptr = &c;
    jiffi_function_call(f, args, &ret);
    CHECK(ret.i64 == 2307);
    jiffi_function_destroy(f);

    // A 64 KiB record of bytes: one descriptor per element took 32 bytes of memory per byte
    // (over 2 MB here); the powers-of-two description takes a few hundred bytes.
    jiffi_signature* sig = nullptr;
    REQUIRE(jiffi_signature_parse(fx.ctx, "struct big (struct big)", &sig) == nullptr);
    auto bin = std::make_unique<Big>();
    auto bout = std::make_unique<Big>();
    for (size_t i = 0; i < sizeof bin->a; ++i) bin->a[i] = static_cast<unsigned char>(i * 7);
    args[0].ptr = bin.get();
    // The libffi description is made on first use: measured over creation and the call.
    auto heap_in_use = [] {
        struct mallinfo2 m = mallinfo2();
        return m.uordblks + m.hblkhd;  // small chunks and mmapped ones
    };
    size_t before = heap_in_use();
    jiffi_function* big = nullptr;
    REQUIRE(jiffi_function_create(fx.ctx, reinterpret_cast<void*>(&jiffi_test_big_flip), sig, &big) == nullptr);
    jiffi_function_call(big, args, bout.get());
    size_t used = heap_in_use() - before;
    CHECK(used < 64 * 1024);
    CHECK(bout->a[0] == 255);
    CHECK(bout->a[1] == 248);
    CHECK(bout->a[65535] == static_cast<unsigned char>(255 - static_cast<unsigned char>(65535 * 7)));
    jiffi_function_destroy(big);
}

TEST_CASE("a record larger than the by-value bound is refused naming it and its size") {
    Fixture fx;
    REQUIRE(jiffi_cdef(fx.ctx, "struct huge { char a[67108864]; };") == nullptr);
    jiffi_signature* sig = nullptr;
    jiffi_error* err = jiffi_signature_parse(fx.ctx, "int (struct huge)", &sig);
    REQUIRE(err != nullptr);
    CHECK(jiffi_error_code(err) == JIFFI_E_INVALID_TYPE);
    std::string m = jiffi_error_message(err);
    CHECK(m.find("'struct huge' of 67108864 bytes") != std::string::npos);
    jiffi_error_dispose(err);
}

// The C++ API: RAII objects, typed and dynamic calls, errors as exceptions.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "jiffi/jiffi.hpp"

namespace {

struct Vec2 {
    float x, y;
};

extern "C" Vec2 jiffi_test_vadd(Vec2 a, Vec2 b) { return {a.x + b.x, a.y + b.y}; }
extern "C" double jiffi_test_mix(int a, float b, double c, unsigned char d) {
    return a + b + c + d;
}

}  // namespace

TEST_CASE("typed calls: f.call<size_t>(\"hello\")") {
    jiffi::Context ctx;
    jiffi::Library libc = ctx.open("libc");
    jiffi::Function strlen_fn = libc.bind("strlen", ctx.signature("size_t strlen(const char *)"));
    CHECK(strlen_fn.call<size_t>("hello") == 5);
    CHECK(strlen_fn.call<size_t>(std::string("four")) == 4);
    CHECK(strlen_fn.call<size_t>(std::string_view("abcdefg").substr(0, 3)) == 3);

    jiffi::Library libm = ctx.open("m");
    jiffi::Function cos_fn = libm.bind("cos", ctx.signature("double cos(double)"));
    CHECK(cos_fn.call<double>(0.0) == 1.0);
    CHECK(cos_fn.call<double>(0) == 1.0);  // an int converts to the double parameter
    jiffi::Function powf_fn = libm.bind("powf", ctx.signature(":float (:float :float)"));
    CHECK(powf_fn.call<float>(2.0f, 10.0f) == 1024.0f);
    jiffi::Function abs_fn = libc.bind("abs", ctx.signature("int abs(int)"));
    CHECK(abs_fn.call<int>(-7) == 7);
    CHECK(abs_fn.call<long>(-7) == 7);
}

TEST_CASE("typed calls with structs by value and mixed arguments") {
    jiffi::Context ctx;
    ctx.cdef("struct vec2 { float x, y; };");
    auto vadd = ctx.function(reinterpret_cast<void*>(&jiffi_test_vadd),
                             "struct vec2 vadd(struct vec2, struct vec2)");
    Vec2 r = vadd.call<Vec2>(Vec2{1.5f, 2.0f}, Vec2{0.25f, -4.0f});
    CHECK(r.x == 1.75f);
    CHECK(r.y == -2.0f);
    auto mix = ctx.function(reinterpret_cast<void*>(&jiffi_test_mix),
                            "double (int, float, double, unsigned char)");
    CHECK(mix.call<double>(1, 0.5f, 0.25, 200) == 201.75);
}

TEST_CASE("dynamic calls with Values") {
    jiffi::Context ctx;
    jiffi::Library libc = ctx.open("libc");
    auto strlen_fn = libc.bind("strlen", ctx.signature(":size (:string)"));
    std::vector<jiffi::Value> args{jiffi::Value("dynamic")};
    jiffi::Value v = strlen_fn.call_values(args);
    CHECK(v.kind() == jiffi::Value::Kind::UInt);
    CHECK(v.as_uint() == 7);

    ctx.cdef("struct vec2 { float x, y; };");
    auto vadd = ctx.function(reinterpret_cast<void*>(&jiffi_test_vadd),
                             "struct vec2 (struct vec2, struct vec2)");
    Vec2 a{1, 2}, b{3, 4};
    jiffi::Value::Bytes ba(sizeof(Vec2)), bb(sizeof(Vec2));
    std::memcpy(ba.data(), &a, sizeof a);
    std::memcpy(bb.data(), &b, sizeof b);
    jiffi::Value r = vadd.call_values({jiffi::Value(ba), jiffi::Value(bb)});
    REQUIRE(r.kind() == jiffi::Value::Kind::Bytes);
    Vec2 out;
    std::memcpy(&out, r.as_bytes().data(), sizeof out);
    CHECK(out.x == 4.0f);
    CHECK(out.y == 6.0f);
}

TEST_CASE("C++ API errors carry their code and name the input") {
    jiffi::Context ctx;
    jiffi::Library libc = ctx.open("libc");
    auto strlen_fn = libc.bind("strlen", ctx.signature("size_t strlen(const char *)"));
    try {
        strlen_fn.call<size_t>("a", "b");
        FAIL("expected an error");
    } catch (const jiffi::Error& e) {
        CHECK(e.code() == jiffi::Errc::ARG_COUNT);
        CHECK(std::string(e.what()).find("strlen") != std::string::npos);
    }
    try {
        strlen_fn.call<size_t>(42);
        FAIL("expected an error");
    } catch (const jiffi::Error& e) {
        CHECK(e.code() == jiffi::Errc::ARG_TYPE);
        CHECK(std::string(e.what()).find("argument 1") != std::string::npos);
    }
    auto abs_fn = libc.bind("abs", ctx.signature("int abs(int)"));
    CHECK_THROWS_AS(abs_fn.call<int>(int64_t(1) << 40), jiffi::Error);
    CHECK_THROWS_AS(abs_fn.call<int>("text"), jiffi::Error);
    try {
        ctx.open("jiffi-no-such-library");
        FAIL("expected an error");
    } catch (const jiffi::Error& e) {
        CHECK(e.code() == jiffi::Errc::LIBRARY_NOT_FOUND);
        CHECK(std::string(e.what()).find("jiffi-no-such-library") != std::string::npos);
    }
    try {
        libc.bind("jiffi_no_such_symbol", ctx.signature("void (void)"));
        FAIL("expected an error");
    } catch (const jiffi::Error& e) {
        CHECK(e.code() == jiffi::Errc::SYMBOL_NOT_FOUND);
        CHECK(std::string(e.what()).find("jiffi_no_such_symbol") != std::string::npos);
    }
    try {
        ctx.signature("int f(struct undefined_thing)");
        FAIL("expected an error");
    } catch (const jiffi::Error& e) {
        CHECK(e.code() == jiffi::Errc::UNKNOWN_TYPE);
        CHECK(std::string(e.what()).find("undefined_thing") != std::string::npos);
    }
}

TEST_CASE("objects move and release once") {
    jiffi::Context a;
    jiffi::Context b(std::move(a));
    CHECK(a.get() == nullptr);
    CHECK(b.get() != nullptr);
    jiffi::Library l1 = b.open("libc");
    jiffi::Library l2(std::move(l1));
    CHECK(l1.get() == nullptr);
    jiffi::Function f = l2.bind("strlen", b.signature(":size (:string)"));
    jiffi::Function g = std::move(f);
    CHECK(f.get() == nullptr);
    CHECK(g.call<size_t>("xyz") == 3);
}

TEST_CASE("C++ API: AUTO tiers up, and the counters say so") {
    jiffi::Context ctx;
    jiffi::Library libc = ctx.open("libc");
    auto abs_fn = libc.bind("abs", ctx.signature("int abs(int)"));
    CHECK(abs_fn.call<int>(-4) == 4);
    REQUIRE(abs_fn.wait_jit(10000));
    for (int i = 0; i < 5; ++i) CHECK(abs_fn.call<int>(-i) == i);
    jiffi_stats s = ctx.stats();
    CHECK(s.calls_libffi + s.calls_jit == 6);
    CHECK(s.calls_jit >= 5);
    CHECK(s.stubs_compiled == 1);
    CHECK(ctx.declined_reasons().empty());
}

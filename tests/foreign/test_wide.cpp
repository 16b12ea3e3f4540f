// 128-bit integers and long double through call<R>, call_values and bindings (kept exact),
// range checks of floating arguments, and argument errors that name the function and index.
#include <doctest/doctest.h>

#include <cfloat>
#include <string>

#include "jiffi/foreign.hpp"
#include "jiffi/runtime.hpp"
#include "jiffi/structs.hpp"

using namespace jiffi;

extern "C" {
// Multiplies two 128-bit integers (2^40 x 2^40 = 2^80 needs more than 64 bits).
int128_t jiffi_wide_mul(int128_t a, int128_t b) { return a * b; }
// The unsigned 128-bit value with hi in the upper and lo in the lower 64 bits.
uint128_t jiffi_wide_make(unsigned long hi, unsigned long lo) { return (uint128_t(hi) << 64) | lo; }
// Adds a long double to itself (stays exact where a double would round).
long double jiffi_wide_twice(long double x) { return x + x; }
// Returns its float argument.
float jiffi_wide_float(float x) { return x; }
}

namespace {
const int128_t kTwo40 = int128_t(1) << 40;
const int128_t kTwo80 = int128_t(1) << 80;
// 1 + 2^-60: exact in an x87 long double (64-bit mantissa), 1 as a double.
const long double kFine = 1.0L + 0x1p-60L;
}  // namespace

TEST_CASE("call<__int128> and call<long double> return the exact values") {
    Context ctx;
    Function mul = ctx.function(reinterpret_cast<void*>(&jiffi_wide_mul), "__int128 (__int128, __int128)");
    CHECK(mul.call<int128_t>(kTwo40, kTwo40) == kTwo80);
    CHECK(mul.call<int128_t>(-kTwo40, kTwo40) == -kTwo80);
    CHECK(mul.call<int128_t>(3, 4) == 12);  // plain integers widen to the 128-bit parameter
    Function make = ctx.function(reinterpret_cast<void*>(&jiffi_wide_make),
                                 "unsigned __int128 (unsigned long, unsigned long)");
    CHECK(make.call<uint128_t>(1ul, 2ul) == ((uint128_t(1) << 64) | 2));
    Function twice = ctx.function(reinterpret_cast<void*>(&jiffi_wide_twice), "long double (long double)");
    CHECK(twice.call<long double>(kFine) == 2 * kFine);
    CHECK(twice.call<double>(1.25) == 2.5);
    // A 128-bit integer argument is not the bytes of a long double (both are 16 bytes).
    CHECK(twice.call<long double>(int128_t(3)) == 6.0L);
}

TEST_CASE("call_values keeps 128-bit integers and long doubles exact") {
    Context ctx;
    Function mul = ctx.function(reinterpret_cast<void*>(&jiffi_wide_mul), "__int128 (__int128, __int128)");
    Value r = mul.call_values({Value(kTwo40), Value(kTwo40)});
    REQUIRE(r.kind() == Value::Kind::Int128);
    CHECK(r.as_int128() == kTwo80);
    CHECK(mul.call_values({Value(1 << 20), Value(int64_t(1) << 40)}).as_int128() == int128_t(1) << 60);
    CHECK_THROWS_WITH_AS(r.as_int(), doctest::Contains("does not fit in 64 bits"), Error);
    Function twice = ctx.function(reinterpret_cast<void*>(&jiffi_wide_twice), "long double (long double)");
    Value t = twice.call_values({Value(kFine)});
    REQUIRE(t.kind() == Value::Kind::LongDouble);
    CHECK(t.as_long_double() == 2 * kFine);
    CHECK(t.as_double() == 2.0);
}

TEST_CASE("bindings marshal 128-bit integers and long doubles exactly, with range checks") {
    Context ctx;
    SharedFunction mul(nullptr, ctx.function(reinterpret_cast<void*>(&jiffi_wide_mul), "__int128 (__int128, __int128)"),
                       "jiffi_wide_mul", {"a", "b"});
    Value r = mul(kTwo40, kTwo40);
    REQUIRE(r.kind() == Value::Kind::Int128);
    CHECK(r.as_int128() == kTwo80);
    CHECK(mul.call_as<int128_t>(Value(kTwo40), 2) == kTwo40 * 2);
    SharedFunction make(nullptr, ctx.function(reinterpret_cast<void*>(&jiffi_wide_make),
                                              "unsigned __int128 (unsigned long, unsigned long)"),
                        "jiffi_wide_make", {"hi", "lo"});
    CHECK(make(~0ul, ~0ul).as_uint128() == ~uint128_t(0));
    // The unsigned 128-bit maximum does not fit a signed __int128 argument.
    CHECK_THROWS_WITH_AS(mul(make(~0ul, ~0ul), 1), doctest::Contains("argument 1 (a) of jiffi_wide_mul"), Error);
    SharedFunction twice(nullptr, ctx.function(reinterpret_cast<void*>(&jiffi_wide_twice), "long double (long double)"),
                         "jiffi_wide_twice", {"x"});
    Value t = twice(kFine);
    REQUIRE(t.kind() == Value::Kind::LongDouble);
    CHECK(t.as_long_double() == 2 * kFine);
    CHECK(twice.call_as<long double>(kFine) == 2 * kFine);
}

TEST_CASE("a finite value beyond float's range is an error; rounding within range is not") {
    Context ctx;
    Function f = ctx.function(reinterpret_cast<void*>(&jiffi_wide_float), "float (float)");
    CHECK_THROWS_WITH_AS(f.call<float>(1e300), doctest::Contains("out of range of float"), Error);
    CHECK(f.call<float>(3.4028235e38) == FLT_MAX);  // FLT_MAX written with 8 digits rounds to it
    CHECK(f.call<float>(1e-50) == 0.0f);            // underflow rounds to zero
    CHECK(f.call_values({Value(3.4028235e38)}).as_double() == double(FLT_MAX));
    SharedFunction g(nullptr, ctx.function(reinterpret_cast<void*>(&jiffi_wide_float), "float (float)"), "jiffi_wide_float");
    CHECK(g(3.4028235e38).as_double() == double(FLT_MAX));
    CHECK_THROWS_WITH_AS(g(3.5e38), doctest::Contains("out of range of float"), Error);
}

TEST_CASE("a struct of the wrong type names the function and the argument") {
    Runtime rt;
    rt.context().cdef("struct bf { int a, b; };\nunion num { int i; float f; double d; };");
    // Bound to abs under a struct prototype: the conversion fails before any call.
    SharedFunction take = defshared(rt, "abs", "libc", "int abs(struct bf)");
    StructType u(rt, "union num");
    CStruct n(u);
    CHECK_THROWS_WITH_AS(take(n), "argument 1 of abs: expected struct bf, given 8 bytes (given a union num)",
                         Error);
}

TEST_CASE("argument errors spell the parameter type as the prototype wrote it") {
    Runtime rt;
    SharedFunction wcslen_fn = defshared(rt, "wcslen", "libc", "size_t wcslen(const wchar_t *)");
    CHECK(wcslen_fn.signature() == "size_t wcslen(const wchar_t *)");
    CHECK(std::string(wcslen_fn.arg_type(0).spelling) == "const wchar_t *");
    CHECK(std::string(wcslen_fn.return_type().spelling) == "size_t");
    CHECK_THROWS_WITH_AS(wcslen_fn(std::u16string(u"x")),
                         "argument 1 of wcslen: expected const wchar_t *, given UTF-16 text of 1 units "
                         "(UTF-16 text goes to a pointer to 2-byte units)",
                         Error);
    CHECK_THROWS_WITH_AS(wcslen_fn(std::wstring(L"a\0b", 3)),
                         doctest::Contains("argument 1 of wcslen: expected const wchar_t *"), Error);
    CHECK(wcslen_fn(std::wstring(L"four")).as_uint() == 4);
    // Bound by name after jiffi_cdef, the declaration's own spellings show.
    rt.context().cdef("size_t wcsnlen(const wchar_t *s, size_t maxlen);");
    SharedFunction wcsnlen_fn = defshared(rt, "wcsnlen", "libc", "wcsnlen");
    CHECK(wcsnlen_fn.signature() == "size_t wcsnlen(const wchar_t *, size_t)");
    CHECK_THROWS_WITH_AS(wcsnlen_fn(std::wstring(L"abc"), -1),
                         doctest::Contains("argument 2 of wcsnlen: expected size_t, given int -1"), Error);
    CHECK(wcsnlen_fn(std::wstring(L"abcdef"), 4).as_uint() == 4);
}

struct JiffiWidePoint {
    int x, y;
};
extern "C" {
// The sum of a point's coordinates (a struct passed by value).
int jiffi_wide_point_sum(JiffiWidePoint p) { return p.x + p.y; }
}

TEST_CASE("a struct passes by value whether its type is spelled by typedef or by tag") {
    Runtime rt;
    rt.context().cdef("struct wpoint { int x, y; }; typedef struct wpoint wpoint_t;\n"
                      "struct wother { int a, b; };");
    Function raw = rt.context().function(reinterpret_cast<void*>(&jiffi_wide_point_sum), "int (wpoint_t)");
    SharedFunction sum(nullptr, std::move(raw), "jiffi_wide_point_sum");
    CHECK(std::string(sum.arg_type(0).spelling) == "wpoint_t");
    for (const char* name : {"struct wpoint", "wpoint_t"}) {
        CAPTURE(name);
        CStruct p{StructType(rt, name)};
        p.set("x", 30);
        p.set("y", 12);
        CHECK(sum(p).as_int() == 42);
    }
    // Another record of the same size is still refused, named as the prototype wrote it.
    CStruct other{StructType(rt, "struct wother")};
    CHECK_THROWS_WITH_AS(sum(other), "argument 1 of jiffi_wide_point_sum: expected wpoint_t, given 8 bytes "
                                     "(given a struct wother)",
                         Error);
}

// Marshalling: checked conversions, strings in four encodings, borrowed and owned results,
// out and in-out arguments, arrays, null pointers, custom converters.
#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "jiffi/foreign.hpp"
#include "jiffi/memory.hpp"
#include "jiffi/runtime.hpp"
#include "jiffi/strings.hpp"

using namespace jiffi;

// A user type passed where a :string goes (convert-to-foreign) and read back from one.
template <>
struct jiffi::Converter<std::filesystem::path> {
    static Value to_foreign(const std::filesystem::path& p, const TypeDesc& t) {
        if (t.kind != JIFFI_KIND_POINTER || t.elem_kind != JIFFI_KIND_CHAR)
            throw Error(Errc::ARG_TYPE, std::string("a path goes where a string goes, not ") + t.spelling);
        return Value(p.string());
    }
    static std::filesystem::path from_foreign(const Value& v, const TypeDesc&) {
        if (v.kind() == Value::Kind::Pointer && !v.as_pointer()) return {};
        return std::filesystem::path(v.as_string());
    }
};

namespace {
struct Celsius {
    double deg;
};
}  // namespace

// A user type passed where a :double goes.
template <>
struct jiffi::Converter<Celsius> {
    static Value to_foreign(const Celsius& c, const TypeDesc&) { return Value(c.deg); }
    static Celsius from_foreign(const Value& v, const TypeDesc& t) {
        return Celsius{convert_from_foreign<double>(v, t)};
    }
};

TEST_CASE("Value kinds and null pointers") {
    CHECK(Value(true).kind() == Value::Kind::Bool);
    CHECK(Value(5).kind() == Value::Kind::Int);
    CHECK(Value(5u).kind() == Value::Kind::UInt);
    CHECK(Value(2.5f).kind() == Value::Kind::Double);
    CHECK(Value(static_cast<const char*>(nullptr)).kind() == Value::Kind::Pointer);
    CHECK(Value(u"x").kind() == Value::Kind::Utf16);
    CHECK(Value(U"x").kind() == Value::Kind::Utf32);
    CHECK(Value(L"x").kind() == Value::Kind::Wide);
    CHECK(out().kind() == Value::Kind::Out);
    CHECK_FALSE(out().as_out().has_initial());
    REQUIRE(inout(3).as_out().has_initial());
    CHECK(inout(3).as_out().initial().as_int() == 3);
    CHECK_THROWS_WITH_AS(Value(1).as_string(), doctest::Contains("not a string"), Error);
    SharedFunction time_fn = defshared("time", "libc", "long time(long *)");
    CHECK(time_fn(nullptr).as_int() > 1700000000);
    CHECK(time_fn(Value(static_cast<void*>(nullptr))).as_int() > 1700000000);
}

TEST_CASE("numbers: float to double, float range, bool, integer results") {
    SharedFunction fabs_fn = defshared("fabs", "m", "double fabs(double)");
    CHECK(fabs_fn(-1.5f).as_double() == 1.5);
    CHECK(fabs_fn(Celsius{-3.0}).as_double() == 3.0);
    CHECK(fabs_fn.call_as<Celsius>(-4.0).deg == 4.0);
    SharedFunction fabsf_fn = defshared("fabsf", "m", "float", {"float"});
    CHECK(fabsf_fn(-2.5).as_double() == 2.5);
    CHECK_THROWS_WITH_AS(fabsf_fn(1e300), doctest::Contains("out of range of float"), Error);
    CHECK_THROWS_WITH_AS(fabsf_fn("x"), doctest::Contains("a number is needed"), Error);
    SharedFunction abs_bool = defshared("abs", "libc", "int abs(_Bool)");
    CHECK(abs_bool(true).as_int() == 1);
    CHECK(abs_bool(0).as_int() == 0);
    CHECK_THROWS_WITH_AS(abs_bool(2), doctest::Contains("out of range 0..1"), Error);
    SharedFunction labs_fn = defshared("labs", "libc", "long labs(long)");
    CHECK_THROWS_WITH_AS(labs_fn.call_as<int>(-5000000000L), doctest::Contains("out of range"), Error);
    CHECK(labs_fn.call_as<int64_t>(-5000000000L) == 5000000000L);
    CHECK_THROWS_WITH_AS(labs_fn(uint64_t(1) << 63), doctest::Contains("out of range"), Error);
}

TEST_CASE("strings in UTF-8, UTF-16, UTF-32 and wchar_t") {
    SharedFunction strlen_fn = defshared("strlen", "libc", "size_t strlen(const char *)");
    CHECK(strlen_fn("h\xC3\xA9llo").as_uint() == 6);  // UTF-8 bytes
    SharedFunction wcslen_fn = defshared("wcslen", "libc", "size_t wcslen(const wchar_t *)");
    CHECK(wcslen_fn(std::wstring(L"h\u00e9llo")).as_uint() == 5);
    CHECK(wcslen_fn("h\xC3\xA9llo \xF0\x9F\x98\x80").as_uint() == 7);  // UTF-8 text converted
    SharedFunction wcslen32 = defshared("wcslen", "libc", "size_t wcslen(const char32_t *)");
    CHECK(wcslen32(std::u32string(U"\U0001F600!")).as_uint() == 2);
    // UTF-16 has no libc function: compare the units memcmp sees.
    SharedFunction cmp16 = defshared("memcmp", "libc", "int memcmp(const char16_t *, const char16_t *, size_t)");
    CHECK(cmp16("h\xE2\x82\xAC\xF0\x9F\x98\x80", std::u16string(u"h\u20ac\U0001F600"), 8).as_int() == 0);
    CHECK(utf8_to_utf16("\xF0\x9F\x98\x80") == u"\U0001F600");
    CHECK(utf16_to_utf8(u"\u20ac") == "\xE2\x82\xAC");
    CHECK(utf32_to_utf8(U"\U0001F600") == "\xF0\x9F\x98\x80");
    CHECK(wide_to_utf8(utf8_to_wide("caf\xC3\xA9")) == "caf\xC3\xA9");
    CHECK_THROWS_WITH_AS(utf8_to_utf16("a\xC3"), doctest::Contains("truncated"), Error);
    CHECK_THROWS_WITH_AS(utf8_to_utf32("\xC0\x80"), doctest::Contains("overlong"), Error);
    CHECK_THROWS_WITH_AS(utf16_to_utf8(std::u16string(1, char16_t(0xD800))), doctest::Contains("unpaired"), Error);
    CHECK_THROWS_WITH_AS(strlen_fn(std::string("a\0b", 3)), doctest::Contains("NUL at position 1"), Error);
    CHECK_THROWS_WITH_AS(strlen_fn(std::u16string(u"x")), doctest::Contains("2-byte units"), Error);
    // Returned wide text read back as a C++ string.
    SharedFunction wcschr_fn = defshared("wcschr", "libc", "wchar_t *wcschr(const wchar_t *, wchar_t)");
    std::wstring hay = L"key=value";
    CHECK(wcschr_fn.call_as<std::wstring>(pin(hay), L'=') == L"=value");
    CHECK(wcschr_fn.call_as<std::string>(pin(hay), L'=') != "");
}

TEST_CASE("returned strings: borrowed or owned with a free function") {
    setenv("JIFFI_TEST_VAR", "borrowed-value", 1);
    SharedFunction getenv_const = defshared("getenv", "libc", "string", {"string"});
    CHECK(getenv_const("JIFFI_TEST_VAR").as_string() == "borrowed-value");
    CHECK(getenv_const("JIFFI_NO_SUCH_VAR").as_pointer() == nullptr);  // NULL stays a null pointer
    SharedFunction getenv_fn = defshared("getenv", "libc", "char *getenv(const char *)");
    CHECK(getenv_fn("JIFFI_TEST_VAR").kind() == Value::Kind::Pointer);
    getenv_fn.returns_borrowed_string();
    CHECK(getenv_fn("JIFFI_TEST_VAR").as_string() == "borrowed-value");
    ForeignString b = getenv_fn.call_string("JIFFI_TEST_VAR");
    CHECK(!b.is_owned());
    CHECK(b.view() == "borrowed-value");

    static int frees = 0;
    SharedFunction strdup_fn = defshared("strdup", "libc", "char *strdup(const char *)");
    strdup_fn.returns_owned_string([](void* p) { ++frees; std::free(p); });
    CHECK(strdup_fn("copy").as_string() == "copy");  // copied, then freed
    CHECK(frees == 1);
    {
        ForeignString s = strdup_fn.call_string("owned");
        CHECK(s.is_owned());
        CHECK(s.str() == "owned");
        CHECK(frees == 1);
    }
    CHECK(frees == 2);
    // free as the process resolves it (a sanitizer's allocator replaces libc's malloc and free).
    SharedFunction free_fn = defshared("free", "", "void free(void *)");
    strdup_fn.returns_owned_string(free_fn);
    CHECK(strdup_fn.call_string("freed by C").str() == "freed by C");
    CHECK_THROWS_WITH_AS(defshared("abs", "libc", "int abs(int)").returns_borrowed_string(),
                         doctest::Contains("not a char pointer"), Error);
}

TEST_CASE("out and in-out arguments come back as extra results") {
    SharedFunction frexp_fn = defshared("frexp", "m", "double frexp(double, int *)");
    Results r = frexp_fn.call_all(8.0, out());
    CHECK(r.value.as_double() == 0.5);
    REQUIRE(r.outs.size() == 1);
    CHECK(r.outs[0].as_int() == 4);
    SharedFunction modf_fn = defshared("modf", "m", "double", {"double", "pointer"});
    CHECK_THROWS_WITH_AS(modf_fn.call_all(3.25, out()), doctest::Contains("complete type"), Error);
    SharedFunction modf_typed = defshared("modf", "m", "double modf(double, double *)");
    Results m = modf_typed.call_all(3.25, out());
    CHECK(m.value.as_double() == 0.25);
    CHECK(m.outs[0].as_double() == 3.0);
    char text[] = "123abc";
    SharedFunction strtol_fn = defshared("strtol", "libc", "long strtol(const char *, char **, int)");
    Results t = strtol_fn.call_all(static_cast<const void*>(text), out(), 10);
    CHECK(t.value.as_int() == 123);
    CHECK(t.outs[0].as_pointer() == text + 3);
    char list[] = "a,b";
    SharedFunction strsep_fn = defshared("strsep", "libc", "char *strsep(char **, const char *)");
    Results s = strsep_fn.call_all(inout(Value(static_cast<void*>(list))), ",");
    CHECK(s.value.as_pointer() == list);
    CHECK(std::string(list) == "a");
    CHECK(s.outs[0].as_pointer() == list + 2);
    CHECK_THROWS_WITH_AS(strsep_fn.call_all(inout(5), ","), doctest::Contains("in-out initial value"), Error);
}

TEST_CASE("arrays go to pointers element by element, with checks") {
    std::vector<int> dst(3);
    SharedFunction copy_ints = defshared("memcpy", "libc", "void *memcpy(void *, const int *, size_t)");
    copy_ints(pin(dst), std::vector<int>{7, -8, 9}, 3 * sizeof(int));
    CHECK(dst == std::vector<int>{7, -8, 9});
    unsigned char bytes[2];
    SharedFunction copy_bytes = defshared("memcpy", "libc", "void *memcpy(void *, const unsigned char *, size_t)");
    CHECK_THROWS_WITH_AS(copy_bytes(pin(bytes), std::vector<int>{1, 300}, 2),
                         doctest::Contains("element 1"), Error);
    copy_bytes(pin(bytes), Value(Value::Array{Value(1), Value(255)}), 2);
    CHECK(bytes[1] == 255);
}

TEST_CASE("custom converters: a std::filesystem::path where a :string goes") {
    SharedFunction access_fn = defshared("access", "libc", "int", {{"path", "string"}, {"mode", "int"}});
    CHECK(access_fn(std::filesystem::path("/"), 0).as_int() == 0);
    CHECK(access_fn(std::filesystem::path("/no/such/jiffi/path"), 0).as_int() == -1);
    SharedFunction strlen_fn = defshared("strlen", "libc", "unsigned-long", {"string"});
    CHECK(strlen_fn(std::filesystem::path("/tmp") / "x").as_uint() == 6);
    SharedFunction abs_fn = defshared("abs", "libc", "int", {"int"});
    CHECK_THROWS_WITH_AS(abs_fn(std::filesystem::path("/")), doctest::Contains("not int"), Error);
    setenv("JIFFI_TEST_DIR", "/usr/lib", 1);
    SharedFunction getenv_fn = defshared("getenv", "libc", "string", {"string"});
    CHECK(getenv_fn.call_as<std::filesystem::path>("JIFFI_TEST_DIR") == std::filesystem::path("/usr/lib"));
    TypeDesc string_type = default_runtime().describe(":string");
    CHECK(convert_to_foreign(std::filesystem::path("/a"), string_type).as_string() == "/a");
    CHECK(convert_from_foreign<std::filesystem::path>(Value("/b"), string_type) == "/b");
}

TEST_CASE("a writable char array goes as a buffer, a string literal as text") {
    char buf[16] = "old";
    SharedFunction strcpy_fn = defshared("strcpy", "libc", "char *strcpy(char *, const char *)");
    Value r = strcpy_fn(buf, "new text");
    CHECK(r.as_pointer() == buf);
    CHECK(std::string(buf) == "new text");
}

TEST_CASE("Function::call and bindings check arguments through the one marshaller") {
    Runtime rt;
    SharedFunction f = defshared(rt, "fabsf", "libm", "float fabsf(float)");
    std::string typed, dynamic;
    try {
        f.function().call<float>(1e300);
    } catch (const Error& e) {
        typed = e.what();
    }
    try {
        f(1e300);
    } catch (const Error& e) {
        dynamic = e.what();
    }
    // The same check and the same words; only the function's name differs (a bare Function
    // knows its signature, a binding its symbol).
    CHECK(typed == "argument 1 of 'float fabsf(float)': expected float, given double 1e+300 (out of range of float)");
    CHECK(dynamic == "argument 1 of fabsf: expected float, given double 1e+300 (out of range of float)");
    SharedFunction abs_fn = defshared(rt, "abs", "libc", "int abs(int)");
    CHECK_THROWS_WITH_AS(abs_fn.function().call<int>(int64_t(1) << 40),
                         "argument 1 of 'int abs(int)': expected int, given int 1099511627776 (out of range "
                         "-2147483648..2147483647)",
                         Error);
}

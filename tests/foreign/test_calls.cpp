// shared-call, defshared (keyword and C-prototype signatures), lib-open/lib-close, search paths.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "jiffi/foreign.hpp"
#include "jiffi/runtime.hpp"

using namespace jiffi;

TEST_CASE("shared_call strlen returns 5 through a keyword signature") {
    Value v = shared_call({"strlen", "libc"}, "unsigned-long", {"string"}, "hello");
    CHECK(v.kind() == Value::Kind::UInt);
    CHECK(v.as_uint() == 5);
    CHECK(shared_call<unsigned long>({"strlen", "libc"}, ":unsigned-long", {":string"}, "hello, world") == 12);
    // C type names mix with keywords.
    CHECK(shared_call<size_t>({"strlen", "libc"}, "size_t", {"const char *"}, std::string("abc")) == 3);
}

TEST_CASE("defshared binds once and calls many times, keyword or prototype") {
    SharedFunction my_strlen = defshared("strlen", "libc", "unsigned-long", {{"s", "string"}});
    CHECK(my_strlen("world").as_uint() == 5);
    CHECK(my_strlen.call_as<int>("") == 0);
    CHECK(my_strlen.signature() == "unsigned long(const char *)");
    SharedFunction proto = defshared("strlen", "libc", "size_t strlen(const char *s)");
    CHECK(proto.call_as<size_t>("four") == 4);
    SharedFunction abs_fn = defshared("abs", "libc", "int", {"int"});
    CHECK(abs_fn(-42).as_int() == 42);
    SharedFunction sqrt_fn = defshared("sqrt", "m", "double", {{"x", "double"}});
    CHECK(sqrt_fn(2.25).as_double() == 1.5);
    CHECK(sqrt_fn(16).as_double() == 4.0);  // an integer goes where a double goes
    SharedFunction toupper_fn = defshared("toupper", "libc", "int toupper(int)");
    CHECK(toupper_fn.call_as<char>('a') == 'A');
}

TEST_CASE("a void function and a function of no arguments") {
    SharedFunction getpid_fn = defshared("getpid", "libc", "int", {});
    CHECK(getpid_fn().as_int() > 0);
    SharedFunction srand_fn = defshared("srand", "libc", "void", {"unsigned-int"});
    CHECK(srand_fn(7u).kind() == Value::Kind::None);
}

TEST_CASE("bad calls are errors naming the argument, the C type and the value") {
    SharedFunction my_strlen = defshared("strlen", "libc", "unsigned-long", {{"s", "string"}});
    try {
        my_strlen(5);
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.code() == Errc::ARG_TYPE);
        std::string m = e.what();
        CHECK(m.find("argument 1 (s) of strlen") != std::string::npos);
        CHECK(m.find("const char *") != std::string::npos);
        CHECK(m.find("int 5") != std::string::npos);
    }
    try {
        my_strlen("a", "b");
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.code() == Errc::ARG_COUNT);
        CHECK(std::string(e.what()).find("takes 1 argument, 2 given") != std::string::npos);
    }
    SharedFunction abs_fn = defshared("abs", "libc", "int", {"int"});
    try {
        abs_fn(int64_t(1) << 40);
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.code() == Errc::ARG_TYPE);
        CHECK(std::string(e.what()).find("out of range") != std::string::npos);
        CHECK(std::string(e.what()).find("1099511627776") != std::string::npos);
    }
    CHECK_THROWS_AS(abs_fn(1.5), Error);
    SharedFunction putchar_fn = defshared("toupper", "libc", "int", {"unsigned-char"});
    CHECK_THROWS_WITH_AS(putchar_fn(-1), doctest::Contains("out of range 0..255"), Error);
    CHECK_THROWS_WITH_AS(putchar_fn(256), doctest::Contains("given int 256"), Error);
}

TEST_CASE("unknown libraries, symbols and types are errors naming them") {
    try {
        shared_call({"strlen", "libnosuchlib"}, "int", {}, 0);
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.code() == Errc::LIBRARY_NOT_FOUND);
        CHECK(std::string(e.what()).find("libnosuchlib") != std::string::npos);
    }
    try {
        defshared("no_such_symbol_xyz", "libc", "int", {});
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.code() == Errc::SYMBOL_NOT_FOUND);
        CHECK(std::string(e.what()).find("no_such_symbol_xyz") != std::string::npos);
    }
    CHECK_THROWS_WITH_AS(defshared("strlen", "libc", "unsigned-long", {":strin"}),
                         doctest::Contains(":strin"), Error);
}

TEST_CASE("lib_open and lib_close; bindings keep their library loaded") {
    LibraryHandle ssl = lib_open("libssl");
    REQUIRE(ssl);
    CHECK(ssl->path().find("libssl") != std::string::npos);
    CHECK(lib_open("libssl") == ssl);  // opened once, shared
    SharedFunction version = defshared("OpenSSL_version_num", "libssl", "unsigned-long", {});
    lib_close(ssl);
    CHECK(!ssl);
    CHECK(version().as_uint() > 0x10100000u);  // still callable: the binding holds the library
    LibraryHandle again = lib_open("libssl");
    CHECK(again);
}

TEST_CASE("library search paths are settable at run time") {
    Runtime rt;
    rt.set_search_paths({"/nonexistent/lib", "/opt/lib"});
    StringList paths = rt.search_paths();
    REQUIRE(paths.size() == 2);
    CHECK(paths[0] == "/nonexistent/lib");
    CHECK(paths[1] == "/opt/lib");
    // A library found through the system cache still opens; a name found nowhere lists paths.
    try {
        rt.open("jiffi_missing_lib");
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find("/nonexistent/lib") != std::string::npos);
    }
    rt.set_search_paths({});
    CHECK(rt.search_paths().empty());
}

TEST_CASE("a separate runtime has its own bindings and declarations") {
    Runtime rt(Backend::Libffi);
    CHECK(shared_call<int>(rt, {"abs", "libc"}, "int", {"int"}, -3) == 3);
    SharedFunction labs_fn = defshared(rt, "labs", "libc", "long labs(long)");
    CHECK(labs_fn(-9000000000LL).as_int() == 9000000000LL);
}

TEST_CASE("shared_call with the argument types in a vector and an empty list") {
    std::vector<std::string> types = {"string"};
    CHECK(shared_call<int>({"strlen", "libc"}, "int", types, "vector") == 6);
    CHECK(shared_call<int>({"getpid", "libc"}, "int", {}) > 0);
}

TEST_CASE("copies of a binding share it; each copy's result settings are its own") {
    ::setenv("JIFFI_COPY_TEST", "copied", 1);
    SharedFunction getenv_fn = defshared("getenv", "libc", "char *getenv(const char *)");
    SharedFunction text_fn = getenv_fn;
    text_fn.returns_borrowed_string();
    CHECK(getenv_fn("JIFFI_COPY_TEST").kind() == Value::Kind::Pointer);  // a char * stays a pointer
    CHECK(text_fn("JIFFI_COPY_TEST").as_string() == "copied");
    CHECK(&text_fn.function() == &getenv_fn.function());  // one bound function
    CHECK_THROWS_WITH_AS(text_fn.arg_type(1), doctest::Contains("getenv has no argument 2"), Error);
    LibraryHandle libc = lib_open("libc");
    LibraryHandle same = libc;
    CHECK(same == libc);
    CHECK(std::string(same->path()).find("libc") != std::string::npos);
}

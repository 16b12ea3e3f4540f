// Inputs that are small to write but were costly to parse, and declarations jiffi refuses
// rather than misread: preprocessor directives, ABI-changing attributes, unsupported triples,
// by-value values over the stack bound.
#include <doctest/doctest.h>

#include <string>

#include "cparse_fixture.hpp"
#include "marshal/signature.hpp"

using namespace jiffi::detail;
using jiffi::detail::test::Cx;
using jiffi::detail::test::error_of;

namespace {

// True when message contains needle (CHECK prints both on failure).
bool has(const std::string& message, const std::string& needle) {
    return message.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("an enum of 300,000 enumerators parses in linear time") {
    // Each enumerator used to be looked up in a list of the earlier ones: 100,000 took 91 s,
    // so this input took over ten minutes (the ctest TIMEOUT fails it long before).
    const int n = 300000;
    std::string text = "enum many {";
    text.reserve(static_cast<size_t>(n) * 16);
    for (int i = 0; i < n; ++i) text += " e" + std::to_string(i) + ",";
    text += " last = e299999 + e1 };";
    Cx c;
    c.cdef(text);
    CHECK(c.enm("many").values.size() == static_cast<size_t>(n) + 1);
    CHECK(c.decls.constants.at("last").value == 300000);
    CHECK(c.decls.constants.at("e123456").value == 123456);
}

TEST_CASE("a type derives at most 256 pointers, arrays and functions") {
    Cx c;
    std::string dims;
    for (int i = 0; i < 256; ++i) dims += "[1]";
    c.cdef("typedef char deep" + dims + ";");
    CHECK(c.types.size_of(c.td("deep")) == 1);

    // 40,000 dimensions took 15 s (each one walked all the earlier ones); now an error at once.
    std::string many;
    for (int i = 0; i < 40000; ++i) many += "[1]";
    Error e = error_of([&] { c.cdef("typedef char too_deep" + many + ";"); });
    CHECK(e.code() == ErrorCode::INVALID_TYPE);
    CHECK(has(e.message(), "'too_deep' derives more than 256"));
    CHECK(has(e.message(), "line 1, column "));

    // The limit counts the derivations a typedef brings along.
    Error p = error_of([&] { c.cdef("typedef deep *(*ptrs)[2];"); });
    CHECK(p.code() == ErrorCode::INVALID_TYPE);
    CHECK(has(p.message(), "'ptrs' derives more than 256"));
    Error s = error_of([&] { c.sig("void f(int" + many + ")"); });
    CHECK(s.code() == ErrorCode::INVALID_TYPE);
}

TEST_CASE("preprocessor directives other than pragmas and line markers are refused") {
    for (const char* text : {"#include <stdio.h>\n", "#define X 1\n", "#if 0\nint x;\n#endif\n",
                             "int a;\n  #  undef X\n", "#error stop\n", "#include_next <a.h>\n"}) {
        CAPTURE(text);
        Cx c;
        Error e = error_of([&] { c.cdef(text); });
        CHECK(e.code() == ErrorCode::PARSE);
        CHECK(has(e.message(), "preprocessor directive '#"));
        CHECK(has(e.message(), "layout discoverer"));
    }
    Cx c;
    Error inc = error_of([&] { c.cdef("int a;\n#include <stdio.h>\n"); });
    CHECK(has(inc.message(), "line 2, column 1: preprocessor directive '#include'"));
    Error weak = error_of([&] { c.cdef("#pragma weak f\n"); });
    CHECK(has(weak.message(), "'#pragma weak'"));
    Error attr = error_of([&] { c.cdef("#pragma clang attribute push (__attribute__((ms_abi)), apply_to = function)\n"); });
    CHECK(has(attr.message(), "'#pragma clang attribute'"));
    Error ext = error_of([&] { c.cdef("#pragma redefine_extname f g\n"); });
    CHECK(has(ext.message(), "'#pragma redefine_extname'"));

    // What preprocessed text keeps is still accepted.
    c.cdef("# 1 \"a.h\" 1 3 4\n#line 7 \"b.h\"\n#\n#pragma once\n#pragma GCC visibility push(default)\n"
           "#pragma GCC diagnostic ignored \"-Wall\"\n#pragma clang diagnostic push\n"
           "#pragma STDC FP_CONTRACT ON\n#pragma pack(1)\nstruct after { char c; int i; };\n");
    CHECK(c.rec("after").size == 5);
}

TEST_CASE("attributes that change the calling convention or layout are refused by name") {
    struct Case {
        const char* text;
        const char* attribute;
        bool signature;
    };
    const Case cases[] = {
        {"int __attribute__((ms_abi)) f(int)", "'ms_abi'", true},
        {"int __attribute__((__sysv_abi__)) f(int)", "'__sysv_abi__'", true},
        {"int f(int) __attribute__((regparm(3)))", "'regparm'", true},
        {"void (__attribute__((stdcall)) *f(void))(int)", "'stdcall'", true},
        {"[[gnu::fastcall]] int f(int);", "'fastcall'", false},
        {"[[clang::preserve_most]] int f(int);", "'preserve_most'", false},
        {"typedef void (*__attribute__((vectorcall)) fp)(void);", "'vectorcall'", false},
        {"int g(int) __attribute__((pcs(\"aapcs\")));", "'pcs'", false},
        {"__attribute__((naked)) void h(void);", "'naked'", false},
        {"void i(void *) __attribute__((interrupt));", "'interrupt'", false},
        {"struct __attribute__((ms_struct)) s { char c; int i : 4; };", "'ms_struct'", false},
        {"int __attribute__((thiscall)) j(void *);", "'thiscall'", false},
    };
    for (const Case& k : cases) {
        CAPTURE(k.text);
        Cx c;
        Error e = error_of([&] {
            if (k.signature)
                c.sig(k.text);
            else
                c.cdef(k.text);
        });
        CHECK(e.code() == ErrorCode::NOT_AVAILABLE);
        CHECK(has(e.message(), std::string("attribute ") + k.attribute));
        CHECK(has(e.message(), "calling convention"));
    }
    // Attributes that change nothing about a call still parse.
    Cx c;
    ParsedSignature ps = c.sig("int __attribute__((nonnull, warn_unused_result)) f(int *)");
    CHECK(c.types.to_string(ps.function) == "int(int *)");
}

TEST_CASE("target triples outside the implemented ABIs are refused naming the triple") {
    for (const char* triple :
         {"x86_64-pc-windows-msvc", "x86_64-w64-mingw32", "x86_64-pc-windows-gnu", "x86_64-pc-cygwin",
          "aarch64-pc-windows-msvc", "x86_64-linux-android", "x86_64-linux-gnux32",
          "x86_64-unknown-freebsd", "aarch64-apple-ios", "x86_64", "x86_64-unknown-linux-gnu-extra"}) {
        CAPTURE(triple);
        Error e = error_of([&] { Target::from_triple(triple); });
        CHECK(e.code() == ErrorCode::INVALID_ARGUMENT);
        CHECK(has(e.message(), std::string("unsupported target triple '") + triple + "'"));
    }
    CHECK(Target::from_triple("x86_64-pc-linux-gnu").triple == "x86_64-linux-gnu");
    CHECK(Target::from_triple("x86_64-unknown-linux-musl").triple == "x86_64-linux-gnu");
    CHECK(Target::from_triple("aarch64-unknown-linux-gnu").triple == "aarch64-linux-gnu");
    CHECK(Target::from_triple("arm64-apple-darwin23.1.0").triple == "arm64-apple-macos");
    CHECK(Target::from_triple("x86_64-apple-macosx14.0").triple == "x86_64-apple-macos");
    Error e = error_of([&] { Target::from_triple("sparc-sun"); });
    CHECK(has(e.message(), "unknown target triple 'sparc-sun'"));
}

TEST_CASE("by-value values are bounded by kMaxByValueBytes") {
    Cx c;
    c.cdef("struct fits { char a[65536]; }; struct big { char a[65537]; };"
           "struct huge { char a[67108864]; };");
    auto signature = [&](const char* text) {
        ParsedSignature ps = c.sig(text);
        return make_call_signature(c.types, ps.function, ps.name);
    };
    CHECK(signature("struct fits f(struct fits)").args.size() == 1);
    Error arg = error_of([&] { signature("int f(int, struct big)"); });
    CHECK(arg.code() == ErrorCode::INVALID_TYPE);
    CHECK(has(arg.message(), "parameter 2 of 'int f(int, struct big)' has type 'struct big' of 65537 bytes"));
    CHECK(has(arg.message(), "65536"));
    Error ret = error_of([&] { signature("struct huge f(void)"); });
    CHECK(has(ret.message(), "the return value of 'struct huge f(void)' has type 'struct huge' of 67108864 bytes"));
    // A pointer to it, or an array parameter (a pointer too), is fine.
    CHECK(signature("void f(struct huge *, char a[67108864])").args.size() == 2);
    // Variadic arguments are bounded the same way.
    CallSignature proto = signature("int p(int, ...)");
    Error var = error_of([&] {
        make_vararg_signature(c.types, proto, {c.types.prim(Prim::Int), c.type("struct big")});
    });
    CHECK(has(var.message(), "variadic argument 2 has type 'struct big' of 65537 bytes"));
}

// Signature text and type spellings through the C API: typedef names kept as written
// (wchar_t, char16_t, size_t, user typedefs), one text for one signature however it is
// spaced or named, and the types themselves structural (docs/c-api.md "Signature text and
// type spellings").
#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>
#include <cwchar>
#include <string>

#include "jiffi/jiffi.h"

namespace {

// Fails the test with the error's message when err is not null.
void ok(jiffi_error* err) {
    if (!err) return;
    std::string msg = jiffi_error_message(err);
    jiffi_error_dispose(err);
    FAIL(msg);
}

// The message of err (which must be an error), disposed.
std::string message_of(jiffi_error* err) {
    REQUIRE(err != nullptr);
    std::string msg = jiffi_error_message(err);
    jiffi_error_dispose(err);
    return msg;
}

// A context of one backend and shorthand for the calls the tests make.
struct Ctx {
    explicit Ctx(jiffi_backend b = JIFFI_BACKEND_AUTO) { ok(jiffi_context_create(b, &ctx)); }
    ~Ctx() { jiffi_context_destroy(ctx); }
    Ctx(const Ctx&) = delete;
    Ctx& operator=(const Ctx&) = delete;

    const jiffi_signature* sig(const char* text) {
        jiffi_signature* s = nullptr;
        ok(jiffi_signature_parse(ctx, text, &s));
        REQUIRE(s != nullptr);
        return s;
    }
    std::string text(const char* signature) { return jiffi_signature_text(sig(signature)); }
    jiffi_type_detail detail(const jiffi_signature* s, long index) {
        jiffi_type_detail d{};
        ok(jiffi_signature_type_detail(s, index, &d));
        return d;
    }
    jiffi_type_detail describe(const char* type_name) {
        jiffi_type_detail d{};
        ok(jiffi_type_describe(ctx, type_name, &d));
        return d;
    }
    int same(const char* a, const char* b) {
        int s = -1;
        ok(jiffi_type_same(ctx, a, b, &s));
        return s;
    }
    jiffi_context* ctx = nullptr;
};

}  // namespace

TEST_CASE("signature text and spellings keep wchar_t, char16_t and size_t as written") {
    Ctx c;
    const jiffi_signature* s = c.sig("size_t wcslen(const wchar_t *)");
    CHECK(std::string(jiffi_signature_text(s)) == "size_t wcslen(const wchar_t *)");
    jiffi_type_detail arg = c.detail(s, 0);
    CHECK(std::string(arg.spelling) == "const wchar_t *");
    CHECK(arg.kind == JIFFI_KIND_POINTER);
    CHECK(arg.elem_size == sizeof(wchar_t));
    CHECK(arg.elem_is_const == 1);
    jiffi_type_detail ret = c.detail(s, -1);
    CHECK(std::string(ret.spelling) == "size_t");
    CHECK(ret.size == sizeof(size_t));
    CHECK(ret.is_signed == 0);

    s = c.sig("char16_t *u16chr(char16_t const *s, char16_t c)");
    CHECK(std::string(jiffi_signature_text(s)) == "char16_t *u16chr(const char16_t *, char16_t)");
    CHECK(std::string(c.detail(s, 0).spelling) == "const char16_t *");
    CHECK(std::string(c.detail(s, 1).spelling) == "char16_t");
    CHECK(c.detail(s, 1).size == 2);
    CHECK(std::string(c.detail(s, -1).spelling) == "char16_t *");

    CHECK(std::string(c.describe("wchar_t *").spelling) == "wchar_t *");
    CHECK(std::string(c.describe("const char16_t").spelling) == "char16_t");
    CHECK(std::string(c.describe(":size").spelling) == "size_t");
    CHECK(std::string(c.describe("unsigned long int").spelling) == "unsigned long");
}

TEST_CASE("one signature written differently gives one text; the types stay structural") {
    Ctx c;
    std::string t = c.text("int f(int)");
    CHECK(t == "int f(int)");
    CHECK(c.text("int f(int x)") == t);
    CHECK(c.text("int  f( int )") == t);
    CHECK(c.text("int f(const int x)") == t);  // a parameter's own const is not its type's
    CHECK(c.text("wchar_t const *g(wchar_t buf[4])") == "const wchar_t *g(wchar_t *)");
    // wchar_t is int where it is signed (x86-64 Linux), unsigned int where not: one type.
    CHECK(c.same("wchar_t", wchar_t(-1) < 0 ? "int" : "unsigned int") == 1);
    CHECK(c.same("char16_t", "unsigned short") == 1);
    CHECK(c.same("size_t", "unsigned long") == 1);
    CHECK(c.same("const wchar_t *", "wchar_t *") == 0);
    CHECK(c.same("wchar_t", "char16_t") == 0);
    // The facts are the structural type's: int and wchar_t describe alike but for spelling.
    jiffi_type_detail w = c.detail(c.sig("void (wchar_t)"), 0);
    jiffi_type_detail i = c.detail(c.sig("void (int)"), 0);
    CHECK(w.kind == i.kind);
    CHECK(w.value_class == i.value_class);
    CHECK(w.size == i.size);
    CHECK(w.is_signed == (wchar_t(-1) < 0 ? 1 : 0));
    CHECK(std::string(w.spelling) == "wchar_t");
    CHECK(std::string(i.spelling) == "int");
    int s = -1;
    std::string msg = message_of(jiffi_type_same(c.ctx, "wchar_t", "no_such_t", &s));
    CHECK(msg.find("no_such_t") != std::string::npos);
    CHECK(s == 0);
}

TEST_CASE("a user typedef is spelled by its name, in signatures and after binding by name") {
    Ctx c;
    ok(jiffi_cdef(c.ctx,
                  "struct point { int x, y; }; typedef struct point point_t;\n"
                  "size_t wcslen(const wchar_t *s);\n"
                  "point_t *pick(point_t *a, const point_t *b);\n"));
    const jiffi_signature* s = c.sig("point_t (point_t, const point_t *)");
    CHECK(std::string(jiffi_signature_text(s)) == "point_t(point_t, const point_t *)");
    jiffi_type_detail p = c.detail(s, 0);
    CHECK(std::string(p.spelling) == "point_t");
    CHECK(p.kind == JIFFI_KIND_RECORD);
    CHECK(p.size == 8);
    CHECK(std::string(c.detail(s, 1).spelling) == "const point_t *");
    CHECK(c.same("point_t", "struct point") == 1);
    CHECK(std::string(c.describe("point_t").spelling) == "point_t");
    CHECK(std::string(c.describe("struct point").spelling) == "struct point");

    // Bound by name, the prototype jiffi_cdef declared keeps its spellings.
    s = c.sig("pick");
    CHECK(std::string(jiffi_signature_text(s)) == "point_t *pick(point_t *, const point_t *)");
    s = c.sig("wcslen");
    CHECK(std::string(jiffi_signature_text(s)) == "size_t wcslen(const wchar_t *)");
    jiffi_library* lib = nullptr;
    ok(jiffi_library_open(c.ctx, "libc", &lib));
    jiffi_function* fn = nullptr;
    ok(jiffi_function_bind(lib, "wcslen", s, &fn));
    const jiffi_signature* bound = jiffi_function_signature(fn);
    CHECK(std::string(jiffi_signature_text(bound)) == "size_t wcslen(const wchar_t *)");
    CHECK(std::string(c.detail(bound, 0).spelling) == "const wchar_t *");
    const wchar_t* text = L"h\u00e9llo";
    jiffi_slot arg;
    arg.ptr = const_cast<wchar_t*>(text);
    jiffi_slot r{};
    jiffi_function_call(fn, &arg, &r);
    CHECK(r.u64 == 5);
    jiffi_function_destroy(fn);
    jiffi_library_close(lib);
}

TEST_CASE("variadic arguments are spelled as written and called as their types") {
    for (jiffi_backend b : {JIFFI_BACKEND_LIBFFI, JIFFI_BACKEND_JIT}) {
        CAPTURE(static_cast<int>(b));
        Ctx c(b);
        const jiffi_signature* proto = c.sig("int snprintf(char *, size_t, const char *, ...)");
        jiffi_signature* site = nullptr;
        ok(jiffi_signature_vararg(c.ctx, proto, "size_t, wchar_t", &site));
        CHECK(std::string(jiffi_signature_text(site)) ==
              "int snprintf(char *, size_t, const char *, ... size_t, wchar_t)");
        CHECK(std::string(c.detail(site, 3).spelling) == "size_t");
        CHECK(std::string(c.detail(site, 4).spelling) == "wchar_t");
        jiffi_library* lib = nullptr;
        ok(jiffi_library_open(c.ctx, "libc", &lib));
        jiffi_function* fn = nullptr;
        ok(jiffi_function_bind(lib, "snprintf", site, &fn));
        char buf[32] = {0};
        jiffi_slot args[5];
        args[0].ptr = buf;
        args[1].u64 = sizeof buf;
        args[2].ptr = const_cast<char*>("%zu %d");
        args[3].u64 = 1234567890123ull;
        args[4].i64 = -7;
        jiffi_slot r{};
        jiffi_function_call(fn, args, &r);
        CHECK(std::string(buf) == "1234567890123 -7");
        CHECK(r.i64 == 16);
        jiffi_function_destroy(fn);
        jiffi_library_close(lib);
    }
}

TEST_CASE("errors name parameter and return types as written") {
    Ctx c;
    ok(jiffi_cdef(c.ctx,
                  "struct big { char b[70000]; }; typedef struct big big_t;\n"
                  "struct opaque; typedef struct opaque opaque_t;\n"));
    jiffi_signature* s = nullptr;
    std::string msg = message_of(jiffi_signature_parse(c.ctx, "size_t f(wchar_t, big_t)", &s));
    CHECK(msg.find("parameter 2 of 'size_t f(wchar_t, big_t)' has type 'big_t' of 70000 bytes") !=
          std::string::npos);
    msg = message_of(jiffi_signature_parse(c.ctx, "opaque_t g(void)", &s));
    CHECK(msg.find("return type has incomplete type 'opaque_t'") != std::string::npos);
    const jiffi_signature* site = c.sig("int printf(const char *, ...)");
    jiffi_signature* out = nullptr;
    msg = message_of(jiffi_signature_vararg(c.ctx, site, "int, opaque_t", &out));
    CHECK(msg.find("variadic argument 2 has type 'opaque_t'") != std::string::npos);
}

// Bad input through the C API: each case gives its specific error code and names the input.
#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <vector>

#include "jiffi/jiffi.h"

namespace {

// One bad input: what it does, the code it must give, and text the message must contain.
struct BadInput {
    const char* what;
    std::function<jiffi_error*(jiffi_context*)> run;
    int code;
    std::vector<std::string> mentions;
};

jiffi_error* parse(jiffi_context* ctx, const char* text) {
    jiffi_signature* sig = nullptr;
    return jiffi_signature_parse(ctx, text, &sig);
}

jiffi_error* open_lib(jiffi_context* ctx, const char* name) {
    jiffi_library* lib = nullptr;
    jiffi_error* err = jiffi_library_open(ctx, name, &lib);
    jiffi_library_close(lib);
    return err;
}

// Binds symbol of libc with the signature text (which must parse).
jiffi_error* bind_libc(jiffi_context* ctx, const char* symbol, const char* text) {
    jiffi_signature* sig = nullptr;
    if (jiffi_error* e = jiffi_signature_parse(ctx, text, &sig)) return e;
    jiffi_library* lib = nullptr;
    if (jiffi_error* e = jiffi_library_open(ctx, "libc", &lib)) return e;
    jiffi_function* fn = nullptr;
    jiffi_error* err = jiffi_function_bind(lib, symbol, sig, &fn);
    jiffi_function_destroy(fn);
    jiffi_library_close(lib);
    return err;
}

// Runs body on a new context of the libffi backend (the table's context is AUTO, which
// calls what libffi refuses through the JIT).
jiffi_error* on_libffi(jiffi_error* (*body)(jiffi_context*)) {
    jiffi_context* ctx = nullptr;
    if (jiffi_error* e = jiffi_context_create(JIFFI_BACKEND_LIBFFI, &ctx)) return e;
    jiffi_error* err = body(ctx);
    jiffi_context_destroy(ctx);
    return err;
}

jiffi_error* vararg(jiffi_context* ctx, const char* proto, const char* types) {
    jiffi_signature* sig = nullptr;
    if (jiffi_error* e = jiffi_signature_parse(ctx, proto, &sig)) return e;
    jiffi_signature* site = nullptr;
    return jiffi_signature_vararg(ctx, sig, types, &site);
}

std::string deep_parens(int depth) {
    return "int " + std::string(static_cast<size_t>(depth), '(') + "x" +
           std::string(static_cast<size_t>(depth), ')') + ";";
}

int dummy_function(void) { return 0; }

const std::vector<BadInput>& table() {
    static const std::vector<BadInput> t = {
        {"missing semicolon in a struct", [](jiffi_context* c) { return jiffi_cdef(c, "struct s1 { int x }"); },
         JIFFI_E_PARSE, {"line 1", "}"}},
        {"unknown type name", [](jiffi_context* c) { return jiffi_cdef(c, "foo_t x;"); },
         JIFFI_E_UNKNOWN_TYPE, {"foo_t"}},
        {"struct redefined", [](jiffi_context* c) { return jiffi_cdef(c, "struct s2 { int x; };\nstruct s2 { long y; };"); },
         JIFFI_E_REDEFINITION, {"s2", "line 2"}},
        {"member of incomplete type", [](jiffi_context* c) { return jiffi_cdef(c, "struct s3 { struct nope n; };"); },
         JIFFI_E_INCOMPLETE_TYPE, {"nope"}},
        {"void member", [](jiffi_context* c) { return jiffi_cdef(c, "struct s4 { void v; };"); },
         JIFFI_E_INVALID_TYPE, {"v"}},
        {"bitfield wider than its type", [](jiffi_context* c) { return jiffi_cdef(c, "struct s5 { int wide : 40; };"); },
         JIFFI_E_INVALID_TYPE, {"wide"}},
        {"division by zero in an array size", [](jiffi_context* c) { return jiffi_cdef(c, "typedef int arr1[1/0];"); },
         JIFFI_E_CONSTANT, {"line 1"}},
        {"negative array size", [](jiffi_context* c) { return jiffi_cdef(c, "typedef int arr2[-1];"); },
         JIFFI_E_CONSTANT, {"arr2"}},
        {"unterminated struct", [](jiffi_context* c) { return jiffi_cdef(c, "struct s6 { int x;"); },
         JIFFI_E_PARSE, {"line 1"}},
        {"stray character", [](jiffi_context* c) { return jiffi_cdef(c, "int @x;"); },
         JIFFI_E_PARSE, {"@"}},
        {"conflicting typedef", [](jiffi_context* c) { return jiffi_cdef(c, "typedef int t1;\ntypedef long t1;"); },
         JIFFI_E_REDEFINITION, {"t1"}},
        {"array size overflow", [](jiffi_context* c) { return jiffi_cdef(c, "typedef char big[99999999999999999999999];"); },
         JIFFI_E_CONSTANT, {"99999999999999999999999"}},
        {"nesting too deep", [](jiffi_context* c) { return jiffi_cdef(c, deep_parens(100000).c_str()); },
         JIFFI_E_PARSE, {"line 1"}},
        {"cdef with NULL context", [](jiffi_context*) { return jiffi_cdef(nullptr, "int x;"); },
         JIFFI_E_INVALID_ARGUMENT, {"jiffi_cdef", "ctx"}},
        {"cdef with NULL text", [](jiffi_context* c) { return jiffi_cdef(c, nullptr); },
         JIFFI_E_INVALID_ARGUMENT, {"declarations"}},
        {"truncated signature", [](jiffi_context* c) { return parse(c, "int ("); },
         JIFFI_E_PARSE, {"column"}},
        {"unknown type in a signature", [](jiffi_context* c) { return parse(c, "mystery_t (int)"); },
         JIFFI_E_UNKNOWN_TYPE, {"mystery_t"}},
        {"unknown keyword", [](jiffi_context* c) { return parse(c, ":integer (:int)"); },
         JIFFI_E_UNKNOWN_TYPE, {":integer"}},
        {"incomplete struct returned by value",
         [](jiffi_context* c) { jiffi_cdef(c, "struct fwd;"); return parse(c, "struct fwd get(void)"); },
         JIFFI_E_INCOMPLETE_TYPE, {"fwd"}},
        {"void among parameters", [](jiffi_context* c) { return parse(c, "int (void, int)"); },
         JIFFI_E_INVALID_TYPE, {"void"}},
        {"function returning an array", [](jiffi_context* c) { return parse(c, "int f(void)[3]"); },
         JIFFI_E_INVALID_TYPE, {"array"}},
        {"signature parse with NULL out", [](jiffi_context* c) { return jiffi_signature_parse(c, "int (void)", nullptr); },
         JIFFI_E_INVALID_ARGUMENT, {"out"}},
        {"vararg of a fixed prototype", [](jiffi_context* c) { return vararg(c, "int abs(int)", "int"); },
         JIFFI_E_VARIADIC, {"abs"}},
        {"void variadic argument", [](jiffi_context* c) { return vararg(c, "int printf(const char *, ...)", "int, void"); },
         JIFFI_E_INVALID_TYPE, {"variadic argument 2"}},
        {"unknown variadic argument type", [](jiffi_context* c) { return vararg(c, "int printf(const char *, ...)", "widget"); },
         JIFFI_E_UNKNOWN_TYPE, {"widget"}},
        {"variadic prototype called without a call site",
         [](jiffi_context* c) { return bind_libc(c, "printf", "int printf(const char *, ...)"); },
         JIFFI_E_VARIADIC, {"printf", "jiffi_signature_vararg"}},
        {"unknown library", [](jiffi_context* c) { return open_lib(c, "jiffi_no_such_lib"); },
         JIFFI_E_LIBRARY_NOT_FOUND, {"jiffi_no_such_lib", "tried", "/usr/lib"}},
        {"empty library name", [](jiffi_context* c) { return open_lib(c, ""); },
         JIFFI_E_INVALID_ARGUMENT, {"library"}},
        {"library path that does not exist", [](jiffi_context* c) { return open_lib(c, "/nonexistent/libjiffi_x.so"); },
         JIFFI_E_LIBRARY_NOT_FOUND, {"/nonexistent/libjiffi_x.so"}},
        {"a file that is not a library", [](jiffi_context* c) { return open_lib(c, "/etc/passwd"); },
         JIFFI_E_LIBRARY_NOT_FOUND, {"/etc/passwd"}},
        {"unknown symbol", [](jiffi_context* c) { return bind_libc(c, "jiffi_no_such_symbol", "void (void)"); },
         JIFFI_E_SYMBOL_NOT_FOUND, {"jiffi_no_such_symbol", "libc"}},
        {"symbol lookup with NULL name",
         [](jiffi_context* c) {
             jiffi_library* lib = nullptr;
             if (jiffi_error* e = jiffi_library_open(c, "libc", &lib)) return e;
             void* p = nullptr;
             jiffi_error* err = jiffi_library_symbol(lib, nullptr, &p);
             jiffi_library_close(lib);
             return err;
         },
         JIFFI_E_INVALID_ARGUMENT, {"symbol"}},
        {"function at a NULL address",
         [](jiffi_context* c) {
             jiffi_signature* sig = nullptr;
             if (jiffi_error* e = jiffi_signature_parse(c, "int (void)", &sig)) return e;
             jiffi_function* fn = nullptr;
             return jiffi_function_create(c, nullptr, sig, &fn);
         },
         JIFFI_E_INVALID_ARGUMENT, {"address"}},
        {"signature of another context",
         [](jiffi_context* c) {
             jiffi_context* other = nullptr;
             if (jiffi_error* e = jiffi_context_create(JIFFI_BACKEND_AUTO, &other)) return e;
             jiffi_signature* sig = nullptr;
             jiffi_error* err = jiffi_signature_parse(other, "int (void)", &sig);
             jiffi_function* fn = nullptr;
             if (!err) err = jiffi_function_create(c, reinterpret_cast<void*>(&dummy_function), sig, &fn);
             jiffi_function_destroy(fn);
             jiffi_context_destroy(other);
             return err;
         },
         JIFFI_E_INVALID_ARGUMENT, {"another context"}},
        {"type info index out of range",
         [](jiffi_context* c) {
             jiffi_signature* sig = nullptr;
             if (jiffi_error* e = jiffi_signature_parse(c, "int (int, int)", &sig)) return e;
             jiffi_type_info info;
             return jiffi_signature_type_info(sig, 2, &info);
         },
         JIFFI_E_INVALID_ARGUMENT, {"index 2"}},
        {"union by value on libffi",
         [](jiffi_context*) {
             return on_libffi([](jiffi_context* c) {
                 jiffi_cdef(c, "union bv { int i; double d; };");
                 return bind_libc(c, "abs", "int (union bv)");
             });
         },
         JIFFI_E_UNSUPPORTED, {"union bv"}},
        {"__int128 on libffi",
         [](jiffi_context*) {
             return on_libffi([](jiffi_context* c) { return bind_libc(c, "abs", "int (__int128)"); });
         },
         JIFFI_E_UNSUPPORTED, {"__int128"}},
        {"unknown backend",
         [](jiffi_context*) {
             jiffi_context* x = nullptr;
             return jiffi_context_create(static_cast<jiffi_backend>(7), &x);
         },
         JIFFI_E_INVALID_ARGUMENT, {"backend 7"}},
        {"context create with NULL out", [](jiffi_context*) { return jiffi_context_create(JIFFI_BACKEND_AUTO, nullptr); },
         JIFFI_E_INVALID_ARGUMENT, {"out"}},
        {"callback with NULL handler",
         [](jiffi_context* c) {
             jiffi_signature* sig = nullptr;
             if (jiffi_error* e = jiffi_signature_parse(c, "int (int)", &sig)) return e;
             jiffi_callback* cb = nullptr;
             return jiffi_callback_create(c, sig, nullptr, nullptr, &cb);
         },
         JIFFI_E_INVALID_ARGUMENT, {"handler"}},
    };
    return t;
}

}  // namespace

TEST_CASE("every bad input gives its error code and names the input") {
    size_t checked = 0;
    for (const BadInput& b : table()) {
        CAPTURE(b.what);
        jiffi_context* ctx = nullptr;
        REQUIRE(jiffi_context_create(JIFFI_BACKEND_AUTO, &ctx) == nullptr);
        jiffi_error* err = b.run(ctx);
        REQUIRE_MESSAGE(err != nullptr, "no error for: " << b.what);
        std::string msg = jiffi_error_message(err);
        CAPTURE(msg);
        CHECK(jiffi_error_code(err) == b.code);
        for (const std::string& m : b.mentions) CHECK_MESSAGE(msg.find(m) != std::string::npos, "missing '" << m << "'");
        jiffi_error_dispose(err);
        jiffi_context_destroy(ctx);
        ++checked;
    }
    MESSAGE("bad inputs checked: " << checked);
    CHECK(checked >= 30);
}

TEST_CASE("calls with missing pieces do nothing instead of crashing") {
    jiffi_function_call(nullptr, nullptr, nullptr);
    CHECK(!jiffi_function_invoker(nullptr));
    CHECK(jiffi_function_address(nullptr) == nullptr);
    CHECK(jiffi_signature_arg_count(nullptr) == 0);
    CHECK(jiffi_error_code(nullptr) == 0);
    CHECK(std::string(jiffi_error_message(nullptr)).empty());
    jiffi_error_dispose(nullptr);
    jiffi_library_close(nullptr);
    jiffi_function_destroy(nullptr);
    jiffi_context_destroy(nullptr);
    jiffi_callback_release(nullptr);
    CHECK(jiffi_callback_code(nullptr) == nullptr);
    CHECK(std::string(jiffi_error_code_name(JIFFI_E_LIBRARY_NOT_FOUND)) == "library not found");
}

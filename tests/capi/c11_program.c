/* A C11 program using the core of jiffi.h: contexts, declarations, signatures,
   libraries, functions, variadic call sites and errors. Exits nonzero on any failure. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "jiffi/jiffi.h"

static int failures = 0;
static int checks = 0;

#define CHECK(cond)                                                         \
    do {                                                                    \
        ++checks;                                                           \
        if (!(cond)) {                                                      \
            ++failures;                                                     \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                   \
    } while (0)

/* Reports and disposes err; returns 1 if there was an error. */
static int failed(jiffi_error *err, const char *what) {
    if (!err) return 0;
    fprintf(stderr, "%s: %s (code %d)\n", what, jiffi_error_message(err), jiffi_error_code(err));
    jiffi_error_dispose(err);
    ++failures;
    return 1;
}

struct vec2 { float x, y; };

static struct vec2 vscale(struct vec2 v, float k) {
    struct vec2 r = { v.x * k, v.y * k };
    return r;
}

/* vscale's address as the void * the API takes (ISO C has no direct cast). */
static void *function_address(void) {
    struct vec2 (*fp)(struct vec2, float) = vscale;
    void *p;
    memcpy(&p, &fp, sizeof p);
    return p;
}

#define STR2(x) #x
#define STR(x) STR2(x)

int main(void) {
    /* The library is the version of the header it was built with. */
    CHECK(strcmp(jiffi_version(), STR(JIFFI_VERSION_MAJOR) "." STR(JIFFI_VERSION_MINOR) "."
                                      STR(JIFFI_VERSION_PATCH)) == 0);
    jiffi_context *ctx = NULL;
    if (failed(jiffi_context_create(JIFFI_BACKEND_AUTO, &ctx), "context")) return 1;
    CHECK(jiffi_context_backend(ctx) == JIFFI_BACKEND_AUTO);

    if (failed(jiffi_cdef(ctx, "struct vec2 { float x, y; };\n"
                               "size_t strlen(const char *s);"), "cdef")) return 1;

    /* A library by short name, a symbol, a function bound by name. */
    jiffi_library *libc = NULL;
    if (failed(jiffi_library_open(ctx, "libc", &libc), "open libc")) return 1;
    void *strlen_addr = NULL;
    if (!failed(jiffi_library_symbol(libc, "strlen", &strlen_addr), "symbol")) CHECK(strlen_addr != NULL);

    jiffi_signature *strlen_sig = NULL;
    if (failed(jiffi_signature_parse(ctx, "strlen", &strlen_sig), "parse strlen")) return 1;
    CHECK(jiffi_signature_arg_count(strlen_sig) == 1);
    jiffi_function *strlen_fn = NULL;
    if (failed(jiffi_function_bind(libc, "strlen", strlen_sig, &strlen_fn), "bind strlen")) return 1;
    jiffi_slot arg, ret;
    arg.ptr = "hello";
    jiffi_function_call(strlen_fn, &arg, &ret);
    CHECK(ret.u64 == 5);
    jiffi_invoker inv = jiffi_function_invoker(strlen_fn);
    arg.ptr = "hello, world";
    inv(jiffi_function_address(strlen_fn), &arg, &ret);
    CHECK(ret.u64 == 12);

    /* libm through its file name and the keyword form. */
    jiffi_library *libm = NULL;
    if (!failed(jiffi_library_open(ctx, "libm.so.6", &libm), "open libm")) {
        jiffi_signature *pow_sig = NULL;
        jiffi_function *pow_fn = NULL;
        if (!failed(jiffi_signature_parse(ctx, ":double (:double :double)", &pow_sig), "pow sig") &&
            !failed(jiffi_function_bind(libm, "pow", pow_sig, &pow_fn), "bind pow")) {
            jiffi_slot a[2];
            a[0].f64 = 2.0;
            a[1].f64 = 0.5;
            jiffi_function_call(pow_fn, a, &ret);
            CHECK(fabs(ret.f64 - sqrt(2.0)) < 1e-15);
            jiffi_function_destroy(pow_fn);
        }
        jiffi_library_close(libm);
    }

    /* A function by address with a struct by value. */
    jiffi_signature *vs_sig = NULL;
    jiffi_function *vs_fn = NULL;
    if (!failed(jiffi_signature_parse(ctx, "struct vec2 (struct vec2, float)", &vs_sig), "vscale sig") &&
        !failed(jiffi_function_create(ctx, function_address(), vs_sig, &vs_fn), "vscale fn")) {
        struct vec2 v = { 1.5f, -2.0f }, out = { 0, 0 };
        jiffi_slot a[2];
        a[0].ptr = &v;
        a[1].f32 = 4.0f;
        jiffi_function_call(vs_fn, a, &out);
        CHECK(out.x == 6.0f && out.y == -8.0f);
        jiffi_function_destroy(vs_fn);
    }

    /* A variadic call site. */
    jiffi_signature *sn = NULL, *site = NULL;
    jiffi_function *sn_fn = NULL;
    if (!failed(jiffi_signature_parse(ctx, "int snprintf(char *, size_t, const char *, ...)", &sn), "snprintf") &&
        !failed(jiffi_signature_vararg(ctx, sn, "double, int", &site), "vararg") &&
        !failed(jiffi_function_bind(libc, "snprintf", site, &sn_fn), "bind snprintf")) {
        char buf[64];
        jiffi_slot a[5];
        a[0].ptr = buf;
        a[1].u64 = sizeof buf;
        a[2].ptr = "%.3f/%d";
        a[3].f64 = 3.14159;
        a[4].i64 = -9;
        jiffi_function_call(sn_fn, a, &ret);
        CHECK(strcmp(buf, "3.142/-9") == 0);
        CHECK(ret.i64 == 8);
        jiffi_function_destroy(sn_fn);
    }

    /* Errors carry a code and a message naming the input. */
    jiffi_library *none = NULL;
    jiffi_error *err = jiffi_library_open(ctx, "jiffi_c11_missing", &none);
    CHECK(err != NULL);
    if (err) {
        CHECK(jiffi_error_code(err) == JIFFI_E_LIBRARY_NOT_FOUND);
        CHECK(strstr(jiffi_error_message(err), "jiffi_c11_missing") != NULL);
        jiffi_error_dispose(err);
    }
    jiffi_signature *bad = NULL;
    err = jiffi_signature_parse(ctx, "int (int", &bad);
    CHECK(err != NULL && jiffi_error_code(err) == JIFFI_E_PARSE);
    jiffi_error_dispose(err);

    jiffi_function_destroy(strlen_fn);
    jiffi_library_close(libc);
    jiffi_context_destroy(ctx);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures ? 1 : 0;
}

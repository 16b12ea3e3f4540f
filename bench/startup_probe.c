/* One process's whole life for the start-up benchmark: a single call of strlen, made directly
   (built without jiffi) or through jiffi on the backend named by argv[1] (built with
   libjiffi.so; "jitcb": a JIT context that also makes a callback and calls it; "autowait": an
   AUTO context that then waits for the call's stub and prints "jit" once it has it). Prints
   "llvm" when libLLVM is mapped by the time the calls returned. */
#include <stdio.h>
#include <string.h>

#ifdef JIFFI_STARTUP_WITH_JIFFI
#include "jiffi/jiffi.h"

/* A callback's handler: its argument plus one. */
static void add_one(void* user_data, const jiffi_slot* args, void* ret) {
    (void)user_data;
    ((jiffi_slot*)ret)->i64 = args[0].i64 + 1;
}
#endif

/* True when a libLLVM is mapped into this process. */
static int llvm_mapped(void) {
    FILE* f = fopen("/proc/self/maps", "r");
    char line[4096];
    int found = 0;
    if (!f) return 0;
    while (!found && fgets(line, sizeof line, f)) found = strstr(line, "libLLVM") != NULL;
    fclose(f);
    return found;
}

int main(int argc, char** argv) {
    const char* text = "hello";
    size_t n = 0;
#ifdef JIFFI_STARTUP_WITH_JIFFI
    jiffi_backend backend = JIFFI_BACKEND_AUTO;
    if (argc > 1 && strcmp(argv[1], "libffi") == 0) backend = JIFFI_BACKEND_LIBFFI;
    int with_callback = argc > 1 && strcmp(argv[1], "jitcb") == 0;
    int wait_for_stub = argc > 1 && strcmp(argv[1], "autowait") == 0;
    if (argc > 1 && (strcmp(argv[1], "jit") == 0 || with_callback)) backend = JIFFI_BACKEND_JIT;
    jiffi_context* ctx = NULL;
    jiffi_library* lib = NULL;
    jiffi_signature* sig = NULL;
    jiffi_function* fn = NULL;
    if (jiffi_context_create(backend, &ctx) || jiffi_library_open(ctx, "libc", &lib) ||
        jiffi_signature_parse(ctx, "size_t strlen(const char *)", &sig) ||
        jiffi_function_bind(lib, "strlen", sig, &fn)) {
        fprintf(stderr, "startup probe: jiffi failed\n");
        return 2;
    }
    jiffi_slot a[1], r;
    a[0].ptr = (void*)text;
    jiffi_function_call(fn, a, &r);
    n = (size_t)r.u64;
    if (wait_for_stub && jiffi_function_wait_jit(fn, -1)) {
        jiffi_function_call(fn, a, &r);
        if (r.u64 != 5) return 3;
        puts("jit");
    }
    if (with_callback) {
        jiffi_signature* cb_sig = NULL;
        jiffi_callback* cb = NULL;
        if (jiffi_signature_parse(ctx, "int (int)", &cb_sig) ||
            jiffi_callback_create(ctx, cb_sig, add_one, NULL, &cb)) {
            fprintf(stderr, "startup probe: callback failed\n");
            return 2;
        }
        int (*f)(int) = (int (*)(int))jiffi_callback_code(cb);
        if (f(41) != 42) return 4;
        jiffi_callback_release(cb);
    }
#else
    size_t (*volatile f)(const char*) = strlen;
    n = f(text);
    (void)argc;
    (void)argv;
#endif
    if (n != 5) return 3;
    if (llvm_mapped()) puts("llvm");
    return 0;
}

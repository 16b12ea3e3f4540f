/* Calls strlen through jiffi on the JIT backend (which needs the JIT plugin) and prints the
   library's version and the result. */
#include <stdio.h>

#include "jiffi/jiffi.h"

int main(void) {
    jiffi_context *ctx = NULL;
    jiffi_library *lib = NULL;
    jiffi_signature *sig = NULL;
    jiffi_function *fn = NULL;
    jiffi_error *err = jiffi_context_create(JIFFI_BACKEND_JIT, &ctx);
    if (!err) err = jiffi_library_open(ctx, "libc", &lib);
    if (!err) err = jiffi_signature_parse(ctx, "size_t strlen(const char *)", &sig);
    if (!err) err = jiffi_function_bind(lib, "strlen", sig, &fn);
    if (err) {
        printf("error: %s\n", jiffi_error_message(err));
        return 1;
    }
    jiffi_slot args[1], ret;
    args[0].ptr = (void *)"hello";
    jiffi_function_call(fn, args, &ret);
    printf("jiffi %s strlen %llu\n", jiffi_version(), (unsigned long long)ret.u64);
    jiffi_context_destroy(ctx);
    return ret.u64 == 5 ? 0 : 1;
}

/* A C program on libjiffi.so: define-c-struct-auto of argv[2] from header argv[1], printing
   what it got, whether it came from the cache, and whether Clang was loaded at all. */
#include <stdio.h>
#include <string.h>

#include "jiffi/jiffi.h"

int main(int argc, char **argv) {
    if (argc != 3) return 1;
    jiffi_context *ctx = NULL;
    jiffi_error *err = jiffi_context_create(JIFFI_BACKEND_LIBFFI, &ctx);
    if (err) return 1;
    const char *headers[] = {argv[1]};
    jiffi_layout_request req;
    memset(&req, 0, sizeof req);
    req.name = argv[2];
    req.headers = headers;
    req.header_count = 1;
    jiffi_auto_record rec;
    err = jiffi_layout_discover(ctx, &req, &rec);
    if (err) {
        printf("error %d: %s\n", jiffi_error_code(err), jiffi_error_message(err));
        jiffi_error_dispose(err);
        jiffi_context_destroy(ctx);
        return 2;
    }
    jiffi_layout_stats stats;
    jiffi_layout_cache_stats(&stats);
    /* Clang mapped into this process? */
    int clang = 0;
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[1024];
    while (maps && fgets(line, sizeof line, maps))
        if (strstr(line, "libclang-cpp")) clang = 1;
    if (maps) fclose(maps);
    printf("size %zu cached %d loads %llu clang-mapped %d\n", rec.size, rec.from_cache,
           (unsigned long long)stats.discoverer_loads, clang);
    jiffi_context_destroy(ctx);
    return 0;
}

/* A library planted as libjiffi-discover.so in a working directory: loading it at all leaves
   a marker file there, which the discoverer-loading test must never find. */
#include <stdio.h>

__attribute__((constructor)) static void planted_ran(void) {
    FILE *f = fopen("planted-marker", "w");
    if (f) {
        fputs("the planted library's constructor ran\n", f);
        fclose(f);
    }
}

/* Helpers of the generated ABI fixtures: checksum folding, value derivation, pointer targets. */
#ifndef JIFFI_TESTS_ABI_FIXTURE_H
#define JIFFI_TESTS_ABI_FIXTURE_H

#include <complex.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "abi_suite.h"

#define ABI_EXPORT __attribute__((visibility("default")))
#define ABI_HIDDEN __attribute__((visibility("hidden")))

/* C11's complex constructors, for C libraries that define them only for GCC. */
#ifndef CMPLXF
#define CMPLXF(x, y) __builtin_complex((float)(x), (float)(y))
#endif
#ifndef CMPLX
#define CMPLX(x, y) __builtin_complex((double)(x), (double)(y))
#endif
#ifndef CMPLXL
#define CMPLXL(x, y) __builtin_complex((long double)(x), (long double)(y))
#endif

/* The slot class of an integer or enum type T, by its signedness. */
#define ABI_ICLASS(T) (((T)-1) < 1 ? ABI_SINT : ABI_UINT)
/* The slot class of long double: a double where it is one, memory otherwise. */
#define ABI_LDCLASS (sizeof(long double) == sizeof(double) ? ABI_DOUBLE : ABI_MEMORY)

extern ABI_HIDDEN uint64_t abi_checksum;
extern ABI_HIDDEN int abi_last_case;
/* The running checksum after each argument, which shows the first argument that differs. */
#define ABI_TRACE_SIZE 32
extern ABI_HIDDEN uint64_t abi_trace[ABI_TRACE_SIZE];

/* Folds the 64-bit value v into the running checksum h. */
ABI_HIDDEN uint64_t abi_mix(uint64_t h, uint64_t v);
/* The k-th value derived from checksum cs, for filling return values. */
ABI_HIDDEN uint64_t abi_derive(uint64_t cs, uint64_t k);
/* The bits of a float value. */
ABI_HIDDEN uint64_t abi_fbits(float f);
/* The bits of a double value. */
ABI_HIDDEN uint64_t abi_dbits(double d);
/* Folds a long double by its value split into two doubles, never by its padding bytes. */
ABI_HIDDEN uint64_t abi_ldfold(uint64_t h, long double x);
/* Equality of two long doubles by value. */
ABI_HIDDEN int abi_ldeq(long double a, long double b);
/* A finite float made from derived bits. */
ABI_HIDDEN float abi_mkf(uint64_t d);
/* A finite double made from derived bits. */
ABI_HIDDEN double abi_mkd(uint64_t d);
/* A finite long double using all 64 bits of d, so that a truncation to double shows. */
ABI_HIDDEN long double abi_mkld(uint64_t d);
/* An unsigned __int128 made from two derived values. */
ABI_HIDDEN unsigned __int128 abi_mk128(uint64_t hi, uint64_t lo);

/* Pointer targets and functions that generated pointer arguments point at, in the one
   library both fixture libraries link (abi_targets.c), so that a pointer argument has the same
   value whichever compiler's caller passes it. */
extern ABI_EXPORT int abi_tgt_ints[8];
extern ABI_EXPORT double abi_tgt_dbls[4];
extern ABI_EXPORT char abi_tgt_str[16];
/* A target for int (*)(int) arguments. */
ABI_EXPORT int abi_fn_ii(int x);
/* A target for double (*)(double, double) arguments. */
ABI_EXPORT double abi_fn_ddd(double a, double b);
/* A target for void (*)(void) arguments. */
ABI_EXPORT void abi_fn_v(void);

#endif /* JIFFI_TESTS_ABI_FIXTURE_H */

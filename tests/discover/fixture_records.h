/* Records whose layouts the discover tests compare with the compiler's (C and C++). */
#ifndef JIFFI_TEST_FIXTURE_RECORDS_H
#define JIFFI_TEST_FIXTURE_RECORDS_H

#include <stdint.h>

#ifdef __cplusplus
#define JD_BOOL bool
#else
#define JD_BOOL _Bool
#endif

struct jd_bits {
    unsigned a : 3;
    unsigned b : 7;
    int : 0;
    signed char c : 5;
    uint64_t d : 40;
    JD_BOOL e : 1;
    short f;
};

#pragma pack(push, 2)
struct jd_packed2 {
    char a;
    double b;
    int c : 20;
};
#pragma pack(pop)

typedef struct {
    int kind;
    union {
        long l;
        double d;
        struct { char c1, c2; };
    };
    struct { short s1, s2; } named;
} jd_anon_t;

struct __attribute__((aligned(32))) jd_aligned {
    char c;
};

struct jd_flex {
    int n;
    long items[];
};

struct jd_vec2 {
    float x, y;
};

#endif

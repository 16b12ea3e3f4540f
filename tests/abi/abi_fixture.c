/* The helpers every generated ABI fixture uses, compiled once into the fixture library. */
#include "abi_fixture.h"

uint64_t abi_checksum;
int abi_last_case;
uint64_t abi_trace[ABI_TRACE_SIZE];


uint64_t abi_mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 33);
}

uint64_t abi_derive(uint64_t cs, uint64_t k)
{
    uint64_t z = cs + (k + 1) * 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t abi_fbits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

uint64_t abi_dbits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

uint64_t abi_ldfold(uint64_t h, long double x)
{
    double hi = (double)x;
    double lo = (double)(x - (long double)hi);
    return abi_mix(abi_mix(h, abi_dbits(hi)), abi_dbits(lo));
}

int abi_ldeq(long double a, long double b)
{
    return a == b || (a != a && b != b);
}

float abi_mkf(uint64_t d)
{
    return (float)(int32_t)(uint32_t)d * 0x1p-8f;
}

double abi_mkd(uint64_t d)
{
    return (double)(int64_t)d * 0x1p-20;
}

long double abi_mkld(uint64_t d)
{
    return (long double)(int64_t)(d | 1) * 0x1p-20L;
}

unsigned __int128 abi_mk128(uint64_t hi, uint64_t lo)
{
    return ((unsigned __int128)hi << 64) | lo;
}

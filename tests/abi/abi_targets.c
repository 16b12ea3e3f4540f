/* The objects and functions that generated pointer arguments point at, shared by both fixture libraries. */
#include "abi_fixture.h"

int abi_tgt_ints[8];
double abi_tgt_dbls[4];
char abi_tgt_str[16] = "jiffi abi suite";

int abi_fn_ii(int x)
{
    return x + 1;
}

double abi_fn_ddd(double a, double b)
{
    return a * b;
}

void abi_fn_v(void)
{
}

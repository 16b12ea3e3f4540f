// The values of the C declaration parser's integer constant expressions and the integer
// type rules they are computed by (ranks, widths, conversions); the evaluator itself is
// the constant-expression half of Parser (marshal/cdecl.hpp), defined in cconst.cpp.
#pragma once

#include <cstdint>
#include <string>

#include "marshal/type.hpp"

namespace jiffi::detail::cparse {

using Wide = __int128;

// A value in a constant expression: its C type and, for an integer constant, its bits.
struct Value {
    const Type* type = nullptr;
    uint64_t bits = 0;     // sign- or zero-extended from the width of the type
    bool constant = true;  // false for variables, members and addresses (typed only)
};

// The integer conversion rank of an integer type (0 for other types).
int prim_rank(Prim p);

// The width in bits of an integer type (0 for other types).
unsigned prim_bits(Prim p);

// The unsigned type of the same rank as a signed integer type.
Prim unsigned_of(Prim p);

// The decimal spelling of a 128-bit integer.
std::string wide_to_string(Wide v);

}  // namespace jiffi::detail::cparse

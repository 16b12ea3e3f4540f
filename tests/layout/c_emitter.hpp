// Renders test records as C with the layout jiffi computed, for the compilers to check.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "layout_cases.hpp"

namespace jiffi::detail::test {

// One number the compiler must agree with: a sizeof, _Alignof or offsetof.
struct Fact {
    std::string label;     // "sizeof(struct jl_4)", "offsetof(struct jl_4, f2.f3)"
    uint64_t expected = 0;
    size_t subject = 0;    // index into CaseSet::subjects
    bool is_offset = false;
};

// One named bit-field, probed by setting it to all ones.
struct BitProbe {
    std::string label;        // "struct jl_4.f2"
    size_t subject = 0;
    uint64_t first_bit = 0;   // offset_bits from the start of the subject
    uint32_t width = 0;
};

// The C text of a case set and what jiffi expects the compiler to find.
//
// The text defines every enum and subject, then (unless JL_NO_ASSERTS) a _Static_assert
// per fact whose message is "jl <fact index>", then the data the test reads back from the
// object file: "unsigned long long jl_facts[]" holding every fact in order and, per probe,
// a global "jl_img_<probe index>" of the subject's type with the bit-field set to -1 by a
// designated initializer. With JL_PROBE_MAIN it also defines a function per probe, which
// zeroes an object, stores -1 into the bit-field and prints "<index> <first> <last>
// <count>" of the set bits (little-endian bit numbering: bit b is bit b%8 of byte b/8), and
// main() calling them all.
// Assertions of gcc_only subjects are hidden from Clang.
struct CProgram {
    std::string text;
    std::vector<Fact> facts;
    std::vector<BitProbe> probes;
};

// Renders set (laid out in types) as one C translation unit without system headers.
CProgram emit_c_program(const TypeTable& types, const CaseSet& set);

}  // namespace jiffi::detail::test

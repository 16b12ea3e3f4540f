// Random C prototypes for the Clang-oracle test of the classifiers, and the hand-picked traps.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace jiffi::detail::test {

// One prototype: C declarations both jiffi and Clang read, and for a variadic prototype a
// call site that only Clang compiles.
struct GenCase {
    std::string fn;                   // the function's name
    std::string decls;                // record/enum definitions and the prototype
    bool variadic = false;
    std::vector<std::string> extra;   // a variadic call's extra argument types (C type names)
    std::string caller;               // C code of a function calling fn (variadic only)
    std::string what;                 // a short note for failure messages
};

// What the generator may emit on one target.
struct GenOptions {
    bool aarch64 = false;             // the target's long double is not x87
};

// count random prototypes from seed; names and tags are prefixed with prefix.
std::vector<GenCase> generate_cases(uint64_t seed, size_t count, const GenOptions& opt,
                                    const std::string& prefix);

// The traps of docs/design.md as prototypes (all targets).
std::vector<GenCase> trap_cases();

// The whole C file Clang compiles for cases: every definition, every caller, and a table
// taking the address of each function so that Clang declares it.
std::string c_file(const std::vector<GenCase>& cases);

}  // namespace jiffi::detail::test

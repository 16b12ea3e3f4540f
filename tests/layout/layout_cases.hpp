// Records for the layout tests: hand-picked hard cases and a seeded random generator.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "marshal/type.hpp"

namespace jiffi::detail::test {

// A named record whose layout is checked against the compilers.
struct Subject {
    Record* record = nullptr;
    bool gcc_only = false;  // GCC and Clang lay it out differently: only GCC is asked
    std::string note;       // what a hand-picked case exercises
};

// Everything the tests define in one type table, in definition order.
struct CaseSet {
    std::vector<Enum*> enums;
    std::vector<Subject> subjects;
    int next_tag = 0;  // numbers the tags "jl_<n>" of subjects
};

// The default seed of the random records; JIFFI_LAYOUT_SEED overrides it.
inline constexpr uint64_t kDefaultSeed = 20240611;

// A member of a record under construction.
struct FieldSpec {
    std::string name;            // empty for unnamed bit-fields and anonymous members
    const Type* type = nullptr;
    int width = -1;              // >= 0 makes a bit-field
    uint32_t align = 0;          // __attribute__((aligned(N))) on the member
    bool packed = false;         // __attribute__((packed)) on the member
    bool anonymous = false;      // an anonymous struct or union member
};

// Attributes of a record under construction.
struct RecordSpec {
    bool is_union = false;
    bool packed = false;
    uint32_t pack = 0;
    uint32_t align = 0;
};

// Builds and completes a record; a subject (tagged "jl_<n>") unless anonymous is set.
Record* make_record(TypeTable& types, CaseSet& set, const RecordSpec& spec,
                    const std::vector<FieldSpec>& fields, bool anonymous = false,
                    const std::string& note = "", bool gcc_only = false);

// Makes a complete enum of the given underlying type whose C definition implies that type.
const Type* make_enum(TypeTable& types, CaseSet& set, Prim underlying);

// Adds the hand-picked hard cases.
void add_hand_picked_cases(TypeTable& types, CaseSet& set);

// Adds count random records drawn from seed; the same seed and count build the same
// records in any type table (no choice depends on the target).
void add_random_cases(TypeTable& types, CaseSet& set, uint64_t seed, int count);

}  // namespace jiffi::detail::test

// Record layout by the C rules GCC and Clang follow on LP64 System V and AAPCS64 targets.
#pragma once

#include "marshal/target.hpp"
#include "marshal/type.hpp"

namespace jiffi::detail {

// Sets every field's offset_bits and the record's size and align from its fields,
// attributes and #pragma pack, as GCC and Clang do for types.target(). Nested records must be
// complete already. Throws Error(INCOMPLETE_TYPE / INVALID_TYPE) naming the field for a
// member of incomplete type, a flexible array not last, or a bitfield wider than its type.
void compute_record_layout(Record& rec, const TypeTable& types);

// Installs compute_record_layout as the record layouter of types.
void install_record_layout(TypeTable& types);

}  // namespace jiffi::detail

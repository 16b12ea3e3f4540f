// The foreign surface over a context's types: the facts of a type as the C API describes
// them, members and field paths of records, records defined member by member.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "jiffi/jiffi.h"
#include "marshal/type.hpp"
#include "runtime/context.hpp"

namespace jiffi::detail {

// Fills d with the facts about t, spelled as spelling (docs/c-api.md "Signature text and
// type spellings").
void describe(const TypeTable& types, const Type* t, const std::string& spelling, jiffi_type_detail& d);

// Appends the names of rec's named members, anonymous members' fields flattened.
void member_names(const Record& rec, std::vector<std::string>& out);

// The complete record type a type name names; fails naming it otherwise.
const Type* record_type(jiffi_context* ctx, const char* name);

// Resolves a field path ("a.b[2]") from record type t, filling info.
void resolve_path(const TypeTable& types, const Type* t, const std::string& path, jiffi_field_info& info);

// Defines the struct (or union) tag in ctx with fields[0..count) in order (bit_width 0: not
// a bitfield); the same definition again is no error, another one is REDEFINITION. Fails
// naming the member at fault.
void define_record(jiffi_context* ctx, const char* tag, bool is_union, const jiffi_field_spec* fields, size_t count);

}  // namespace jiffi::detail

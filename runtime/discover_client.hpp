// define-c-struct-auto's client in the runtime: records discovered from C headers through the
// layout cache and, on a miss, libjiffi-discover.so (docs/c-api.md "Layout discovery").
#pragma once

#include <cstddef>

#include "jiffi/jiffi.h"
#include "runtime/context.hpp"

namespace jiffi::detail {

// Registers in ctx the record req names (from the cache or the discoverer) and fills out
// with its name, size, alignment and member count; fails naming the record.
void layout_discover(jiffi_context* ctx, const jiffi_layout_request& req, jiffi_auto_record& out);

// Fills out with member index of the complete record type_name (anonymous members' fields
// flattened); fails for an index past the members or a type that is not such a record.
void layout_member(jiffi_context* ctx, const char* type_name, size_t index, jiffi_auto_member& out);

// The layout cache's counters since the process began.
jiffi_layout_stats layout_cache_stats() noexcept;

}  // namespace jiffi::detail

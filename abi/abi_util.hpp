// Helpers shared by the classifiers: Clang's IR types of C types, IR data layout, C type queries.
#pragma once

#include <cstdint>
#include <vector>

#include "abi/call_plan.hpp"

namespace jiffi::detail::abi {

// The IR type Clang converts t to (CodeGenTypes::ConvertType): _Bool is i1, records are
// lowered as CGRecordLowering does (padding arrays, bitfield storage units, union storage).
IrType ir_type_of(const TypeTable& types, const Type* t);
// The IR type t is stored as in memory (ConvertTypeForMem): _Bool is i8, else ir_type_of.
IrType ir_mem_type_of(const TypeTable& types, const Type* t);

// The IR type's ABI alignment in bytes under the LP64 data layouts of both targets.
uint32_t ir_align(const IrType& t);
// The IR type's allocation size in bytes (its store size rounded up to its alignment).
uint64_t ir_alloc_size(const IrType& t);
// The IR type's size in bits (x86_fp80 is 80, i24 is 24).
uint64_t ir_size_bits(const IrType& t);
// The byte offset of every member of a Struct IR type.
std::vector<uint64_t> ir_struct_offsets(const IrType& t);

// The type with enums replaced by their underlying integer type.
const Type* strip_enum(const TypeTable& types, const Type* t);
// Clang's isPromotableIntegerTypeForABI: _Bool, the char and short types (enums by their
// underlying type), which a caller or callee must widen to int.
bool is_promotable_integer(const TypeTable& types, const Type* t);
// Clang's isAggregateTypeForABI: records, arrays and _Complex values.
bool is_aggregate(const Type* t);
// The complex type's element type (float, double or long double).
const Type* complex_element(const TypeTable& types, const Type* t);
// Clang's isEmptyRecord(AllowArrays = true): every field an unnamed bitfield, a zero-length
// array, or an (array of) empty record.
bool is_empty_record(const Type* t);
// The alignment of t in bytes as its canonical type has it (typedef alignment dropped).
uint32_t natural_align(const TypeTable& types, const Type* t);
// The alignment a record's fields give it, before aligned attributes on the record itself
// (Clang's ASTRecordLayout::getUnadjustedAlignment); natural alignment for other types.
uint32_t unadjusted_align(const TypeTable& types, const Type* t);
// True for a floating-point scalar type (float, double, long double).
bool is_float_prim(const Type* t);

// Clang's noundef on a parameter: Indirect and Extend always; Direct when t is a scalar (or
// _Complex) and the coerced type adds no bits beyond t's.
bool param_noundef(const TypeTable& types, const Type* t, const ArgPlan& a);

}  // namespace jiffi::detail::abi

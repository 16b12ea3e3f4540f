// C types, interned per TypeTable so that equal types are one object.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "marshal/target.hpp"

namespace jiffi::detail {

enum class Prim : uint8_t {
#define JIFFI_PRIM(id, spelling, cls, size, align) id,
#include "marshal/prims.def"
#undef JIFFI_PRIM
};

// The class column of prims.def.
enum class PrimClass : uint8_t { Void, Bool, Char, Signed, Unsigned, Float, Complex };

PrimClass prim_class(Prim p);
const char* prim_spelling(Prim p);

enum class TypeKind : uint8_t { Prim, Pointer, Array, Function, Record, Enum };

// Qualifier bits on a pointer's pointee.
enum : uint8_t { Q_CONST = 1, Q_VOLATILE = 2, Q_RESTRICT = 4 };

struct Record;
struct Enum;

// A type in C syntax cut where a declarator's name goes: the base type with its qualifiers
// ("const char"), the declarator text before the name ("*", "(*") and after it ("[3]",
// ")(double)"). TypeTable::spelling gives a type's structural spelling (typedefs resolved);
// the parser gives the spelling as written (typedef names kept, docs/c-api.md "Signature
// text and type spellings").
struct TypeSpelling {
    std::string base;
    std::string prefix;
    std::string suffix;

    // The spelling with name in its place (a name, a whole declarator such as "f(int)", or
    // empty for the abstract type name), joined as TypeTable::to_string joins.
    std::string str(const std::string& name = "") const;
};

// The text of qualifier bits as a spelling puts them before what they qualify ("const ").
std::string qualifier_text(uint8_t quals);

// A function type spelled from its return and parameter spellings, with an optional name,
// as TypeTable::to_string spells a function type ("size_t wcslen(const wchar_t *)").
std::string function_spelling(const TypeSpelling& ret, const std::vector<std::string>& params,
                              bool variadic, const std::string& name = "");

// One C type. Immutable once interned, except that a Record or Enum it names may be
// completed later (a forward-declared struct defined afterwards).
struct Type {
    TypeKind kind = TypeKind::Prim;
    Prim prim = Prim::Void;            // Prim
    uint8_t quals = 0;                 // Pointer: qualifiers of the pointee
    bool variadic = false;             // Function: ends in "..."
    bool flexible = false;             // Array: flexible array member "[]"
    uint32_t align_override = 0;       // typedef'd with __attribute__((aligned(N))), 0 if not
    const Type* inner = nullptr;       // Pointer: pointee; Array: element; Function: return
    uint64_t count = 0;                // Array: element count (0 for flexible)
    std::vector<const Type*> params;   // Function: parameter types (adjusted)
    Record* record = nullptr;          // Record
    Enum* enumeration = nullptr;       // Enum

    bool is_void() const { return kind == TypeKind::Prim && prim == Prim::Void; }
    bool is_record() const { return kind == TypeKind::Record; }
    bool is_pointer() const { return kind == TypeKind::Pointer; }
    bool is_function() const { return kind == TypeKind::Function; }
    bool is_array() const { return kind == TypeKind::Array; }
    // An integer type: _Bool, the char types, the integers and enums.
    bool is_integer() const;
    // A scalar: integer, floating point (not complex) or pointer.
    bool is_scalar() const;
};

// One member of a record. Bit offsets count from the start of the record whose field list
// holds it (the fields of an anonymous member are relative to that member's record).
struct Field {
    std::string name;            // empty for unnamed bitfields and anonymous members
    const Type* type = nullptr;
    uint64_t offset_bits = 0;    // set by layout
    uint32_t bit_width = 0;      // bitfields only
    bool is_bitfield = false;
    bool anonymous = false;      // anonymous struct/union member (its fields are visible)
    uint32_t align_attr = 0;     // __attribute__((aligned(N))) on the member, 0 if none
    bool packed_attr = false;    // __attribute__((packed)) on the member
};

// A struct or union. Nominal: each definition is its own object.
struct Record {
    std::string tag;             // empty for an anonymous record
    bool is_union = false;
    bool complete = false;
    bool packed = false;         // __attribute__((packed)) on the record
    uint32_t pack = 0;           // #pragma pack(N) in force at the definition, 0 if none
    uint32_t align_attr = 0;     // __attribute__((aligned(N))) on the record, 0 if none
    std::vector<Field> fields;
    uint64_t size = 0;           // set by layout
    uint32_t align = 1;          // set by layout
    const Type* type = nullptr;  // the interned type naming this record

    bool has_bitfields() const;          // directly or in a nested/anonymous member
    bool has_flexible_array() const;     // the last member is "T name[]"
    std::string display_name() const;    // "struct tag", "union <anonymous>"
};

struct Enumerator {
    std::string name;
    int64_t value = 0;           // the value, as the underlying type's bits sign-extended
};

// An enum and its underlying integer type.
struct Enum {
    std::string tag;
    bool complete = false;
    bool packed = false;         // __attribute__((packed)): smallest underlying type
    bool fixed_underlying = false;  // "enum E : type" (C23)
    Prim underlying = Prim::UInt;
    std::vector<Enumerator> values;
    const Type* type = nullptr;
    std::string display_name() const;
};

// Interns types for one target. Thread-safe: every method may be called concurrently.
class TypeTable {
public:
    explicit TypeTable(Target target);
    TypeTable(const TypeTable&) = delete;
    TypeTable& operator=(const TypeTable&) = delete;

    const Target& target() const { return target_; }

    const Type* prim(Prim p) const { return prims_[static_cast<size_t>(p)]; }
    const Type* pointer(const Type* pointee, uint8_t quals = 0);
    const Type* array(const Type* element, uint64_t count);
    const Type* flexible_array(const Type* element);
    const Type* function(const Type* ret, std::vector<const Type*> params, bool variadic);
    // The type with its alignment raised (or, in a packed context, set) to align.
    const Type* aligned(const Type* base, uint32_t align);

    // A new, incomplete record or enum with its own interned type.
    Record* new_record(std::string tag, bool is_union);
    Enum* new_enum(std::string tag);

    // Computes a record's layout once its fields are set (installed by the layout module).
    using RecordLayouter = std::function<void(Record&, const TypeTable&)>;
    void set_record_layouter(RecordLayouter fn) { layouter_ = std::move(fn); }
    // Lays out rec by the installed layouter and marks it complete.
    void complete_record(Record& rec);

    // sizeof(t); throws Error(INCOMPLETE_TYPE) for void, functions and incomplete records.
    uint64_t size_of(const Type* t) const;
    // _Alignof(t); throws like size_of.
    uint32_t align_of(const Type* t) const;
    // True when size_of would succeed.
    bool is_complete(const Type* t) const;
    // The integer type enum and _Bool values travel as (the enum's underlying type).
    Prim integer_prim(const Type* t) const;
    bool is_signed_integer(const Type* t) const;

    // The type in C syntax, with an optional declarator name ("int (*name)(double)").
    std::string to_string(const Type* t, const std::string& name = "") const;
    // The same cut around the name: to_string(t, name) is spelling(t).str(name).
    TypeSpelling spelling(const Type* t) const;

    // The table's lock, which the fork handlers take with every other jiffi lock.
    std::mutex& fork_mutex() const { return mu_; }

private:
    const Type* intern(Type t);

    Target target_;
    RecordLayouter layouter_;
    mutable std::mutex mu_;
    std::deque<Type> types_;
    std::deque<Record> records_;
    std::deque<Enum> enums_;
    std::vector<const Type*> prims_;
    std::map<std::tuple<int, const void*, uint64_t, uint32_t, uint8_t, bool>, const Type*> derived_;
    std::map<std::tuple<const Type*, std::vector<const Type*>, bool>, const Type*> functions_;
};

}  // namespace jiffi::detail

// The C declaration parser behind jiffi_cdef and jiffi_signature_parse, and the keyword form.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "marshal/decls.hpp"
#include "marshal/type.hpp"

namespace jiffi::detail {

// Parses C declarations (after preprocessing; "#pragma pack" lines are honored) into decls.
// On error throws Error (PARSE, UNKNOWN_TYPE, REDEFINITION, CONSTANT, INCOMPLETE_TYPE,
// INVALID_TYPE) whose message gives "line L, column C" and the offending token, and
// leaves decls unchanged.
void parse_declarations(TypeTable& types, Declarations& decls, std::string_view text);

// A parsed signature: a function type and, for a prototype, its name and parameter names.
struct ParsedSignature {
    const Type* function = nullptr;      // a Function type
    std::string name;                    // empty for an abstract function type
    std::vector<std::string> param_names;  // empty strings where unnamed
    std::string symbol;                  // the __asm__ label of a declared prototype, if any
    // The return and parameter types as written: typedef names kept, the rest normalized as
    // TypeTable::to_string spells it ("const wchar_t *" for "wchar_t const *p"); parameters
    // adjusted as their types are (an array parameter spelled as the pointer it is).
    TypeSpelling ret_spelling;
    std::vector<std::string> param_spellings;
};

// A type name parsed with its spelling as written (see ParsedSignature).
struct SpelledType {
    const Type* type = nullptr;
    TypeSpelling spelling;
};

// Parses a function type or prototype in C syntax ("size_t (const char *)",
// "int printf(const char *, ...)"), the keyword form (":unsigned-long (:string)"), or a
// bare function name declared earlier with a prototype in decls ("strlen").
ParsedSignature parse_signature(TypeTable& types, const Declarations& decls,
                                std::string_view text);

// Parses a comma-separated list of type names in C or keyword syntax
// ("int, double, const char *"); an empty text gives an empty list.
std::vector<const Type*> parse_type_list(TypeTable& types, const Declarations& decls,
                                         std::string_view text);

// The same, each type with its spelling as written.
std::vector<SpelledType> parse_spelled_type_list(TypeTable& types, const Declarations& decls,
                                                 std::string_view text);

// Parses one type name in C or keyword syntax ("struct vec2", ":unsigned-long").
const Type* parse_type_name(TypeTable& types, const Declarations& decls, std::string_view text);

// The same, with its spelling as written ("wchar_t *" stays "wchar_t *").
SpelledType parse_spelled_type_name(TypeTable& types, const Declarations& decls,
                                    std::string_view text);

}  // namespace jiffi::detail

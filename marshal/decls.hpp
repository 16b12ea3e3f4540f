// The names a context's declarations define: typedefs, tags, enum constants, functions.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "marshal/type.hpp"

namespace jiffi::detail {

// A tag in C's single tag namespace: a struct, union or enum.
struct Tag {
    Record* record = nullptr;
    Enum* enumeration = nullptr;
};

// An enum constant and the enum type it belongs to.
struct EnumConstant {
    int64_t value = 0;
    const Type* type = nullptr;  // the enum's type
};

// A function prototype declared by name.
struct FunctionDecl {
    std::string name;
    const Type* type = nullptr;  // a Function type
    std::vector<std::string> param_names;
    std::string asm_label;       // the symbol named by __asm__("name"), empty if none
    // The return and parameter types as the declaration wrote them (typedef names kept),
    // for signature text and messages; type stays the structural truth.
    TypeSpelling ret_spelling;
    std::vector<std::string> param_spellings;
};

// Everything declared in one context, in the order C scopes it (one file scope).
struct Declarations {
    std::map<std::string, const Type*> typedefs;
    std::map<std::string, Tag> tags;
    std::map<std::string, EnumConstant> constants;
    std::map<std::string, FunctionDecl> functions;
    std::map<std::string, const Type*> variables;  // extern object declarations
};

// Adds the typedefs every context starts with: size_t, ssize_t, ptrdiff_t, intptr_t,
// uintptr_t, wchar_t, char16_t, char32_t, the <stdint.h> exact, least, fast and max types,
// off_t, time_t, pid_t, uid_t, gid_t, mode_t, socklen_t, and the like.
void add_builtin_typedefs(TypeTable& types, Declarations& decls);

}  // namespace jiffi::detail

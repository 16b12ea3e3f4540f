// A type table with the real record layouter and builtin typedefs, for the parser tests.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "layout/record_layout.hpp"
#include "marshal/cparse.hpp"
#include "base/error.hpp"

namespace jiffi::detail::test {

// One parsing context for a target: types, declarations and shorthand to parse into them.
struct Cx {
    TypeTable types;
    Declarations decls;

    explicit Cx(const char* triple = "x86_64-linux-gnu") : types(Target::from_triple(triple)) {
        install_record_layout(types);
        add_builtin_typedefs(types, decls);
    }

    void cdef(std::string_view text) { parse_declarations(types, decls, text); }
    const Type* type(std::string_view text) { return parse_type_name(types, decls, text); }
    std::string str(std::string_view text) { return types.to_string(type(text)); }
    ParsedSignature sig(std::string_view text) { return parse_signature(types, decls, text); }
    const Type* prim(Prim p) const { return types.prim(p); }

    // The record a tag names; fails the test if there is none.
    Record& rec(const std::string& tag) {
        auto it = decls.tags.find(tag);
        REQUIRE_MESSAGE(it != decls.tags.end(), "no tag " << tag);
        REQUIRE(it->second.record != nullptr);
        return *it->second.record;
    }

    // The enum a tag names; fails the test if there is none.
    Enum& enm(const std::string& tag) {
        auto it = decls.tags.find(tag);
        REQUIRE_MESSAGE(it != decls.tags.end(), "no tag " << tag);
        REQUIRE(it->second.enumeration != nullptr);
        return *it->second.enumeration;
    }

    // The type a typedef names; fails the test if there is none.
    const Type* td(const std::string& name) {
        auto it = decls.typedefs.find(name);
        REQUIRE_MESSAGE(it != decls.typedefs.end(), "no typedef " << name);
        return it->second;
    }

    // The value of an integer constant expression, evaluated through an enumerator.
    int64_t eval(const std::string& expr) {
        std::string name = "jiffi_test_value_" + std::to_string(counter_++);
        cdef("enum { " + name + " = " + expr + " };");
        return decls.constants.at(name).value;
    }

private:
    int counter_ = 0;
};

// Runs f and returns the Error it throws; fails the test if it throws none.
template <class F>
Error error_of(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        return e;
    }
    FAIL("no error thrown");
    return Error(ErrorCode::INTERNAL, "");
}

}  // namespace jiffi::detail::test

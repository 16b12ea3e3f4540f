// Malformed declarations and signatures: each gives its error code, position and token.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "cparse_fixture.hpp"

using namespace jiffi::detail;
using jiffi::detail::test::Cx;
using jiffi::detail::test::error_of;

namespace {

enum class Mode { Cdef, Signature, TypeName, TypeList };

struct BadInput {
    Mode mode;
    std::string setup;  // declarations parsed first (must succeed)
    std::string text;
    ErrorCode code;
    std::vector<std::string> needles;  // substrings of the message
};

std::string repeat(const std::string& s, size_t n) {
    std::string out;
    out.reserve(s.size() * n);
    for (size_t i = 0; i < n; ++i) out += s;
    return out;
}

const std::vector<BadInput>& bad_inputs() {
    using E = ErrorCode;
    const Mode C = Mode::Cdef, S = Mode::Signature, T = Mode::TypeName, L = Mode::TypeList;
    static const std::vector<BadInput> table = {
        // Syntax.
        {C, "", "int x int y;", E::PARSE,
         {"line 1, column 7: expected ';' after declaration, found 'int'"}},
        {C, "", "struct s1 { int x }", E::PARSE,
         {"line 1, column 19: expected ';' at end of member declaration, found '}'"}},
        {C, "", "struct s6 { int x;", E::PARSE, {"line 1, column 19", "'}'", "end of input"}},
        {C, "", "int @x;", E::PARSE, {"line 1, column 5", "'@'"}},
        {C, "", "int a;\n  int (x;", E::PARSE, {"line 2, column 9", "expected ')'", "';'"}},
        {C, "", "int x[3;", E::PARSE, {"line 1, column 8", "expected ']'", "';'"}},
        {C, "", "int 3x;", E::PARSE, {"line 1, column 5", "expected identifier or '('", "'3x'"}},
        {C, "", "int return;", E::PARSE, {"line 1, column 5", "'return'"}},
        {C, "", "int (*)(int);", E::PARSE, {"line 1, column 7", "expected identifier", "')'"}},
        {C, "", "struct;", E::PARSE, {"line 1, column 7", "tag name", "';'"}},
        {C, "", "enum { };", E::PARSE, {"line 1, column 8", "empty enum"}},
        {C, "", "enum e { A B };", E::PARSE, {"line 1, column 12", "'B'"}},
        {C, "", "int f(void) {", E::PARSE, {"line 1, column 14", "'}'", "end of input"}},
        {C, "", "int f(int x y);", E::PARSE, {"line 1, column 13", "'y'"}},
        {C, "", "char *s = \"unterminated;", E::PARSE, {"line 1, column 11", "missing terminating"}},
        {C, "", "int a; /* unterminated comment", E::PARSE, {"line 1, column 8", "unterminated comment"}},
        {C, "", "int x __asm__(y);", E::PARSE, {"line 1, column 15", "string", "'y'"}},
        {C, "", "int x __attribute__((packed);", E::PARSE, {"line 1, column 29", "')'", "';'"}},
        {C, "", "struct s { static int x; };", E::PARSE, {"line 1, column 12", "'static'"}},
        {C, "", "int f(static int x);", E::PARSE, {"line 1, column 7", "'static'"}},
        {C, "", "#pragma pack(push, 1", E::PARSE, {"line 1", "'#pragma pack'"}},
        {C, "", "int a;\n#pragma pack(3)\nstruct p { int x; };", E::CONSTANT,
         {"line 2, column 14", "'#pragma pack'", "3"}},
        // Names.
        {C, "", "foo_t x;", E::UNKNOWN_TYPE, {"line 1, column 1: unknown type name 'foo_t'"}},
        {C, "", "int a;\nstruct s { int x; };\n  mystery_t *p;", E::UNKNOWN_TYPE,
         {"line 3, column 3: unknown type name 'mystery_t'"}},
        {C, "", "int f(int a, widget_t w);", E::UNKNOWN_TYPE, {"line 1, column 14", "'widget_t'"}},
        {C, "", "x;", E::UNKNOWN_TYPE, {"line 1, column 1", "'x'"}},
        {C, "", "struct s2 { int x; };\nstruct s2 { long y; };", E::REDEFINITION,
         {"line 2, column 8", "struct s2"}},
        {C, "", "typedef int t1;\ntypedef long t1;", E::REDEFINITION, {"line 2, column 14", "'t1'"}},
        {C, "", "struct n { struct n { int a; } inner; };", E::REDEFINITION,
         {"line 1, column 19", "nested redefinition", "struct n"}},
        {C, "", "struct t; union t *p;", E::REDEFINITION, {"line 1, column 17", "'union t'"}},
        {C, "", "enum e { A, B }; enum e { C };", E::REDEFINITION, {"line 1, column 23", "enum e"}},
        {C, "", "enum e { A }; int A;", E::REDEFINITION, {"line 1, column 19", "'A'"}},
        {C, "", "enum e { A, A };", E::REDEFINITION, {"line 1, column 13", "'A'"}},
        {C, "", "struct d { int x; int x; };", E::REDEFINITION, {"line 1, column 23", "duplicate member 'x'"}},
        {C, "", "struct d { int x; union { int x; }; };", E::REDEFINITION,
         {"line 1, column 19", "duplicate member 'x'"}},
        {C, "", "int f(int a, int a);", E::REDEFINITION, {"line 1, column 18", "parameter 'a'"}},
        {C, "", "int f(int); long f(int);", E::REDEFINITION, {"line 1, column 18", "conflicting types for 'f'"}},
        {C, "", "int v; typedef int v;", E::REDEFINITION, {"line 1, column 20", "'v'"}},
        {C, "", "int x; int x[2];", E::REDEFINITION, {"line 1, column 12", "'x'"}},
        // Types that cannot be.
        {C, "", "struct s4 { void v; };", E::INVALID_TYPE, {"line 1, column 18", "field 'v'", "void"}},
        {C, "", "struct s5 { int wide : 40; };", E::INVALID_TYPE, {"line 1, column 24", "'wide'", "40 bits"}},
        {C, "", "struct b { float f : 3; };", E::INVALID_TYPE, {"line 1, column 22", "'f'", "'float'"}},
        {C, "", "struct b { int x : 0; };", E::INVALID_TYPE, {"line 1, column 20", "'x'", "zero width"}},
        {C, "", "struct b { _Bool x : 2; };", E::INVALID_TYPE, {"line 1, column 22", "'x'", "1 bits"}},
        {C, "", "struct b { int (f)(void); };", E::INVALID_TYPE, {"line 1, column 17", "'f'", "function"}},
        {C, "", "struct f { double d[]; int n; };", E::INVALID_TYPE,
         {"line 1, column 19", "flexible array member 'd'"}},
        {C, "", "struct f { double d[]; };", E::INVALID_TYPE, {"line 1, column 19", "'d'", "no named members"}},
        {C, "", "int f(void)[3];", E::INVALID_TYPE, {"line 1, column 6", "function returning an array"}},
        {C, "", "typedef int fa[3](void);", E::INVALID_TYPE, {"line 1, column 15", "array of functions"}},
        {C, "", "int (*g)(int)(int);", E::INVALID_TYPE, {"line 1, column 9", "function returning a function"}},
        {C, "", "typedef void va[2];", E::INVALID_TYPE, {"line 1, column 16", "'void'"}},
        {C, "", "long long long x;", E::INVALID_TYPE, {"line 1, column 11", "'long long long'"}},
        {C, "", "unsigned float x;", E::INVALID_TYPE, {"line 1, column 10", "'float'"}},
        {C, "", "int char x;", E::INVALID_TYPE, {"line 1, column 5", "'char'"}},
        {C, "", "signed unsigned x;", E::INVALID_TYPE, {"line 1, column 8", "'unsigned'"}},
        {C, "", "typedef int t; t int x;", E::INVALID_TYPE, {"line 1, column 18", "'int'"}},
        {C, "", "_Atomic int x;", E::INVALID_TYPE, {"line 1, column 1", "'_Atomic'"}},
        {C, "", "int f(void x);", E::INVALID_TYPE, {"line 1, column 7", "'void'"}},
        {C, "", "int f(int, void);", E::INVALID_TYPE, {"line 1, column 12", "parameter 2", "'void'"}},
        {C, "", "int f(const void);", E::INVALID_TYPE, {"line 1, column 7", "qualified"}},
        {C, "", "void v;", E::INVALID_TYPE, {"line 1, column 6", "'v'", "void"}},
        {C, "", "enum e : float { A };", E::INVALID_TYPE, {"line 1, column 10", "'float'"}},
        {C, "", "typedef int q __attribute__((mode(XF)));", E::INVALID_TYPE, {"line 1, column 35", "'XF'"}},
        // Completeness.
        {C, "", "struct s3 { struct nope n; };", E::INCOMPLETE_TYPE,
         {"line 1, column 25", "field 'n'", "'struct nope'"}},
        {C, "", "struct r { struct r self; };", E::INCOMPLETE_TYPE, {"line 1, column 21", "'self'", "struct r"}},
        {C, "", "typedef struct s s_t; s_t v[2];", E::INCOMPLETE_TYPE,
         {"line 1, column 28", "array element", "'struct s'"}},
        {C, "", "typedef int arr[3][];", E::INCOMPLETE_TYPE, {"line 1, column 16", "'int[]'"}},
        {C, "", "enum later; struct b { enum later e : 2; };", E::INCOMPLETE_TYPE,
         {"line 1, column 39", "'enum later'"}},
        {C, "", "typedef int t[sizeof(struct undefined_s)];", E::INCOMPLETE_TYPE,
         {"line 1, column 15", "struct undefined_s"}},
        {C, "", "typedef int t[__builtin_offsetof(struct nope2, x)];", E::INCOMPLETE_TYPE,
         {"line 1, column 34", "struct nope2"}},
        // Constants.
        {C, "", "typedef int arr1[1/0];", E::CONSTANT, {"line 1, column 19", "division by zero"}},
        {C, "", "typedef int arr1[5 % (2 - 2)];", E::CONSTANT, {"line 1, column 20", "division by zero"}},
        {C, "", "typedef int arr2[-1];", E::CONSTANT, {"line 1, column 18", "'arr2'", "negative"}},
        {C, "", "typedef char big[99999999999999999999999];", E::CONSTANT,
         {"line 1, column 18", "'99999999999999999999999'", "too large"}},
        {C, "", "typedef char big2[0x7fffffffffffffff];", E::CONSTANT, {"line 1, column 18", "too large"}},
        {C, "", "typedef int t[08];", E::CONSTANT, {"line 1, column 15", "'8'", "'08'"}},
        {C, "", "typedef int t[1.5];", E::CONSTANT, {"line 1, column 15", "'1.5'", "floating"}},
        {C, "", "typedef int t[3x];", E::CONSTANT, {"line 1, column 15", "suffix 'x'"}},
        {C, "", "typedef int t[n];", E::CONSTANT, {"line 1, column 15", "undeclared identifier 'n'"}},
        {C, "", "typedef int t[\"abc\"];", E::CONSTANT, {"line 1, column 15", "not an integer constant"}},
        {C, "", "typedef int t[1 << -1];", E::CONSTANT, {"line 1, column 17", "shift count -1"}},
        {C, "", "enum e { A = 1 << 32 };", E::CONSTANT, {"line 1, column 16", "shift count 32"}},
        {C, "", "typedef int t[''];", E::CONSTANT, {"line 1, column 15", "empty character constant"}},
        {C, "", "struct b { int x : -1; };", E::CONSTANT, {"line 1, column 20", "'x'", "negative width"}},
        {C, "", "enum e { A = B };", E::CONSTANT, {"line 1, column 14", "'B'"}},
        {C, "", "enum e { A = 0xffffffffffffffff, B };", E::CONSTANT, {"line 1, column 34", "'B'", "overflows"}},
        {C, "", "enum e { A = -1, B = 0xffffffffffffffff };", E::CONSTANT,
         {"line 1, column 8", "exceed the range"}},
        {C, "", "enum e : unsigned char { A = 256 };", E::CONSTANT, {"line 1, column 26", "256", "unsigned char"}},
        {C, "", "int x __attribute__((aligned(3)));", E::CONSTANT, {"line 1, column 30", "power of 2"}},
        {C, "", "int x __attribute__((aligned(1 << 30)));", E::CONSTANT, {"line 1, column 30", "too large"}},
        {C, "", "_Static_assert(sizeof(int) == 8, \"int is 4\");", E::CONSTANT,
         {"line 1, column 16", "static assertion failed: int is 4"}},
        {C, "struct q { int a : 3; };", "typedef int t[__builtin_offsetof(struct q, a)];", E::CONSTANT,
         {"line 1, column 15", "bit-field 'a'"}},
        {C, "struct q2 { int a; };", "typedef int t[__builtin_offsetof(struct q2, zz)];", E::CONSTANT,
         {"line 1, column 45", "no member 'zz'"}},
        // Signatures, type names and type lists.
        {S, "", "int (", E::PARSE, {"line 1, column 6", "end of input"}},
        {S, "", "int f(int) extra", E::PARSE, {"line 1, column 12", "'extra'"}},
        {S, "", "struct p { int x; } f(void)", E::PARSE, {"line 1, column 1", "not allowed"}},
        {S, "", "mystery_t (int)", E::UNKNOWN_TYPE, {"line 1, column 1", "'mystery_t'"}},
        {S, "", ":integer (:int)", E::UNKNOWN_TYPE, {"line 1, column 1", "':integer'"}},
        {S, "", ":int (:int :bogus)", E::UNKNOWN_TYPE, {"line 1, column 12", "':bogus'"}},
        {S, "", "nosuchfn", E::UNKNOWN_TYPE, {"line 1, column 1", "'nosuchfn'"}},
        {S, "", "struct vec9 make(void)", E::UNKNOWN_TYPE, {"line 1, column 1", "'struct vec9'"}},
        {S, "struct fwd;", "struct fwd get(void)", E::INCOMPLETE_TYPE, {"line 1, column 1", "return", "'struct fwd'"}},
        {S, "struct fwd;", "void (int, struct fwd)", E::INCOMPLETE_TYPE,
         {"line 1, column 1", "parameter 2", "'struct fwd'"}},
        {S, "", "int (void, int)", E::INVALID_TYPE, {"line 1, column 6", "'void'"}},
        {S, "", "int", E::INVALID_TYPE, {"line 1, column 1", "not a function type", "'int'"}},
        {S, "", "int (int __attribute__((vector_size(16))))", E::INVALID_TYPE, {"line 1, column 25", "vector"}},
        {S, "", "_Float16 (int)", E::INVALID_TYPE, {"line 1, column 1", "'_Float16'"}},
        {T, "", "int int", E::INVALID_TYPE, {"line 1, column 5", "'int'"}},
        {T, "", "int x", E::PARSE, {"line 1, column 5", "'x'"}},
        {T, "", "int (*)(", E::PARSE, {"line 1, column 9", "end of input"}},
        {L, "", "int,, double", E::PARSE, {"line 1, column 5", "','"}},
        {L, "", "int,", E::PARSE, {"line 1, column 5", "end of input"}},
        {L, "", "int double", E::INVALID_TYPE, {"line 1, column 5", "'double'"}},
        {L, "", "int, widget", E::UNKNOWN_TYPE, {"line 1, column 6", "'widget'"}},
        // Nesting too deep for the recursion limit.
        {C, "", "int " + repeat("(", 100000) + "x" + repeat(")", 100000) + ";", E::PARSE,
         {"line 1", "nested too deeply"}},
        {C, "", "enum { A = " + repeat("~", 100000) + "1 };", E::PARSE, {"line 1", "nested too deeply"}},
        {C, "", "typedef char t[" + repeat("(", 5000) + "1" + repeat(")", 5000) + "];", E::PARSE,
         {"line 1", "nested too deeply"}},
        {C, "", repeat("struct { ", 2000) + "int x;" + repeat(" } a;", 2000), E::PARSE,
         {"line 1", "nested too deeply"}},
        {C, "", "void f(" + repeat("void (*)(", 2000) + repeat(")", 2000) + ");", E::PARSE,
         {"line 1", "nested too deeply"}},
        {C, "", "int x = " + repeat("(", 100000) + ";", E::PARSE, {"line 1", "expected ')'"}},
        {T, "", repeat(":int (", 1000), E::PARSE, {"line 1", "nested too deeply"}},
    };
    return table;
}

}  // namespace

TEST_CASE("every malformed input gives its error code, position and token") {
    size_t checked = 0;
    for (const BadInput& b : bad_inputs()) {
        CAPTURE(b.text.substr(0, 80));
        Cx c;
        if (!b.setup.empty()) c.cdef(b.setup);
        Declarations before = c.decls;
        Error e = error_of([&] {
            switch (b.mode) {
            case Mode::Cdef: c.cdef(b.text); break;
            case Mode::Signature: c.sig(b.text); break;
            case Mode::TypeName: c.type(b.text); break;
            case Mode::TypeList: parse_type_list(c.types, c.decls, b.text); break;
            }
        });
        CAPTURE(e.message());
        CHECK(e.code() == b.code);
        CHECK(e.message().rfind("line ", 0) == 0);
        for (const std::string& needle : b.needles) {
            CAPTURE(needle);
            CHECK(e.message().find(needle) != std::string::npos);
        }
        // Nothing of a failed text is declared.
        CHECK(c.decls.typedefs.size() == before.typedefs.size());
        CHECK(c.decls.tags.size() == before.tags.size());
        CHECK(c.decls.constants.size() == before.constants.size());
        CHECK(c.decls.functions.size() == before.functions.size());
        CHECK(c.decls.variables.size() == before.variables.size());
        ++checked;
    }
    CHECK(checked >= 40);
}

// Tests of the C declaration parser: types, declarators, constants, enums, records, signatures.
#include <doctest/doctest.h>

#include <climits>
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

#include "cparse_fixture.hpp"
#include "marshal/signature.hpp"

using namespace jiffi::detail;
using jiffi::detail::test::Cx;
using jiffi::detail::test::error_of;

TEST_CASE("equal types are one interned object") {
    Cx c;
    const Type* ul = c.type("unsigned long");
    CHECK(c.type("size_t") == ul);
    CHECK(c.type("long unsigned int") == ul);
    CHECK(c.type("unsigned long int") == ul);
    CHECK(c.type(":unsigned-long") == ul);
    CHECK(c.type(":size") == ul);
    CHECK(ul == c.prim(Prim::ULong));
    const Type* ccp = c.type("const char *");
    CHECK(c.type("const char *") == ccp);
    CHECK(c.type("char const *") == ccp);
    CHECK(c.type(":string") == ccp);
    CHECK(c.type("char *") != ccp);
    CHECK(ccp->is_pointer());
    CHECK(ccp->quals == Q_CONST);
    CHECK(ccp->inner == c.prim(Prim::Char));
    CHECK(c.type("int (*)(double, ...)") == c.type("int (*)(double, ...)"));
    CHECK(c.type("int (*)(double x)") == c.type("int (*)(double)"));
    // Top-level qualifiers and restrict do not change a type.
    CHECK(c.type("int *const") == c.type("int *"));
    CHECK(c.type("char *restrict") == c.type("char *"));
    CHECK(c.type("char *__restrict *") == c.type("char **"));
}

TEST_CASE("every spelling of the C scalar types") {
    Cx c;
    const std::pair<const char*, Prim> cases[] = {
        {"void", Prim::Void},
        {"_Bool", Prim::Bool},
        {"bool", Prim::Bool},
        {"char", Prim::Char},
        {"signed char", Prim::SChar},
        {"char signed", Prim::SChar},
        {"__signed__ char", Prim::SChar},
        {"unsigned char", Prim::UChar},
        {"short", Prim::Short},
        {"short int", Prim::Short},
        {"signed short int", Prim::Short},
        {"int short", Prim::Short},
        {"unsigned short", Prim::UShort},
        {"short unsigned int", Prim::UShort},
        {"int", Prim::Int},
        {"signed", Prim::Int},
        {"signed int", Prim::Int},
        {"__signed", Prim::Int},
        {"unsigned", Prim::UInt},
        {"unsigned int", Prim::UInt},
        {"int unsigned", Prim::UInt},
        {"long", Prim::Long},
        {"long int", Prim::Long},
        {"signed long", Prim::Long},
        {"int long signed", Prim::Long},
        {"unsigned long", Prim::ULong},
        {"long unsigned int", Prim::ULong},
        {"long long", Prim::LongLong},
        {"long long int", Prim::LongLong},
        {"signed long long int", Prim::LongLong},
        {"long int long", Prim::LongLong},
        {"unsigned long long", Prim::ULongLong},
        {"long long unsigned int", Prim::ULongLong},
        {"__int128", Prim::Int128},
        {"signed __int128", Prim::Int128},
        {"__int128_t", Prim::Int128},
        {"unsigned __int128", Prim::UInt128},
        {"__int128 unsigned", Prim::UInt128},
        {"__uint128_t", Prim::UInt128},
        {"float", Prim::Float},
        {"_Float32", Prim::Float},
        {"double", Prim::Double},
        {"_Float64", Prim::Double},
        {"_Float32x", Prim::Double},
        {"long double", Prim::LongDouble},
        {"double long", Prim::LongDouble},
        {"_Float64x", Prim::LongDouble},
        {"_Complex float", Prim::ComplexFloat},
        {"float _Complex", Prim::ComplexFloat},
        {"__complex__ float", Prim::ComplexFloat},
        {"_Complex double", Prim::ComplexDouble},
        {"double _Complex", Prim::ComplexDouble},
        {"_Complex", Prim::ComplexDouble},
        {"_Complex long double", Prim::ComplexLongDouble},
        {"long double _Complex", Prim::ComplexLongDouble},
        {"long _Complex double", Prim::ComplexLongDouble},
        {"const volatile int", Prim::Int},
        {"int const", Prim::Int},
        {"__const unsigned __volatile__ char", Prim::UChar},
        {"__extension__ long long", Prim::LongLong},
    };
    for (auto& [text, prim] : cases) {
        CAPTURE(text);
        CHECK(c.type(text) == c.prim(prim));
    }
}

TEST_CASE("pointers, qualifiers, arrays and their spelling") {
    Cx c;
    const Type* t = c.type("const char *const *");
    REQUIRE(t->is_pointer());
    CHECK(t->quals == Q_CONST);
    CHECK(t->inner->quals == Q_CONST);
    CHECK(t->inner->inner == c.prim(Prim::Char));
    CHECK(c.type("volatile int *")->quals == Q_VOLATILE);
    CHECK(c.type("int const volatile *")->quals == (Q_CONST | Q_VOLATILE));

    const Type* a = c.type("int [2][3]");
    REQUIRE(a->is_array());
    CHECK(a->count == 2);
    CHECK(a->inner->count == 3);
    CHECK(a->inner->inner == c.prim(Prim::Int));
    CHECK(c.types.size_of(a) == 24);

    const Type* pa = c.type("int (*)[3]");
    REQUIRE(pa->is_pointer());
    CHECK(pa->inner == c.type("int[3]"));
    const Type* ap = c.type("int *[3]");
    REQUIRE(ap->is_array());
    CHECK(ap->inner == c.type("int *"));
    CHECK(c.type("const int (*)[3]")->quals == Q_CONST);
    CHECK(c.type("int []")->flexible);

    // The spelling of to_string parses back to the same type (a tag only named in a type
    // name is a new incomplete type each time, so these are declared first).
    c.cdef("struct tm; enum e;");
    const char* spellings[] = {"int(*)(double, ...)",
                               "const char *const *",
                               "volatile int *",
                               "int(*)[3]",
                               "int *[3]",
                               "int(*(*)[2])(int)",
                               "char(*(*)(void))[4]",
                               "void(*)(int(*)(long), ...)",
                               "const int(*)[3]",
                               "int(*const *)(void)",
                               "struct tm *",
                               "enum e *",
                               "unsigned char[2][3]",
                               "_Complex long double",
                               "unsigned __int128 *",
                               "void(*)(void)",
                               "int(...)",
                               "int(int, char **)"};
    for (const std::string s : spellings) {
        CAPTURE(s);
        const Type* ty = c.type(s);
        CHECK(c.types.to_string(ty) == s);
        CHECK(c.type(c.types.to_string(ty)) == ty);
    }
    CHECK(c.str("int (*)(double, ...)") == "int(*)(double, ...)");
    CHECK(c.str("char * restrict * const") == "char **");
}

TEST_CASE("function pointers, signal, and parameter adjustments") {
    Cx c;
    c.cdef(
        "void (*signal(int sig, void (*func)(int)))(int);\n"
        "typedef void (*sighandler_t)(int);\n"
        "sighandler_t bsd_signal(int, sighandler_t);\n"
        "int qsort_cmp(int (*cmp)(const void *, const void *));\n"
        "void arrays(int a[10], const char *names[], int m[][4], int f(double));\n"
        "int noargs();\n"
        "int voidargs(void);\n"
        "int (*(*fpfp)(int))(double);\n");
    const FunctionDecl& sig = c.decls.functions.at("signal");
    const Type* handler = c.type("void (*)(int)");
    REQUIRE(sig.type->is_function());
    CHECK(sig.type->inner == handler);
    REQUIRE(sig.type->params.size() == 2);
    CHECK(sig.type->params[0] == c.prim(Prim::Int));
    CHECK(sig.type->params[1] == handler);
    CHECK(sig.param_names == std::vector<std::string>{"sig", "func"});
    CHECK(c.decls.functions.at("bsd_signal").type == sig.type);
    CHECK(c.decls.functions.at("bsd_signal").param_names == std::vector<std::string>{"", ""});
    CHECK(c.types.to_string(sig.type, "signal") == "void(*signal(int, void(*)(int)))(int)");

    const FunctionDecl& arr = c.decls.functions.at("arrays");
    REQUIRE(arr.type->params.size() == 4);
    CHECK(arr.type->params[0] == c.type("int *"));
    CHECK(arr.type->params[1] == c.type("const char **"));
    CHECK(arr.type->params[2] == c.type("int (*)[4]"));
    CHECK(arr.type->params[3] == c.type("int (*)(double)"));

    CHECK(c.decls.functions.at("noargs").type->params.empty());
    CHECK_FALSE(c.decls.functions.at("noargs").type->variadic);
    CHECK(c.decls.functions.at("noargs").type == c.decls.functions.at("voidargs").type);
    CHECK(c.decls.variables.at("fpfp") == c.type("int (*(*)(int))(double)"));
    CHECK(c.decls.functions.count("fpfp") == 0);
}

TEST_CASE("typedefs of every kind and several declarators per declaration") {
    Cx c;
    c.cdef(
        "typedef int a, *b, c[3], (*d)(void), e(int);\n"
        "typedef struct { int x; } point;\n"
        "typedef point line[2];\n"
        "typedef const char *cstr;\n"
        "typedef int int_twice; typedef int int_twice;\n"
        "e implemented_by_typedef;\n"
        "typedef int first_t, __attribute__((unused)) *second_t, (__attribute__((x)) third_t);\n"
        "typedef unsigned long size_t;\n");
    CHECK(c.td("a") == c.prim(Prim::Int));
    CHECK(c.td("b") == c.type("int *"));
    CHECK(c.td("c") == c.type("int[3]"));
    CHECK(c.td("d") == c.type("int (*)(void)"));
    CHECK(c.td("e") == c.type("int (int)"));
    CHECK(c.td("point")->is_record());
    CHECK(c.td("point")->record->tag.empty());
    CHECK(c.types.size_of(c.td("line")) == 8);
    CHECK(c.td("cstr") == c.type(":string"));
    CHECK(c.decls.functions.at("implemented_by_typedef").type == c.td("e"));
    CHECK(c.type("b *") == c.type("int **"));
    CHECK(c.td("second_t") == c.type("int *"));
    CHECK(c.td("third_t") == c.prim(Prim::Int));
    CHECK(c.type("point *") == c.types.pointer(c.td("point")));
}

TEST_CASE("extern variables, static and inline definitions, asm labels, redeclarations") {
    Cx c;
    c.cdef(
        "extern int errno_like;\n"
        "extern const char *const names[];\n"
        "extern const char *const names[4];\n"
        "int tentative, *also = 0, initialized[2] = { 1, 2 };\n"
        "static int hidden_var;\n"
        "static inline int add(int a, int b) { return a + (b * 2); }\n"
        "extern __inline __attribute__((__gnu_inline__)) int gnu_inline(int x) { return x; }\n"
        "int late(); int late(int x);\n"
        "int again(int); int again(int named);\n"
        "extern int fscanf(void *__restrict __stream, const char *__restrict __format, ...)"
        " __asm__(\"\" \"__isoc99_fscanf\");\n"
        "_Noreturn void quit(int) __attribute__((__noreturn__));\n"
        "register int odd_but_harmless;\n");
    CHECK(c.decls.variables.at("errno_like") == c.prim(Prim::Int));
    CHECK(c.decls.variables.at("names") == c.type("const char *const [4]"));
    CHECK(c.decls.variables.at("tentative") == c.prim(Prim::Int));
    CHECK(c.decls.variables.at("also") == c.type("int *"));
    CHECK(c.decls.variables.at("initialized") == c.type("int[2]"));
    CHECK(c.decls.variables.count("hidden_var") == 0);
    CHECK(c.decls.functions.count("add") == 0);
    CHECK(c.decls.functions.at("gnu_inline").param_names == std::vector<std::string>{"x"});
    CHECK(c.decls.functions.at("late").type == c.type("int (int)"));
    CHECK(c.decls.functions.at("late").param_names == std::vector<std::string>{"x"});
    CHECK(c.decls.functions.at("again").param_names == std::vector<std::string>{"named"});
    const FunctionDecl& fs = c.decls.functions.at("fscanf");
    CHECK(fs.asm_label == "__isoc99_fscanf");
    CHECK(fs.type->variadic);
    CHECK(fs.param_names == std::vector<std::string>{"__stream", "__format"});
    CHECK(c.decls.functions.at("quit").type == c.type("void (int)"));
}

TEST_CASE("integer constant expressions") {
    Cx c;
    c.cdef(
        "struct S { char a; int b; double c[3]; struct { short x, y; } in; };\n"
        "enum color { RED, GREEN = 5, BLUE };\n");
    const std::pair<const char*, int64_t> cases[] = {
        {"1 + 2 * 3", 7},
        {"(1 + 2) * 3", 9},
        {"10 / 3", 3},
        {"-10 / 3", -3},
        {"-10 % 3", -1},
        {"7 % -3", 1},
        {"-1 / 2", 0},
        {"1 << 10", 1024},
        {"-7 >> 1", -4},
        {"0x10", 16},
        {"0XfF", 255},
        {"010", 8},
        {"0", 0},
        {"0b101", 5},
        {"100u", 100},
        {"100UL", 100},
        {"100llu", 100},
        {"'a'", 97},
        {"'\\n'", 10},
        {"'\\x41'", 65},
        {"'\\0'", 0},
        {"'\\101'", 65},
        {"'\\377'", -1},
        {"'\\''", 39},
        {"'ab'", 24930},
        {"L'x'", 120},
        {"u'x'", 120},
        {"U'x'", 120},
        {"(unsigned char)300", 44},
        {"(signed char)200", -56},
        {"(short)65535", -1},
        {"(_Bool)42", 1},
        {"(unsigned)-1", 4294967295LL},
        {"(long)(unsigned)-1", 4294967295LL},
        {"(int)4294967297", 1},
        {"sizeof(int)", 4},
        {"sizeof(long double)", 16},
        {"sizeof(char[10])", 10},
        {"sizeof(int[2][3])", 24},
        {"sizeof(void *)", 8},
        {"sizeof(int (*)(void))", 8},
        {"sizeof(size_t)", 8},
        {"sizeof 'a'", 4},
        {"sizeof \"abc\"", 4},
        {"sizeof(struct S)", 40},
        {"sizeof(enum color)", 4},
        {"sizeof(RED)", 4},
        {"sizeof(((struct S *)0)->c)", 24},
        {"sizeof(((struct S *)0)->c[0])", 8},
        {"sizeof(((struct S *)0)->in.y)", 2},
        {"_Alignof(double)", 8},
        {"__alignof__(long long)", 8},
        {"__alignof(struct S)", 8},
        {"_Alignof(char)", 1},
        {"__builtin_offsetof(struct S, b)", 4},
        {"__builtin_offsetof(struct S, c)", 8},
        {"__builtin_offsetof(struct S, c[2])", 24},
        {"__builtin_offsetof(struct S, in.y)", 34},
        {"1 ? 2 : 3", 2},
        {"0 ? 2 : 3", 3},
        {"5 ?: 7", 5},
        {"1 ? 2 : 1 / 0", 2},
        {"0 && 1 / 0", 0},
        {"1 || 1 % 0", 1},
        {"-1 < 0", 1},
        {"-1 < 0u", 0},
        {"-1L < 0u", 1},
        {"-1LL < 0UL", 0},
        {"sizeof(int) - 5 > 0", 1},
        {"~0", -1},
        {"~0u", 4294967295LL},
        {"!5", 0},
        {"!0", 1},
        {"5 && 0", 0},
        {"0 || 7", 1},
        {"3 == 3", 1},
        {"3 != 3", 0},
        {"2 <= 2", 1},
        {"3 >= 4", 0},
        {"10 > 5 > 2", 0},
        {"6 & 3", 2},
        {"6 | 3", 7},
        {"6 ^ 3", 5},
        {"0xFFFFFFFF", 4294967295LL},
        {"2147483648", 2147483648LL},
        {"-2147483648", -2147483648LL},
        {"1u << 31", 2147483648LL},
        {"(1 << 31) >> 31", -1},
        {"0x7fffffffffffffff", LLONG_MAX},
        {"(-9223372036854775807L - 1) / -1", LLONG_MIN},
        {"RED + BLUE * 2", 12},
        {"GREEN << 1", 10},
        {"true + true", 2},
        {"false", 0},
        {"+-+-3", 3},
        {"__extension__ 4", 4},
    };
    for (auto& [expr, value] : cases) {
        CAPTURE(expr);
        CHECK(c.eval(expr) == value);
    }
    // Array sizes take the same expressions.
    c.cdef("typedef char arr[sizeof(struct S) / sizeof(int) + (RED ? 100 : 1)];");
    CHECK(c.td("arr")->count == 11);
    c.cdef("typedef int t_u[(unsigned char)-1];");
    CHECK(c.td("t_u")->count == 255);
}

TEST_CASE("enums choose their underlying type as GCC does") {
    Cx c;
    struct Case {
        const char* text;
        const char* tag;
        Prim underlying;
    };
    const Case cases[] = {
        {"enum e0 { A0, B0 };", "e0", Prim::UInt},
        {"enum e1 { A1 = -1 };", "e1", Prim::Int},
        {"enum e2 { A2 = 0x7fffffff };", "e2", Prim::UInt},
        {"enum e3 { A3 = 0x80000000 };", "e3", Prim::UInt},
        {"enum e4 { A4 = 0xffffffff };", "e4", Prim::UInt},
        {"enum e5 { A5 = -1, B5 = 0x80000000 };", "e5", Prim::Long},
        {"enum e6 { A6 = 0x100000000 };", "e6", Prim::ULong},
        {"enum e7 { A7 = -1, B7 = 0x100000000 };", "e7", Prim::Long},
        {"enum e8 { A8 = 0xffffffffffffffff };", "e8", Prim::ULong},
        {"enum e9 { A9 = -2147483648 };", "e9", Prim::Int},
        {"enum e10 { A10 = -2147483649 };", "e10", Prim::Long},
        {"enum __attribute__((packed)) e11 { A11 = 1 };", "e11", Prim::UChar},
        {"enum e12 { A12 = -1 } __attribute__((packed));", "e12", Prim::SChar},
        {"enum __attribute__((__packed__)) e13 { A13 = 200 };", "e13", Prim::UChar},
        {"enum __attribute__((packed)) e14 { A14 = 300 };", "e14", Prim::UShort},
        {"enum __attribute__((packed)) e15 { A15 = -129 };", "e15", Prim::Short},
        {"enum __attribute__((packed)) e16 { A16 = 70000 };", "e16", Prim::UInt},
        {"enum __attribute__((packed)) e17 { A17 = -70000 };", "e17", Prim::Int},
        {"enum __attribute__((packed)) e18 { A18 = 0x100000000 };", "e18", Prim::ULong},
        {"enum e19 : unsigned char { A19 = 255 };", "e19", Prim::UChar},
        {"enum e20 : short { A20 = -5 };", "e20", Prim::Short},
        {"enum e21 : uint64_t { A21 = 1 };", "e21", Prim::ULong},
        {"enum e22 : char { A22 = 'x' };", "e22", Prim::Char},
    };
    for (const Case& k : cases) {
        CAPTURE(k.text);
        c.cdef(k.text);
        Enum& e = c.enm(k.tag);
        CHECK(e.complete);
        CHECK(e.underlying == k.underlying);
        CHECK(c.types.size_of(e.type) == c.types.size_of(c.prim(k.underlying)));
    }
    CHECK(c.enm("e11").packed);
    CHECK(c.enm("e12").packed);
    CHECK_FALSE(c.enm("e0").packed);
    CHECK(c.enm("e19").fixed_underlying);
    CHECK_FALSE(c.enm("e0").fixed_underlying);
    CHECK(c.decls.constants.at("A8").value == -1);  // the bits of 0xffffffffffffffff
    CHECK(c.decls.constants.at("A4").value == 4294967295LL);
    CHECK(c.decls.constants.at("A20").value == -5);

    c.cdef(
        "enum seq { S0 = 5, S1, S2 = S1 + 10, S3, S4 = S0 * 2, };\n"
        "enum { ANON_A = sizeof(enum seq), ANON_B = ANON_A << 2 };\n");
    Enum& seq = c.enm("seq");
    REQUIRE(seq.values.size() == 5);
    const int64_t want[] = {5, 6, 16, 17, 10};
    for (size_t i = 0; i < 5; ++i) CHECK(seq.values[i].value == want[i]);
    CHECK(seq.values[2].name == "S2");
    CHECK(c.decls.constants.at("S3").type == seq.type);
    CHECK(c.decls.constants.at("ANON_B").value == 16);

    // A forward reference, completed later; pointers to it work before.
    c.cdef("enum later; typedef enum later *later_ptr; enum later { L1 = 3 };");
    CHECK(c.enm("later").complete);
    CHECK(c.td("later_ptr")->inner == c.enm("later").type);
    // C23: a fixed underlying type makes a forward declaration complete.
    c.cdef("enum fixed : unsigned short; typedef char fixed_size[sizeof(enum fixed)];");
    CHECK(c.td("fixed_size")->count == 2);
    c.cdef("enum fixed : unsigned short { F1 = 65535 };");
    CHECK(c.decls.constants.at("F1").value == 65535);
}

TEST_CASE("records: fields, bitfields, anonymous members, flexible arrays") {
    Cx c;
    c.cdef(
        "struct bits { unsigned a : 3, : 2; int b : 5; int : 0; _Bool flag : 1; char c; };\n"
        "struct outer {\n"
        "    int kind;\n"
        "    union { int i; float f; };\n"
        "    struct { char x, y; } named;\n"
        "    struct inner { long v; } in;\n"
        "    struct { short p; struct { short q; }; };\n"
        "};\n"
        "struct flex { int n; double items[]; };\n"
        "struct zero { int n; char tail[0]; };\n"
        "struct grid { int cells[3][4]; struct bits b[2]; };\n"
        "struct empty { };\n");
    Record& b = c.rec("bits");
    REQUIRE(b.fields.size() == 6);
    CHECK(b.fields[0].name == "a");
    CHECK(b.fields[0].is_bitfield);
    CHECK(b.fields[0].bit_width == 3);
    CHECK(b.fields[0].type == c.prim(Prim::UInt));
    CHECK(b.fields[1].name.empty());
    CHECK(b.fields[1].is_bitfield);
    CHECK(b.fields[1].bit_width == 2);
    CHECK(b.fields[2].bit_width == 5);
    CHECK(b.fields[3].is_bitfield);
    CHECK(b.fields[3].bit_width == 0);
    CHECK(b.fields[3].name.empty());
    CHECK(b.fields[4].type == c.prim(Prim::Bool));
    CHECK_FALSE(b.fields[5].is_bitfield);
    CHECK(b.has_bitfields());
    CHECK(b.complete);

    Record& o = c.rec("outer");
    REQUIRE(o.fields.size() == 5);
    CHECK(o.fields[1].anonymous);
    CHECK(o.fields[1].name.empty());
    REQUIRE(o.fields[1].type->is_record());
    CHECK(o.fields[1].type->record->is_union);
    CHECK(o.fields[1].type->record->fields.size() == 2);
    CHECK_FALSE(o.fields[2].anonymous);
    CHECK(o.fields[2].name == "named");
    CHECK(o.fields[2].type->record->tag.empty());
    // A struct defined inside a member has file scope.
    CHECK(o.fields[3].type == c.rec("inner").type);
    CHECK(o.fields[4].anonymous);
    CHECK(o.fields[4].type->record->fields[1].anonymous);
    CHECK(c.eval("__builtin_offsetof(struct outer, f)") == 4);
    CHECK(c.eval("__builtin_offsetof(struct outer, q)") == 26);
    CHECK(c.eval("sizeof(struct outer)") == 32);

    Record& f = c.rec("flex");
    CHECK(f.has_flexible_array());
    CHECK(f.fields[1].type == c.types.flexible_array(c.prim(Prim::Double)));
    CHECK(c.eval("sizeof(struct flex)") == 8);
    CHECK(c.rec("zero").fields[1].type == c.type("char[0]"));
    CHECK(c.rec("grid").fields[0].type == c.type("int[3][4]"));
    CHECK(c.rec("grid").fields[1].type == c.type("struct bits[2]"));
    CHECK(c.rec("empty").fields.empty());
    CHECK(c.rec("empty").complete);
}

TEST_CASE("record and member attributes, #pragma pack, aligned typedefs") {
    Cx c;
    c.cdef(
        "struct __attribute__((packed)) p1 { char c; int i; };\n"
        "struct p2 { char c; int i; } __attribute__((packed, aligned(8)));\n"
        "struct p3 { char c; int i __attribute__((packed)); "
        "  __attribute__((aligned(16))) char d; long e __attribute__((__aligned__)); };\n"
        "struct p4 { char c; _Alignas(8) char d; _Alignas(long double) char e; };\n"
        "struct [[gnu::packed]] p5 { char c; int i; };\n"
        "#pragma pack(2)\n"
        "struct k2 { char c; int i; };\n"
        "#pragma pack(push, 1)\n"
        "struct k1 { char c; int i; struct { char x; long y; } in; };\n"
        "#pragma pack(push)\n"
        "#pragma pack(4)\n"
        "struct k4 { char c; long l; };\n"
        "#pragma pack(pop)\n"
        "struct k1b { char c; };\n"
        "#pragma pack(pop)\n"
        "struct k2b { char c; };\n"
        "#pragma pack()\n"
        "struct k0 { char c; };\n"
        "#pragma pack(push, label, 8)\n"
        "struct k8 { char c; };\n"
        "#pragma pack(pop, label)\n"
        "typedef int aligned16 __attribute__((aligned(16)));\n"
        "typedef __attribute__((aligned(2 * 4))) short aligned8;\n"
        "typedef struct p1 packed_td;\n"
        "# 1 \"line-marker.h\" 1 3 4\n"
        "#pragma GCC visibility push(default)\n"
        "struct after_directives { int x; };\n");
    Record& p1 = c.rec("p1");
    CHECK(p1.packed);
    CHECK(p1.align_attr == 0);
    CHECK(p1.size == 5);
    Record& p2 = c.rec("p2");
    CHECK(p2.packed);
    CHECK(p2.align_attr == 8);
    CHECK(p2.size == 8);
    Record& p3 = c.rec("p3");
    CHECK_FALSE(p3.packed);
    CHECK(p3.fields[1].packed_attr);
    CHECK_FALSE(p3.fields[0].packed_attr);
    CHECK(p3.fields[2].align_attr == 16);
    CHECK(p3.fields[3].align_attr == 16);
    CHECK(p3.size == 48);
    Record& p4 = c.rec("p4");
    CHECK(p4.fields[1].align_attr == 8);
    CHECK(p4.fields[2].align_attr == 16);
    CHECK(c.rec("p5").packed);
    CHECK(c.rec("k2").pack == 2);
    CHECK(c.rec("k2").size == 6);
    CHECK(c.rec("k1").pack == 1);
    CHECK(c.rec("k1").size == 14);
    CHECK(c.rec("k1").fields[2].type->record->pack == 1);
    CHECK(c.rec("k4").pack == 4);
    CHECK(c.rec("k4").size == 12);
    CHECK(c.rec("k1b").pack == 1);
    CHECK(c.rec("k2b").pack == 2);
    CHECK(c.rec("k0").pack == 0);
    CHECK(c.rec("k8").pack == 8);
    CHECK(c.rec("after_directives").pack == 0);
    CHECK(c.td("aligned16") == c.types.aligned(c.prim(Prim::Int), 16));
    CHECK(c.types.align_of(c.td("aligned16")) == 16);
    CHECK(c.types.align_of(c.td("aligned8")) == 8);
    CHECK(c.td("packed_td") == p1.type);
}

TEST_CASE("forward declarations are completed in place; self-reference") {
    Cx c;
    c.cdef(
        "struct node;\n"
        "typedef struct node node_t;\n"
        "struct list { node_t *head; struct node *tail; };\n");
    Record& fwd = c.rec("node");
    CHECK_FALSE(fwd.complete);
    const Type* node_type = fwd.type;
    c.cdef("struct node { struct node *next; node_t *prev; int value; };");
    Record& done = c.rec("node");
    CHECK(&done == &fwd);
    CHECK(done.complete);
    CHECK(done.type == node_type);
    CHECK(done.fields[0].type == c.types.pointer(node_type));
    CHECK(done.size == 24);
    CHECK(c.td("node_t") == node_type);
    // A tag first seen in a pointer member, defined afterwards in the same text.
    c.cdef("struct a { struct b *pb; }; struct b { struct a *pa; int x; };");
    CHECK(c.rec("a").fields[0].type->inner == c.rec("b").type);
    CHECK(c.rec("b").complete);
    // Unions and enums share the tag namespace with structs.
    c.cdef("union u; union u { int i; double d; }; union u *pick(union u *);");
    CHECK(c.rec("u").is_union);
    CHECK(c.rec("u").size == 8);
}

TEST_CASE("signatures in C syntax") {
    Cx c;
    c.cdef(
        "struct vec2 { float x, y; };\n"
        "size_t strlen(const char *s);\n"
        "int printf(const char *fmt, ...);\n"
        "typedef int binop(int, int);\n"
        "typedef double (*unary_fn)(double);\n");
    ParsedSignature s = c.sig("size_t (const char *)");
    CHECK(s.function == c.type("unsigned long (const char *)"));
    CHECK(s.name.empty());
    CHECK(s.param_names == std::vector<std::string>{""});

    s = c.sig("int printf(const char *, ...)");
    CHECK(s.name == "printf");
    CHECK(s.function->variadic);
    CHECK(s.function->params.size() == 1);

    s = c.sig("struct vec2 vadd(struct vec2 a, struct vec2 b)");
    CHECK(s.name == "vadd");
    CHECK(s.function->inner == c.rec("vec2").type);
    CHECK(s.param_names == std::vector<std::string>{"a", "b"});

    CHECK(c.sig("int (*)(int)").function == c.type("int (int)"));
    CHECK(c.sig("int (*fp)(int x)").param_names == std::vector<std::string>{"x"});
    CHECK(c.sig("double(double)").function == c.type("double (double)"));
    s = c.sig("void f(void)");
    CHECK(s.name == "f");
    CHECK(s.function->params.empty());
    CHECK(c.sig("int f()").function->params.empty());
    CHECK_FALSE(c.sig("int f()").function->variadic);
    CHECK(c.sig("int (...)").function->variadic);
    CHECK(c.sig("extern int f(int);").name == "f");
    CHECK(c.sig("void (*signal(int, void (*)(int)))(int)").name == "signal");
    CHECK(c.sig("int g(int a[3], char f(void))").function == c.type("int (int *, char (*)(void))"));

    // A bare name is a prototype declared before (or a typedef of a function type).
    s = c.sig("strlen");
    CHECK(s.name == "strlen");
    CHECK(s.function == c.decls.functions.at("strlen").type);
    CHECK(s.param_names == std::vector<std::string>{"s"});
    CHECK(c.sig(" printf ").function->variadic);
    CHECK(c.sig("binop").function == c.type("int (int, int)"));
    CHECK(c.sig("unary_fn").function == c.type("double (double)"));
}

TEST_CASE("keyword signatures, every keyword of keywords.def") {
    Cx c;
    struct Kw {
        const char* keyword;
        const char* c_type;
    };
    const Kw all[] = {
#define JIFFI_KEYWORD(kw, ctype) {kw, ctype},
#include "marshal/keywords.def"
#undef JIFFI_KEYWORD
    };
    CHECK(std::size(all) >= 27);
    for (const Kw& k : all) {
        CAPTURE(k.keyword);
        const Type* want = c.type(k.c_type);
        CHECK(c.type(k.keyword) == want);
        ParsedSignature s = c.sig(std::string(k.keyword) + " ()");
        CHECK(s.function->inner == want);
        if (std::string(k.keyword) != ":void") {
            s = c.sig(std::string(":void (") + k.keyword + " " + k.keyword + ")");
            REQUIRE(s.function->params.size() == 2);
            CHECK(s.function->params[0] == want);
            CHECK(s.function->params[1] == want);
        }
    }
    CHECK(c.type(":int8") == c.prim(Prim::SChar));
    CHECK(c.type(":uint64") == c.prim(Prim::ULong));
    CHECK(c.type(":bool") == c.prim(Prim::Bool));
    CHECK(c.type(":long-double") == c.prim(Prim::LongDouble));
    CHECK(c.type(":pointer") == c.type("void *"));

    ParsedSignature s = c.sig(":unsigned-long (:string)");
    CHECK(s.function == c.type("unsigned long (const char *)"));
    CHECK(c.sig(":int (:pointer :int)").function == c.type("int (void *, int)"));
    CHECK(c.sig(":int (:pointer, :int)").function == c.type("int (void *, int)"));
    CHECK(c.sig(":int(:pointer,:int)").function == c.type("int (void *, int)"));
    CHECK(c.sig(":void ()").function == c.type("void (void)"));
    CHECK(c.sig(":long (:int :pointer :unsigned-long)").function ==
          c.type("long (int, void *, unsigned long)"));
    // Keywords and C type names mix.
    CHECK(c.sig(":int (const char *, :int, ...)").function ==
          c.type("int (const char *, int, ...)"));
    CHECK(c.sig("double (:double, float)").function == c.type("double (double, float)"));
    CHECK(c.type(":int *") == c.type("int *"));
    CHECK(c.type("const :char *") == c.type("const char *"));
}

TEST_CASE("type lists") {
    Cx c;
    std::vector<const Type*> l = parse_type_list(c.types, c.decls, "int, double, const char *");
    REQUIRE(l.size() == 3);
    CHECK(l[0] == c.prim(Prim::Int));
    CHECK(l[1] == c.prim(Prim::Double));
    CHECK(l[2] == c.type("const char *"));
    CHECK(parse_type_list(c.types, c.decls, "").empty());
    CHECK(parse_type_list(c.types, c.decls, "  \n ").empty());
    l = parse_type_list(c.types, c.decls, ":int :double :string");
    CHECK(l == std::vector<const Type*>{c.prim(Prim::Int), c.prim(Prim::Double),
                                        c.type("const char *")});
    l = parse_type_list(c.types, c.decls, "long double, int (*)(int, int), char[4], size_t");
    REQUIRE(l.size() == 4);
    CHECK(l[1] == c.type("int (*)(int, int)"));
    CHECK(l[2] == c.type("char[4]"));
    CHECK(l[3] == c.prim(Prim::ULong));
}

TEST_CASE("spellings keep typedef names as written; the types stay structural") {
    Cx c;  // x86_64-linux-gnu: wchar_t is int, char16_t unsigned short, size_t unsigned long
    c.cdef("struct vec2 { float x, y; }; enum e { E0 };");
    ParsedSignature s = c.sig("size_t wcslen(const wchar_t *)");
    CHECK(s.ret_spelling.str() == "size_t");
    CHECK(s.param_spellings == std::vector<std::string>{"const wchar_t *"});
    CHECK(s.function == c.type("unsigned long (const int *)"));
    CHECK(c.type("wchar_t") == c.type("int"));
    CHECK(c.type("const wchar_t *") == c.type("const int *"));
    CHECK(c.type("char16_t") == c.type("unsigned short"));
    CallSignature cs = make_call_signature(c.types, s.function, s.name, &s.ret_spelling,
                                           &s.param_spellings);
    CHECK(cs.text == "size_t wcslen(const wchar_t *)");
    CHECK(cs.key == "unsigned long wcslen(const int *)");
    CHECK(cs.arg_spellings == std::vector<std::string>{"const wchar_t *"});
    // Without spellings a signature is spelled structurally, text and key alike.
    CallSignature plain = make_call_signature(c.types, s.function, s.name);
    CHECK(plain.text == "unsigned long wcslen(const int *)");
    CHECK(plain.key == cs.key);

    // Normalized as to_string spells types: qualifiers first, one space, no names; an array
    // parameter is the pointer it decays to, a function parameter a pointer to it; top-level
    // qualifiers dropped.
    auto spelled = [&](const char* text) {
        ParsedSignature p = c.sig(text);
        return function_spelling(p.ret_spelling, p.param_spellings, p.function->variadic, p.name);
    };
    CHECK(spelled("int f(int)") == "int f(int)");
    CHECK(spelled("int f(int x)") == "int f(int)");
    CHECK(spelled("int  f( int )") == "int f(int)");
    CHECK(spelled("char16_t *f(wchar_t const *p, const char16_t c)") ==
          "char16_t *f(const wchar_t *, char16_t)");
    CHECK(spelled("void f(wchar_t buf[8], size_t cb(wchar_t), const wchar_t *const *pp)") ==
          "void f(wchar_t *, size_t(*)(wchar_t), const wchar_t *const *)");
    CHECK(spelled("void f(const wchar_t a[], int (*(*p)[3])(size_t), ...)") ==
          "void f(const wchar_t *, int(*(*)[3])(size_t), ...)");
    CHECK(spelled("size_t (*f(void))(wchar_t)") == "size_t(*f(void))(wchar_t)");
    CHECK(spelled(":size (:string :int)") == "size_t(const char *, int)");
    // A signature without typedef names spells exactly as the structural type does.
    for (const char* text : {"void (*signal(int, void (*)(int)))(int)", "int g(int a[3], char f(void))",
                             "unsigned long long (*(*f(void))[3])(void)", "int printf(const char *, ...)",
                             "const volatile char *const *h(struct vec2 *, enum e *)"}) {
        CAPTURE(text);
        ParsedSignature p = c.sig(text);
        CHECK(spelled(text) == c.types.to_string(p.function, p.name));
        CHECK(make_call_signature(c.types, p.function, p.name, &p.ret_spelling, &p.param_spellings).text ==
              make_call_signature(c.types, p.function, p.name).text);
    }

    // User typedefs, in signatures and in prototypes declared by cdef (bound by name later).
    c.cdef("struct point { int x, y; }; typedef struct point point_t;\n"
           "point_t mid(point_t a, const point_t *b);\n"
           "typedef int arr3[3]; typedef int binop(int, int);\n"
           "void fill(arr3 a, binop op);\n"
           "unsigned long g(int); size_t g(int);\n");
    CHECK(spelled("point_t (point_t, point_t *)") == "point_t(point_t, point_t *)");
    s = c.sig("mid");
    CHECK(s.ret_spelling.str() == "point_t");
    CHECK(s.param_spellings == std::vector<std::string>{"point_t", "const point_t *"});
    CHECK(s.function == c.type("struct point (struct point, const struct point *)"));
    CHECK(c.type("point_t") == c.rec("point").type);
    // An array typedef has no pointer to spell by its name; a function typedef does.
    CHECK(c.sig("fill").param_spellings == std::vector<std::string>{"int *", "binop *"});
    // A redeclaration keeps the first declaration's spellings (one type either way).
    CHECK(c.sig("g").ret_spelling.str() == "unsigned long");
    // A function type given by a typedef name has no written list: spelled structurally.
    s = c.sig("binop");
    CHECK(s.ret_spelling.str() == "int");
    CHECK(s.param_spellings == std::vector<std::string>{"int", "int"});

    // Type names and type lists are spelled as written too.
    CHECK(parse_spelled_type_name(c.types, c.decls, "wchar_t *").spelling.str() == "wchar_t *");
    CHECK(parse_spelled_type_name(c.types, c.decls, "wchar_t *").type == c.type("int *"));
    CHECK(parse_spelled_type_name(c.types, c.decls, "point_t const *").spelling.str() ==
          "const point_t *");
    std::vector<SpelledType> l = parse_spelled_type_list(c.types, c.decls, "size_t, char16_t[2], :int");
    REQUIRE(l.size() == 3);
    CHECK(l[0].spelling.str() == "size_t");
    CHECK(l[1].spelling.str() == "char16_t[2]");
    CHECK(l[1].type == c.type("unsigned short[2]"));
    CHECK(l[2].spelling.str() == "int");

    // Messages name types as written.
    c.cdef("struct opaque; typedef struct opaque opaque_t; size_t h(int);");
    Error e = error_of([&] { c.sig("void f(int, opaque_t)"); });
    CHECK(e.code() == ErrorCode::INCOMPLETE_TYPE);
    CHECK(e.message().find("parameter 2 has incomplete type 'opaque_t'") != std::string::npos);
    e = error_of([&] { c.cdef("int h(int);"); });
    CHECK(e.code() == ErrorCode::REDEFINITION);
    CHECK(e.message().find("'size_t(int)' vs 'int(int)'") != std::string::npos);
    c.cdef("struct big { char b[70000]; }; typedef struct big big_t;");
    s = c.sig("void f(int, big_t)");
    e = error_of([&] { make_call_signature(c.types, s.function, s.name, &s.ret_spelling, &s.param_spellings); });
    CHECK(e.message().find("parameter 2 of 'void f(int, big_t)' has type 'big_t' of 70000 bytes") !=
          std::string::npos);
    s = c.sig("int printf(const char *, ...)");
    CallSignature proto = make_call_signature(c.types, s.function, s.name, &s.ret_spelling, &s.param_spellings);
    std::vector<std::string> extra_spelled{"size_t", "char16_t[2]"};
    CallSignature site = make_vararg_signature(c.types, proto, {c.type("size_t"), c.type("char16_t[2]")},
                                               &extra_spelled);
    CHECK(site.text == "int printf(const char *, ... size_t, unsigned short *)");
    CHECK(site.key == "int printf(const char *, ... unsigned long, unsigned short *)");
    std::vector<std::string> big_spelled{"big_t"};
    e = error_of([&] { make_vararg_signature(c.types, proto, {c.type("big_t")}, &big_spelled); });
    CHECK(e.message().find("variadic argument 1 has type 'big_t'") != std::string::npos);
}

TEST_CASE("builtin typedefs per target") {
    Cx x("x86_64-linux-gnu");
    CHECK(x.td("size_t") == x.prim(Prim::ULong));
    CHECK(x.td("ssize_t") == x.prim(Prim::Long));
    CHECK(x.td("wchar_t") == x.prim(Prim::Int));
    CHECK(x.td("int8_t") == x.prim(Prim::SChar));
    CHECK(x.td("uint8_t") == x.prim(Prim::UChar));
    CHECK(x.td("int64_t") == x.prim(Prim::Long));
    CHECK(x.td("uint64_t") == x.prim(Prim::ULong));
    CHECK(x.td("int_fast16_t") == x.prim(Prim::Long));
    CHECK(x.td("uint_fast8_t") == x.prim(Prim::UChar));
    CHECK(x.td("int_least16_t") == x.prim(Prim::Short));
    CHECK(x.td("char16_t") == x.prim(Prim::UShort));
    CHECK(x.td("char32_t") == x.prim(Prim::UInt));
    CHECK(x.td("nlink_t") == x.prim(Prim::ULong));
    CHECK(x.td("blksize_t") == x.prim(Prim::Long));
    CHECK(x.td("mode_t") == x.prim(Prim::UInt));
    CHECK(x.td("sa_family_t") == x.prim(Prim::UShort));
    CHECK(x.td("socklen_t") == x.prim(Prim::UInt));
    CHECK(x.td("__int128_t") == x.prim(Prim::Int128));
    CHECK(x.td("bool") == x.prim(Prim::Bool));
    const char* names[] = {"ptrdiff_t",    "intptr_t",      "uintptr_t",     "intmax_t",
                           "uintmax_t",    "wint_t",        "off_t",         "off64_t",
                           "time_t",       "clock_t",       "suseconds_t",   "pid_t",
                           "uid_t",        "gid_t",         "dev_t",         "ino_t",
                           "blkcnt_t",     "in_port_t",     "in_addr_t",     "key_t",
                           "id_t",         "useconds_t",    "int_least64_t", "uint_least32_t",
                           "int_fast32_t", "uint_fast64_t", "__uint128_t",   "int16_t",
                           "uint16_t",     "int32_t",       "uint32_t"};
    for (const char* n : names) {
        CAPTURE(n);
        CHECK(x.decls.typedefs.count(n) == 1);
    }
    // glibc's own spellings redeclare them without conflict.
    x.cdef("typedef unsigned long int size_t; typedef signed char int8_t; typedef long int64_t;");

    Cx a("aarch64-linux-gnu");
    CHECK(a.td("wchar_t") == a.prim(Prim::UInt));
    CHECK(a.td("nlink_t") == a.prim(Prim::UInt));
    CHECK(a.td("blksize_t") == a.prim(Prim::Int));
    CHECK(a.eval("'\\377'") == 255);  // plain char is unsigned there
    CHECK(a.eval("L'\\xffffffff' > 0") == 1);

    Cx m("arm64-apple-macos");
    CHECK(m.td("int64_t") == m.prim(Prim::LongLong));
    CHECK(m.td("size_t") == m.prim(Prim::ULong));
    CHECK(m.eval("sizeof(long double)") == 8);
}

TEST_CASE("an error leaves the declarations unchanged") {
    Cx c;
    c.cdef("struct later; enum pending;");
    Declarations before = c.decls;
    Error e = error_of([&] {
        c.cdef(
            "typedef int fresh_t;\n"
            "struct later { int x; };\n"
            "enum pending { P1 };\n"
            "int fresh_fn(void);\n"
            "struct broken { int y }");
    });
    CHECK(e.code() == ErrorCode::PARSE);
    CHECK(c.decls.typedefs.size() == before.typedefs.size());
    CHECK(c.decls.typedefs.count("fresh_t") == 0);
    CHECK(c.decls.functions.count("fresh_fn") == 0);
    CHECK(c.decls.constants.count("P1") == 0);
    CHECK(c.decls.tags.count("broken") == 0);
    // The forward declarations made before are incomplete again, and can be defined.
    CHECK_FALSE(c.rec("later").complete);
    CHECK(c.rec("later").fields.empty());
    CHECK_FALSE(c.enm("pending").complete);
    c.cdef("struct later { long a, b; }; enum pending { P2 = 7 };");
    CHECK(c.rec("later").size == 16);
    CHECK(c.decls.constants.at("P2").value == 7);
}

TEST_CASE("static assertions, typeof, mode, C23 attributes, va_list, VLA parameters") {
    Cx c;
    c.cdef(
        "struct s { char c; double d; };\n"
        "_Static_assert(sizeof(struct s) == 16, \"size\");\n"
        "static_assert(__builtin_offsetof(struct s, d) == 8);\n"
        "struct with_assert { int x; _Static_assert(1, \"inside\"); };\n"
        "typedef typeof(int *) int_ptr;\n"
        "typedef __typeof__(sizeof(int)) my_size;\n"
        "extern double table[4];\n"
        "typedef __typeof__(table) table_t;\n"
        "typedef int qi __attribute__((__mode__(__QI__)));\n"
        "typedef unsigned int udi __attribute__((mode(DI)));\n"
        "[[deprecated(\"old\")]] int old_fn(void);\n"
        "[[gnu::aligned(32)]] typedef int wide_t;\n"
        "typedef __builtin_va_list va;\n"
        "int vprintf(const char *, __builtin_va_list);\n"
        "int vla(size_t n, int a[n], double m[n][n], char *p[*]);\n"
        "int brotli(size_t *n, unsigned char buf[(*n)]);\n");
    CHECK(c.td("int_ptr") == c.type("int *"));
    CHECK(c.td("my_size") == c.prim(Prim::ULong));
    CHECK(c.td("table_t") == c.type("double[4]"));
    CHECK(c.td("qi") == c.prim(Prim::SChar));
    CHECK(c.td("udi") == c.prim(Prim::ULong));
    CHECK(c.decls.functions.count("old_fn") == 1);
    const Type* va = c.td("va");
    REQUIRE(va->is_array());
    CHECK(va->count == 1);
    CHECK(c.types.size_of(va) == 24);
    CHECK(c.decls.functions.at("vprintf").type->params[1] == c.types.pointer(va->inner));
    const Type* vla = c.decls.functions.at("vla").type;
    REQUIRE(vla->params.size() == 4);
    CHECK(vla->params[1] == c.type("int *"));
    CHECK(vla->params[3] == c.type("char **"));
    CHECK(c.decls.functions.at("brotli").type->params[1] == c.type("unsigned char *"));
}

TEST_CASE("declarations using types jiffi cannot represent are skipped") {
    Cx c;
    c.cdef(
        "extern _Float128 strtof128(const char *, char **);\n"
        "extern int __isnanf128(_Float128 __value);\n"
        "typedef __float128 quad_t;\n"
        "quad_t quad_fn(quad_t);\n"
        "typedef float v4sf __attribute__((__vector_size__(16)));\n"
        "struct regs { v4sf xmm[8]; long rax; };\n"
        "struct holder { struct regs r; };\n"
        "int kept(struct regs *);\n"
        "typedef float _Float32;\n");
    CHECK(c.decls.functions.count("strtof128") == 0);
    CHECK(c.decls.functions.count("__isnanf128") == 0);
    CHECK(c.decls.functions.count("quad_fn") == 0);
    CHECK(c.decls.typedefs.count("quad_t") == 0);
    CHECK(c.decls.typedefs.count("v4sf") == 0);
    CHECK_FALSE(c.rec("regs").complete);
    CHECK_FALSE(c.rec("holder").complete);
    CHECK(c.decls.functions.at("kept").type == c.type("int (struct regs *)"));
    CHECK(c.td("_Float32") == c.prim(Prim::Float));
    Error e = error_of([&] { c.sig("_Float128 (int)"); });
    CHECK(e.code() == ErrorCode::INVALID_TYPE);
    CHECK(e.message().find("_Float128") != std::string::npos);
    e = error_of([&] { c.sig("void (struct regs)"); });
    CHECK(e.code() == ErrorCode::INCOMPLETE_TYPE);
}

#ifdef JIFFI_TEST_CC
namespace {

// Runs a shell command and returns its standard output, or nullopt if it failed.
std::optional<std::string> run(const std::string& cmd) {
    std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
    if (!p) return std::nullopt;
    std::string out;
    char buf[4096];
    while (size_t n = fread(buf, 1, sizeof buf, p.get())) out.append(buf, n);
    if (pclose(p.release()) != 0) return std::nullopt;
    return out;
}

}  // namespace

TEST_CASE("preprocessed system headers parse, and the compiler agrees with every layout") {
    if (Target::host().triple != "x86_64-linux-gnu") return;
    const char* headers[] = {"stdio.h",   "stdlib.h",  "string.h",   "math.h",       "time.h",
                             "signal.h",  "pthread.h", "sys/stat.h", "sys/socket.h", "netinet/in.h",
                             "netdb.h",   "dirent.h",  "wchar.h",    "regex.h",      "sys/epoll.h",
                             "termios.h", "link.h"};
    std::string cc = JIFFI_TEST_CC;
    for (const char* h : headers) {
        CAPTURE(h);
        auto text = run("echo '#include <" + std::string(h) + ">' | " + cc +
                        " -E -P -D_GNU_SOURCE -x c - 2>/dev/null");
        if (!text) continue;
        TypeTable types(Target::host());
        install_record_layout(types);
        Declarations decls;
        REQUIRE_NOTHROW(parse_declarations(types, decls, *text));
        CHECK(!decls.functions.empty());
        // The same text plus _Static_asserts of what jiffi computed must compile.
        std::string asserts;
        for (auto& [tag, t] : decls.tags) {
            if (!t.record || !t.record->complete || tag.rfind("__va_list", 0) == 0) continue;
            std::string n = t.record->display_name();
            asserts += "_Static_assert(sizeof(" + n + ") == " + std::to_string(t.record->size) +
                       ", \"\");\n_Static_assert(_Alignof(" + n +
                       ") == " + std::to_string(t.record->align) + ", \"\");\n";
            for (const Field& f : t.record->fields)
                if (!f.name.empty() && !f.is_bitfield)
                    asserts += "_Static_assert(__builtin_offsetof(" + n + ", " + f.name +
                               ") == " + std::to_string(f.offset_bits / 8) + ", \"\");\n";
        }
        for (auto& [name, c] : decls.constants)
            asserts += "_Static_assert(" + name + " == " + std::to_string(c.value) +
                       (c.value < 0 ? "L" : "UL") + ", \"\");\n";
        for (auto& [name, t] : decls.typedefs)
            if (name != "__builtin_va_list" && types.is_complete(t))
                asserts += "_Static_assert(sizeof(" + name +
                           ") == " + std::to_string(types.size_of(t)) + ", \"\");\n";
        std::string path = (std::filesystem::temp_directory_path() /
                            ("jiffi_cparse_check_" + std::to_string(getpid()) + ".c"))
                               .string();
        {
            std::unique_ptr<FILE, int (*)(FILE*)> f(fopen(path.c_str(), "w"), fclose);
            REQUIRE(f);
            fputs(text->c_str(), f.get());
            fputs(asserts.c_str(), f.get());
        }
        auto diag = run(cc + " -fsyntax-only -w " + path + " 2>&1 && echo ok");
        CHECK(diag.value_or("") == "ok\n");
        std::remove(path.c_str());
    }
}
#endif

// The discoverer on small headers: every kind of declaration, the JSON formats, --target,
// --only, and jiffi-layout's errors and exit codes on bad input.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "layout/discover/discover.hpp"

namespace jiffi::detail {

namespace {

namespace fs = std::filesystem;

// Writes text to a file in the test's work directory and returns its path.
std::string write_header(const std::string& name, const std::string& text) {
    std::string dir = std::string(JIFFI_DISCOVER_WORKDIR) + "/unit-" + std::to_string(::getpid());
    fs::create_directories(dir);
    std::string path = dir + "/" + name;
    std::ofstream(path) << text;
    return path;
}

// Runs jiffi-layout with args; returns its exit status, stdout and stderr.
int layout_cli(const std::string& args, std::string& out, std::string& err) {
    std::string errfile = std::string(JIFFI_DISCOVER_WORKDIR) + "/cli-stderr-" + std::to_string(::getpid());
    FILE* p = ::popen(("'" JIFFI_LAYOUT_CLI "' " + args + " 2>'" + errfile + "'").c_str(), "r");
    out.clear();
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    int rc = ::pclose(p);
    std::ifstream e(errfile);
    err.assign(std::istreambuf_iterator<char>(e), std::istreambuf_iterator<char>());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

const DumpRecord& record(const LayoutDump& d, const std::string& tag) {
    for (const DumpRecord& r : d.records)
        if (r.tag == tag || (r.tag.empty() && r.typedef_name == tag)) return r;
    FAIL("no record " << tag);
    throw 0;
}

const DumpMacro* macro(const LayoutDump& d, const std::string& name) {
    for (const DumpMacro& m : d.macros)
        if (m.name == name) return &m;
    return nullptr;
}

const DumpSkipped* skipped(const LayoutDump& d, const std::string& name) {
    for (const DumpSkipped& s : d.skipped)
        if (s.name == name) return &s;
    return nullptr;
}

const char* kFixture = R"(
#pragma pack(push, 2)
struct u_pk { char a; int b; };
#pragma pack(pop)
struct u_bits { unsigned a : 3, b : 7; int : 0; long c : 40; char d; };
typedef struct { int x; union { int u1; float u2; }; struct { char c1, c2; } named; } u_anon_t;
struct u_flex { int n; double d[]; };
struct __attribute__((packed, aligned(4))) u_pa { char c; long l; };
struct u_incomplete;
enum u_big { U_NEG = -1, U_MAX = 0x7fffffffffffffffL };
enum u_ubig : unsigned long long { U_ALL = 0xffffffffffffffffULL };
typedef unsigned long u_size;
typedef u_size u_size2;
typedef int (*u_cmp)(const void *, const void *);
typedef void (*u_destructor)(void *);
int u_sort(void *base, unsigned long n, u_cmp f, ...);
struct u_bits u_by_value(struct u_pk, double (*)(int, ...));
extern int u_counter;
#define U_INT 42
#define U_NEG_L (-5L)
#define U_FLOAT 3.25
#define U_FLOATF 0.5f
#define U_STR "jiffi\n"
#define U_NULL ((void *)0)
#define U_TRANSIENT ((u_destructor)-1)
#define U_SIZEOF sizeof(struct u_bits)
#define U_ENUM U_NEG
#define U_FN(x) (x)
#define U_EMPTY
#define U_BAD (1 +)
#define U_TYPE unsigned int
#define U_ADDR (&u_counter)
#define U_STMT do { } while (0)
#define U_WHERE __LINE__
#define U_BYTES "\xff\xe2\x82\xac"
)";

}  // namespace

TEST_CASE("discover: records, bit-fields, packing, anonymous members, flexible arrays") {
    DiscoverOptions o;
    o.headers = {write_header("fixture.h", kFixture)};
    LayoutDump d = discover_layout(o);
    const DumpRecord& pk = record(d, "u_pk");
    CHECK(pk.size == 6);
    CHECK(pk.align == 2);
    CHECK(pk.pack == 2);
    CHECK(pk.fields[1].offset_bits == 16);

    const DumpRecord& b = record(d, "u_bits");
    CHECK(b.size == 16);
    REQUIRE(b.fields.size() == 5);
    CHECK(b.fields[0].bitfield);
    CHECK(b.fields[0].bit_width == 3);
    CHECK(b.fields[1].offset_bits == 3);
    CHECK(b.fields[2].name.empty());
    CHECK(b.fields[2].bit_width == 0);
    CHECK(b.fields[3].offset_bits == 64);
    CHECK(b.fields[3].bit_width == 40);
    CHECK(b.fields[4].offset_bits == 104);

    const DumpRecord& a = record(d, "u_anon_t");
    CHECK(a.typedef_name == "u_anon_t");
    CHECK(a.fields[1].anonymous);
    bool found_u2 = false;
    for (const DumpAccess& x : a.access)
        if (x.name == "u2") {
            found_u2 = true;
            CHECK(x.offset_bits == 32);
            CHECK(x.path == std::vector<uint32_t>{1, 1});
        }
    CHECK(found_u2);

    const DumpRecord& f = record(d, "u_flex");
    CHECK(f.has_flexible);
    CHECK(f.fields[1].flexible);
    CHECK(f.size == 8);
    const DumpRecord& pa = record(d, "u_pa");
    CHECK(pa.packed);
    CHECK(pa.align_attr == 4);
    CHECK(pa.size == 12);
    CHECK(pa.fields[1].offset_bits == 8);
    CHECK_FALSE(record(d, "u_incomplete").complete);
}

TEST_CASE("discover: enums, typedefs, functions, variables") {
    DiscoverOptions o;
    o.headers = {write_header("fixture.h", kFixture)};
    LayoutDump d = discover_layout(o);
    bool big = false, ubig = false;
    for (const DumpEnum& e : d.enums) {
        if (e.tag == "u_big") {
            big = true;
            CHECK(d.types[e.underlying].name == "long");
            CHECK(e.values[0].negative);
            CHECK(e.values[0].text() == "-1");
            CHECK(e.values[1].text() == "9223372036854775807");
        }
        if (e.tag == "u_ubig") {
            ubig = true;
            CHECK(d.types[e.underlying].name == "unsigned long long");
            CHECK(e.values[0].text() == "18446744073709551615");
        }
    }
    CHECK(big);
    CHECK(ubig);
    // Values beyond 2^53 are strings in JSON.
    std::string json = write_jiffi_json(d);
    CHECK(json.find("\"value\": \"18446744073709551615\"") != std::string::npos);
    CHECK(json.find("\"value\": -1") != std::string::npos);

    bool size2 = false;
    for (const DumpTypedef& t : d.typedefs)
        if (t.name == "u_size2") {
            size2 = true;
            CHECK(d.types[t.type].kind == DumpTypeKind::Typedef);
            CHECK(d.types[d.types[t.type].inner].name == "u_size");  // the immediate type
            CHECK(d.types[t.canonical].name == "unsigned long");     // the canonical type
        }
    CHECK(size2);
    bool sort = false, by_value = false;
    for (const DumpFunction& f : d.functions) {
        if (f.name == "u_sort") {
            sort = true;
            CHECK(f.variadic);
            REQUIRE(f.params.size() == 3);
            CHECK(f.params[2].name == "f");
            const DumpType& cmp = d.types[d.types[f.params[2].type].canonical];
            REQUIRE(cmp.kind == DumpTypeKind::Pointer);
            const DumpType& fn = d.types[cmp.inner];
            CHECK(fn.kind == DumpTypeKind::Function);
            CHECK(fn.params.size() == 2);
            CHECK_FALSE(fn.variadic);
        }
        if (f.name == "u_by_value") {
            by_value = true;
            CHECK(d.types[f.ret].kind == DumpTypeKind::Record);
            const DumpType& fp = d.types[d.types[f.params[1].type].inner];
            CHECK(fp.kind == DumpTypeKind::Function);
            CHECK(fp.variadic);
        }
    }
    CHECK(sort);
    CHECK(by_value);
    REQUIRE(d.variables.size() >= 1);
    CHECK(d.variables[0].name == "u_counter");
    CHECK(d.variables[0].storage == "extern");
}

TEST_CASE("discover: macros evaluated by clang, the others skipped with the reason") {
    DiscoverOptions o;
    o.headers = {write_header("fixture.h", kFixture)};
    LayoutDump d = discover_layout(o);
    REQUIRE(macro(d, "U_INT"));
    CHECK(macro(d, "U_INT")->value_text() == "42");
    CHECK(macro(d, "U_NEG_L")->value_text() == "-5");
    CHECK(d.types[macro(d, "U_NEG_L")->type].name == "long");
    CHECK(macro(d, "U_FLOAT")->kind == MacroKind::Float);
    CHECK(macro(d, "U_FLOAT")->real == 3.25);
    CHECK(d.types[macro(d, "U_FLOATF")->type].name == "float");
    CHECK(macro(d, "U_STR")->str == "jiffi\n");
    CHECK(macro(d, "U_NULL")->kind == MacroKind::Pointer);
    CHECK(macro(d, "U_NULL")->bits == 0);
    // sqlite3's SQLITE_TRANSIENT form: a cast of -1 to a function pointer type.
    REQUIRE(macro(d, "U_TRANSIENT"));
    CHECK(macro(d, "U_TRANSIENT")->kind == MacroKind::Pointer);
    CHECK(macro(d, "U_TRANSIENT")->bits == ~uint64_t(0));
    CHECK(macro(d, "U_SIZEOF")->value_text() == "16");
    CHECK(macro(d, "U_ENUM")->value_text() == "-1");
    CHECK(skipped(d, "U_FN")->reason == "function-like macro");
    CHECK(skipped(d, "U_EMPTY")->reason == "empty definition");
    CHECK(skipped(d, "U_BAD")->reason.find("expected expression") != std::string::npos);
    CHECK(skipped(d, "U_TYPE")->reason.find("expected expression") != std::string::npos);
    CHECK(skipped(d, "U_ADDR")->reason.find("not a constant") != std::string::npos);
    CHECK(skipped(d, "U_STMT")->reason.find("not an expression") != std::string::npos);
    CHECK(skipped(d, "U_WHERE")->reason.find("where it is expanded") != std::string::npos);
    CHECK(skipped(d, "U_INT") == nullptr);
    // Any bytes of a string survive the JSON round trip.
    REQUIRE(macro(d, "U_BYTES"));
    CHECK(macro(d, "U_BYTES")->str == "\xff\xe2\x82\xac");
    LayoutDump back = read_jiffi_json(write_jiffi_json(d));
    REQUIRE(macro(back, "U_BYTES"));
    CHECK(macro(back, "U_BYTES")->str == "\xff\xe2\x82\xac");
    CHECK(macro(back, "U_TRANSIENT")->bits == ~uint64_t(0));
    CHECK(macro(back, "U_NEG_L")->value_text() == "-5");
    CHECK(back.skipped.size() == d.skipped.size());
}

TEST_CASE("discover: --only keeps the named declarations and what their types reach") {
    DiscoverOptions o;
    o.headers = {"sys/stat.h"};
    o.only = {"struct stat", "S_IFDIR"};
    LayoutDump d = discover_layout(o);
    bool stat = false, timespec = false;
    for (const DumpRecord& r : d.records) {
        stat = stat || r.tag == "stat";
        timespec = timespec || r.tag == "timespec";
    }
    CHECK(stat);
    CHECK(timespec);
    CHECK(d.functions.empty());
    REQUIRE(d.macros.size() == 1);
    CHECK(d.macros[0].value_text() == "16384");
    // Renumbered ids stay consistent: the JSON reads back.
    LayoutDump back = read_jiffi_json(write_jiffi_json(d, false));
    CHECK(back.records.size() == d.records.size());
    CHECK(back.types.size() == d.types.size());
    CHECK(back.records[0].size == d.records[0].size);
    std::vector<std::string> unknown;
    select_dump(d, {"jd_nothing_by_this_name"}, unknown);
    CHECK(unknown == std::vector<std::string>{"jd_nothing_by_this_name"});
}

TEST_CASE("discover: --target lays out for another triple") {
    DiscoverOptions o;
    o.headers = {write_header("target.h", "struct t_ld { char c; long double ld; }; struct t_c { char c; };\n")};
    o.target = "aarch64-linux-gnu";
    LayoutDump d = discover_layout(o);
    CHECK(d.header.triple.rfind("aarch64", 0) == 0);
    CHECK_FALSE(d.header.char_signed);
    CHECK(d.header.long_double_size == 16);
    CHECK(record(d, "t_ld").size == 32);
    o.target = "i386-linux-gnu";
    d = discover_layout(o);
    CHECK(d.header.pointer_size == 4);
    CHECK(record(d, "t_ld").size == 16);  // long double: 12 bytes, 4-aligned, on i386
}

TEST_CASE("jiffi-layout: JSON out, c2ffi format") {
    std::string h = write_header("fixture.h", kFixture);
    std::string out, err;
    REQUIRE(layout_cli("'" + h + "' --only u_bits --only u_sort --only U_INT --only u_anon_t", out, err) == 0);
    LayoutDump d = read_jiffi_json(out);
    CHECK(d.records.size() >= 2);
    CHECK(d.header.arguments.size() == 9);
    std::string outfile = std::string(JIFFI_DISCOVER_WORKDIR) + "/cli-out.json";
    REQUIRE(layout_cli("--format c2ffi -o '" + outfile + "' '" + h + "' --only u_bits --only u_sort --only U_INT --only U_STR --only u_anon_t --only u_counter", out, err) == 0);
    std::ifstream f(outfile);
    std::string c2(std::istreambuf_iterator<char>(f), {});
    JsonValue v = parse_json(c2);
    REQUIRE(v.kind == JsonValue::Kind::Array);
    bool st = false, fn = false, cst = false, str = false, ext = false, td = false;
    for (const JsonValue& e : v.items) {
        std::string tag = e.str("tag");
        if (tag == "struct" && e.str("name") == "u_bits") {
            st = true;
            CHECK(e.u64("bit-size") == 128);
            const JsonValue& fields = *e.find("fields");
            CHECK(fields.items[3].u64("bit-offset") == 64);
            CHECK(fields.items[3].find("type")->str("tag") == ":bitfield");
            CHECK(fields.items[3].find("type")->u64("width") == 40);
        }
        if (tag == "function" && e.str("name") == "u_sort") {
            fn = true;
            CHECK(e.flag("variadic"));
            CHECK(e.find("parameters")->items.size() == 3);
            CHECK(e.find("parameters")->items[2].find("type")->str("tag") == "u_cmp");
            CHECK(e.find("return-type")->str("tag") == ":int");
        }
        if (tag == "const" && e.str("name") == "U_INT") cst = e.u64("value") == 42;
        if (tag == "const" && e.str("name") == "U_STR") str = e.str("value") == "jiffi\n";
        if (tag == "extern" && e.str("name") == "u_counter") ext = true;
        if (tag == "typedef" && e.str("name") == "u_anon_t") td = e.find("type")->str("tag") == "struct";
    }
    CHECK(st);
    CHECK(fn);
    CHECK(cst);
    CHECK(str);
    CHECK(ext);
    CHECK(td);  // an untagged record is written inline where its typedef uses it
}

TEST_CASE("jiffi-layout: bad input gives clang's diagnostics and documented exit codes") {
    std::string out, err;
    CHECK(layout_cli("jiffi_no_such_header.h", out, err) == kExitCompile);
    CHECK(err.find("jiffi_no_such_header.h") != std::string::npos);
    CHECK(err.find("file not found") != std::string::npos);
    CHECK(out.empty());

    std::string bad = write_header("syntax.h", "struct ok { int a; };\nstruct broken { int a b; };\n");
    CHECK(layout_cli("'" + bad + "'", out, err) == kExitCompile);
    CHECK(err.find("syntax.h:2:") != std::string::npos);
    CHECK(err.find("error: expected") != std::string::npos);

    std::string good = write_header("good.h", "struct ok { int a; };\n");
    CHECK(layout_cli("--only jd_missing_name '" + good + "'", out, err) == kExitUnknownName);
    CHECK(err.find("'jd_missing_name'") != std::string::npos);
    CHECK(layout_cli("--bogus '" + good + "'", out, err) == kExitUsage);
    CHECK(err.find("--bogus") != std::string::npos);
    CHECK(layout_cli("", out, err) == kExitUsage);
    CHECK(layout_cli("--format xml '" + good + "'", out, err) == kExitUsage);
    CHECK(layout_cli("-o /nonexistent-dir/x.json '" + good + "'", out, err) == kExitOutput);
    CHECK(layout_cli("--target nonsense-triple-xyz '" + good + "'", out, err) == kExitCompile);
    CHECK_FALSE(err.empty());

    // Garbage never crashes: binary bytes, unbalanced braces, a directive error.
    std::string junk = write_header("junk.h", std::string("\x01\x02\xff struct { {{ ;; \"\n#if\n", 24));
    int rc = layout_cli("'" + junk + "'", out, err);
    CHECK(rc == kExitCompile);
    std::string unbalanced = write_header("unbalanced.h", "struct s { int a;\n#define X (\n");
    CHECK(layout_cli("'" + unbalanced + "'", out, err) == kExitCompile);
    std::string errdir = write_header("error.h", "#error jiffi test error\n");
    CHECK(layout_cli("'" + errdir + "'", out, err) == kExitCompile);
    CHECK(err.find("jiffi test error") != std::string::npos);
}

}  // namespace jiffi::detail

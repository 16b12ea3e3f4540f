// Structs: define-c-struct, with-c-struct, struct-ref by path and bitfields, cdef and
// define-c-struct-auto records, structs by value in calls.
#include <doctest/doctest.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/stat.h>
#include <vector>

#include "jiffi/foreign.hpp"
#include "jiffi/runtime.hpp"
#include "jiffi/structs.hpp"

using namespace jiffi;

TEST_CASE("define_c_struct timespec, set fields, pass to nanosleep") {
    Runtime rt;
    StructType timespec = define_c_struct(rt, "timespec", {{"sec", ":long"}, {"nsec", ":long"}});
    CHECK(timespec.size() == 16);
    CHECK(timespec.align() == 8);
    CHECK(timespec.name() == "struct timespec");
    CHECK(timespec.field("nsec").offset == 8);
    CHECK(timespec.members() == std::vector<std::string>{"sec", "nsec"});
    SharedFunction nanosleep_fn = defshared(rt, "nanosleep", "libc", "int", {"pointer", "pointer"});
    int rc = with_c_struct(timespec, [&](CStruct& ts) {
        CHECK(ts["sec"].get<long>() == 0);  // zeroed
        ts["sec"] = 0;
        ts["nsec"] = 2000000;
        CHECK(ts.get<long>("nsec") == 2000000);
        auto t0 = std::chrono::steady_clock::now();
        int r = nanosleep_fn.call_as<int>(ts.pointer(), nullptr);
        CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(2));
        return r;
    });
    CHECK(rc == 0);
    // The same definition again is the same type; different members are an error.
    CHECK(define_c_struct(rt, "timespec", {{"sec", "long"}, {"nsec", "long"}}).size() == 16);
    CHECK_THROWS_WITH_AS(define_c_struct(rt, "timespec", {{"sec", "int"}}),
                         doctest::Contains("already defined"), Error);
}

TEST_CASE("layout by the C rules, nested paths and arrays") {
    Runtime rt;
    define_c_struct(rt, "inner", {{"tag", "char"}, {"vals", "short[3]"}, {"d", "double"}});
    StructType outer = define_c_struct(rt, "outer", {{"c", "char"}, {"in", "struct inner"}, {"arr", "struct inner[2]"}, {"last", "int"}});
    CHECK(outer.size() == 64);  // char @0, inner (16, align 8) @8, arr @24, int @56
    CHECK(outer.field("in").offset == 8);
    CHECK(outer.field("in.vals[2]").offset == 8 + 2 + 4);
    CHECK(outer.field("arr[1].d").offset == 24 + 16 + 8);
    CHECK(outer.field("last").offset == 56);
    CStruct s(outer);
    s["in.vals[2]"] = -7;
    s["arr[1].d"] = 3.25;
    s["arr[1].vals"] = Value(Value::Array{Value(1), Value(2), Value(3)});
    CHECK(s.get<int>("in.vals[2]") == -7);
    CHECK(s.get<double>("arr[1].d") == 3.25);
    CHECK(s.get<short>("arr[1].vals[1]") == 2);
    auto* raw = static_cast<unsigned char*>(s.pointer());
    short v;
    std::memcpy(&v, raw + 14, 2);
    CHECK(v == -7);
    StructRef arr1 = s.nested("arr[1]");
    CHECK(arr1.type().name() == "struct inner");
    CHECK(arr1.get<double>("d") == 3.25);
    // bad paths and values are errors naming them
    CHECK_THROWS_WITH_AS(s["in.nope"].value(), doctest::Contains("no member named 'nope'"), Error);
    CHECK_THROWS_WITH_AS(s["arr[2]"].value(), doctest::Contains("index 2 out of range"), Error);
    CHECK_THROWS_WITH_AS(s["c.x"].value(), doctest::Contains("has type char"), Error);
    CHECK_THROWS_WITH_AS(s["in.vals[0"].value(), doctest::Contains("expected an index"), Error);
    CHECK_THROWS_WITH_AS(s["c"] = 300, doctest::Contains("out of range"), Error);
    CHECK_THROWS_WITH_AS(s["in.vals"] = Value(Value::Array{Value(1), Value(2), Value(3), Value(4)}),
                         doctest::Contains("more than 3 elements"), Error);
}

TEST_CASE("bitfields get and set with sign and width checks") {
    Runtime rt;
    StructType flags = define_c_struct(rt, "flags", {{"a", "unsigned int", 3}, {"b", "int", 5}, {"on", "_Bool", 1}, {"rest", "unsigned int", 23}});
    CHECK(flags.size() == 4);
    jiffi_field_info b = flags.field("b");
    CHECK(b.is_bitfield == 1);
    CHECK(b.bit_offset == 3);
    CHECK(b.bit_width == 5);
    CStruct s(flags);
    s["a"] = 5;
    s["b"] = -9;
    s["on"] = true;
    s["rest"] = 0x7FFFFF;
    CHECK(s.get<unsigned>("a") == 5);
    CHECK(s.get<int>("b") == -9);
    CHECK(s.get<bool>("on") == true);
    CHECK(s.get<unsigned>("rest") == 0x7FFFFF);
    uint32_t word;
    std::memcpy(&word, s.pointer(), 4);
    // a=5 (bits 0-2), b=-9 = 0b10111 (bits 3-7), on (bit 8), rest (bits 9-31) all ones
    CHECK(word == (5u | (0x17u << 3) | (1u << 8) | (0x7FFFFFu << 9)));
    s["a"] = 0;
    CHECK(s.get<int>("b") == -9);  // neighbours untouched
    CHECK_THROWS_WITH_AS(s["a"] = 8, doctest::Contains("out of range 0..7"), Error);
    CHECK_THROWS_WITH_AS(s["b"] = 16, doctest::Contains("out of range -16..15"), Error);
    CHECK_THROWS_WITH_AS(s["b"].pointer(), doctest::Contains("no address"), Error);
}

TEST_CASE("records from cdef, anonymous members and unions") {
    Runtime rt;
    rt.context().cdef("struct point { int x, y; };\n"
                      "struct shape { int kind; union { struct point p; double r; }; char name[8]; };");
    StructType shape(rt, "struct shape");
    CHECK(shape.size() == 24);
    CHECK(shape.field("p.y").offset == 12);
    CHECK(shape.field("r").offset == 8);
    CStruct s(shape);
    s["name"] = std::string("circle");
    CHECK(s.get<std::string>("name") == "circle");
    CHECK_THROWS_WITH_AS(s["name"] = std::string("too long!"), doctest::Contains("longer than 7"), Error);
    s["r"] = 1.5;
    CHECK(s.get<double>("r") == 1.5);
    CHECK(shape.members() == std::vector<std::string>{"kind", "p", "r", "name"});

    rt.context().cdef("struct stat_like { unsigned long st_dev; /* ... */ unsigned long st_ino;"
                      " unsigned int st_mode : 16; unsigned int st_nlink : 16; } __attribute__((packed));");
    StructType st(rt, "struct stat_like");
    CHECK(st.size() == 20);
    CHECK(st.field("st_nlink").bit_offset == 16 * 8 + 16);

    StructType u = define_c_union(rt, "num", {{"i", "int"}, {"f", "float"}});
    CStruct n(u);
    n["f"] = 1.0f;
    CHECK(n.get<uint32_t>("i") == 0x3F800000u);
    CHECK_THROWS_WITH_AS(StructType(rt, "int"), doctest::Contains("not a struct"), Error);
    CHECK_THROWS_AS(StructType(rt, "struct never_defined"), Error);
}

TEST_CASE("structs by value: div returns div_t, inet_ntoa takes struct in_addr") {
    Runtime rt;
    rt.context().cdef("typedef struct { int quot; int rem; } div_t;\n"
                      "typedef struct { long quot; long rem; } ldiv_t;\n"
                      "struct in_addr { unsigned int s_addr; };");
    SharedFunction div_fn = defshared(rt, "div", "libc", "div_t div(int, int)");
    Value r = div_fn(17, 5);
    REQUIRE(r.kind() == Value::Kind::Bytes);
    CStruct d = CStruct::from_bytes(StructType(rt, "div_t"), r);
    CHECK(d.get<int>("quot") == 3);
    CHECK(d.get<int>("rem") == 2);
    SharedFunction ldiv_fn = defshared(rt, "ldiv", "libc", "ldiv_t ldiv(long, long)");
    CStruct ld = CStruct::from_bytes(StructType(rt, "ldiv_t"), ldiv_fn(-7000000000L, 3L));
    CHECK(ld.get<long>("quot") == -2333333333L);
    CHECK(ld.get<long>("rem") == -1);

    SharedFunction ntoa = defshared(rt, "inet_ntoa", "libc", "const char *inet_ntoa(struct in_addr)");
    CStruct addr(StructType(rt, "struct in_addr"));
    addr["s_addr"] = 0x0100007Fu;  // 127.0.0.1 in network byte order on little-endian
    CHECK(ntoa(addr).as_string() == "127.0.0.1");
    CHECK(ntoa(addr.bytes()).as_string() == "127.0.0.1");
    CHECK_THROWS_WITH_AS(ntoa(d), doctest::Contains("struct in_addr"), Error);  // wrong struct
    CHECK_THROWS_WITH_AS(ntoa(Value(Value::Bytes(3))), doctest::Contains("4 bytes needed"), Error);
}

TEST_CASE("records from define_c_struct_auto (real headers): struct stat filled by stat()") {
    Runtime rt;
    LayoutRequest req;
    req.headers = {"sys/stat.h"};
    AutoRecord rec = define_c_struct_auto_snippet(rt.context(), "struct stat { dev_t st_dev; ino_t st_ino; };", req);
    StructType stat_type(rt, rec.type_name);
    CHECK(stat_type.size() == sizeof(struct stat));
    CHECK(stat_type.field("st_ino").offset == offsetof(struct stat, st_ino));
    CHECK(stat_type.field("st_size").offset == offsetof(struct stat, st_size));
    SharedFunction stat_fn = defshared(rt, "stat", "libc", "int stat(const char *, struct stat *)");
    CStruct s(stat_type);
    REQUIRE(stat_fn("/", s).as_int() == 0);
    struct stat ref;
    REQUIRE(::stat("/", &ref) == 0);
    CHECK(s.get<uint64_t>("st_ino") == ref.st_ino);
    CHECK(s.get<uint64_t>("st_dev") == ref.st_dev);
    CHECK(s.get<int64_t>("st_size") == ref.st_size);
}

TEST_CASE("bad struct definitions are errors naming the member") {
    Runtime rt;
    CHECK_THROWS_WITH_AS(define_c_struct(rt, "bad1", {{"x", "no_such_type_t"}}),
                         doctest::Contains("member 1 of struct bad1 ('x')"), Error);
    CHECK_THROWS_WITH_AS(define_c_struct(rt, "bad2", {{"x", "int"}, {"x", "long"}}),
                         doctest::Contains("duplicate member 'x'"), Error);
    CHECK_THROWS_WITH_AS(define_c_struct(rt, "bad3", {{"2x", "int"}}), doctest::Contains("not a valid member name"), Error);
    CHECK_THROWS_WITH_AS(define_c_struct(rt, "bad 4", {{"x", "int"}}), doctest::Contains("not a valid tag name"), Error);
    CHECK_THROWS_WITH_AS(define_c_struct(rt, "bad5", {}), doctest::Contains("at least one member"), Error);
    CHECK_THROWS_WITH_AS(define_c_struct(rt, "bad6", {{"x", "int", 40}}), doctest::Contains("bad6"), Error);
    CHECK_THROWS_AS(StructRef(define_c_struct(rt, "good", {{"x", "int"}}), nullptr), Error);
    CHECK_THROWS_WITH_AS(StructType().size(), doctest::Contains("empty StructType"), Error);
}

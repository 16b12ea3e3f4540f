// Generates the ABI call suite: random C signatures with their callees, reference callers and metadata.
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

// SplitMix64: a portable generator, so that one seed gives one suite with every standard library.
class Rng {
public:
    explicit Rng(uint64_t seed) : state_(seed) {}

    // The next 64 random bits.
    uint64_t next() {
        uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }

    // A uniform integer in [lo, hi].
    int range(int lo, int hi) {
        return lo + static_cast<int>(next() % static_cast<uint64_t>(hi - lo + 1));
    }

    // True with the given percentage.
    bool chance(int percent) { return range(0, 99) < percent; }

    // A uniform element of v.
    template <class T>
    const T& pick(const std::vector<T>& v) {
        return v[next() % v.size()];
    }

private:
    uint64_t state_;
};

enum class Kind {
    Void, Bool, Char, SChar, UChar, Short, UShort, Int, UInt, Long, ULong, LLong, ULLong,
    Float, Double, LDouble, CFloat, CDouble, CLDouble, Int128, UInt128, Pointer, Enum, Record
};

// Facts about a primitive kind: spelling, ABI_K_ suffix, width and signedness of integers.
struct PrimInfo {
    const char* spelling;
    const char* code;
    int bits;    // integers: value bits; 0 for other kinds
    int sign;    // 1 signed, 0 unsigned, -1 plain char (the target decides)
};

// Indexed by Kind up to UInt128.
const PrimInfo kPrims[] = {
    {"void", "VOID", 0, 0},
    {"_Bool", "BOOL", 1, 0},
    {"char", "CHAR", 8, -1},
    {"signed char", "SCHAR", 8, 1},
    {"unsigned char", "UCHAR", 8, 0},
    {"short", "SHORT", 16, 1},
    {"unsigned short", "USHORT", 16, 0},
    {"int", "INT", 32, 1},
    {"unsigned int", "UINT", 32, 0},
    {"long", "LONG", 64, 1},
    {"unsigned long", "ULONG", 64, 0},
    {"long long", "LLONG", 64, 1},
    {"unsigned long long", "ULLONG", 64, 0},
    {"float", "FLOAT", 0, 0},
    {"double", "DOUBLE", 0, 0},
    {"long double", "LDOUBLE", 0, 0},
    {"_Complex float", "CFLOAT", 0, 0},
    {"_Complex double", "CDOUBLE", 0, 0},
    {"_Complex long double", "CLDOUBLE", 0, 0},
    {"__int128", "INT128", 128, 1},
    {"unsigned __int128", "UINT128", 128, 0},
};

// A pointer type as a declarator around a name, and C expressions for its values.
struct PointerKind {
    const char* prefix;
    const char* suffix;
    bool function;
    std::vector<const char*> values;
};

const std::vector<PointerKind> kPointers = {
    {"void *", "", false,
     {"(void *)0", "(void *)&abi_tgt_ints[3]", "(void *)0x7ffe12345678", "(void *)abi_tgt_str"}},
    {"const char *", "", false, {"abi_tgt_str", "abi_tgt_str + 6", "(const char *)0"}},
    {"int *", "", false, {"&abi_tgt_ints[0]", "&abi_tgt_ints[7]", "(int *)0"}},
    {"double *", "", false, {"&abi_tgt_dbls[1]", "(double *)0xfffffffffff0"}},
    {"const void *", "", false, {"(const void *)&abi_tgt_dbls[3]", "(const void *)0x1000"}},
    {"int (*", ")(int)", true, {"&abi_fn_ii", "(int (*)(int))0"}},
    {"double (*", ")(double, double)", true, {"&abi_fn_ddd"}},
    {"void (*", ")(void)", true, {"&abi_fn_v", "abi_fn_v"}},
};

// A generated type: a primitive kind, or an index into the case's pointers, enums or records.
struct Type {
    Kind kind = Kind::Void;
    int index = -1;
};

// A record member: an array when count > 0, a bitfield when bits >= 0 (unnamed if name is
// empty), an anonymous member when name is empty and type is an untagged record.
struct Member {
    std::string name;
    Type type;
    int count = 0;
    int bits = -1;
};

// A struct or union of one case; untagged ones are defined inline in their parent's member.
struct Record {
    std::string tag;
    bool is_union = false;
    bool packed = false;
    int aligned = 0;
    bool attr_after = false;
    int kind_code = 0;  // 0 plain struct, else the ABI_K_ suffix index below
    std::vector<Member> members;
};

struct EnumDef {
    std::string tag;
    bool packed = false;
    bool attr_after = false;
    std::vector<std::pair<std::string, std::string>> values;  // name, C constant expression
};

// A tagged definition in the order it must be declared.
struct Decl {
    bool is_enum;
    int index;
};

// One generated case.
struct Case {
    int index = 0;
    std::string mode;
    std::vector<Record> records;
    std::vector<EnumDef> enums;
    std::vector<Decl> order;
    Type ret;
    std::vector<Type> args;  // fixed arguments then variadic ones
    int fixed = 0;
    bool variadic = false;
    std::vector<std::string> refuse;
    int next_member = 0;
};

const char* const kRecordKinds[] = {"STRUCT", "UNION", "BITFIELDS", "PACKED", "ALIGNED", "EMPTY"};

// Formats an integer value as a C constant of a type with the given width and signedness.
std::string int_text(uint64_t bits_value, bool is_signed, int width) {
    char buf[64];
    if (is_signed) {
        int64_t v = static_cast<int64_t>(bits_value);
        const char* suffix = width > 32 ? "L" : "";
        if (width > 32 && v == INT64_MIN) return "(-0x7fffffffffffffffL - 1)";
        if (width > 16 && width <= 32 && v == INT32_MIN) return "(-2147483647 - 1)";
        std::snprintf(buf, sizeof buf, "%" PRId64 "%s", v, suffix);
    } else {
        const char* suffix = width > 32 ? "UL" : (width > 16 ? "U" : "");
        if (bits_value > 0xffff)
            std::snprintf(buf, sizeof buf, "0x%" PRIx64 "%s", bits_value, suffix);
        else
            std::snprintf(buf, sizeof buf, "%" PRIu64 "%s", bits_value, suffix);
    }
    return buf;
}

// Escapes text as the contents of a C string literal split at its newlines.
std::string c_string(const std::string& text) {
    std::string out = "\"";
    for (char ch : text) {
        if (ch == '\\' || ch == '"') {
            out += '\\';
            out += ch;
        } else if (ch == '\n') {
            out += "\\n\"\n    \"";
        } else {
            out += ch;
        }
    }
    out += "\"";
    const std::string dangling = "\n    \"\"";
    if (out.size() >= dangling.size() &&
        out.compare(out.size() - dangling.size(), dangling.size(), dangling) == 0)
        out.erase(out.size() - dangling.size());
    return out;
}

// Draws one case at a time from a seed; every case depends only on the seed and its index.
class Generator {
public:
    explicit Generator(uint64_t seed) : seed_(seed) {}

    // Generates case index with its own random stream.
    Case generate(int index) {
        Rng rng(seed_ ^ (0xd1b54a32d192ed03ULL * static_cast<uint64_t>(index + 1)));
        rng_ = &rng;
        Case c;
        c.index = index;
        case_ = &c;
        int r = rng.range(0, 99);
        if (r < 7)
            gen_refused();
        else if (r < 12)
            gen_regedge_int();
        else if (r < 16)
            gen_regedge_sse();
        else if (r < 19)
            gen_regedge_mixed();
        else if (r < 27)
            gen_int128(r >= 23);
        else if (r < 34)
            gen_ldouble();
        else if (r < 40)
            gen_complex();
        else if (r < 50)
            gen_varpromo();
        else if (r < 60)
            gen_hard_records();
        else
            gen_callable();
        case_ = nullptr;
        rng_ = nullptr;
        return c;
    }

private:
    Rng& rng() { return *rng_; }
    Case& cs() { return *case_; }

    // A new member name, unique in the case so that anonymous members never clash.
    std::string member_name() { return "f" + std::to_string(cs().next_member++); }

    // The signature of a case that every backend must call.
    void gen_callable() {
        Case& c = cs();
        int r = rng().range(0, 99);
        int roll = rng().range(0, 99);
        if (roll < 12)
            c.ret = Type{Kind::Void};
        else if (roll < 70)
            c.ret = gen_scalar();
        else
            c.ret = gen_struct();
        if (r < 20) {
            c.mode = "variadic";
            gen_variadic_args([this] { return rng().chance(25) ? gen_struct() : gen_scalar(); });
        } else if (r < 35) {
            c.mode = "float-heavy";
            int n = rng().range(9, 12);
            for (int i = 0; i < n; ++i) {
                int k = rng().range(0, 99);
                if (k < 75)
                    c.args.push_back(Type{rng().chance(50) ? Kind::Float : Kind::Double});
                else if (k < 83)
                    c.args.push_back(Type{rng().pick(std::vector<Kind>{
                        Kind::LDouble, Kind::CFloat, Kind::CDouble})});
                else if (k < 93)
                    c.args.push_back(gen_classic(rng().pick(std::vector<int>{0, 1, 5, 6, 7, 16, 17})));
                else
                    c.args.push_back(gen_int_like());
            }
        } else if (r < 50) {
            c.mode = "int-heavy";
            int n = rng().range(7, 12);
            for (int i = 0; i < n; ++i) {
                int k = rng().range(0, 99);
                if (k < 75)
                    c.args.push_back(gen_int_like());
                else if (k < 85)
                    c.args.push_back(gen_struct());
                else
                    c.args.push_back(gen_scalar());
            }
        } else if (r < 62) {
            c.mode = "struct-heavy";
            int n = rng().range(3, 10);
            for (int i = 0; i < n; ++i) c.args.push_back(rng().chance(55) ? gen_struct() : gen_scalar());
        } else {
            c.mode = "mixed";
            int n = rng().range(0, 12);
            for (int i = 0; i < n; ++i) c.args.push_back(rng().chance(25) ? gen_struct() : gen_scalar());
        }
        if (!c.variadic) c.fixed = static_cast<int>(c.args.size());
    }

    // Fixed arguments ending in "int n", then 1 to 8 variadic arguments drawn by draw.
    void gen_variadic_args(const std::function<Type()>& draw) {
        Case& c = cs();
        c.variadic = true;
        int extra = rng().range(0, 3);
        for (int i = 0; i < extra; ++i) c.args.push_back(rng().chance(25) ? gen_struct() : gen_scalar());
        c.args.push_back(Type{Kind::Int});
        c.fixed = static_cast<int>(c.args.size());
        int n = rng().range(1, 8);
        for (int i = 0; i < n; ++i) c.args.push_back(draw());
    }

    // A return type for the register-edge modes: mostly a scalar or void, sometimes a struct.
    Type edge_return() {
        int r = rng().range(0, 99);
        if (r < 12) return Type{Kind::Void};
        if (r < 82) return gen_scalar();
        return gen_struct();
    }

    // k integer-class arguments (5 leaves one GPR), then a struct needing two GPRs, then
    // scalars that must still take the register the struct could not use.
    void gen_regedge_int() {
        Case& c = cs();
        c.mode = "regedge-int";
        c.ret = edge_return();
        int k = rng().pick(std::vector<int>{3, 4, 5, 5, 5, 6});
        for (int i = 0; i < k; ++i) {
            if (rng().chance(15)) c.args.push_back(Type{rng().chance(50) ? Kind::Double : Kind::Float});
            c.args.push_back(gen_int_like());
        }
        int structs = rng().chance(25) ? 2 : 1;
        for (int i = 0; i < structs; ++i)
            c.args.push_back(gen_classic(rng().pick(std::vector<int>{34, 34, 28, 25, 11, 18, 8})));
        int trailing = rng().range(1, 3);
        for (int i = 0; i < trailing; ++i)
            c.args.push_back(rng().chance(75) ? gen_int_like() : Type{Kind::Double});
        c.fixed = static_cast<int>(c.args.size());
    }

    // k floating-point arguments (7 leaves one SSE register), then an aggregate needing two
    // SSE registers (or one, which fits), then floating-point scalars that still take xmm7.
    void gen_regedge_sse() {
        Case& c = cs();
        c.mode = "regedge-sse";
        c.ret = edge_return();
        int k = rng().pick(std::vector<int>{6, 7, 7, 7, 8});
        for (int i = 0; i < k; ++i) {
            if (rng().chance(15)) c.args.push_back(gen_int_like());
            c.args.push_back(Type{rng().chance(60) ? Kind::Double : Kind::Float});
        }
        int structs = rng().chance(25) ? 2 : 1;
        for (int i = 0; i < structs; ++i) {
            if (rng().chance(15))
                c.args.push_back(Type{Kind::CDouble});
            else
                c.args.push_back(gen_classic(rng().pick(std::vector<int>{5, 5, 7, 24, 16, 12, 0, 6})));
        }
        int trailing = rng().range(1, 3);
        for (int i = 0; i < trailing; ++i)
            c.args.push_back(rng().chance(80) ? Type{rng().chance(50) ? Kind::Double : Kind::Float} : gen_int_like());
        c.fixed = static_cast<int>(c.args.size());
    }

    // Integer and floating-point registers both nearly used up, then a mixed INTEGER/SSE struct.
    void gen_regedge_mixed() {
        Case& c = cs();
        c.mode = "regedge-mixed";
        c.ret = edge_return();
        int ints = rng().range(5, 6);
        int fps = rng().range(7, 8);
        while (ints + fps > 0) {
            bool take_int = rng().range(1, ints + fps) <= ints;
            if (take_int) {
                c.args.push_back(gen_int_like());
                --ints;
            } else {
                c.args.push_back(Type{rng().chance(60) ? Kind::Double : Kind::Float});
                --fps;
            }
        }
        c.args.push_back(gen_classic(rng().pick(std::vector<int>{13, 27, 20, 2, 12, 35, 32, 33})));
        c.args.push_back(gen_int_like());
        c.args.push_back(Type{Kind::Double});
        c.fixed = static_cast<int>(c.args.size());
    }

    // A signed or unsigned __int128, now and then wrapped in a struct; records the refusal.
    Type gen_int128_arg() {
        Case& c = cs();
        Type t{rng().chance(50) ? Kind::Int128 : Kind::UInt128};
        c.refuse.push_back("__int128");
        if (!rng().chance(20)) return t;
        Record rec;
        rec.members.push_back(Member{member_name(), t});
        if (rng().chance(30)) rec.members.push_back(Member{member_name(), gen_member_scalar()});
        Type s = add_record(std::move(rec), "s", true);
        c.refuse.push_back("struct " + c.records[static_cast<size_t>(s.index)].tag);
        return s;
    }

    // __int128 arguments and returns; at the edge, k integer arguments (5 leaves one GPR) first.
    void gen_int128(bool edge) {
        Case& c = cs();
        c.mode = edge ? "int128-edge" : "int128";
        if (rng().chance(edge ? 30 : 45)) {
            c.ret = Type{rng().chance(50) ? Kind::Int128 : Kind::UInt128};
            c.refuse.push_back("__int128");
        } else {
            c.ret = edge_return();
        }
        if (edge) {
            int k = rng().pick(std::vector<int>{4, 5, 5, 5, 6});
            for (int i = 0; i < k; ++i) {
                if (rng().chance(10)) c.args.push_back(Type{Kind::Double});
                c.args.push_back(gen_int_like());
            }
            c.args.push_back(gen_int128_arg());
            int trailing = rng().range(1, 3);
            for (int i = 0; i < trailing; ++i) c.args.push_back(rng().chance(20) ? gen_int128_arg() : gen_int_like());
        } else {
            int n = rng().range(1, 9);
            int at = rng().range(0, n - 1);
            for (int i = 0; i < n; ++i)
                c.args.push_back(i == at || rng().chance(20) ? gen_int128_arg()
                                                             : (rng().chance(20) ? gen_struct() : gen_scalar()));
        }
        c.fixed = static_cast<int>(c.args.size());
    }

    // A struct holding a long double (alone, beside others, twice, in an array or nested).
    Type gen_ld_record() {
        int r = rng().range(0, 7);
        if (r == 0) return gen_classic(4);
        if (r == 1) return gen_classic(21);
        static const std::vector<std::vector<std::pair<Kind, int>>> shapes = {
            {{Kind::Int, 0}, {Kind::LDouble, 0}},    {{Kind::LDouble, 0}, {Kind::LDouble, 0}},
            {{Kind::LDouble, 2}},                    {{Kind::Double, 0}, {Kind::LDouble, 0}},
            {{Kind::Float, 0}, {Kind::LDouble, 0}}};
        if (r < 7) return shape_record(shapes[static_cast<size_t>(r - 2)]);
        Record inner;
        inner.members.push_back(Member{member_name(), Type{Kind::LDouble}});
        Type in = add_record(std::move(inner), "s", true);
        Record outer;
        outer.members.push_back(Member{member_name(), in});
        return add_record(std::move(outer), "s", true);
    }

    // long double and records holding one as arguments and returns, among other scalars.
    void gen_ldouble() {
        Case& c = cs();
        c.mode = "ldouble";
        int r = rng().range(0, 99);
        c.ret = r < 30 ? Type{Kind::LDouble}
                       : r < 55 ? gen_ld_record() : r < 65 ? Type{Kind::CLDouble} : gen_scalar();
        int n = rng().range(1, 10);
        for (int i = 0; i < n; ++i) {
            int k = rng().range(0, 99);
            c.args.push_back(k < 35 ? Type{Kind::LDouble}
                                    : k < 55 ? gen_ld_record() : k < 65 ? Type{Kind::CLDouble} : gen_scalar());
        }
        c.fixed = n;
    }

    // _Complex float, double and long double arguments and returns among floating-point ones.
    void gen_complex() {
        Case& c = cs();
        c.mode = "complex";
        static const std::vector<Kind> complexes = {Kind::CFloat, Kind::CDouble, Kind::CLDouble};
        int r = rng().range(0, 99);
        c.ret = r < 65 ? Type{rng().pick(complexes)} : r < 75 ? gen_classic(rng().range(22, 23)) : gen_scalar();
        int n = rng().range(2, 12);
        for (int i = 0; i < n; ++i) {
            int k = rng().range(0, 99);
            if (k < 60)
                c.args.push_back(Type{rng().pick(complexes)});
            else if (k < 70)
                c.args.push_back(gen_classic(rng().range(22, 23)));
            else if (k < 90)
                c.args.push_back(Type{rng().chance(50) ? Kind::Float : Kind::Double});
            else
                c.args.push_back(gen_int_like());
        }
        c.fixed = n;
    }

    // Variadic arguments of every kind the default argument promotions touch, and records.
    void gen_varpromo() {
        Case& c = cs();
        c.mode = "varpromo";
        c.ret = edge_return();
        static const std::vector<Kind> promoted = {
            Kind::Bool,    Kind::Char,   Kind::SChar,    Kind::UChar,  Kind::Short,   Kind::UShort,
            Kind::Float,   Kind::Enum,   Kind::LDouble,  Kind::CFloat, Kind::CDouble, Kind::CLDouble,
            Kind::Int128,  Kind::Record, Kind::Void,     Kind::Int,    Kind::Double,  Kind::Pointer};
        gen_variadic_args([&]() -> Type {
            Kind k = rng().pick(promoted);
            if (k == Kind::Int128) return gen_int128_arg();
            if (k == Kind::Record) return gen_struct();
            if (k == Kind::Void) {  // a union or a bitfield struct
                Type t = rng().chance(60) ? gen_union() : gen_bitfields();
                c.refuse.push_back(std::string(rec_of(t).is_union ? "union " : "struct ") + rec_of(t).tag);
                return t;
            }
            return make(k);
        });
    }

    // Unions, bitfield, packed, over-aligned and empty records by value, as arguments and returns.
    void gen_hard_records() {
        Case& c = cs();
        c.mode = "hard-records";
        c.ret = rng().chance(45) ? gen_hard_record() : edge_return();
        int n = rng().range(1, 8);
        for (int i = 0; i < n; ++i)
            c.args.push_back(rng().chance(55) ? gen_hard_record() : (rng().chance(40) ? gen_struct() : gen_scalar()));
        c.fixed = n;
    }

    // One record libffi cannot pass, its names recorded for the refusal.
    Type gen_hard_record() {
        Case& c = cs();
        int r = rng().range(0, 9);
        if (r <= 4) {
            Type t = r == 0 ? gen_union() : r == 1 ? gen_bitfields() : r == 2 ? gen_packed() : r == 3 ? gen_aligned()
                                                                                                    : gen_empty();
            c.refuse.push_back(std::string(rec_of(t).is_union ? "union " : "struct ") + rec_of(t).tag);
            return t;
        }
        if (r <= 6) {
            Type inner = gen_empty();
            Record outer;
            int n = rng().range(0, 2);
            int at = rng().range(0, n);
            for (int i = 0; i <= n; ++i)
                outer.members.push_back(Member{member_name(), i == at ? inner : gen_member_scalar()});
            Type t = add_record(std::move(outer), "s", true);
            c.refuse.push_back("struct " + rec_of(t).tag);
            c.refuse.push_back("struct " + rec_of(inner).tag);
            return t;
        }
        return gen_hard();
    }

    // An empty struct (GNU C: size 0, passed as nothing).
    Type gen_empty() {
        Record rec;
        rec.kind_code = 5;
        return add_record(std::move(rec), "s", true);
    }

    // A struct with 32- or 64-byte alignment.
    Type gen_aligned() {
        Type t = gen_record(1, true);
        Record& rec = cs().records[static_cast<size_t>(t.index)];
        rec.aligned = rng().chance(75) ? 32 : 64;
        rec.attr_after = rng().chance(50);
        rec.kind_code = 4;
        return t;
    }

    // The record of a record type of the current case.
    const Record& rec_of(Type t) { return cs().records[static_cast<size_t>(t.index)]; }

    // A case with at least one type libffi cannot pass, which its backend must refuse.
    void gen_refused() {
        Case& c = cs();
        c.mode = "refused";
        bool hard_ret = rng().chance(35);
        c.ret = hard_ret ? gen_hard() : (rng().chance(50) ? gen_scalar() : Type{Kind::Void});
        if (rng().chance(15)) {
            c.mode = "refused-variadic";
            bool placed = hard_ret;
            gen_variadic_args([&] {
                if (!placed || rng().chance(20)) {
                    placed = true;
                    return gen_hard();
                }
                return gen_scalar();
            });
            return;
        }
        int n = rng().range(hard_ret ? 0 : 1, 8);
        std::vector<bool> hard(static_cast<size_t>(n), false);
        if (n > 0 && (!hard_ret || rng().chance(30))) {
            hard[static_cast<size_t>(rng().range(0, n - 1))] = true;
            if (rng().chance(30)) hard[static_cast<size_t>(rng().range(0, n - 1))] = true;
        }
        for (int i = 0; i < n; ++i)
            c.args.push_back(hard[static_cast<size_t>(i)] ? gen_hard()
                                                          : (rng().chance(25) ? gen_struct() : gen_scalar()));
        c.fixed = n;
    }

    // Any scalar kind a callable signature may use.
    Type gen_scalar() {
        static const std::vector<std::pair<Kind, int>> weights = {
            {Kind::Bool, 4},   {Kind::Char, 4},    {Kind::SChar, 4},   {Kind::UChar, 4},
            {Kind::Short, 4},  {Kind::UShort, 4},  {Kind::Int, 6},     {Kind::UInt, 5},
            {Kind::Long, 5},   {Kind::ULong, 5},   {Kind::LLong, 4},   {Kind::ULLong, 4},
            {Kind::Float, 8},  {Kind::Double, 8},  {Kind::LDouble, 4}, {Kind::CFloat, 3},
            {Kind::CDouble, 3}, {Kind::CLDouble, 2}, {Kind::Pointer, 6}, {Kind::Enum, 5}};
        return weighted(weights);
    }

    // An integer, enum or pointer kind: what travels in general-purpose registers.
    Type gen_int_like() {
        static const std::vector<std::pair<Kind, int>> weights = {
            {Kind::Bool, 2}, {Kind::Char, 3},  {Kind::SChar, 3}, {Kind::UChar, 3}, {Kind::Short, 3},
            {Kind::UShort, 3}, {Kind::Int, 6}, {Kind::UInt, 5},  {Kind::Long, 5},  {Kind::ULong, 5},
            {Kind::LLong, 4}, {Kind::ULLong, 4}, {Kind::Pointer, 6}, {Kind::Enum, 4}};
        return weighted(weights);
    }

    // A scalar kind for a record member (anything a plain struct may hold).
    Type gen_member_scalar() {
        static const std::vector<std::pair<Kind, int>> weights = {
            {Kind::Bool, 2},  {Kind::Char, 4},   {Kind::SChar, 2}, {Kind::UChar, 3},
            {Kind::Short, 4}, {Kind::UShort, 2}, {Kind::Int, 8},   {Kind::UInt, 4},
            {Kind::Long, 4},  {Kind::ULong, 2},  {Kind::LLong, 2}, {Kind::ULLong, 2},
            {Kind::Float, 9}, {Kind::Double, 8}, {Kind::LDouble, 2}, {Kind::CFloat, 1},
            {Kind::CDouble, 1}, {Kind::CLDouble, 1}, {Kind::Pointer, 3}, {Kind::Enum, 2}};
        return weighted(weights);
    }

    // Draws a kind by weight, making the pointer kind or enum it needs.
    Type weighted(const std::vector<std::pair<Kind, int>>& weights) {
        int total = 0;
        for (const auto& w : weights) total += w.second;
        int x = rng().range(0, total - 1);
        for (const auto& w : weights) {
            if (x < w.second) return make(w.first);
            x -= w.second;
        }
        return make(weights.back().first);
    }

    // A type of kind k: pointers pick a pointer kind, enums a new or existing enum.
    Type make(Kind k) {
        if (k == Kind::Pointer) {
            int p = rng().chance(70) ? rng().range(0, 4) : rng().range(5, static_cast<int>(kPointers.size()) - 1);
            return Type{Kind::Pointer, p};
        }
        if (k == Kind::Enum) return gen_enum();
        return Type{k};
    }

    // A new enum (or one the case already has) with negative, large or packed values.
    Type gen_enum() {
        Case& c = cs();
        if (!c.enums.empty() && rng().chance(30))
            return Type{Kind::Enum, rng().range(0, static_cast<int>(c.enums.size()) - 1)};
        static const std::vector<std::vector<const char*>> variants = {
            {"-7", "0", "42", "(-2147483647 - 1)", "2147483647"},
            {"0", "7", "0x80000000U", "0xffffffffU"},
            {"-1", "0x100000000L", "(-0x7fffffffffffffffL - 1)", "0x7fffffffffffffffL", "-5000000000L"},
            {"0", "3", "0x8000000000000000UL", "0xffffffffffffffffUL"},
            {"-1", "5", "127", "-128"},
            {"0", "200", "255"},
            {"-1", "1000", "-32768"},
            {"1", "2", "3"},
        };
        int v = rng().range(0, static_cast<int>(variants.size()) - 1);
        EnumDef e;
        int idx = static_cast<int>(c.enums.size());
        e.tag = "c" + std::to_string(c.index) + "_e" + std::to_string(idx);
        e.packed = v >= 4 && v <= 6;
        e.attr_after = rng().chance(50);
        const auto& values = variants[static_cast<size_t>(v)];
        // The first two values and the last decide the underlying type and always stay.
        std::string prefix = "C" + std::to_string(c.index) + "_E" + std::to_string(idx) + "_";
        for (size_t i = 0; i < values.size(); ++i)
            if (i < 2 || rng().chance(60)) e.values.push_back({prefix + std::to_string(i), values[i]});
        const auto& last = values.back();
        if (e.values.back().second != std::string(last))
            e.values.push_back({prefix + std::to_string(values.size() - 1), last});
        c.enums.push_back(e);
        c.order.push_back(Decl{true, idx});
        return Type{Kind::Enum, idx};
    }

    // Adds rec to the case (tagged ones are declared in order) and returns its type.
    Type add_record(Record rec, const char* tag_letter, bool tagged) {
        Case& c = cs();
        int idx = static_cast<int>(c.records.size());
        if (tagged) rec.tag = "c" + std::to_string(c.index) + "_" + tag_letter + std::to_string(idx);
        c.records.push_back(std::move(rec));
        if (tagged) c.order.push_back(Decl{false, idx});
        return Type{Kind::Record, idx};
    }

    // A struct argument or return: a classic hard shape, one the case has, or a random one.
    Type gen_struct() {
        Case& c = cs();
        int r = rng().range(0, 99);
        if (r < 35) return gen_classic(rng().range(0, classic_count() - 1));
        if (r < 45) {
            std::vector<int> tagged;
            for (const Decl& d : c.order)
                if (!d.is_enum && c.records[static_cast<size_t>(d.index)].kind_code == 0) tagged.push_back(d.index);
            if (!tagged.empty()) return Type{Kind::Record, rng().pick(tagged)};
        }
        return gen_record(0, true);
    }

    // The number of classic shapes gen_classic knows.
    static int classic_count() { return static_cast<int>(classic_shapes().size()) + 3; }

    // The classic shapes as (kind, array count) lists.
    static const std::vector<std::vector<std::pair<Kind, int>>>& classic_shapes() {
        static const std::vector<std::vector<std::pair<Kind, int>>> shapes = {
            {{Kind::Float, 0}, {Kind::Float, 0}},                                   // 0
            {{Kind::Double, 0}, {Kind::Double, 0}, {Kind::Double, 0}},              // 1
            {{Kind::Float, 0}, {Kind::Int, 0}},                                     // 2
            {{Kind::Char, 3}},                                                      // 3
            {{Kind::LDouble, 0}},                                                   // 4
            {{Kind::Double, 0}, {Kind::Double, 0}},                                 // 5
            {{Kind::Float, 0}, {Kind::Float, 0}, {Kind::Float, 0}},                 // 6
            {{Kind::Float, 0}, {Kind::Float, 0}, {Kind::Float, 0}, {Kind::Float, 0}},  // 7
            {{Kind::LLong, 0}, {Kind::LLong, 0}, {Kind::Char, 0}},                  // 8: 17 -> 24
            {{Kind::Char, 17}},                                                     // 9
            {{Kind::Double, 0}, {Kind::Double, 0}, {Kind::Float, 0}},               // 10: 24
            {{Kind::Int, 0}, {Kind::Int, 0}, {Kind::Int, 0}},                       // 11: 12
            {{Kind::Float, 0}, {Kind::Double, 0}},                                  // 12
            {{Kind::LLong, 0}, {Kind::Double, 0}},                                  // 13
            {{Kind::Char, 0}},                                                      // 14
            {{Kind::Short, 0}},                                                     // 15
            {{Kind::Double, 2}},                                                    // 16
            {{Kind::Float, 3}},                                                     // 17
            {{Kind::Int, 4}},                                                       // 18
            {{Kind::Int, 5}},                                                       // 19: 20
            {{Kind::Char, 0}, {Kind::Double, 0}},                                   // 20
            {{Kind::LDouble, 0}, {Kind::Int, 0}},                                   // 21: 32
            {{Kind::CFloat, 0}},                                                    // 22
            {{Kind::CDouble, 0}},                                                   // 23
            {{Kind::Float, 0}, {Kind::Float, 0}, {Kind::Double, 0}},                // 24
            {{Kind::Pointer, 0}, {Kind::Int, 0}},                                   // 25
            {{Kind::Int, 0}, {Kind::Float, 0}, {Kind::Int, 0}, {Kind::Float, 0}},   // 26
            {{Kind::Double, 0}, {Kind::Int, 0}},                                    // 27
            {{Kind::Char, 0}, {Kind::Short, 0}, {Kind::Int, 0}, {Kind::Long, 0}},   // 28: 16
            {{Kind::Double, 0}, {Kind::Double, 0}, {Kind::Double, 0}, {Kind::Double, 0}},  // 29
            {{Kind::Char, 9}},                                                      // 30
            {{Kind::Short, 5}},                                                     // 31
            {{Kind::Float, 0}, {Kind::Char, 0}},                                    // 32
            {{Kind::Char, 0}, {Kind::Float, 0}},                                    // 33
            {{Kind::Long, 0}, {Kind::Long, 0}},                                     // 34
            {{Kind::Int, 0}, {Kind::Double, 0}, {Kind::Int, 0}},                    // 35: 24
        };
        return shapes;
    }

    // A tagged plain struct of the given (kind, array count) members.
    Type shape_record(const std::vector<std::pair<Kind, int>>& shape) {
        Record rec;
        for (const auto& m : shape) {
            Member mem;
            mem.name = member_name();
            mem.type = m.first == Kind::Pointer ? Type{Kind::Pointer, 0} : Type{m.first};
            mem.count = m.second;
            rec.members.push_back(mem);
        }
        return add_record(std::move(rec), "s", true);
    }

    // Classic shape n; the last three are nested: {{float,float},float}, {{double},double},
    // {int,{float,float}} with the inner struct tagged or inline.
    Type gen_classic(int n) {
        const auto& shapes = classic_shapes();
        if (n < static_cast<int>(shapes.size())) return shape_record(shapes[static_cast<size_t>(n)]);
        int which = n - static_cast<int>(shapes.size());
        Record inner;
        bool inline_inner = rng().chance(40);
        if (which == 1) {
            inner.members.push_back(Member{member_name(), Type{Kind::Double}});
        } else {
            inner.members.push_back(Member{member_name(), Type{Kind::Float}});
            inner.members.push_back(Member{member_name(), Type{Kind::Float}});
        }
        Type in = add_record(std::move(inner), "s", !inline_inner);
        Record outer;
        Member nested{member_name(), in};
        if (which == 2) {
            outer.members.push_back(Member{member_name(), Type{Kind::Int}});
            outer.members.push_back(nested);
        } else {
            outer.members.push_back(nested);
            outer.members.push_back(Member{member_name(), Type{which == 1 ? Kind::Double : Kind::Float}});
        }
        return add_record(std::move(outer), "s", true);
    }

    // A random plain struct of 1 to 6 members, nesting records while depth < 2.
    Type gen_record(int depth, bool tagged) {
        Record rec;
        static const std::vector<int> count_weights = {1, 1, 1, 2, 2, 2, 3, 3, 4, 4, 5, 6};
        int n = rng().pick(count_weights);
        for (int i = 0; i < n; ++i) {
            Member m;
            int r = rng().range(0, 99);
            if (depth < 2 && r < 18) {
                bool inline_def = rng().chance(30);
                m.type = gen_record(depth + 1, !inline_def);
                if (inline_def && rng().chance(35)) {
                    m.name.clear();  // anonymous member
                } else {
                    m.name = member_name();
                    if (rng().chance(12)) m.count = 2;
                }
            } else if (r < 40) {
                m.type = gen_member_scalar();
                bool small = m.type.kind == Kind::Char || m.type.kind == Kind::SChar ||
                             m.type.kind == Kind::UChar;
                m.count = small ? rng().range(1, 17) : rng().range(1, 4);
                m.name = member_name();
            } else {
                m.type = gen_member_scalar();
                m.name = member_name();
            }
            rec.members.push_back(m);
        }
        return add_record(std::move(rec), "s", tagged);
    }

    // A type libffi cannot pass; records the names its refusal may give.
    Type gen_hard() {
        Case& c = cs();
        int r = rng().range(0, 7);
        switch (r) {
        case 0: {
            Type t = gen_union();
            c.refuse.push_back("union " + c.records[static_cast<size_t>(t.index)].tag);
            return t;
        }
        case 1: {
            Type t = gen_bitfields();
            c.refuse.push_back("struct " + c.records[static_cast<size_t>(t.index)].tag);
            return t;
        }
        case 2: {
            c.refuse.push_back("__int128");
            return Type{rng().chance(50) ? Kind::Int128 : Kind::UInt128};
        }
        case 3: {
            Type t = gen_packed();
            c.refuse.push_back("struct " + c.records[static_cast<size_t>(t.index)].tag);
            return t;
        }
        case 4: {
            Type t = gen_aligned();
            c.refuse.push_back("struct " + rec_of(t).tag);
            return t;
        }
        default: {
            // A plain struct holding a union, an __int128 or a bitfield struct.
            Type inner;
            std::string inner_name;
            if (r == 5) {
                inner = gen_union();
                inner_name = "union " + c.records[static_cast<size_t>(inner.index)].tag;
            } else if (r == 6) {
                inner = Type{Kind::Int128};
                inner_name = "__int128";
            } else {
                inner = gen_bitfields();
                inner_name = "struct " + c.records[static_cast<size_t>(inner.index)].tag;
            }
            Record outer;
            int n = rng().range(0, 2);
            int at = rng().range(0, n);
            for (int i = 0; i <= n; ++i)
                outer.members.push_back(Member{member_name(), i == at ? inner : gen_member_scalar()});
            Type t = add_record(std::move(outer), "s", true);
            c.refuse.push_back("struct " + c.records[static_cast<size_t>(t.index)].tag);
            c.refuse.push_back(inner_name);
            return t;
        }
        }
    }

    // A union whose first member, an array, covers the union's size (it is hashed).
    Type gen_union() {
        static const std::vector<Kind> elems = {Kind::Int, Kind::Float, Kind::Double, Kind::Long,
                                                Kind::Char, Kind::Short, Kind::UInt};
        Record rec;
        rec.is_union = true;
        rec.kind_code = 1;
        Member first;
        first.name = member_name();
        first.type = Type{rng().pick(elems)};
        int max = first.type.kind == Kind::Char ? 24 : (first.type.kind == Kind::Short ? 12 : 4);
        first.count = rng().range(1, max);
        if (first.count == 1 && rng().chance(50)) first.count = 0;
        rec.members.push_back(first);
        int others = rng().range(1, 3);
        for (int i = 0; i < others; ++i) {
            Member m;
            m.name = member_name();
            m.type = gen_member_scalar();
            if (m.type.kind == Kind::LDouble && rng().chance(70)) m.type = Type{Kind::Double};
            if (rng().chance(30)) m.count = rng().range(1, 3);
            rec.members.push_back(m);
        }
        return add_record(std::move(rec), "u", true);
    }

    // A struct with named and unnamed bitfields among ordinary members.
    Type gen_bitfields() {
        static const std::vector<Kind> bases = {Kind::Int,   Kind::UInt,   Kind::Long,  Kind::ULong,
                                                Kind::LLong, Kind::ULLong, Kind::Short, Kind::UShort,
                                                Kind::SChar, Kind::UChar,  Kind::Bool};
        Record rec;
        rec.kind_code = 2;
        int n = rng().range(2, 6);
        bool named = false;
        for (int i = 0; i < n; ++i) {
            Member m;
            int r = rng().range(0, 99);
            if (r < 65 || (i == n - 1 && !named)) {
                m.type = Type{rng().pick(bases)};
                int width = kPrims[static_cast<int>(m.type.kind)].bits;
                m.bits = rng().range(1, width);
                m.name = member_name();
                named = true;
            } else if (r < 75 && i > 0) {
                m.type = Type{rng().chance(50) ? Kind::Int : Kind::UInt};
                m.bits = rng().chance(50) ? 0 : rng().range(1, 7);
            } else {
                m.type = gen_member_scalar();
                m.name = member_name();
            }
            rec.members.push_back(m);
        }
        return add_record(std::move(rec), "s", true);
    }

    // A packed struct whose second member is misaligned.
    Type gen_packed() {
        static const std::vector<Kind> wide = {Kind::Int, Kind::Double, Kind::Float, Kind::Long,
                                               Kind::Short, Kind::UInt, Kind::LLong};
        Record rec;
        rec.packed = true;
        rec.attr_after = rng().chance(50);
        rec.kind_code = 3;
        rec.members.push_back(Member{member_name(), Type{rng().chance(70) ? Kind::Char : Kind::UChar}});
        rec.members.push_back(Member{member_name(), Type{rng().pick(wide)}});
        int more = rng().range(0, 3);
        for (int i = 0; i < more; ++i) {
            Member m{member_name(), gen_member_scalar()};
            if (rng().chance(25)) m.count = rng().range(1, 3);
            rec.members.push_back(m);
        }
        return add_record(std::move(rec), "s", true);
    }

    uint64_t seed_;
    Rng* rng_ = nullptr;
    Case* case_ = nullptr;
};

// The ABI_H_ bits of abi_suite.h: what a type is or holds.
constexpr unsigned kHoldsLDouble = 1, kHoldsInt128 = 2, kHoldsUnion = 4, kHoldsBitfield = 8, kHoldsComplex = 16,
                   kHoldsPacked = 32, kHoldsAligned = 64, kHoldsEmpty = 128;

// Writes the C text of cases: declarations, callees, values, reference callers, metadata.
class Emitter {
public:
    explicit Emitter(const Case& c) : c_(c) {}

    // The declarator of type t around name ("int (*name)(int)", "struct s name").
    std::string declare(Type t, const std::string& name) const {
        std::string sep = name.empty() ? "" : " ";
        switch (t.kind) {
        case Kind::Pointer: {
            const PointerKind& p = kPointers[static_cast<size_t>(t.index)];
            return std::string(p.prefix) + name + p.suffix;
        }
        case Kind::Enum: return "enum " + c_.enums[static_cast<size_t>(t.index)].tag + sep + name;
        case Kind::Record: {
            const Record& r = rec(t);
            return std::string(r.is_union ? "union " : "struct ") + r.tag + sep + name;
        }
        default: return std::string(kPrims[static_cast<int>(t.kind)].spelling) + sep + name;
        }
    }

    // The type name of t.
    std::string spell(Type t) const { return declare(t, ""); }

    // The declarations of the case, as both the C fixture and jiffi_cdef read them.
    std::string decls() const {
        std::string out;
        for (const Decl& d : c_.order) {
            if (d.is_enum)
                out += enum_text(c_.enums[static_cast<size_t>(d.index)]) + ";\n";
            else
                out += record_text(d.index, "") + ";\n";
        }
        return out;
    }

    // The prototype: "ret abi_case_N(T a0, ...)".
    std::string prototype() const {
        std::string params;
        for (int i = 0; i < c_.fixed; ++i) {
            if (i) params += ", ";
            params += declare(c_.args[static_cast<size_t>(i)], "a" + std::to_string(i));
        }
        if (c_.variadic) params += ", ...";
        if (params.empty()) params = "void";
        return declare(c_.ret, symbol() + "(" + params + ")");
    }

    // The variadic argument types as jiffi_signature_vararg takes them.
    std::string varargs() const {
        std::string out;
        for (size_t i = static_cast<size_t>(c_.fixed); i < c_.args.size(); ++i) {
            if (!out.empty()) out += ", ";
            out += spell(c_.args[i]);
        }
        return out;
    }

    std::string symbol() const { return "abi_case_" + std::to_string(c_.index); }

    // The whole C text of the case.
    std::string text(Rng& values) const {
        std::string n = std::to_string(c_.index);
        std::string d = decls();
        std::ostringstream o;
        o << "/* ---- case " << n << " (" << c_.mode << ") ---- */\n" << d;
        if (!d.empty()) o << "\n";
        // The callee.
        o << "ABI_EXPORT " << prototype() << "\n{\n";
        o << "    uint64_t h = 0x" << std::hex << (0xcbf29ce484222325ULL ^ static_cast<uint64_t>(c_.index))
          << std::dec << "ULL;\n";
        std::string body;
        for (int i = 0; i < c_.fixed; ++i) {
            fold(c_.args[static_cast<size_t>(i)], "a" + std::to_string(i), body);
            body += "    abi_trace[" + std::to_string(i) + "] = h;\n";
        }
        o << body;
        if (c_.variadic) {
            o << "    va_list ap;\n    va_start(ap, a" << c_.fixed - 1 << ");\n";
            for (size_t i = static_cast<size_t>(c_.fixed); i < c_.args.size(); ++i) {
                Type t = c_.args[i];
                std::string v = "v" + std::to_string(i);
                o << "    {\n        " << declare(t, v) << " = " << va_arg_expr(t) << ";\n";
                std::string vb;
                fold(t, v, vb);
                std::istringstream lines(vb);
                for (std::string line; std::getline(lines, line);) o << "    " << line << "\n";
                o << "        abi_trace[" << i << "] = h;\n    }\n";
            }
            o << "    va_end(ap);\n";
        }
        o << "    abi_checksum = h;\n    abi_last_case = " << n << ";\n";
        if (c_.ret.kind != Kind::Void) {
            o << "    " << declare(c_.ret, "r") << ";\n    uint64_t k = 0;\n";
            std::string db;
            derive(c_.ret, "r", db);
            o << db << "    (void)k;\n    return r;\n";
        }
        o << "}\n\n";
        // The argument values.
        for (size_t i = 0; i < c_.args.size(); ++i) {
            Type t = c_.args[i];
            std::string var = "abi_v" + n + "_" + std::to_string(i);
            std::string lit = (c_.variadic && static_cast<int>(i) == c_.fixed - 1)
                                  ? std::to_string(c_.args.size() - static_cast<size_t>(c_.fixed))
                                  : literal(t, values);
            o << "static " << declare(t, var) << " = " << lit << ";\n";
        }
        // The reference caller.
        o << "static void abi_ref_" << n << "(const void *fn, void *ret)\n{\n    ";
        if (c_.ret.kind == Kind::Void) o << "(void)ret;\n    ";
        else o << declare(c_.ret, "r") << " = ";
        o << "((__typeof__(&" << symbol() << "))fn)(";
        for (size_t i = 0; i < c_.args.size(); ++i) o << (i ? ", " : "") << "abi_v" << n << "_" << i;
        o << ");\n" << store_return() << "}\n";
        // The comparison of memory-class returns.
        bool memory_ret = value_class(c_.ret) == "ABI_MEMORY" || c_.ret.kind == Kind::LDouble;
        if (memory_ret) {
            o << "static int abi_eq_" << n << "(const void *pa, const void *pb)\n{\n";
            o << "    const " << declare(c_.ret, "*a") << " = pa;\n";
            o << "    const " << declare(c_.ret, "*b") << " = pb;\n";
            std::string eb;
            equal(c_.ret, eb);
            o << eb << "    return 1;\n}\n";
        }
        // The metadata.
        o << "static const struct abi_type abi_t" << n << "[] = {\n";
        o << "    " << type_info(c_.ret) << ",\n";
        for (Type t : c_.args) o << "    " << type_info(t) << ",\n";
        o << "};\n";
        o << "static void *const abi_a" << n << "[" << std::max<size_t>(c_.args.size(), 1) << "] = {";
        for (size_t i = 0; i < c_.args.size(); ++i) o << (i ? ", " : " ") << "&abi_v" << n << "_" << i;
        if (c_.args.empty()) o << " 0";
        o << " };\n";
        std::string refuse;
        for (const std::string& r : c_.refuse) refuse += (refuse.empty() ? "" : "|") + r;
        o << "ABI_HIDDEN const struct abi_case abi_info_" << n << " = {\n";
        o << "    " << n << ", \"" << symbol() << "\", \"" << c_.mode << "\",\n";
        o << "    " << (d.empty() ? "\"\"" : c_string(d)) << ",\n";
        o << "    " << c_string(prototype()) << ",\n";
        o << "    " << (c_.variadic ? c_string(varargs()) : "NULL") << ",\n";
        o << "    " << c_.fixed << ", " << c_.args.size() << ", abi_t" << n << ", abi_a" << n << ",\n";
        o << "    " << (refuse.empty() ? "NULL" : c_string(refuse)) << ",\n";
        o << "    abi_ref_" << n << ", " << (memory_ret ? "abi_eq_" + n : "NULL") << "\n};\n\n";
        return o.str();
    }

private:
    const Record& rec(Type t) const { return c_.records[static_cast<size_t>(t.index)]; }

    // The attributes of a record ("" if none).
    static std::string attributes(bool packed, int aligned) {
        std::string a;
        if (packed) a = "__attribute__((packed))";
        if (aligned) a += std::string(a.empty() ? "" : " ") + "__attribute__((aligned(" + std::to_string(aligned) + ")))";
        return a;
    }

    // The definition of an enum, without the closing semicolon.
    std::string enum_text(const EnumDef& e) const {
        std::string attr = attributes(e.packed, 0);
        std::string s = "enum ";
        if (!attr.empty() && !e.attr_after) s += attr + " ";
        s += e.tag + " { ";
        for (size_t i = 0; i < e.values.size(); ++i)
            s += (i ? ", " : "") + e.values[i].first + " = " + e.values[i].second;
        s += " }";
        if (!attr.empty() && e.attr_after) s += " " + attr;
        return s;
    }

    // The definition of record r (inline members indented by indent), without a semicolon.
    std::string record_text(int r, const std::string& indent) const {
        const Record& rc = c_.records[static_cast<size_t>(r)];
        std::string attr = attributes(rc.packed, rc.aligned);
        std::string s = rc.is_union ? "union" : "struct";
        if (!attr.empty() && !rc.attr_after) s += " " + attr;
        if (!rc.tag.empty()) s += " " + rc.tag;
        s += " {\n";
        for (const Member& m : rc.members) {
            s += indent + "    ";
            std::string name = m.name + (m.count ? "[" + std::to_string(m.count) + "]" : "");
            if (m.type.kind == Kind::Record && rec(m.type).tag.empty())
                s += record_text(m.type.index, indent + "    ") + (name.empty() ? "" : " " + name);
            else
                s += declare(m.type, name);
            if (m.bits >= 0) s += " : " + std::to_string(m.bits);
            s += ";\n";
        }
        s += indent + "}";
        if (!attr.empty() && rc.attr_after) s += " " + attr;
        return s;
    }

    using Leaf = std::function<void(Type, int bits, const std::vector<std::string>&, const std::string&)>;

    // Visits every scalar of a value (arrays by loops, unions by their first member).
    void walk(Type t, int count, int bits, std::vector<std::string> lvs, int depth,
              const std::string& ind, std::string& out, const Leaf& leaf) const {
        if (count > 0) {
            std::string i = "i" + std::to_string(depth);
            out += ind + "for (int " + i + " = 0; " + i + " < " + std::to_string(count) + "; ++" + i + ") {\n";
            for (std::string& lv : lvs) lv += "[" + i + "]";
            walk(t, 0, bits, lvs, depth + 1, ind + "    ", out, leaf);
            out += ind + "}\n";
            return;
        }
        if (t.kind == Kind::Record) {
            const Record& r = rec(t);
            for (const Member& m : r.members) {
                if (m.name.empty() && m.bits >= 0) continue;
                std::vector<std::string> sub = lvs;
                if (!m.name.empty())
                    for (std::string& lv : sub) lv += "." + m.name;
                walk(m.type, m.count, m.bits, sub, depth, ind, out, leaf);
                if (r.is_union) break;
            }
            return;
        }
        leaf(t, bits, lvs, ind);
    }

    // Statements folding the value lv of type t into h.
    void fold(Type t, const std::string& lv, std::string& out) const {
        walk(t, 0, -1, {lv}, 0, "    ", out, [&](Type s, int, const std::vector<std::string>& l, const std::string& ind) {
            const std::string& v = l[0];
            auto mix = [&](const std::string& e) { out += ind + "h = abi_mix(h, " + e + ");\n"; };
            switch (s.kind) {
            case Kind::Float: mix("abi_fbits(" + v + ")"); break;
            case Kind::Double: mix("abi_dbits(" + v + ")"); break;
            case Kind::LDouble: out += ind + "h = abi_ldfold(h, " + v + ");\n"; break;
            case Kind::CFloat:
                mix("abi_fbits(crealf(" + v + "))");
                mix("abi_fbits(cimagf(" + v + "))");
                break;
            case Kind::CDouble:
                mix("abi_dbits(creal(" + v + "))");
                mix("abi_dbits(cimag(" + v + "))");
                break;
            case Kind::CLDouble:
                out += ind + "h = abi_ldfold(h, creall(" + v + "));\n";
                out += ind + "h = abi_ldfold(h, cimagl(" + v + "));\n";
                break;
            case Kind::Int128:
            case Kind::UInt128:
                mix("(uint64_t)(" + v + ")");
                mix("(uint64_t)((unsigned __int128)(" + v + ") >> 64)");
                break;
            case Kind::Pointer: mix("(uint64_t)(uintptr_t)(" + v + ")"); break;
            default: mix("(uint64_t)(" + v + ")"); break;
            }
        });
    }

    // Statements setting every scalar of lv (of type t) from the checksum h and counter k.
    void derive(Type t, const std::string& lv, std::string& out) const {
        walk(t, 0, -1, {lv}, 0, "    ", out, [&](Type s, int, const std::vector<std::string>& l, const std::string& ind) {
            const std::string& v = l[0];
            std::string d = "abi_derive(h, k++)";
            switch (s.kind) {
            case Kind::Bool: out += ind + v + " = (_Bool)(" + d + " & 1);\n"; break;
            case Kind::Float: out += ind + v + " = abi_mkf(" + d + ");\n"; break;
            case Kind::Double: out += ind + v + " = abi_mkd(" + d + ");\n"; break;
            case Kind::LDouble: out += ind + v + " = abi_mkld(" + d + ");\n"; break;
            case Kind::CFloat:
                out += ind + v + " = CMPLXF(abi_mkf(abi_derive(h, k)), abi_mkf(abi_derive(h, k + 1)));\n";
                out += ind + "k += 2;\n";
                break;
            case Kind::CDouble:
                out += ind + v + " = CMPLX(abi_mkd(abi_derive(h, k)), abi_mkd(abi_derive(h, k + 1)));\n";
                out += ind + "k += 2;\n";
                break;
            case Kind::CLDouble:
                out += ind + v + " = CMPLXL(abi_mkld(abi_derive(h, k)), abi_mkld(abi_derive(h, k + 1)));\n";
                out += ind + "k += 2;\n";
                break;
            case Kind::Int128:
            case Kind::UInt128:
                out += ind + v + " = (" + spell(s) + ")abi_mk128(abi_derive(h, k), abi_derive(h, k + 1));\n";
                out += ind + "k += 2;\n";
                break;
            case Kind::Pointer: out += ind + v + " = (" + spell(s) + ")(uintptr_t)" + d + ";\n"; break;
            default: out += ind + v + " = (" + spell(s) + ")" + d + ";\n"; break;
            }
        });
    }

    // Statements returning 0 when *a and *b (of type t) differ in any member.
    void equal(Type t, std::string& out) const {
        walk(t, 0, -1, {"(*a)", "(*b)"}, 0, "    ", out,
             [&](Type s, int, const std::vector<std::string>& l, const std::string& ind) {
                 const std::string& a = l[0];
                 const std::string& b = l[1];
                 std::string cond;
                 switch (s.kind) {
                 case Kind::Float: cond = "abi_fbits(" + a + ") == abi_fbits(" + b + ")"; break;
                 case Kind::Double: cond = "abi_dbits(" + a + ") == abi_dbits(" + b + ")"; break;
                 case Kind::LDouble: cond = "abi_ldeq(" + a + ", " + b + ")"; break;
                 case Kind::CFloat:
                     cond = "abi_fbits(crealf(" + a + ")) == abi_fbits(crealf(" + b + ")) && abi_fbits(cimagf(" +
                            a + ")) == abi_fbits(cimagf(" + b + "))";
                     break;
                 case Kind::CDouble:
                     cond = "abi_dbits(creal(" + a + ")) == abi_dbits(creal(" + b + ")) && abi_dbits(cimag(" + a +
                            ")) == abi_dbits(cimag(" + b + "))";
                     break;
                 case Kind::CLDouble:
                     cond = "abi_ldeq(creall(" + a + "), creall(" + b + ")) && abi_ldeq(cimagl(" + a + "), cimagl(" +
                            b + "))";
                     break;
                 default: cond = a + " == " + b; break;
                 }
                 out += ind + "if (!(" + cond + ")) return 0;\n";
             });
    }

    // The expression reading variadic argument of type t as its promoted type.
    std::string va_arg_expr(Type t) const {
        switch (t.kind) {
        case Kind::Float: return "(float)va_arg(ap, double)";
        case Kind::Bool:
        case Kind::Char:
        case Kind::SChar:
        case Kind::UChar:
        case Kind::Short:
        case Kind::UShort:
        case Kind::Enum: return "(" + spell(t) + ")va_arg(ap, __typeof__(+(" + spell(t) + ")0))";
        default: return "va_arg(ap, " + spell(t) + ")";
        }
    }

    // The statements storing the reference return r into ret by the slot rules.
    std::string store_return() const {
        Type t = c_.ret;
        std::string slot = "((abi_slot *)ret)";
        switch (t.kind) {
        case Kind::Void: return "";
        case Kind::Float: return "    " + slot + "->u64 = 0;\n    " + slot + "->f32 = r;\n";
        case Kind::Double: return "    " + slot + "->f64 = r;\n";
        case Kind::Pointer: return "    memcpy(&" + slot + "->ptr, &r, sizeof r);\n";
        case Kind::Char:
        case Kind::Enum:
            return "    if (ABI_ICLASS(" + spell(t) + ") == ABI_SINT)\n        " + slot +
                   "->i64 = (int64_t)r;\n    else\n        " + slot + "->u64 = (uint64_t)r;\n";
        default: break;
        }
        if (t.kind <= Kind::ULLong) {
            const PrimInfo& p = kPrims[static_cast<int>(t.kind)];
            return p.sign == 1 ? "    " + slot + "->i64 = (int64_t)r;\n" : "    " + slot + "->u64 = (uint64_t)r;\n";
        }
        return "    memcpy(ret, &r, sizeof r);\n";
    }

    // The ABI_ slot class of t as a C expression.
    std::string value_class(Type t) const {
        switch (t.kind) {
        case Kind::Void: return "ABI_VOID";
        case Kind::Char:
        case Kind::Enum: return "ABI_ICLASS(" + spell(t) + ")";
        case Kind::Float: return "ABI_FLOAT";
        case Kind::Double: return "ABI_DOUBLE";
        case Kind::LDouble: return "ABI_LDCLASS";
        case Kind::Pointer: return "ABI_POINTER";
        case Kind::CFloat:
        case Kind::CDouble:
        case Kind::CLDouble:
        case Kind::Int128:
        case Kind::UInt128:
        case Kind::Record: return "ABI_MEMORY";
        default: return kPrims[static_cast<int>(t.kind)].sign == 1 ? "ABI_SINT" : "ABI_UINT";
        }
    }

    // The abi_type initializer of t.
    std::string type_info(Type t) const {
        std::string code;
        if (t.kind == Kind::Pointer)
            code = kPointers[static_cast<size_t>(t.index)].function ? "FUNCPTR" : "POINTER";
        else if (t.kind == Kind::Enum)
            code = "ENUM";
        else if (t.kind == Kind::Record)
            code = kRecordKinds[rec(t).kind_code];
        else
            code = kPrims[static_cast<int>(t.kind)].code;
        if (t.kind == Kind::Void) return "{ ABI_VOID, ABI_K_VOID, 0, 1, \"void\", 0 }";
        std::string s = spell(t);
        return "{ " + value_class(t) + ", ABI_K_" + code + ", sizeof(" + s + "), _Alignof(" + s + "), \"" + s +
               "\", " + std::to_string(holds(t)) + " }";
    }

    // The ABI_H_ bits of what type t is or holds at any depth.
    unsigned holds(Type t) const {
        switch (t.kind) {
        case Kind::LDouble: return kHoldsLDouble;
        case Kind::CFloat:
        case Kind::CDouble: return kHoldsComplex;
        case Kind::CLDouble: return kHoldsComplex | kHoldsLDouble;
        case Kind::Int128:
        case Kind::UInt128: return kHoldsInt128;
        case Kind::Record: break;
        default: return 0;
        }
        const Record& r = rec(t);
        unsigned h = (r.is_union ? kHoldsUnion : 0) | (r.packed ? kHoldsPacked : 0) | (r.aligned ? kHoldsAligned : 0) |
                     (r.members.empty() ? kHoldsEmpty : 0);
        for (const Member& m : r.members) h |= holds(m.type) | (m.bits >= 0 ? kHoldsBitfield : 0);
        return h;
    }

    // A random C constant of integer kind k (edges often).
    static std::string int_literal(Kind k, Rng& rng) {
        const PrimInfo& p = kPrims[static_cast<int>(k)];
        if (k == Kind::Bool) return rng.chance(50) ? "1" : "0";
        bool is_signed = p.sign != 0;
        int width = p.bits;
        uint64_t v;
        int r = rng.range(0, 99);
        uint64_t mask = width >= 64 ? ~0ULL : (1ULL << width) - 1;
        if (r < 25) {
            std::vector<uint64_t> edges = {0, 1};
            if (is_signed) {
                edges.push_back(~0ULL);                      // -1
                edges.push_back(~0ULL << (width - 1));       // min
                edges.push_back(mask >> 1);                  // max
            } else {
                edges.push_back(mask);
                edges.push_back(1ULL << (width - 1));
            }
            v = rng.pick(edges);
        } else {
            int len = rng.range(1, width);
            v = rng.next() & (len >= 64 ? ~0ULL : (1ULL << len) - 1);
            if (is_signed) {
                v &= mask >> 1;
                if (rng.chance(50)) v = ~v;  // negative, -v-1
            }
        }
        return int_text(v, is_signed, width);
    }

    // A random finite float constant (with zeros of both signs, denormals and extremes).
    static std::string float_literal(Rng& rng) {
        if (rng.chance(12))
            return rng.pick(std::vector<std::string>{"0.0f", "-0.0f", "0x1p-149f", "0x1.fffffep+127f", "1.0f",
                                                     "-1.5f", "0x1p-126f"});
        const char* sign = rng.chance(40) ? "-" : "";
        unsigned mantissa = static_cast<unsigned>((rng.next() & 0x7fffff) << 1);
        int exponent = rng.range(-40, 40);
        char buf[64];
        std::snprintf(buf, sizeof buf, "%s0x1.%06xp%+df", sign, mantissa, exponent);
        return buf;
    }

    // A random finite double constant.
    static std::string double_literal(Rng& rng) {
        if (rng.chance(12))
            return rng.pick(std::vector<std::string>{"0.0", "-0.0", "0x0.0000000000001p-1022",
                                                     "0x1.fffffffffffffp+1023", "1.0", "-2.5", "0x1p-1022"});
        const char* sign = rng.chance(40) ? "-" : "";
        uint64_t mantissa = rng.next() & 0xfffffffffffffULL;
        int exponent = rng.range(-300, 300);
        char buf[64];
        std::snprintf(buf, sizeof buf, "%s0x1.%013" PRIx64 "p%+d", sign, mantissa, exponent);
        return buf;
    }

    // A random long double constant with more significant bits than a double holds.
    static std::string long_double_literal(Rng& rng) {
        if (rng.chance(12))
            return rng.pick(std::vector<std::string>{"0.0L", "-0.0L", "0x1.0000000000000002p+0L", "-1.0L",
                                                     "0x1.8p+1000L", "0x1p-1070L"});
        const char* sign = rng.chance(40) ? "-" : "";
        uint64_t mantissa = rng.next() & 0xfffffffffffffffULL;
        int exponent = rng.range(-600, 600);
        char buf[64];
        std::snprintf(buf, sizeof buf, "%s0x1.%015" PRIx64 "p%+dL", sign, mantissa, exponent);
        return buf;
    }

    // A random C initializer of type t (arrays and records positionally, in braces).
    std::string literal(Type t, Rng& rng, int count = 0, int bits = -1) const {
        if (count > 0) {
            std::string s = "{ ";
            for (int i = 0; i < count; ++i) s += (i ? ", " : "") + literal(t, rng);
            return s + " }";
        }
        if (bits >= 0) {
            const PrimInfo& p = kPrims[static_cast<int>(t.kind)];
            bool is_signed = p.sign != 0 && t.kind != Kind::Bool;
            uint64_t v = bits >= 64 ? rng.next() : rng.next() & ((1ULL << bits) - 1);
            if (is_signed) {
                // Sign-extend from the field width to a value in its range.
                if (bits < 64 && (v >> (bits - 1)) & 1) v |= ~0ULL << bits;
                return int_text(v, true, p.bits > 32 ? 64 : 32);
            }
            return int_text(v, false, p.bits > 32 ? 64 : 32);
        }
        switch (t.kind) {
        case Kind::Float: return float_literal(rng);
        case Kind::Double: return double_literal(rng);
        case Kind::LDouble: return long_double_literal(rng);
        case Kind::CFloat: {
            std::string re = float_literal(rng);
            return "CMPLXF(" + re + ", " + float_literal(rng) + ")";
        }
        case Kind::CDouble: {
            std::string re = double_literal(rng);
            return "CMPLX(" + re + ", " + double_literal(rng) + ")";
        }
        case Kind::CLDouble: {
            std::string re = long_double_literal(rng);
            return "CMPLXL(" + re + ", " + long_double_literal(rng) + ")";
        }
        case Kind::Int128:
        case Kind::UInt128: {
            uint64_t hi = rng.next();
            uint64_t lo = rng.next();
            char buf[128];
            std::snprintf(buf, sizeof buf, "(%s)(((unsigned __int128)0x%" PRIx64 "ULL << 64) | 0x%" PRIx64 "ULL)",
                          spell(t).c_str(), hi, lo);
            return buf;
        }
        case Kind::Pointer: {
            const PointerKind& p = kPointers[static_cast<size_t>(t.index)];
            return rng.pick(std::vector<std::string>(p.values.begin(), p.values.end()));
        }
        case Kind::Enum: {
            const EnumDef& e = c_.enums[static_cast<size_t>(t.index)];
            return e.values[rng.next() % e.values.size()].first;
        }
        case Kind::Record: {
            const Record& r = rec(t);
            std::string s = "{ ";
            bool first = true;
            for (const Member& m : r.members) {
                if (m.name.empty() && m.bits >= 0) continue;
                s += (first ? "" : ", ") + literal(m.type, rng, m.count, m.bits);
                first = false;
                if (r.is_union) break;
            }
            return s + " }";
        }
        default: return int_literal(t.kind, rng);
        }
    }

    const Case& c_;
};

// The command line: --seed S --count N --out DIR [--parts P].
struct Options {
    uint64_t seed = 1;
    int count = 0;
    int parts = 4;
    std::string out;
};

// Parses the command line; exits with a usage message on error.
Options parse_options(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (i + 1 >= argc) {
            std::cerr << "gen_abi_cases: option " << a << " needs a value\n";
            std::exit(2);
        }
        std::string v = argv[++i];
        if (a == "--seed")
            o.seed = std::strtoull(v.c_str(), nullptr, 0);
        else if (a == "--count")
            o.count = std::atoi(v.c_str());
        else if (a == "--parts")
            o.parts = std::atoi(v.c_str());
        else if (a == "--out")
            o.out = v;
        else {
            std::cerr << "gen_abi_cases: unknown option " << a << "\n";
            std::exit(2);
        }
    }
    if (o.count <= 0 || o.parts <= 0 || o.out.empty()) {
        std::cerr << "usage: gen_abi_cases --seed S --count N --out DIR [--parts P]\n";
        std::exit(2);
    }
    return o;
}

// Writes text to path; exits on failure.
void write_file(const std::string& path, const std::string& text) {
    std::ofstream f(path, std::ios::binary);
    f << text;
    if (!f) {
        std::cerr << "gen_abi_cases: cannot write " << path << "\n";
        std::exit(1);
    }
}

}  // namespace

// Generates abi_cases_<p>.c for each part and abi_suite.c, which lists every case.
int main(int argc, char** argv) {
    Options opt = parse_options(argc, argv);
    Generator gen(opt.seed);
    std::vector<std::string> parts(static_cast<size_t>(opt.parts));
    for (auto& p : parts)
        p = "/* Generated by gen_abi_cases (seed " + std::to_string(opt.seed) + "): do not edit. */\n"
            "#include \"abi_fixture.h\"\n\n";
    for (int i = 0; i < opt.count; ++i) {
        Case c = gen.generate(i);
        Rng values(opt.seed * 31 + static_cast<uint64_t>(i) * 0x2545f4914f6cdd1dULL + 7);
        size_t part = static_cast<size_t>(static_cast<int64_t>(i) * opt.parts / opt.count);
        parts[part] += Emitter(c).text(values);
    }
    for (size_t p = 0; p < parts.size(); ++p)
        write_file(opt.out + "/abi_cases_" + std::to_string(p) + ".c", parts[p]);

    std::ostringstream s;
    s << "/* Generated by gen_abi_cases (seed " << opt.seed << "): do not edit. */\n"
      << "#include \"abi_fixture.h\"\n\n";
    for (int i = 0; i < opt.count; ++i) s << "extern ABI_HIDDEN const struct abi_case abi_info_" << i << ";\n";
    s << "\nstatic const struct abi_case *const abi_all[" << opt.count << "] = {\n";
    for (int i = 0; i < opt.count; ++i) s << "    &abi_info_" << i << ",\n";
    s << "};\n\nstatic const struct abi_suite abi_the_suite = {\n    " << opt.seed << "ULL, " << opt.count
      << ", abi_all, &abi_checksum, &abi_last_case, abi_trace, ABI_TRACE_SIZE\n};\n\n"
      << "/* The suite: every case of this library and where the callees leave their checksums. */\n"
      << "ABI_EXPORT const struct abi_suite *abi_suite_get(void)\n{\n    return &abi_the_suite;\n}\n";
    write_file(opt.out + "/abi_suite.c", s.str());
    return 0;
}

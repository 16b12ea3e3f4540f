// Random C prototypes for the Clang-oracle test of the classifiers, and the hand-picked traps.
#include "plan_gen.hpp"

#include <algorithm>
#include <random>

namespace jiffi::detail::test {

namespace {

const char* const kScalars[] = {
    "_Bool",          "char",           "signed char",          "unsigned char",
    "short",          "unsigned short", "int",                  "unsigned int",
    "long",           "unsigned long",  "long long",            "unsigned long long",
    "__int128",       "unsigned __int128", "float",             "double",
    "long double",    "_Complex float", "_Complex double",      "_Complex long double",
    "void *",         "const char *",
};

const char* const kBitfieldTypes[] = {"char",         "unsigned char", "short", "unsigned short",
                                      "int",          "unsigned int",  "long",  "unsigned long",
                                      "long long",    "_Bool"};
const int kBitfieldBits[] = {8, 8, 16, 16, 32, 32, 64, 64, 64, 1};

// The generator state: random source, tag counter and the definitions emitted so far.
struct Gen {
    std::mt19937_64 rng;
    GenOptions opt;
    std::string prefix;
    std::string defs;
    int tags = 0;

    int rnd(int n) { return int(std::uniform_int_distribution<int>(0, n - 1)(rng)); }
    bool chance(int pct) { return rnd(100) < pct; }
    std::string tag() { return prefix + "t" + std::to_string(tags++); }

    // A scalar type name, now and then an enum defined on the spot.
    std::string scalar() {
        if (chance(6)) return enum_type();
        // Rarer: the 16-byte and x87 types, so that most records stay in registers.
        for (;;) {
            int i = rnd(int(sizeof(kScalars) / sizeof(kScalars[0])));
            std::string s = kScalars[i];
            bool wide = s.find("__int128") != std::string::npos || s.find("long double") != std::string::npos;
            if (!wide || chance(35)) return s;
        }
    }

    // An enum type: unsigned int, int (a negative enumerator) or packed (unsigned char).
    std::string enum_type() {
        std::string t = tag();
        int k = rnd(3);
        if (k == 0) defs += "enum " + t + " { " + t + "_a = 1, " + t + "_b = 7 };\n";
        else if (k == 1) defs += "enum " + t + " { " + t + "_a = -3, " + t + "_b = 9 };\n";
        else defs += "enum __attribute__((packed)) " + t + " { " + t + "_a = 1, " + t + "_b = 200 };\n";
        return "enum " + t;
    }

    // An empty struct type (GNU C).
    std::string empty_record() {
        std::string t = tag();
        defs += "struct " + t + " { };\n";
        return "struct " + t;
    }

    // A struct or union of 1 to 6 members: scalars, arrays, nested records (up to two
    // levels), bitfields, unnamed bitfields, empty records; sometimes packed or aligned.
    std::string record(int depth) {
        std::string t = tag();
        bool is_union = chance(15);
        int n = 1 + rnd(6);
        std::string body;
        for (int m = 0; m < n; ++m) {
            std::string name = "m" + std::to_string(m);
            int k = rnd(100);
            std::string decl;
            if (k < 45) {
                decl = scalar() + " " + name;
            } else if (k < 57) {
                decl = scalar() + " " + name + "[" + std::to_string(1 + rnd(4)) + "]";
            } else if (k < 69 && depth < 2) {
                std::string inner = chance(50) ? record(depth + 1) : (chance(50) ? hfa() : mixed(16));
                decl = inner + " " + name + (chance(20) ? "[" + std::to_string(1 + rnd(2)) + "]" : "");
            } else if (k < 81) {
                int i = rnd(int(sizeof(kBitfieldTypes) / sizeof(kBitfieldTypes[0])));
                decl = std::string(kBitfieldTypes[i]) + " " + name + " : " +
                       std::to_string(1 + rnd(kBitfieldBits[i]));
            } else if (k < 85) {
                decl = "int : " + std::to_string(rnd(13));
            } else if (k < 88) {
                decl = empty_record() + " " + name;
            } else {
                decl = scalar() + " " + name;
            }
            if (k < 69 && chance(4))
                decl += " __attribute__((aligned(" + std::to_string(1 << rnd(5)) + ")))";
            else if (k < 69 && chance(3))
                decl += " __attribute__((packed))";
            body += "  " + decl + ";\n";
        }
        std::string attrs;
        if (chance(8)) attrs += " __attribute__((packed))";
        if (chance(5)) attrs += " __attribute__((aligned(" + std::to_string(2 << rnd(5)) + ")))";
        defs += std::string(is_union ? "union" : "struct") + attrs + " " + t + " {\n" + body + "};\n";
        return std::string(is_union ? "union " : "struct ") + t;
    }

    // A candidate homogeneous floating-point aggregate: 1 to 5 members of one floating type
    // (flat, as an array, nested, in a union or as _Complex).
    std::string hfa() {
        const char* bases[] = {"float", "double", "long double"};
        std::string b = bases[rnd(chance(25) ? 3 : 2)];
        int n = 1 + rnd(5);
        std::string t = tag();
        std::string body;
        switch (rnd(5)) {
        case 0:
            for (int i = 0; i < n; ++i) body += "  " + b + " m" + std::to_string(i) + ";\n";
            break;
        case 1: body = "  " + b + " m0[" + std::to_string(n) + "];\n"; break;
        case 2: {
            std::string in = tag();
            defs += "struct " + in + " { " + b + " x, y; };\n";
            body = "  struct " + in + " s;\n";
            for (int i = 2; i < n; ++i) body += "  " + b + " m" + std::to_string(i) + ";\n";
            break;
        }
        case 3:
            defs += "union " + t + " { " + b + " a[" + std::to_string(n) + "]; " + b + " b; };\n";
            return "union " + t;
        default:
            body = "  _Complex " + b + " c;\n";
            for (int i = 2; i < n; ++i) body += "  " + b + " m" + std::to_string(i) + ";\n";
            break;
        }
        defs += "struct " + t + " {\n" + body + "};\n";
        return "struct " + t;
    }

    // A struct of integers and floats whose size is about target bytes (1 to 40).
    std::string mixed(int max_size = 40) {
        struct M { const char* type; int size; };
        static const M ms[] = {{"char", 1}, {"unsigned char", 1}, {"short", 2}, {"int", 4},
                               {"float", 4}, {"double", 8}, {"long", 8}, {"void *", 8}};
        int target = 1 + rnd(max_size);
        int size = 0, align = 1, i = 0;
        std::string body;
        while (size < target) {
            const M& m = ms[rnd(8)];
            if (m.size > 1 && size + m.size > target + 7) continue;
            size = (size + m.size - 1) / m.size * m.size + m.size;
            align = std::max(align, m.size);
            body += "  " + std::string(m.type) + " m" + std::to_string(i++) + ";\n";
        }
        std::string t = tag();
        defs += "struct " + t + " {\n" + body + "};\n";
        return "struct " + t;
    }

    // A record with a flexible array member.
    std::string flexible() {
        const char* es[] = {"char", "int", "float", "double"};
        std::string t = tag();
        defs += "struct " + t + " { " + (chance(50) ? "int" : "char") + " n; " + es[rnd(4)] + " d[]; };\n";
        return "struct " + t;
    }

    // Any argument or return type.
    std::string any_type() {
        int r = rnd(100);
        if (r < 35) return scalar();
        if (r < 55) return record(0);
        if (r < 70) return hfa();
        if (r < 88) return mixed();
        if (r < 92) return flexible();
        if (r < 95) return empty_record();
        return enum_type();
    }
};

}  // namespace

std::vector<GenCase> generate_cases(uint64_t seed, size_t count, const GenOptions& opt,
                                    const std::string& prefix) {
    Gen g{std::mt19937_64(seed), opt, prefix, "", 0};
    std::vector<GenCase> out;
    for (size_t i = 0; i < count; ++i) {
        GenCase c;
        g.defs.clear();
        c.fn = prefix + "f" + std::to_string(i);
        c.variadic = g.chance(15);
        std::vector<std::string> args;
        if (!c.variadic && g.chance(25)) {
            // Exhaust the registers first, so that what follows just misses them.
            int n = 4 + g.rnd(6);
            bool fp = g.chance(50);
            for (int k = 0; k < n; ++k) args.push_back(fp ? "double" : (g.chance(50) ? "long" : "int"));
        }
        int nargs = c.variadic ? 1 + g.rnd(3) : g.rnd(13 - int(args.size()));
        for (int k = 0; k < nargs; ++k) args.push_back(g.any_type());
        std::string ret = g.chance(15) ? "void" : g.any_type();
        if (c.variadic) {
            int n = 1 + g.rnd(6);
            for (int k = 0; k < n; ++k) {
                std::string t = g.any_type();
                if (t.find("_Bool") != std::string::npos) t = "int";
                c.extra.push_back(t);
            }
        }
        std::string params;
        for (size_t k = 0; k < args.size(); ++k) params += (k ? ", " : "") + args[k];
        if (c.variadic) params += ", ...";
        if (params.empty()) params = "void";
        std::string proto = ret + " " + c.fn + "(" + params + ");";
        c.decls = g.defs + proto + "\n";
        c.what = proto;
        if (c.variadic) {
            std::string body, call_args;
            std::vector<std::string> all = args;
            all.insert(all.end(), c.extra.begin(), c.extra.end());
            for (size_t k = 0; k < all.size(); ++k) {
                body += "  " + all[k] + " a" + std::to_string(k) + ";\n";
                call_args += (k ? ", a" : "a") + std::to_string(k);
            }
            c.caller = "void call_" + c.fn + "(void) {\n" + body + "  " + c.fn + "(" + call_args + ");\n}\n";
            std::string ex;
            for (size_t k = 0; k < c.extra.size(); ++k) ex += (k ? ", " : "") + c.extra[k];
            c.what += " called with (" + ex + ")";
        }
        out.push_back(std::move(c));
    }
    return out;
}

std::vector<GenCase> trap_cases() {
    // Each: definitions and prototype; variadic ones with their call's extra types.
    struct T { const char* fn; const char* decls; std::vector<std::string> extra; };
    const T ts[] = {
        {"trap_d3", "struct trap_d3s { double a, b, c; };\nstruct trap_d3s trap_d3(struct trap_d3s);\n", {}},
        {"trap_f2", "struct trap_f2s { float a, b; };\nstruct trap_f2s trap_f2(struct trap_f2s, struct trap_f2s);\n", {}},
        {"trap_f3", "struct trap_f3s { float a, b, c; };\nstruct trap_f3s trap_f3(struct trap_f3s);\n", {}},
        {"trap_all_or_nothing_int",
         "struct trap_l2 { long a, b; };\nvoid trap_all_or_nothing_int(int, int, int, int, int, struct trap_l2, long);\n", {}},
        {"trap_all_or_nothing_sse",
         "struct trap_dd { double a, b; };\nvoid trap_all_or_nothing_sse(double, double, double, double, double, double, double, struct trap_dd, double);\n", {}},
        {"trap_ld", "struct trap_lds { long double x; };\nlong double trap_ld(long double, struct trap_lds);\n", {}},
        {"trap_ld_ret", "struct trap_lds2 { long double x; };\nstruct trap_lds2 trap_ld_ret(void);\n", {}},
        {"trap_i128", "__int128 trap_i128(int, int, int, int, int, __int128, long);\n", {}},
        {"trap_i128_none", "unsigned __int128 trap_i128_none(long, long, long, long, long, long, unsigned __int128, int);\n", {}},
        {"trap_i128_regs", "__int128 trap_i128_regs(__int128, int, __int128);\n", {}},
        {"trap_c3", "struct trap_c3s { char c[3]; };\nstruct trap_c3s trap_c3(struct trap_c3s);\n", {}},
        {"trap_l8", "struct trap_l8s { long a; char b; };\nstruct trap_l8s trap_l8(struct trap_l8s);\n", {}},
        {"trap_big", "struct trap_bigs { char c[17]; };\nstruct trap_bigs trap_big(struct trap_bigs, int);\n", {}},
        {"trap_empty", "struct trap_es { };\nstruct trap_es trap_empty(struct trap_es, int, struct trap_es);\n", {}},
        {"trap_cld", "_Complex long double trap_cld(_Complex long double, _Complex float, _Complex double);\n", {}},
        {"trap_hfa4", "struct trap_h4 { float a[4]; };\nstruct trap_h4 trap_hfa4(struct trap_h4, struct trap_h4, struct trap_h4);\n", {}},
        {"trap_hfa5", "struct trap_h5 { double a[5]; };\nstruct trap_h5 trap_hfa5(struct trap_h5);\n", {}},
        {"trap_small_ints", "signed char trap_small_ints(_Bool, char, unsigned char, short, unsigned short);\n", {}},
        {"trap_printf", "int trap_printf(const char *, ...);\n",
         {"double", "int", "struct trap_f2s", "long double", "char", "float", "__int128"}},
        {"trap_vstruct", "struct trap_vs { long a; double b; };\nint trap_vstruct(int, ...);\n",
         {"struct trap_vs", "struct trap_d3s", "struct trap_bigs", "_Complex double"}},
    };
    std::vector<GenCase> out;
    for (const T& t : ts) {
        GenCase c;
        c.fn = t.fn;
        c.decls = t.decls;
        c.what = t.decls;
        c.variadic = !t.extra.empty();
        c.extra = t.extra;
        if (c.variadic) {
            // The fixed parameter types are listed in the prototype; callers pass zeros.
            std::string body = "  const char *p0 = 0; int i0 = 0;\n", args;
            bool str = std::string(t.decls).find("const char *, ...") != std::string::npos;
            args = str ? "p0" : "i0";
            for (size_t k = 0; k < t.extra.size(); ++k) {
                body += "  " + t.extra[k] + " a" + std::to_string(k) + ";\n";
                args += ", a" + std::to_string(k);
            }
            c.caller = std::string("void call_") + t.fn + "(void) {\n" + body + "  " + t.fn + "(" + args + ");\n}\n";
        }
        out.push_back(std::move(c));
    }
    return out;
}

std::string c_file(const std::vector<GenCase>& cases) {
    std::string s = "/* generated by test_abi_plan */\n";
    for (const GenCase& c : cases) s += c.decls;
    for (const GenCase& c : cases) s += c.caller;
    s += "void *jiffi_plan_uses[] = {\n";
    for (const GenCase& c : cases) s += "  (void *)" + c.fn + ",\n";
    return s + "};\n";
}

}  // namespace jiffi::detail::test

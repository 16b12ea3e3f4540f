// Robustness: mutated declarations and random bytes either parse or throw jiffi's Error.
#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "cparse_fixture.hpp"

using namespace jiffi::detail;
using jiffi::detail::test::Cx;

namespace {

const char* const kDeclarations[] = {
    "typedef struct { int x; } point; typedef int a, *b, c[3];",
    "struct node { struct node *next; int value : 7; unsigned : 0; char tail[]; };",
    "enum color { RED, GREEN = 5, BLUE = GREEN << 2, NEG = -3 } __attribute__((packed));",
    "void (*signal(int sig, void (*func)(int)))(int);",
    "extern int printf(const char *__restrict fmt, ...) __attribute__((format(printf, 1, 2)));",
    "#pragma pack(push, 1)\nstruct p { char c; int i; };\n#pragma pack(pop)\n",
    "struct __attribute__((aligned(16))) v { float f[4]; union { int i; float g; }; };",
    "typedef char arr[sizeof(struct { long l; char c; }) + __alignof__(double) * 2 - (1 ? 3 : 4)];",
    "static inline int add(int a, int b) { return a + b; } int keep(void);",
    "extern int fscanf(void *s, const char *f, ...) __asm__(\"\" \"__isoc99_fscanf\");",
    "enum e : unsigned char { A = 'a', B = '\\x42', C = (unsigned char)300 };",
    "_Static_assert(sizeof(int) == 4, \"int\"); typedef int (*fp)(int (*)(long), ...);",
    "struct bits { unsigned a : 3, : 2; _Bool f : 1; long long big : 40; } "
    "__attribute__((packed));",
    "int vla(size_t n, int a[n], char *p[*]); typedef __typeof__(vla) vla_t;",
    "typedef int i8 __attribute__((__mode__(__QI__))); [[gnu::packed]] struct q { char c; int i; "
    "};",
};

const char* const kSignatures[] = {
    "size_t (const char *)",
    "int printf(const char *, ...)",
    ":unsigned-long (:string)",
    ":int (:pointer :int)",
    "void (*signal(int, void (*)(int)))(int)",
    "int (*)(double, ...)",
    "double(double)",
    "struct vec2 vadd(struct vec2 a, struct vec2 b)",
    "int, double, const char *",
    "unsigned long long (*(*)[3])(void)",
};

const char* const kPool[] = {
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    "*",
    ";",
    ",",
    ":",
    "...",
    "=",
    "?",
    "-",
    "<<",
    "&&",
    "struct",
    "union",
    "enum",
    "typedef",
    "int",
    "long",
    "unsigned",
    "const",
    "void",
    "char",
    "double",
    "_Complex",
    "__int128",
    "sizeof",
    "_Alignof",
    "__builtin_offsetof",
    "__attribute__((",
    "packed",
    "aligned(8)",
    "))",
    "__asm__(\"x\")",
    "x",
    "foo_t",
    "size_t",
    "point",
    "RED",
    "0",
    "1",
    "-1",
    "0x7fffffffffffffff",
    "99999999999999999999",
    "'a'",
    "'",
    "\"",
    "\"s\"",
    "#pragma pack(1)\n",
    "#pragma pack(pop)\n",
    "\n# 1 \"f.h\"\n",
    ":int",
    ":bogus",
    "_Static_assert",
    "static",
    "extern",
    "inline",
    "[[",
    "]]",
    "/*",
    "1/0",
    "1 << 70",
    "_Float128",
    "__builtin_va_list",
    "typeof",
    "_Alignas(16)",
    "\\",
    "@",
    "$",
    "`",
    "\x01",
    "\xff",
    "0b",
    "08",
    "1.5e3",
    "L'x'",
};

// Splits text into rough tokens (words, numbers, punctuation, quoted strings, spaces).
std::vector<std::string> tokenize(const std::string& s) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < s.size()) {
        size_t b = i;
        char c = s[i];
        if (isalnum(static_cast<unsigned char>(c)) || c == '_') {
            while (i < s.size() && (isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_')) ++i;
        } else if (c == '"' || c == '\'') {
            ++i;
            while (i < s.size() && s[i] != c) i += s[i] == '\\' ? 2 : 1;
            i = std::min(i + 1, s.size());
        } else {
            ++i;
        }
        out.push_back(s.substr(b, i - b));
    }
    return out;
}

// Applies one to three random token-level mutations (or a truncation) to text.
std::string mutate(const std::string& text, std::mt19937_64& rng) {
    auto pick = [&](size_t n) { return static_cast<size_t>(rng() % std::max<size_t>(n, 1)); };
    if (rng() % 5 == 0) return text.substr(0, pick(text.size() + 1));
    std::vector<std::string> toks = tokenize(text);
    int rounds = 1 + static_cast<int>(rng() % 3);
    for (int r = 0; r < rounds; ++r) {
        switch (rng() % 4) {
        case 0:
            if (!toks.empty()) toks.erase(toks.begin() + static_cast<long>(pick(toks.size())));
            break;
        case 1:
            toks.insert(toks.begin() + static_cast<long>(pick(toks.size() + 1)),
                        kPool[pick(std::size(kPool))]);
            break;
        case 2:
            if (!toks.empty()) {
                size_t i = pick(toks.size());
                toks.insert(toks.begin() + static_cast<long>(i), toks[i]);
            }
            break;
        default:
            if (toks.size() > 1) std::swap(toks[pick(toks.size())], toks[pick(toks.size())]);
            break;
        }
    }
    std::string out;
    for (const std::string& t : toks) out += t;
    return out;
}

// Runs f on text; only success or jiffi's Error are acceptable.
template <class F>
bool survives(const std::string& text, F&& f) {
    try {
        f();
        return true;
    } catch (const Error& e) {
        CHECK_MESSAGE(e.message().rfind("line ", 0) == 0,
                      "message without position: " << e.message());
        return true;
    } catch (const std::exception& e) {
        FAIL_CHECK("foreign exception " << e.what() << " for input: " << text);
    } catch (...) {
        FAIL_CHECK("unknown exception for input: " << text);
    }
    return false;
}

}  // namespace

TEST_CASE("mutated declarations never crash and fail only with Error") {
    std::mt19937_64 rng(20240611);
    size_t parsed = 0, failed = 0;
    Cx shared;
    shared.cdef("struct vec2 { float x, y; };");
    for (int i = 0; i < 4000; ++i) {
        std::string text = mutate(kDeclarations[rng() % std::size(kDeclarations)], rng);
        Cx c;
        size_t typedefs = c.decls.typedefs.size();
        bool ok = false;
        if (!survives(text, [&] {
                c.cdef(text);
                ok = true;
            }))
            break;
        if (ok) {
            ++parsed;
        } else {
            ++failed;
            CHECK(c.decls.typedefs.size() == typedefs);
            CHECK(c.decls.tags.empty());
            CHECK(c.decls.functions.empty());
        }
        std::string sig = mutate(kSignatures[rng() % std::size(kSignatures)], rng);
        if (!survives(sig, [&] { shared.sig(sig); })) break;
        if (!survives(sig, [&] { parse_type_list(shared.types, shared.decls, sig); })) break;
        if (!survives(sig, [&] { shared.type(sig); })) break;
    }
    // Both outcomes occur, so the mutations exercise the parser rather than the lexer alone.
    CHECK(parsed > 100);
    CHECK(failed > 100);
}

TEST_CASE("random bytes never crash the parser") {
    std::mt19937_64 rng(7);
    const std::string alphabet =
        "int struct{}()[]*;,:=?-+<>!&|^~%/.#'\"\\\n\t 0123456789xXuUlL_abcAZ";
    for (int i = 0; i < 3000; ++i) {
        std::string text;
        size_t n = rng() % 48;
        for (size_t k = 0; k < n; ++k) {
            if (rng() % 8 == 0)
                text += static_cast<char>(rng() % 256);
            else
                text += alphabet[rng() % alphabet.size()];
        }
        Cx c;
        if (!survives(text, [&] { c.cdef(text); })) break;
        if (!survives(text, [&] { c.sig(text); })) break;
        if (!survives(text, [&] { parse_type_list(c.types, c.decls, text); })) break;
    }
}

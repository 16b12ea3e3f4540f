// The C declaration parser: a lexer, a recursive-descent parser of declarations, type names
// and signatures (C syntax and keyword form), and an integer constant expression evaluator.
#include "marshal/cparse.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "base/error.hpp"

namespace jiffi::detail {

namespace {

constexpr int kMaxDepth = 256;
// Most pointer, array and function derivations in one type (C requires 12): deeper types
// would make every size and completeness query (which walk the derivations) quadratic.
constexpr size_t kMaxDerivations = 256;
constexpr uint32_t kMaxAlign = 1u << 28;
constexpr uint32_t kDefaultBiggestAlign = 16;  // bare aligned on x86-64 and AArch64

using Wide = __int128;

// The enumerators of an enum being defined, in order and by name (later values may use them).
struct PendingEnum {
    std::vector<std::pair<std::string, Wide>> values;
    std::unordered_map<std::string, size_t> index;
};

struct KeywordEntry {
    std::string_view keyword;
    std::string_view c_type;
};

constexpr KeywordEntry kKeywords[] = {
#define JIFFI_KEYWORD(kw, ctype) {kw, ctype},
#include "marshal/keywords.def"
#undef JIFFI_KEYWORD
};

enum class TokKind : uint8_t { Ident, Keyword, Number, Char, String, Punct, End };

struct Token {
    TokKind kind = TokKind::End;
    std::string_view text;
    uint32_t line = 1;
    uint32_t column = 1;
    uint32_t pack = 0;  // the #pragma pack value in force at this token, 0 if none
};

// "line L, column C" of a token.
std::string where(const Token& t) {
    return "line " + std::to_string(t.line) + ", column " + std::to_string(t.column);
}

// Quotes source text for a message, escaping unprintable bytes and shortening long text.
std::string quoted(std::string_view s) {
    std::string out = "'";
    size_t n = std::min<size_t>(s.size(), 48);
    for (size_t i = 0; i < n; ++i) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == 0x7f) {
            static const char hex[] = "0123456789abcdef";
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    if (n < s.size()) out += "...";
    return out + "'";
}

// The token as a message names it: quoted text, or "end of input".
std::string describe(const Token& t) {
    if (t.kind == TokKind::End) return "end of input";
    return quoted(t.text);
}

// Throws an Error whose message starts with the token's position.
[[noreturn]] void fail_at(const Token& t, ErrorCode code, const std::string& msg) {
    fail(code, where(t) + ": " + msg);
}

// True for a byte that can start an identifier (GCC also allows '$' and UTF-8).
bool ident_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' ||
           static_cast<unsigned char>(c) >= 0x80;
}

// True for a byte that can continue an identifier.
bool ident_char(char c) { return ident_start(c) || (c >= '0' && c <= '9'); }

// True for a decimal digit.
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Splits preprocessed C text into tokens, honoring "#pragma pack" lines, skipping line
// markers, harmless pragmas and comments, and refusing every other directive.
class Lexer {
public:
    Lexer(std::string_view src, bool keywords) : src_(src), keywords_(keywords) {}

    // Tokenizes the whole text; the last token is End.
    std::vector<Token> run() {
        std::vector<Token> out;
        bool line_start = true;
        while (pos_ < src_.size()) {
            char c = src_[pos_];
            if (c == '\n') {
                newline(pos_ + 1);
                ++pos_;
                line_start = true;
                continue;
            }
            if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
                ++pos_;
                continue;
            }
            if (c == '\\' && continuation(pos_)) continue;
            if (c == '/' && peek_char(1) == '*') {
                block_comment();
                continue;
            }
            if (c == '/' && peek_char(1) == '/') {
                while (pos_ < src_.size() && src_[pos_] != '\n') ++pos_;
                continue;
            }
            if (c == '#' && line_start) {
                directive();
                continue;
            }
            line_start = false;
            out.push_back(token());
        }
        Token end;
        end.kind = TokKind::End;
        end.text = src_.substr(src_.size());
        end.line = line_;
        end.column = column_of(pos_);
        end.pack = pack_;
        out.push_back(end);
        return out;
    }

private:
    // The byte k after the current position, or NUL past the end.
    char peek_char(size_t k) const { return pos_ + k < src_.size() ? src_[pos_ + k] : '\0'; }

    // The column of offset at, which must be on the current line.
    uint32_t column_of(size_t at) const {
        return at < line_start_ ? 1 : static_cast<uint32_t>(at - line_start_ + 1);
    }

    // Counts a line break; the next line starts at offset next_line_start.
    void newline(size_t next_line_start) {
        ++line_;
        line_start_ = next_line_start;
    }

    // Skips a backslash-newline at `at`; returns false if the backslash starts no continuation.
    bool continuation(size_t at) {
        size_t k = at + 1;
        if (k < src_.size() && src_[k] == '\r') ++k;
        if (k < src_.size() && src_[k] == '\n') {
            pos_ = k + 1;
            newline(pos_);
            return true;
        }
        return false;
    }

    // Throws an Error at line, column.
    [[noreturn]] static void error_at(uint32_t line, uint32_t column, ErrorCode code,
                                      const std::string& msg) {
        fail(code,
             "line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + msg);
    }

    // Throws an Error at offset at of the current line.
    [[noreturn]] void error_at(size_t at, ErrorCode code, const std::string& msg) const {
        error_at(line_, column_of(at), code, msg);
    }

    // Skips a block comment starting at pos_.
    void block_comment() {
        uint32_t line = line_, column = column_of(pos_);
        pos_ += 2;
        while (pos_ + 1 < src_.size() && !(src_[pos_] == '*' && src_[pos_ + 1] == '/')) {
            if (src_[pos_] == '\n') newline(pos_ + 1);
            ++pos_;
        }
        if (pos_ + 1 >= src_.size())
            error_at(line, column, ErrorCode::PARSE, "unterminated comment");
        pos_ += 2;
    }

    // Scans a quoted literal starting at pos_ (the opening quote).
    void quoted_literal(size_t begin) {
        char q = src_[pos_++];
        while (true) {
            if (pos_ >= src_.size() || src_[pos_] == '\n')
                error_at(begin, ErrorCode::PARSE,
                         std::string("missing terminating ") + q + " character");
            char c = src_[pos_++];
            if (c == '\\' && pos_ < src_.size() && src_[pos_] != '\n') {
                ++pos_;
            } else if (c == q) {
                return;
            }
        }
    }

    // Scans the token at pos_.
    Token token() {
        size_t b = pos_;
        Token t;
        t.line = line_;
        t.column = column_of(b);
        t.pack = pack_;
        char c = src_[pos_];
        if (ident_start(c)) {
            while (pos_ < src_.size() && ident_char(src_[pos_])) ++pos_;
            std::string_view w = src_.substr(b, pos_ - b);
            char q = peek_char(0);
            if ((q == '\'' || q == '"') && (w == "L" || w == "u" || w == "U" || w == "u8")) {
                quoted_literal(b);
                t.kind = q == '\'' ? TokKind::Char : TokKind::String;
            } else {
                t.kind = TokKind::Ident;
            }
        } else if (is_digit(c) || (c == '.' && is_digit(peek_char(1)))) {
            while (pos_ < src_.size()) {
                char d = src_[pos_];
                if ((d == '+' || d == '-') && pos_ > b) {
                    char e = src_[pos_ - 1];
                    if (e == 'e' || e == 'E' || e == 'p' || e == 'P') {
                        ++pos_;
                        continue;
                    }
                    break;
                }
                if (!ident_char(d) && d != '.') break;
                ++pos_;
            }
            t.kind = TokKind::Number;
        } else if (c == '\'' || c == '"') {
            quoted_literal(b);
            t.kind = c == '\'' ? TokKind::Char : TokKind::String;
        } else if (c == ':' && keywords_ && ident_start(peek_char(1))) {
            ++pos_;
            while (pos_ < src_.size() && (ident_char(src_[pos_]) || src_[pos_] == '-')) ++pos_;
            t.kind = TokKind::Keyword;
        } else {
            static const std::string_view puncts3[] = {"...", "<<=", ">>="};
            static const std::string_view puncts2[] = {
                "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "->", "++", "--",
                "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "::", "##"};
            std::string_view rest = src_.substr(b);
            size_t len = 0;
            for (auto p : puncts3)
                if (rest.substr(0, 3) == p) len = 3;
            if (!len)
                for (auto p : puncts2)
                    if (rest.substr(0, 2) == p) len = 2;
            if (!len &&
                std::string_view("{}[]();,:?~!+-*/%<>=&|^.#").find(c) != std::string_view::npos)
                len = 1;
            if (!len)
                error_at(b, ErrorCode::PARSE, "unexpected character " + quoted(src_.substr(b, 1)));
            pos_ += len;
            t.kind = TokKind::Punct;
        }
        t.text = src_.substr(b, pos_ - b);
        return t;
    }

    // Handles a line starting with '#': "#pragma pack" changes the packing; line markers,
    // "#line", the null directive and the pragmas that change no type or symbol are skipped;
    // every other directive is an error naming it (the text must be preprocessed already).
    void directive() {
        size_t hash = pos_;
        uint32_t hash_line = line_, hash_column = column_of(hash);
        size_t end = pos_;
        while (end < src_.size() && src_[end] != '\n') {
            if (src_[end] == '\\' && end + 1 < src_.size() && src_[end + 1] == '\n') {
                end += 2;
                newline(end);
                continue;
            }
            ++end;
        }
        std::string_view line = src_.substr(hash + 1, end - hash - 1);
        pos_ = end;
        size_t i = 0;
        auto skip_space = [&] {
            while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
        };
        auto word = [&] {
            size_t b = i;
            while (i < line.size() && ident_char(line[i])) ++i;
            return line.substr(b, i - b);
        };
        auto refuse = [&](const std::string& what, const std::string& why) {
            error_at(hash_line, hash_column, ErrorCode::PARSE,
                     "preprocessor directive " + quoted(what) + " is not supported: " + why);
        };
        skip_space();
        if (i == line.size() || is_digit(line[i])) return;  // null directive or line marker
        std::string_view name = word();
        if (name.empty()) refuse("#" + std::string(line.substr(i, 1)), "it is not a directive");
        if (name == "line") return;
        if (name != "pragma")
            refuse("#" + std::string(name),
                   "declarations are plain, preprocessed C; run the text through a C "
                   "preprocessor first, or describe a header's records with the layout "
                   "discoverer (jiffi_layout_discover)");
        skip_space();
        std::string_view pragma = word();
        if (pragma == "pack") {
            pragma_pack(line, i, hash + 1);
            return;
        }
        skip_space();
        std::string_view sub = word();
        if (harmless_pragma(pragma, sub)) return;
        std::string shown = "#pragma " + std::string(pragma);
        if (!sub.empty() && (pragma == "GCC" || pragma == "clang")) shown += " " + std::string(sub);
        refuse(shown,
               "only '#pragma pack' and pragmas that change no type, layout or symbol "
               "(once, STDC, GCC/clang visibility, diagnostic, system_header, push_options, "
               "pop_options) are accepted");
    }

    // True for a pragma that changes no type, layout, calling convention or symbol name.
    static bool harmless_pragma(std::string_view pragma, std::string_view sub) {
        if (pragma == "once" || pragma == "STDC") return true;
        if (pragma != "GCC" && pragma != "clang") return false;
        return sub == "visibility" || sub == "diagnostic" || sub == "system_header" ||
               sub == "push_options" || sub == "pop_options";
    }

    // Applies "#pragma pack(...)": (), (N), (push), (push, N), (push, id[, N]), (pop[, ...]).
    void pragma_pack(std::string_view line, size_t i, size_t line_offset) {
        auto bad = [&](size_t at, ErrorCode code, const std::string& msg) {
            error_at(line_offset + at, code, msg);
        };
        auto skip_space = [&] {
            while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
        };
        skip_space();
        if (i >= line.size() || line[i] != '(')
            bad(i, ErrorCode::PARSE, "malformed '#pragma pack': expected '('");
        ++i;
        std::vector<std::pair<std::string_view, size_t>> items;
        skip_space();
        if (i < line.size() && line[i] == ')') {
            ++i;
        } else {
            while (true) {
                skip_space();
                size_t b = i;
                while (i < line.size() && ident_char(line[i])) ++i;
                if (b == i) bad(i, ErrorCode::PARSE, "malformed '#pragma pack' arguments");
                items.emplace_back(line.substr(b, i - b), b);
                skip_space();
                if (i < line.size() && line[i] == ',') {
                    ++i;
                    continue;
                }
                if (i < line.size() && line[i] == ')') {
                    ++i;
                    break;
                }
                bad(i, ErrorCode::PARSE, "malformed '#pragma pack': expected ',' or ')'");
            }
        }
        skip_space();
        if (i < line.size()) bad(i, ErrorCode::PARSE, "extra text after '#pragma pack(...)'");
        auto number = [&](std::string_view s, size_t at) -> uint32_t {
            uint32_t v = 0;
            for (char c : s) {
                if (!is_digit(c) || v > 1000)
                    bad(at, ErrorCode::PARSE, "malformed '#pragma pack' value " + quoted(s));
                v = v * 10 + static_cast<uint32_t>(c - '0');
            }
            if (v != 0 && v != 1 && v != 2 && v != 4 && v != 8 && v != 16)
                bad(at, ErrorCode::CONSTANT,
                    "'#pragma pack' alignment must be 1, 2, 4, 8 or 16, not " + std::string(s));
            return v;
        };
        if (items.empty()) {
            pack_ = 0;
            return;
        }
        std::string_view first = items[0].first;
        if (first == "push" || first == "pop") {
            if (first == "push") {
                if (pack_stack_.size() > 4096)
                    bad(items[0].second, ErrorCode::PARSE,
                        "'#pragma pack(push)' nested too deeply");
                pack_stack_.push_back(pack_);
            } else if (!pack_stack_.empty()) {
                pack_ = pack_stack_.back();
                pack_stack_.pop_back();
            }
            for (size_t k = 1; k < items.size(); ++k)
                if (is_digit(items[k].first[0])) pack_ = number(items[k].first, items[k].second);
            return;
        }
        if (first == "show" && items.size() == 1) return;
        if (items.size() != 1 || !is_digit(first[0]))
            bad(items[0].second, ErrorCode::PARSE,
                "malformed '#pragma pack' argument " + quoted(first));
        pack_ = number(first, items[0].second);
    }

    std::string_view src_;
    bool keywords_;
    size_t pos_ = 0;
    uint32_t line_ = 1;
    size_t line_start_ = 0;
    uint32_t pack_ = 0;
    std::vector<uint32_t> pack_stack_;
};

// The set of the space-separated words in text (which must outlive the set).
std::unordered_set<std::string_view> word_set(std::string_view text) {
    std::unordered_set<std::string_view> out;
    size_t i = 0;
    while (i < text.size()) {
        size_t j = text.find(' ', i);
        if (j == std::string_view::npos) j = text.size();
        if (j > i) out.insert(text.substr(i, j - i));
        i = j + 1;
    }
    return out;
}

// Words that can never name a declared entity.
bool reserved_word(std::string_view w) {
    static const std::unordered_set<std::string_view> words = word_set(
        "auto break case char const continue default do double else enum extern float for goto "
        "if inline int long register restrict return short signed sizeof static struct switch "
        "typedef union unsigned void volatile while _Alignas _Alignof _Atomic _Bool _Complex "
        "_Generic _Imaginary _Noreturn _Static_assert _Thread_local alignas alignof constexpr "
        "static_assert thread_local typeof typeof_unqual _BitInt _Decimal32 _Decimal64 "
        "_Decimal128 __attribute__ __attribute __asm__ __asm asm __extension__ __inline "
        "__inline__ __restrict __restrict__ __const __const__ __volatile __volatile__ __signed "
        "__signed__ __int128 __typeof__ __typeof __typeof_unqual__ __alignof__ __alignof "
        "__builtin_offsetof __complex__ __complex __thread __float128 __fp16 __bf16 __auto_type "
        "_Nonnull _Nullable _Null_unspecified _Nullable_result __real__ __imag__ __label__");
    return words.count(w) != 0;
}

// Storage classes and function specifiers, which do not change a type.
bool storage_word(std::string_view w) {
    return w == "typedef" || w == "extern" || w == "static" || w == "inline" || w == "__inline" ||
           w == "__inline__" || w == "_Noreturn" || w == "register" || w == "auto" ||
           w == "_Thread_local" || w == "__thread" || w == "thread_local" || w == "constexpr";
}

// The qualifier bits a word stands for, or nullopt when it is no qualifier.
std::optional<uint8_t> qualifier_word(std::string_view w) {
    if (w == "const" || w == "__const" || w == "__const__") return Q_CONST;
    if (w == "volatile" || w == "__volatile" || w == "__volatile__") return Q_VOLATILE;
    // restrict and the nullability annotations do not change the ABI: dropped.
    if (w == "restrict" || w == "__restrict" || w == "__restrict__" || w == "_Nonnull" ||
        w == "_Nullable" || w == "_Null_unspecified" || w == "_Nullable_result")
        return uint8_t(0);
    return std::nullopt;
}

// The attributes (GCC's and Clang's names, without surrounding underscores) that change how a
// function is called or how a record or union is laid out or passed, which jiffi refuses
// rather than ignore; the list is documented in docs/security.md.
bool abi_attribute(std::string_view w) {
    if (w.size() > 4 && w.substr(0, 2) == "__" && w.substr(w.size() - 2) == "__")
        w = w.substr(2, w.size() - 4);
    static const std::unordered_set<std::string_view> kAbiAttributes = {
        "ms_abi", "sysv_abi", "regparm", "sseregparm", "stdcall", "fastcall", "thiscall",
        "vectorcall", "regcall", "pascal", "pcs", "aarch64_vector_pcs", "aarch64_sve_pcs",
        "preserve_most", "preserve_all", "preserve_none", "interrupt", "naked", "swiftcall",
        "swiftasynccall", "swift_context", "swift_async_context", "swift_error_result",
        "swift_indirect_result", "intel_ocl_bicc", "riscv_vector_cc", "m68k_rtd",
        "ms_struct", "gcc_struct", "scalar_storage_order"};
    return kAbiAttributes.count(w) != 0;
}

// The spellings of GCC's __attribute__.
bool attribute_word(std::string_view w) { return w == "__attribute__" || w == "__attribute"; }

// The spellings of an asm label.
bool asm_word(std::string_view w) { return w == "__asm__" || w == "__asm" || w == "asm"; }

// The keywords that make up the C scalar types (and some types jiffi does not support).
bool basic_type_word(std::string_view w) {
    static const std::unordered_set<std::string_view> words = word_set(
        "void char short int long float double signed __signed __signed__ unsigned _Bool "
        "_Complex __complex__ __complex __int128 __float128 __fp16 __bf16 _Decimal32 _Decimal64 "
        "_Decimal128 _Imaginary _BitInt __auto_type");
    return words.count(w) != 0;
}

// The _FloatN names: types in GCC, but typedefs that glibc's headers define for Clang.
bool float_n_word(std::string_view w) {
    return w == "_Float16" || w == "_Float32" || w == "_Float64" || w == "_Float128" ||
           w == "_Float32x" || w == "_Float64x" || w == "_Float128x";
}

// The spellings of typeof.
bool typeof_word(std::string_view w) {
    return w == "typeof" || w == "__typeof__" || w == "__typeof" || w == "typeof_unqual" ||
           w == "__typeof_unqual__";
}

// The integer conversion rank of an integer type (0 for other types).
int prim_rank(Prim p) {
    switch (p) {
    case Prim::Bool: return 1;
    case Prim::Char:
    case Prim::SChar:
    case Prim::UChar: return 2;
    case Prim::Short:
    case Prim::UShort: return 3;
    case Prim::Int:
    case Prim::UInt: return 4;
    case Prim::Long:
    case Prim::ULong: return 5;
    case Prim::LongLong:
    case Prim::ULongLong: return 6;
    case Prim::Int128:
    case Prim::UInt128: return 7;
    default: return 0;
    }
}

// The width in bits of an integer type (0 for other types).
unsigned prim_bits(Prim p) {
    switch (p) {
    case Prim::Bool: return 1;
    case Prim::Char:
    case Prim::SChar:
    case Prim::UChar: return 8;
    case Prim::Short:
    case Prim::UShort: return 16;
    case Prim::Int:
    case Prim::UInt: return 32;
    case Prim::Long:
    case Prim::ULong:
    case Prim::LongLong:
    case Prim::ULongLong: return 64;
    case Prim::Int128:
    case Prim::UInt128: return 128;
    default: return 0;
    }
}

// The unsigned type of the same rank as a signed integer type.
Prim unsigned_of(Prim p) {
    switch (p) {
    case Prim::Int: return Prim::UInt;
    case Prim::Long: return Prim::ULong;
    case Prim::LongLong: return Prim::ULongLong;
    case Prim::Int128: return Prim::UInt128;
    default: return p;
    }
}

// The decimal spelling of a 128-bit integer.
std::string wide_to_string(Wide v) {
    if (v == 0) return "0";
    bool neg = v < 0;
    unsigned __int128 u =
        neg ? static_cast<unsigned __int128>(0) - static_cast<unsigned __int128>(v)
            : static_cast<unsigned __int128>(v);
    std::string s;
    while (u) {
        s += static_cast<char>('0' + static_cast<int>(u % 10));
        u /= 10;
    }
    if (neg) s += '-';
    std::reverse(s.begin(), s.end());
    return s;
}

// Attributes gathered at one place of a declaration.
struct AttrSet {
    bool packed = false;
    uint32_t aligned = 0;
    unsigned mode_bits = 0;  // __attribute__((mode(...))): the integer width, 0 if none
    Token mode_tok;
    std::string asm_label;  // __asm__("name")

    // Adds the attributes of o (a later attribute list of the same declaration).
    void merge(const AttrSet& o) {
        packed = packed || o.packed;
        aligned = std::max(aligned, o.aligned);
        if (o.mode_bits) {
            mode_bits = o.mode_bits;
            mode_tok = o.mode_tok;
        }
        if (!o.asm_label.empty()) asm_label = o.asm_label;
    }
};

enum class SpecContext { TopLevel, Member, Param, TypeName };

// The declaration specifiers of one declaration.
struct Specs {
    const Type* type = nullptr;
    uint8_t quals = 0;
    bool is_typedef = false;
    bool is_static = false;
    bool is_extern = false;
    AttrSet attrs;
    uint32_t alignas_value = 0;
    Record* record_def = nullptr;  // a struct or union body appeared here
    bool tag_reference = false;    // "struct tag" / "enum tag" without a body
    std::string base_name;         // the typedef name type was given by, as written; empty
                                   // when keywords, a tag or typeof gave it
    Token first;
};

// One derivation of a declarator: pointer, array or function.
struct DeclOp {
    enum Kind : uint8_t { Ptr, Array, Func } kind = Ptr;
    uint8_t quals = 0;                // Ptr: qualifiers written after the '*'
    bool flexible = false;            // Array: "[]"
    uint64_t count = 0;               // Array
    bool variadic = false;            // Func
    std::vector<const Type*> params;  // Func: adjusted parameter types
    std::vector<std::string> names;   // Func: parameter names, empty where unnamed
    std::vector<std::string> spellings;  // Func: parameter types as written (Parser::spell)
    Token tok;
};

// A parsed declarator: its name and its derivations in the order they apply to the base type.
struct Declarator {
    std::string name;
    Token name_tok;
    bool has_name = false;
    std::vector<DeclOp> ops;
    AttrSet attrs;
};

enum class NameMode { Required, Optional, None };

// A value in a constant expression: its C type and, for an integer constant, its bits.
struct Value {
    const Type* type = nullptr;
    uint64_t bits = 0;     // sign- or zero-extended from the width of the type
    bool constant = true;  // false for variables, members and addresses (typed only)
};

// Parses one text; results go into an overlay of the base declarations until commit().
class Parser {
public:
    Parser(TypeTable& types, const Declarations& base, std::string_view text, bool keywords)
        : types_(types), base_(base), toks_(Lexer(text, keywords).run()) {}

    // Parses declarations until the end of the text.
    void declarations() {
        while (peek().kind != TokKind::End) {
            fresh_.clear();
            external_declaration();
        }
    }

    // Copies everything the text declared into decls.
    void commit(Declarations& decls) {
        for (auto& [k, v] : local_.typedefs) decls.typedefs.insert_or_assign(k, v);
        for (auto& [k, v] : local_.tags) decls.tags.insert_or_assign(k, v);
        for (auto& [k, v] : local_.constants) decls.constants.insert_or_assign(k, v);
        for (auto& [k, v] : local_.functions) decls.functions.insert_or_assign(k, v);
        for (auto& [k, v] : local_.variables) decls.variables.insert_or_assign(k, v);
    }

    // Restores the records and enums declared before this text that it changed.
    void rollback() noexcept {
        for (auto it = saved_records_.rbegin(); it != saved_records_.rend(); ++it)
            *it->first = it->second;
        for (auto it = saved_enums_.rbegin(); it != saved_enums_.rend(); ++it)
            *it->first = it->second;
    }

    // Parses the whole text as a signature.
    ParsedSignature signature() {
        no_definitions_ = true;
        if (peek().kind == TokKind::Ident && !reserved_word(peek().text) &&
            (peek(1).kind == TokKind::End ||
             (is_punct(peek(1), ";") && peek(2).kind == TokKind::End))) {
            std::string name(peek().text);
            if (const FunctionDecl* f = find_function(name)) {
                check_signature_complete(peek(), f->type, &f->ret_spelling, &f->param_spellings);
                return ParsedSignature{f->type,         f->name,         f->param_names,
                                       f->asm_label,    f->ret_spelling, f->param_spellings};
            }
            if (!find_typedef(name))
                fail_at(peek(), ErrorCode::UNKNOWN_TYPE,
                        "unknown function or type name " + quoted(name));
        }
        Token first = peek();
        Specs s = specifiers(SpecContext::TopLevel);
        Declarator d = declarator(NameMode::Optional);
        trailing_attributes(d.attrs, true);
        accept(";");
        if (peek().kind != TokKind::End)
            fail_at(peek(), ErrorCode::PARSE,
                    "expected end of signature, found " + describe(peek()));
        std::vector<std::pair<const Type*, const DeclOp*>> history;
        const Type* t = declared_type(s, d, &history);
        const Type* fn = t;
        if (fn->is_pointer() && fn->inner->is_function()) fn = fn->inner;
        if (!fn->is_function())
            fail_at(first, ErrorCode::INVALID_TYPE,
                    "not a function type: " + quoted(types_.to_string(t)));
        ParsedSignature out;
        out.function = fn;
        out.name = d.name;
        // history[i] is what d.ops[i] derived: the parameter list that made fn has the names
        // and spellings, and the ops before it derive the return type.
        for (size_t i = history.size(); i-- > 0;) {
            if (history[i].first == fn && history[i].second->kind == DeclOp::Func) {
                out.param_names = history[i].second->names;
                out.param_spellings = history[i].second->spellings;
                AttrSet a = s.attrs;
                a.merge(d.attrs);
                out.ret_spelling = spell(s, a, op_list(d, i), fn->inner);
                break;
            }
        }
        if (out.param_names.size() != fn->params.size())
            out.param_names.assign(fn->params.size(), std::string());
        if (out.param_spellings.size() != fn->params.size())
            structural_spellings(fn, out.ret_spelling, out.param_spellings);
        check_signature_complete(first, fn, &out.ret_spelling, &out.param_spellings);
        return out;
    }

    // Parses the whole text as a list of type names separated by commas or, after keywords,
    // spaces.
    std::vector<SpelledType> type_list() {
        no_definitions_ = true;
        std::vector<SpelledType> out;
        while (peek().kind != TokKind::End) {
            out.push_back(spelled_type_name());
            if (accept(",")) {
                if (peek().kind == TokKind::End)
                    fail_at(peek(), ErrorCode::PARSE,
                            "expected a type name after ',', found end of input");
                continue;
            }
            if (peek().kind == TokKind::End || peek().kind == TokKind::Keyword) continue;
            fail_at(peek(), ErrorCode::PARSE,
                    "expected ',' between type names, found " + describe(peek()));
        }
        return out;
    }

    // Parses the whole text as one type name.
    SpelledType whole_type_name() {
        no_definitions_ = true;
        SpelledType t = spelled_type_name();
        if (peek().kind != TokKind::End)
            fail_at(peek(), ErrorCode::PARSE,
                    "expected end of type name, found " + describe(peek()));
        return t;
    }

private:
    // Sets a parser flag for a scope, restoring the old value on exit.
    struct FlagScope {
        bool& flag;
        bool saved;
        FlagScope(bool& f, bool value) : flag(f), saved(f) { flag = value; }
        ~FlagScope() { flag = saved; }
        FlagScope(const FlagScope&) = delete;
        FlagScope& operator=(const FlagScope&) = delete;
    };

    // Counts recursion depth so that deeply nested input fails instead of overflowing the stack.
    struct DepthGuard {
        Parser& p;
        explicit DepthGuard(Parser& parser) : p(parser) {
            if (++p.depth_ > kMaxDepth) {
                --p.depth_;
                fail_at(p.peek(), ErrorCode::PARSE, "declaration nested too deeply");
            }
        }
        ~DepthGuard() { --p.depth_; }
        DepthGuard(const DepthGuard&) = delete;
        DepthGuard& operator=(const DepthGuard&) = delete;
    };

    // ---- tokens ----

    // The token k after the current one (End past the end).
    const Token& peek(size_t k = 0) const { return toks_[std::min(pos_ + k, toks_.size() - 1)]; }

    // Consumes and returns the current token (End stays current).
    const Token& next() {
        const Token& t = toks_[pos_];
        if (pos_ + 1 < toks_.size()) ++pos_;
        return t;
    }

    // True when t is the punctuator p.
    static bool is_punct(const Token& t, std::string_view p) {
        return t.kind == TokKind::Punct && t.text == p;
    }

    // True when t is the identifier or keyword w.
    static bool is_word(const Token& t, std::string_view w) {
        return t.kind == TokKind::Ident && t.text == w;
    }

    // Consumes the punctuator p if it is current.
    bool accept(std::string_view p) {
        if (!is_punct(peek(), p)) return false;
        next();
        return true;
    }

    // Consumes the punctuator p or fails naming what was found instead.
    const Token& expect(std::string_view p, std::string_view context) {
        if (!is_punct(peek(), p))
            fail_at(peek(), ErrorCode::PARSE,
                    "expected '" + std::string(p) + "' " + std::string(context) + ", found " +
                        describe(peek()));
        return next();
    }

    // Runs f, prefixing the position of t to any Error it throws that has no position yet.
    template <class F>
    auto at(const Token& t, F&& f) -> decltype(f()) {
        try {
            return f();
        } catch (const Error& e) {
            if (e.message().rfind("line ", 0) == 0) throw;
            fail_at(t, e.code(), e.message());
        }
    }

    // ---- names ----

    // The type a typedef name (or a builtin one such as __int128_t) names, or null.
    const Type* find_typedef(const std::string& name) {
        if (auto it = local_.typedefs.find(name); it != local_.typedefs.end()) return it->second;
        if (auto it = base_.typedefs.find(name); it != base_.typedefs.end()) return it->second;
        if (name == "__int128_t") return types_.prim(Prim::Int128);
        if (name == "__uint128_t") return types_.prim(Prim::UInt128);
        if (name == "bool") return types_.prim(Prim::Bool);
        if (name == "__builtin_va_list") return builtin_va_list();
        return nullptr;
    }

    // The tag of that name, declared by this text or before, or null.
    const Tag* find_tag(const std::string& name) const {
        if (auto it = local_.tags.find(name); it != local_.tags.end()) return &it->second;
        if (auto it = base_.tags.find(name); it != base_.tags.end()) return &it->second;
        return nullptr;
    }

    // The enum constant of that name, or null.
    const EnumConstant* find_constant(const std::string& name) const {
        if (auto it = local_.constants.find(name); it != local_.constants.end()) return &it->second;
        if (auto it = base_.constants.find(name); it != base_.constants.end()) return &it->second;
        return nullptr;
    }

    // The function prototype of that name, or null.
    const FunctionDecl* find_function(const std::string& name) const {
        if (auto it = local_.functions.find(name); it != local_.functions.end()) return &it->second;
        if (auto it = base_.functions.find(name); it != base_.functions.end()) return &it->second;
        return nullptr;
    }

    // The type of the variable of that name, or null.
    const Type* find_variable(const std::string& name) const {
        if (auto it = local_.variables.find(name); it != local_.variables.end()) return it->second;
        if (auto it = base_.variables.find(name); it != base_.variables.end()) return it->second;
        return nullptr;
    }

    // What an ordinary identifier already names, as a word for messages, or "" if nothing.
    std::string ordinary_kind(const std::string& name) {
        if (local_.typedefs.count(name) || base_.typedefs.count(name)) return "a typedef";
        if (find_constant(name) || pending_constant(name)) return "an enum constant";
        if (find_function(name)) return "a function";
        if (find_variable(name)) return "a variable";
        return "";
    }

    // The target's __builtin_va_list, created on first use.
    const Type* builtin_va_list() {
        const Target& tg = types_.target();
        if (tg.arch == Arch::AArch64 && tg.os == OS::Darwin)
            return types_.pointer(types_.prim(Prim::Char));
        bool x86 = tg.arch == Arch::X64;
        std::string tag = x86 ? "__va_list_tag" : "__va_list";
        Record* rec = nullptr;
        if (const Tag* t = find_tag(tag); t && t->record && t->record->complete) {
            rec = t->record;
        } else {
            rec = types_.new_record(tag, false);
            created_.insert(rec);
            const Type* vp = types_.pointer(types_.prim(Prim::Void));
            auto field = [&](const char* n, const Type* ty) {
                Field f;
                f.name = n;
                f.type = ty;
                rec->fields.push_back(f);
            };
            if (x86) {
                field("gp_offset", types_.prim(Prim::UInt));
                field("fp_offset", types_.prim(Prim::UInt));
                field("overflow_arg_area", vp);
                field("reg_save_area", vp);
            } else {
                field("__stack", vp);
                field("__gr_top", vp);
                field("__vr_top", vp);
                field("__gr_offs", types_.prim(Prim::Int));
                field("__vr_offs", types_.prim(Prim::Int));
            }
            at(peek(), [&] { types_.complete_record(*rec); });
            local_.tags[tag] = Tag{rec, nullptr};
        }
        const Type* t = x86 ? types_.array(rec->type, 1) : rec->type;
        local_.typedefs["__builtin_va_list"] = t;
        return t;
    }

    // Resolves a keyword token (":int") to its type by parsing its C spelling; sets *name
    // to that spelling when it is a typedef name (":size" is size_t).
    const Type* keyword_type(const Token& kw, std::string* name) {
        for (const KeywordEntry& e : kKeywords) {
            if (e.keyword != kw.text) continue;
            std::vector<Token> saved = std::move(toks_);
            size_t saved_pos = pos_;
            toks_ = Lexer(e.c_type, false).run();
            pos_ = 0;
            const Type* t = nullptr;
            try {
                t = type_name();
            } catch (const Error& err) {
                toks_ = std::move(saved);
                pos_ = saved_pos;
                std::string msg = err.message();
                if (msg.rfind("line ", 0) == 0) msg = msg.substr(msg.find(": ") + 2);
                fail_at(kw, err.code(), "in keyword " + quoted(kw.text) + ": " + msg);
            }
            toks_ = std::move(saved);
            pos_ = saved_pos;
            if (find_typedef(std::string(e.c_type))) *name = std::string(e.c_type);
            return t;
        }
        fail_at(kw, ErrorCode::UNKNOWN_TYPE, "unknown type keyword " + quoted(kw.text));
    }

    // True when the token at offset k starts a type name.
    bool starts_type(size_t k) {
        const Token& t = peek(k);
        if (t.kind == TokKind::Keyword) return true;
        if (t.kind != TokKind::Ident) return false;
        std::string_view w = t.text;
        if (basic_type_word(w) || float_n_word(w) || qualifier_word(w) || w == "struct" ||
            w == "union" || w == "enum" || typeof_word(w) || w == "_Atomic" || attribute_word(w) ||
            w == "__extension__")
            return true;
        if (reserved_word(w)) return false;
        return find_typedef(std::string(w)) != nullptr;
    }

    // ---- records and enums changed in place ----

    // Keeps a copy of a record declared before this text, to restore it on error.
    void save_record(Record* r) {
        if (created_.count(r)) return;
        for (auto& s : saved_records_)
            if (s.first == r) return;
        saved_records_.emplace_back(r, *r);
    }

    // Keeps a copy of an enum declared before this text, to restore it on error.
    void save_enum(Enum* e) {
        if (created_.count(e)) return;
        for (auto& s : saved_enums_)
            if (s.first == e) return;
        saved_enums_.emplace_back(e, *e);
    }

    // ---- attributes ----

    // Parses any run of __attribute__((...)), [[...]] and (if allow_asm) __asm__("...").
    void trailing_attributes(AttrSet& a, bool allow_asm) {
        while (true) {
            const Token& t = peek();
            if (t.kind == TokKind::Ident && attribute_word(t.text)) {
                gnu_attribute(a);
            } else if (is_punct(t, "[") && is_punct(peek(1), "[")) {
                std_attribute(a);
            } else if (allow_asm && t.kind == TokKind::Ident && asm_word(t.text)) {
                asm_label(a);
            } else if (is_word(t, "__extension__")) {
                next();
            } else {
                return;
            }
        }
    }

    // Skips a parenthesized group starting at '(' (or '[' / '{'), balancing all brackets.
    void skip_balanced() {
        std::vector<Token> stack;
        do {
            const Token& t = next();
            if (t.kind == TokKind::End) {
                const Token& open = stack.back();
                fail_at(t, ErrorCode::PARSE,
                        "expected '" +
                            std::string(open.text == "("   ? ")"
                                        : open.text == "[" ? "]"
                                                           : "}") +
                            "' to match " + quoted(open.text) + " at " + where(open) +
                            ", found end of input");
            }
            if (t.kind != TokKind::Punct) continue;
            if (t.text == "(" || t.text == "[" || t.text == "{") {
                stack.push_back(t);
            } else if (t.text == ")" || t.text == "]" || t.text == "}") {
                std::string_view want = stack.back().text == "("   ? ")"
                                        : stack.back().text == "[" ? "]"
                                                                   : "}";
                if (t.text != want)
                    fail_at(t, ErrorCode::PARSE,
                            "expected '" + std::string(want) + "' to match " +
                                quoted(stack.back().text) + " at " + where(stack.back()) +
                                ", found " + describe(t));
                stack.pop_back();
            }
        } while (!stack.empty());
    }

    // Parses the argument of aligned(N) and checks it is a power of two.
    uint32_t alignment_argument() {
        Token t = peek();
        Wide v = integer_constant("alignment");
        if (v <= 0 || (v & (v - 1)) != 0)
            fail_at(t, ErrorCode::CONSTANT,
                    "requested alignment " + wide_to_string(v) + " is not a positive power of 2");
        if (v > kMaxAlign)
            fail_at(t, ErrorCode::CONSTANT,
                    "requested alignment " + wide_to_string(v) + " is too large");
        return static_cast<uint32_t>(v);
    }

    // Acts on one attribute by name ("packed", "aligned", "mode"); skips the others.
    void one_attribute(AttrSet& a) {
        const Token& nt = peek();
        if (nt.kind != TokKind::Ident)
            fail_at(nt, ErrorCode::PARSE, "expected an attribute name, found " + describe(nt));
        Token name_tok = next();
        std::string_view name = name_tok.text;
        if (name.size() > 4 && name.substr(0, 2) == "__" && name.substr(name.size() - 2) == "__")
            name = name.substr(2, name.size() - 4);
        if (abi_attribute(name)) {
            fail_at(name_tok, ErrorCode::NOT_AVAILABLE,
                    "attribute " + quoted(name_tok.text) +
                        " changes the calling convention or layout, which jiffi does not "
                        "support: declare the function without it");
        }
        if (name == "packed") {
            a.packed = true;
        } else if (name == "aligned") {
            if (is_punct(peek(), "(")) {
                next();
                a.aligned = std::max(a.aligned, alignment_argument());
                expect(")", "after the alignment");
            } else {
                a.aligned = std::max(a.aligned, kDefaultBiggestAlign);
            }
            return;
        } else if (name == "mode") {
            expect("(", "after 'mode'");
            const Token& m = peek();
            if (m.kind != TokKind::Ident)
                fail_at(m, ErrorCode::PARSE, "expected a machine mode, found " + describe(m));
            std::string_view mode = m.text;
            if (mode.size() > 4 && mode.substr(0, 2) == "__" &&
                mode.substr(mode.size() - 2) == "__")
                mode = mode.substr(2, mode.size() - 4);
            unsigned bits = mode == "QI" || mode == "byte"                        ? 8
                            : mode == "HI"                                        ? 16
                            : mode == "SI"                                        ? 32
                            : mode == "DI" || mode == "word" || mode == "pointer" ? 64
                            : mode == "TI"                                        ? 128
                                                                                  : 0;
            if (!bits)
                fail_at(m, ErrorCode::INVALID_TYPE, "unsupported machine mode " + quoted(m.text));
            a.mode_bits = bits;
            a.mode_tok = m;
            next();
            expect(")", "after the machine mode");
            return;
        } else if (name == "vector_size" || name == "ext_vector_type" ||
                   name == "neon_vector_type") {
            unsupported_type(name_tok, "vector types are not supported");
        }
        if (is_punct(peek(), "(")) skip_balanced();
    }

    // Parses __attribute__((a, b(...), ...)).
    void gnu_attribute(AttrSet& a) {
        next();
        expect("(", "after '__attribute__'");
        expect("(", "after '__attribute__('");
        while (!is_punct(peek(), ")")) {
            if (is_punct(peek(), ",")) {
                next();
                continue;
            }
            one_attribute(a);
            if (!is_punct(peek(), ")")) expect(",", "between attributes");
        }
        next();
        expect(")", "to close '__attribute__(('");
    }

    // Parses a C23 attribute list [[gnu::packed, deprecated("x")]].
    void std_attribute(AttrSet& a) {
        next();
        next();
        while (!(is_punct(peek(), "]") && is_punct(peek(1), "]"))) {
            if (is_punct(peek(), ",")) {
                next();
                continue;
            }
            const Token& t = peek();
            if (t.kind != TokKind::Ident)
                fail_at(t, ErrorCode::PARSE, "expected an attribute name, found " + describe(t));
            bool gnu = false, clang = false;
            if (is_punct(peek(1), "::")) {
                gnu = t.text == "gnu" || t.text == "__gnu__";
                clang = t.text == "clang" || t.text == "_Clang";
                next();
                next();
            }
            if (gnu) {
                one_attribute(a);
            } else if (clang && abi_attribute(peek().text)) {
                fail_at(peek(), ErrorCode::NOT_AVAILABLE,
                        "attribute " + quoted(peek().text) +
                            " changes the calling convention or layout, which jiffi does not "
                            "support: declare the function without it");
            } else {
                if (peek().kind != TokKind::Ident)
                    fail_at(peek(), ErrorCode::PARSE,
                            "expected an attribute name, found " + describe(peek()));
                next();
                if (is_punct(peek(), "(")) skip_balanced();
            }
            if (!(is_punct(peek(), "]") && is_punct(peek(1), "]")))
                expect(",", "between attributes");
        }
        next();
        next();
    }

    // Parses __asm__("name" "parts") and records the symbol name.
    void asm_label(AttrSet& a) {
        next();
        expect("(", "after '__asm__'");
        std::string label;
        if (peek().kind != TokKind::String)
            fail_at(peek(), ErrorCode::PARSE,
                    "expected a string in '__asm__', found " + describe(peek()));
        while (peek().kind == TokKind::String) label += string_contents(next());
        expect(")", "after the '__asm__' label");
        a.asm_label = label;
    }

    // The bytes of a string literal with simple escapes decoded.
    std::string string_contents(const Token& t) {
        std::string_view s = t.text;
        size_t b = s.find('"');
        std::string out;
        for (size_t i = b + 1; i + 1 < s.size(); ++i) {
            if (s[i] == '\\' && i + 2 < s.size()) {
                ++i;
                char c = s[i];
                out += c == 'n' ? '\n' : c == 't' ? '\t' : c == '0' ? '\0' : c;
            } else {
                out += s[i];
            }
        }
        return out;
    }

    // ---- declaration specifiers ----

    // How often each type keyword occurred in the specifiers, or the named type.
    struct SpecCounts {
        int void_ = 0, char_ = 0, short_ = 0, int_ = 0, long_ = 0, float_ = 0, double_ = 0,
            signed_ = 0, unsigned_ = 0, bool_ = 0, complex_ = 0, int128_ = 0;
        const Type* named = nullptr;

        // True when some type keyword occurred.
        bool any_basic() const {
            return void_ || char_ || short_ || int_ || long_ || float_ || double_ || signed_ ||
                   unsigned_ || bool_ || complex_ || int128_;
        }
        // The number of type keywords.
        int basic_count() const {
            return void_ + char_ + short_ + int_ + long_ + float_ + double_ + signed_ + unsigned_ +
                   bool_ + complex_ + int128_;
        }

        // True when the specifiers named a type already.
        bool any() const { return named || any_basic(); }

        // True when these specifiers are (part of) a valid combination.
        bool valid() const {
            if (named) return !any_basic();
            if (void_ > 1 || char_ > 1 || short_ > 1 || int_ > 1 || long_ > 2 || float_ > 1 ||
                double_ > 1 || signed_ > 1 || unsigned_ > 1 || bool_ > 1 || complex_ > 1 ||
                int128_ > 1)
                return false;
            if (signed_ && unsigned_) return false;
            int sign = signed_ + unsigned_;
            if (void_ || bool_)
                return void_ + bool_ == 1 && !(char_ || short_ || int_ || long_ || float_ ||
                                               double_ || sign || complex_ || int128_);
            if (float_) return !(char_ || short_ || int_ || long_ || double_ || sign || int128_);
            if (double_ || complex_)
                return !(char_ || short_ || int_ || sign || int128_ || long_ > 1);
            if (char_) return !(short_ || int_ || long_ || int128_);
            if (short_) return !(long_ || int128_);
            if (int128_) return !(int_ || long_);
            return true;
        }

        // The type the keywords of a valid combination name.
        Prim prim() const {
            if (void_) return Prim::Void;
            if (bool_) return Prim::Bool;
            if (float_) return complex_ ? Prim::ComplexFloat : Prim::Float;
            if (double_ || complex_) {
                if (long_) return complex_ ? Prim::ComplexLongDouble : Prim::LongDouble;
                return complex_ ? Prim::ComplexDouble : Prim::Double;
            }
            if (char_) return signed_ ? Prim::SChar : unsigned_ ? Prim::UChar : Prim::Char;
            if (short_) return unsigned_ ? Prim::UShort : Prim::Short;
            if (int128_) return unsigned_ ? Prim::UInt128 : Prim::Int128;
            if (long_ == 2) return unsigned_ ? Prim::ULongLong : Prim::LongLong;
            if (long_ == 1) return unsigned_ ? Prim::ULong : Prim::Long;
            return unsigned_ ? Prim::UInt : Prim::Int;
        }
    };

    // Counts one basic type word, or fails for words naming unsupported types.
    void basic_type(SpecCounts& c, const Token& t) {
        static const std::pair<std::string_view, int SpecCounts::*> counters[] = {
            {"void", &SpecCounts::void_},           {"char", &SpecCounts::char_},
            {"short", &SpecCounts::short_},         {"int", &SpecCounts::int_},
            {"long", &SpecCounts::long_},           {"float", &SpecCounts::float_},
            {"_Float32", &SpecCounts::float_},      {"double", &SpecCounts::double_},
            {"_Float64", &SpecCounts::double_},     {"_Float32x", &SpecCounts::double_},
            {"signed", &SpecCounts::signed_},       {"__signed", &SpecCounts::signed_},
            {"__signed__", &SpecCounts::signed_},   {"unsigned", &SpecCounts::unsigned_},
            {"_Bool", &SpecCounts::bool_},          {"_Complex", &SpecCounts::complex_},
            {"__complex__", &SpecCounts::complex_}, {"__complex", &SpecCounts::complex_},
            {"__int128", &SpecCounts::int128_}};
        std::string_view w = t.text;
        const Target& tg = types_.target();
        auto counter = std::find_if(std::begin(counters), std::end(counters),
                                    [&](const auto& e) { return e.first == w; });
        if (counter != std::end(counters)) {
            ++(c.*(counter->second));
        } else if ((w == "_Float64x" && tg.long_double != LongDoubleFormat::Double) ||
                   ((w == "_Float128" || w == "__float128") &&
                    tg.long_double == LongDoubleFormat::IEEEQuad)) {
            ++c.long_;
            ++c.double_;
        } else {
            unsupported_type(t, "type " + quoted(w) + " is not supported on " + tg.triple);
            if (w == "_BitInt") {
                if (is_punct(peek(), "(")) skip_balanced();
                ++c.int_;
            } else {
                ++c.float_;
            }
        }
        if (!c.valid()) {
            if (c.long_ > 2) fail_at(t, ErrorCode::INVALID_TYPE, "'long long long' is too long");
            fail_at(t, ErrorCode::INVALID_TYPE,
                    "cannot combine " + quoted(w) + " with the previous type specifiers");
        }
    }

    // Notes a type jiffi cannot represent: a file-scope declaration using it is skipped (as
    // glibc's _Float128 functions in <math.h>); anywhere else it is an error.
    void unsupported_type(const Token& t, const std::string& msg) {
        if (!skip_unsupported_) fail_at(t, ErrorCode::INVALID_TYPE, msg);
        if (!unsupported_) unsupported_ = t;
    }

    // Parses declaration specifiers: storage classes, qualifiers, attributes and the type.
    Specs specifiers(SpecContext ctx) {
        DepthGuard guard(*this);
        Specs s;
        s.first = peek();
        SpecCounts c;
        auto set_named = [&](const Token& t, const Type* ty) {
            c.named = ty;
            if (!c.valid())
                fail_at(t, ErrorCode::INVALID_TYPE,
                        "cannot combine " + quoted(t.text) + " with the previous type specifiers");
        };
        while (true) {
            const Token& t = peek();
            if (t.kind == TokKind::Keyword) {
                if (c.any()) break;
                Token kw = next();
                set_named(kw, keyword_type(kw, &s.base_name));
                continue;
            }
            if (is_punct(t, "[") && is_punct(peek(1), "[")) {
                std_attribute(s.attrs);
                continue;
            }
            if (t.kind != TokKind::Ident) break;
            std::string_view w = t.text;
            if (storage_word(w)) {
                bool ok =
                    ctx == SpecContext::TopLevel || (ctx == SpecContext::Param && w == "register");
                if (!ok)
                    fail_at(t, ErrorCode::PARSE,
                            "storage class " + quoted(w) + " is not allowed here");
                if (w == "typedef") s.is_typedef = true;
                if (w == "static") s.is_static = true;
                if (w == "extern") s.is_extern = true;
                next();
            } else if (auto q = qualifier_word(w)) {
                s.quals |= *q;
                next();
            } else if (w == "_Atomic") {
                fail_at(t, ErrorCode::INVALID_TYPE, "'_Atomic' types are not supported");
            } else if (w == "__extension__") {
                next();
            } else if (attribute_word(w)) {
                gnu_attribute(s.attrs);
            } else if (w == "_Alignas" || w == "alignas") {
                Token at_tok = next();
                expect("(", "after " + quoted(w));
                uint32_t v = 0;
                if (starts_type(0)) {
                    const Type* ty = type_name();
                    v = at(at_tok, [&] { return types_.align_of(ty); });
                } else {
                    Token vt = peek();
                    Wide n = integer_constant("alignment");
                    if (n != 0) {
                        if (n < 0 || (n & (n - 1)) != 0 || n > kMaxAlign)
                            fail_at(vt, ErrorCode::CONSTANT,
                                    "requested alignment " + wide_to_string(n) +
                                        " is not a positive power of 2");
                        v = static_cast<uint32_t>(n);
                    }
                }
                expect(")", "after the alignment");
                s.alignas_value = std::max(s.alignas_value, v);
            } else if (float_n_word(w)) {
                bool only_complex = c.complex_ == 1 && !c.named && c.basic_count() == 1;
                if (c.any() && !only_complex) break;  // the name in "typedef float _Float32;"
                const Type* td = find_typedef_declared(std::string(w));
                if (td && !only_complex) {
                    s.base_name = std::string(w);
                    set_named(next(), td);
                } else
                    basic_type(c, next());
            } else if (basic_type_word(w)) {
                basic_type(c, next());
            } else if (w == "struct" || w == "union") {
                Token kw = t;
                if (c.any())
                    fail_at(kw, ErrorCode::INVALID_TYPE,
                            "cannot combine " + quoted(w) + " with the previous type specifiers");
                set_named(kw, record_specifier(s));
            } else if (w == "enum") {
                Token kw = t;
                if (c.any())
                    fail_at(kw, ErrorCode::INVALID_TYPE,
                            "cannot combine 'enum' with the previous type specifiers");
                set_named(kw, enum_specifier(s));
            } else if (typeof_word(w)) {
                Token kw = next();
                if (c.any())
                    fail_at(kw, ErrorCode::INVALID_TYPE,
                            "cannot combine " + quoted(w) + " with the previous type specifiers");
                set_named(kw, typeof_specifier());
            } else if (!c.any() && !reserved_word(w)) {
                const Type* td = find_typedef(std::string(w));
                if (!td && skipped_typedefs_.count(std::string(w))) {
                    unsupported_type(t, "typedef " + quoted(w) + " names an unsupported type");
                    td = types_.prim(Prim::Int);
                }
                if (!td) break;
                s.base_name = std::string(w);
                set_named(next(), td);
            } else {
                break;
            }
        }
        if (!c.any()) {
            const Token& t = peek();
            if (t.kind == TokKind::Ident && !reserved_word(t.text))
                fail_at(t, ErrorCode::UNKNOWN_TYPE, "unknown type name " + quoted(t.text));
            fail_at(t, ErrorCode::PARSE, "expected a type, found " + describe(t));
        }
        s.type = c.named ? c.named : types_.prim(c.prim());
        if (!c.named && c.complex_ && !c.float_ && !c.double_ && c.long_)
            fail_at(s.first, ErrorCode::INVALID_TYPE, "complex integer types are not supported");
        return s;
    }

    // Parses typeof(type-name) or typeof(expression).
    const Type* typeof_specifier() {
        expect("(", "after 'typeof'");
        const Type* t;
        if (starts_type(0)) {
            t = type_name();
        } else {
            t = conditional(false).type;
        }
        expect(")", "after the 'typeof' operand");
        return t;
    }

    // Parses "struct/union [attrs] [tag] [attrs] [{ members } [attrs]]".
    const Type* record_specifier(Specs& s) {
        Token kw = next();
        bool is_union = kw.text == "union";
        AttrSet ra;
        trailing_attributes(ra, false);
        std::string tag;
        Token tag_tok = peek();
        if (peek().kind == TokKind::Ident && !reserved_word(peek().text))
            tag = std::string(next().text);
        trailing_attributes(ra, false);
        if (!is_punct(peek(), "{")) {
            if (tag.empty())
                fail_at(peek(), ErrorCode::PARSE,
                        "expected '{' or a tag name after " + quoted(kw.text) + ", found " +
                            describe(peek()));
            s.tag_reference = true;
            return tag_reference(tag, tag_tok, is_union ? "union" : "struct");
        }
        if (no_definitions_)
            fail_at(kw, ErrorCode::PARSE,
                    std::string(is_union ? "union" : "struct") +
                        " definitions are not allowed here (declare them with jiffi_cdef)");
        Record* rec = begin_record(tag, tag_tok, is_union);
        s.record_def = rec;
        record_body(rec, ra);
        return rec->type;
    }

    // The record or enum a tag names, declaring an incomplete one if the tag is new.
    const Type* tag_reference(const std::string& tag, const Token& tag_tok, std::string_view kind) {
        if (const Tag* t = find_tag(tag)) {
            if (kind == "enum") {
                if (!t->enumeration)
                    fail_at(
                        tag_tok, ErrorCode::REDEFINITION,
                        "'enum " + tag + "' conflicts with '" + t->record->display_name() + "'");
                return t->enumeration->type;
            }
            if (!t->record || t->record->is_union != (kind == "union"))
                fail_at(
                    tag_tok, ErrorCode::REDEFINITION,
                    "'" + std::string(kind) + " " + tag + "' conflicts with '" +
                        (t->record ? t->record->display_name() : t->enumeration->display_name()) +
                        "'");
            return t->record->type;
        }
        if (kind == "enum") {
            Enum* e = types_.new_enum(tag);
            created_.insert(e);
            fresh_.insert(e);
            local_.tags[tag] = Tag{nullptr, e};
            return e->type;
        }
        Record* r = types_.new_record(tag, kind == "union");
        created_.insert(r);
        fresh_.insert(r);
        local_.tags[tag] = Tag{r, nullptr};
        return r->type;
    }

    // The record a definition fills: a new one, or the incomplete one the tag names.
    Record* begin_record(const std::string& tag, const Token& tag_tok, bool is_union) {
        Record* rec = nullptr;
        if (!tag.empty()) {
            if (const Tag* t = find_tag(tag)) {
                std::string kind = is_union ? "union " : "struct ";
                if (!t->record || t->record->is_union != is_union)
                    fail_at(tag_tok, ErrorCode::REDEFINITION,
                            "'" + kind + tag + "' defined as the wrong kind of tag (previously '" +
                                (t->record ? t->record->display_name()
                                           : t->enumeration->display_name()) +
                                "')");
                rec = t->record;
                if (defining_.count(rec))
                    fail_at(tag_tok, ErrorCode::REDEFINITION,
                            "nested redefinition of '" + rec->display_name() + "'");
                if (rec->complete)
                    fail_at(tag_tok, ErrorCode::REDEFINITION,
                            "redefinition of '" + rec->display_name() + "'");
                save_record(rec);
                fresh_.erase(rec);
            }
        }
        if (!rec) {
            rec = types_.new_record(tag, is_union);
            created_.insert(rec);
            if (!tag.empty()) local_.tags[tag] = Tag{rec, nullptr};
        }
        return rec;
    }

    // Adds the names a member makes visible to names, failing on a duplicate.
    void add_member_names(const Field& f, std::set<std::string>& names, const Token& tok,
                          const Record& owner) {
        if (f.anonymous) {
            for (const Field& g : f.type->record->fields) add_member_names(g, names, tok, owner);
            return;
        }
        if (f.name.empty()) return;
        if (!names.insert(f.name).second)
            fail_at(tok, ErrorCode::REDEFINITION,
                    "duplicate member " + quoted(f.name) + " in '" + owner.display_name() + "'");
    }

    // Fails with INCOMPLETE_TYPE or, if unknown_if_new and the tag was never declared before
    // this text, with UNKNOWN_TYPE.
    [[noreturn]] void fail_incomplete(const Token& tok, const std::string& what, const Type* t,
                                      bool unknown_if_new = false,
                                      const std::string* shown = nullptr) {
        std::string name = shown ? *shown : types_.to_string(t);
        const Type* base = t;
        while (base->is_array()) base = base->inner;
        const void* key = base->kind == TypeKind::Record ? static_cast<const void*>(base->record)
                          : base->kind == TypeKind::Enum
                              ? static_cast<const void*>(base->enumeration)
                              : nullptr;
        if (key && unknown_if_new && fresh_.count(key))
            fail_at(tok, ErrorCode::UNKNOWN_TYPE, what + " unknown type " + quoted(name));
        fail_at(tok, ErrorCode::INCOMPLETE_TYPE, what + " incomplete type " + quoted(name));
    }

    // Parses "{ members }" and trailing attributes, then lays the record out.
    void record_body(Record* rec, const AttrSet& before) {
        std::optional<Token> outer_unsupported = unsupported_;
        unsupported_.reset();
        FlagScope strict_sizes(vla_params_, false);
        Token lbrace = expect("{", "to begin the record");
        defining_.insert(rec);
        std::vector<Field> fields;
        std::vector<Token> field_toks;
        std::set<std::string> names;
        while (!is_punct(peek(), "}")) {
            if (peek().kind == TokKind::End)
                fail_at(peek(), ErrorCode::PARSE,
                        "expected '}' to end '" + rec->display_name() + "' begun at " +
                            where(lbrace) + ", found end of input");
            if (accept(";")) continue;
            if (is_word(peek(), "_Static_assert") || is_word(peek(), "static_assert")) {
                static_assertion();
                continue;
            }
            Token first = peek();
            Specs ms = specifiers(SpecContext::Member);
            if (is_punct(peek(), ";")) {
                next();
                if (ms.record_def && ms.record_def->tag.empty()) {
                    Field f;
                    f.type = ms.record_def->type;
                    f.anonymous = true;
                    f.packed_attr = ms.attrs.packed;
                    f.align_attr = std::max(ms.attrs.aligned, ms.alignas_value);
                    add_member_names(f, names, first, *rec);
                    fields.push_back(f);
                    field_toks.push_back(first);
                }
                continue;
            }
            while (true) {
                Field f;
                Token ftok = peek();
                Declarator d;
                if (!is_punct(peek(), ":")) {
                    d = declarator(NameMode::Required);
                    ftok = d.name_tok;
                }
                std::optional<Token> width_tok;
                Wide width = 0;
                if (accept(":")) {
                    width_tok = peek();
                    width = integer_constant("bit-field width");
                }
                trailing_attributes(d.attrs, false);
                f.name = d.name;
                f.type = declared_type(ms, d, nullptr);
                f.packed_attr = ms.attrs.packed || d.attrs.packed;
                f.align_attr = std::max({ms.attrs.aligned, d.attrs.aligned, ms.alignas_value});
                std::string what =
                    f.name.empty() ? std::string("unnamed bit-field") : "field " + quoted(f.name);
                if (unsupported_) {
                    // The record is left incomplete (below): nothing to check.
                } else if (width_tok) {
                    bit_field(f, what, width, *width_tok);
                } else {
                    member_type_check(f, what, ftok);
                }
                add_member_names(f, names, ftok, *rec);
                fields.push_back(f);
                field_toks.push_back(ftok);
                if (accept(",")) continue;
                expect(";", "at end of member declaration");
                break;
            }
        }
        Token rbrace = next();
        AttrSet after = before;
        trailing_attributes(after, false);
        if (unsupported_) {
            // A member of a type jiffi cannot represent: the record stays incomplete (usable
            // through pointers) and the declaration holding it is skipped.
            defining_.erase(rec);
            skipped_records_.insert(rec);
            return;
        }
        unsupported_ = outer_unsupported;
        for (size_t i = 0; i + 1 < fields.size(); ++i) {
            if (fields[i].type->is_array() && fields[i].type->flexible)
                fail_at(field_toks[i], ErrorCode::INVALID_TYPE,
                        "flexible array member " + quoted(fields[i].name) +
                            " is not at the end of '" + rec->display_name() + "'");
        }
        if (!fields.empty() && fields.back().type->is_array() && fields.back().type->flexible) {
            bool other_named = false;
            for (size_t i = 0; i + 1 < fields.size(); ++i)
                if (!fields[i].name.empty() || fields[i].anonymous) other_named = true;
            if (!other_named && !rec->is_union)
                fail_at(field_toks.back(), ErrorCode::INVALID_TYPE,
                        "flexible array member " + quoted(fields.back().name) +
                            " in a struct with no named members");
        }
        rec->fields = std::move(fields);
        rec->packed = after.packed;
        rec->align_attr = after.aligned;
        rec->pack = lbrace.pack;
        at(rbrace, [&] { types_.complete_record(*rec); });
        defining_.erase(rec);
    }

    // Checks a bit-field's type and width and fills its Field.
    void bit_field(Field& f, const std::string& what, Wide width, const Token& width_tok) {
        const Type* t = f.type;
        if (t->kind == TypeKind::Enum && !t->enumeration->complete)
            fail_incomplete(width_tok, what + " has", t);
        if (!t->is_integer())
            fail_at(width_tok, ErrorCode::INVALID_TYPE,
                    what + " has non-integer type " + quoted(types_.to_string(t)));
        if (width < 0)
            fail_at(width_tok, ErrorCode::CONSTANT,
                    what + " has negative width (" + wide_to_string(width) + ")");
        unsigned type_bits = prim_bits(types_.integer_prim(t));
        if (width > type_bits)
            fail_at(width_tok, ErrorCode::INVALID_TYPE,
                    "width of " + what + " (" + wide_to_string(width) +
                        " bits) exceeds the width of its type (" + std::to_string(type_bits) +
                        " bits)");
        if (width == 0 && !f.name.empty())
            fail_at(width_tok, ErrorCode::INVALID_TYPE,
                    "named bit-field " + quoted(f.name) + " has zero width");
        f.is_bitfield = true;
        f.bit_width = static_cast<uint32_t>(width);
    }

    // Checks that a member's type can be a member.
    void member_type_check(const Field& f, const std::string& what, const Token& tok) {
        const Type* t = f.type;
        if (t->is_function())
            fail_at(tok, ErrorCode::INVALID_TYPE, what + " declared as a function");
        if (t->is_void()) fail_at(tok, ErrorCode::INVALID_TYPE, what + " has type 'void'");
        if (t->is_array() && t->flexible) return;
        if (!types_.is_complete(t)) {
            const Type* base = t;
            while (base->is_array()) base = base->inner;
            if (base->is_record() && skipped_records_.count(base->record)) {
                unsupported_type(tok, what + " has type " + quoted(types_.to_string(t)) +
                                          ", which uses an unsupported type");
                return;
            }
            fail_incomplete(tok, what + " has", t);
        }
    }

    // Parses "enum [attrs] [tag] [: type] [{ enumerators } [attrs]]".
    const Type* enum_specifier(Specs& s) {
        FlagScope no_skip(skip_unsupported_, false);
        Token kw = next();
        AttrSet ea;
        trailing_attributes(ea, false);
        std::string tag;
        Token tag_tok = peek();
        if (peek().kind == TokKind::Ident && !reserved_word(peek().text))
            tag = std::string(next().text);
        trailing_attributes(ea, false);
        std::optional<Prim> fixed;
        if (is_punct(peek(), ":")) {
            next();
            Token ut = peek();
            Specs us = specifiers(SpecContext::TypeName);
            if (us.type->kind != TypeKind::Prim || !us.type->is_integer())
                fail_at(ut, ErrorCode::INVALID_TYPE,
                        "underlying type " + quoted(types_.to_string(us.type)) +
                            " of an enum is not an integer type");
            fixed = us.type->prim;
        }
        if (!is_punct(peek(), "{")) {
            if (tag.empty())
                fail_at(peek(), ErrorCode::PARSE,
                        "expected '{' or a tag name after 'enum', found " + describe(peek()));
            s.tag_reference = true;
            const Type* t = tag_reference(tag, tag_tok, "enum");
            if (fixed) {
                Enum* e = t->enumeration;
                if (e->complete && (!e->fixed_underlying || e->underlying != *fixed))
                    fail_at(tag_tok, ErrorCode::REDEFINITION,
                            "'enum " + tag + "' redeclared with a different underlying type");
                if (!e->complete) {
                    if (no_definitions_)
                        fail_at(tag_tok, ErrorCode::PARSE,
                                "enum declarations are not allowed here (declare them with "
                                "jiffi_cdef)");
                    save_enum(e);
                    e->fixed_underlying = true;
                    e->underlying = *fixed;
                    e->complete = true;
                    fresh_.erase(e);
                }
            }
            return t;
        }
        if (no_definitions_)
            fail_at(kw, ErrorCode::PARSE,
                    "enum definitions are not allowed here (declare them with jiffi_cdef)");
        Enum* e = nullptr;
        if (!tag.empty()) {
            if (const Tag* t = find_tag(tag)) {
                if (!t->enumeration)
                    fail_at(tag_tok, ErrorCode::REDEFINITION,
                            "'enum " + tag + "' defined as the wrong kind of tag (previously '" +
                                t->record->display_name() + "')");
                e = t->enumeration;
                bool forward_fixed = e->complete && e->fixed_underlying && e->values.empty();
                if (e->complete && !forward_fixed)
                    fail_at(tag_tok, ErrorCode::REDEFINITION, "redefinition of 'enum " + tag + "'");
                if (forward_fixed && (!fixed || *fixed != e->underlying))
                    fail_at(tag_tok, ErrorCode::REDEFINITION,
                            "'enum " + tag + "' redefined with a different underlying type");
                save_enum(e);
                fresh_.erase(e);
            }
        }
        if (!e) {
            e = types_.new_enum(tag);
            created_.insert(e);
            if (!tag.empty()) local_.tags[tag] = Tag{nullptr, e};
        }
        enum_body(e, ea, fixed);
        return e->type;
    }

    // Parses "{ A, B = expr, ... }" and trailing attributes, and chooses the underlying type.
    void enum_body(Enum* e, AttrSet attrs, std::optional<Prim> fixed) {
        Token lbrace = next();
        PendingEnum pending;
        std::vector<std::pair<std::string, Wide>>& values = pending.values;
        std::vector<Token> toks;
        Wide next_value = 0;
        // The enumerators so far are visible to later values; nested enums save the outer list.
        struct PendingScope {
            Parser& p;
            PendingEnum* saved;
            ~PendingScope() { p.pending_enum_ = saved; }
        } scope{*this, pending_enum_};
        pending_enum_ = &pending;
        while (!is_punct(peek(), "}")) {
            const Token& nt = peek();
            if (nt.kind != TokKind::Ident || reserved_word(nt.text))
                fail_at(nt, ErrorCode::PARSE, "expected an enumerator name, found " + describe(nt));
            Token name_tok = next();
            std::string name(name_tok.text);
            AttrSet ignored;
            trailing_attributes(ignored, false);
            Wide v = next_value;
            if (accept("=")) v = integer_constant("enumerator value");
            if (v > static_cast<Wide>(UINT64_MAX) || v < static_cast<Wide>(INT64_MIN))
                fail_at(name_tok, ErrorCode::CONSTANT,
                        "enumerator value of " + quoted(name) + " overflows");
            std::string kind = ordinary_kind(name);
            if (!kind.empty())
                fail_at(name_tok, ErrorCode::REDEFINITION,
                        "redefinition of " + quoted(name) + " (already " + kind + ")");
            pending.index.emplace(name, values.size());
            values.emplace_back(name, v);
            toks.push_back(name_tok);
            next_value = v + 1;
            if (accept(",")) continue;
            if (!is_punct(peek(), "}"))
                fail_at(peek(), ErrorCode::PARSE,
                        "expected ',' or '}' after enumerator, found " + describe(peek()));
        }
        if (values.empty())
            fail_at(peek(), ErrorCode::PARSE,
                    "empty enum " + quoted(e->display_name()) + " is invalid");
        next();
        trailing_attributes(attrs, false);
        Wide lo = values[0].second, hi = values[0].second;
        for (auto& [n, v] : values) {
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
        auto fits = [](Prim p, Wide v) {
            unsigned bits = prim_bits(p);
            if (bits > 64) return true;
            bool is_signed = prim_class(p) == PrimClass::Signed;
            if (p == Prim::Bool) return v == 0 || v == 1;
            Wide min = is_signed ? -(static_cast<Wide>(1) << (bits - 1)) : 0;
            Wide max = is_signed ? (static_cast<Wide>(1) << (bits - 1)) - 1
                                 : (static_cast<Wide>(1) << bits) - 1;
            return v >= min && v <= max;
        };
        Prim underlying;
        if (fixed) {
            Prim p = *fixed;
            if (p == Prim::Char) p = types_.target().char_signed ? Prim::SChar : Prim::UChar;
            for (size_t i = 0; i < values.size(); ++i)
                if (!fits(p, values[i].second))
                    fail_at(toks[i], ErrorCode::CONSTANT,
                            "enumerator " + quoted(values[i].first) + " value " +
                                wide_to_string(values[i].second) +
                                " is out of range of the underlying type '" +
                                prim_spelling(*fixed) + "'");
            underlying = *fixed;
        } else {
            if (lo < 0 && hi > INT64_MAX)
                fail_at(lbrace, ErrorCode::CONSTANT,
                        "enumerator values of " + quoted(e->display_name()) +
                            " exceed the range of the largest integer type");
            static const Prim packed_signed[] = {Prim::SChar, Prim::Short, Prim::Int, Prim::Long};
            static const Prim packed_unsigned[] = {Prim::UChar, Prim::UShort, Prim::UInt,
                                                   Prim::ULong};
            static const Prim plain_signed[] = {Prim::Int, Prim::Long};
            static const Prim plain_unsigned[] = {Prim::UInt, Prim::ULong};
            underlying = Prim::ULong;
            auto choose = [&](const Prim* list, size_t n) {
                for (size_t i = 0; i < n; ++i)
                    if (fits(list[i], lo) && fits(list[i], hi)) return list[i];
                return list[n - 1];
            };
            if (attrs.packed)
                underlying = lo < 0 ? choose(packed_signed, 4) : choose(packed_unsigned, 4);
            else
                underlying = lo < 0 ? choose(plain_signed, 2) : choose(plain_unsigned, 2);
        }
        e->packed = attrs.packed;
        e->fixed_underlying = fixed.has_value();
        e->underlying = underlying;
        e->values.clear();
        for (auto& [n, v] : values) {
            int64_t stored = static_cast<int64_t>(static_cast<uint64_t>(v));
            e->values.push_back(Enumerator{n, stored});
            local_.constants[n] = EnumConstant{stored, e->type};
        }
        e->complete = true;
    }

    // The value of an enumerator of the enum being defined, if name is one.
    const std::pair<std::string, Wide>* pending_constant(const std::string& name) const {
        if (!pending_enum_) return nullptr;
        auto it = pending_enum_->index.find(name);
        return it == pending_enum_->index.end() ? nullptr : &pending_enum_->values[it->second];
    }

    // Parses _Static_assert(expr[, "message"]); and fails when expr is zero.
    void static_assertion() {
        Token kw = next();
        expect("(", "after " + quoted(kw.text));
        Token et = peek();
        Wide v = integer_constant("static assertion");
        std::string msg;
        if (accept(",")) {
            if (peek().kind != TokKind::String)
                fail_at(peek(), ErrorCode::PARSE,
                        "expected a string literal, found " + describe(peek()));
            while (peek().kind == TokKind::String) msg += string_contents(next());
        }
        expect(")", "after the static assertion");
        expect(";", "after the static assertion");
        if (v == 0)
            fail_at(et, ErrorCode::CONSTANT,
                    "static assertion failed" + (msg.empty() ? std::string() : ": " + msg));
    }

    // ---- declarators ----

    // Parses a declarator; name_mode says whether it must, may or must not name something.
    Declarator declarator(NameMode mode) {
        Declarator d;
        declarator_into(d, mode);
        return d;
    }

    // True when the '(' at the current position opens a nested declarator, not parameters.
    bool nested_declarator_follows(NameMode mode) {
        if (mode == NameMode::Required) return true;
        const Token& t = peek(1);
        if (is_punct(t, "*") || is_punct(t, "(") || is_punct(t, "^")) return true;
        if (is_punct(t, "[") && is_punct(peek(2), "[")) return true;
        if (t.kind == TokKind::Ident) {
            if (attribute_word(t.text)) return true;
            return !starts_type(1);
        }
        return false;
    }

    // Parses one declarator level: pointers, a name or nested declarator, then suffixes.
    void declarator_into(Declarator& d, NameMode mode) {
        DepthGuard guard(*this);
        trailing_attributes(d.attrs, false);
        std::vector<DeclOp> ptrs;
        while (is_punct(peek(), "*")) {
            DeclOp op;
            op.kind = DeclOp::Ptr;
            op.tok = next();
            while (true) {
                const Token& t = peek();
                if (t.kind != TokKind::Ident) break;
                if (auto q = qualifier_word(t.text)) {
                    op.quals |= *q;
                    next();
                } else if (attribute_word(t.text)) {
                    AttrSet ignored;
                    gnu_attribute(ignored);
                } else if (t.text == "_Atomic") {
                    fail_at(t, ErrorCode::INVALID_TYPE, "'_Atomic' types are not supported");
                } else {
                    break;
                }
            }
            ptrs.push_back(op);
        }
        std::vector<DeclOp> inner;
        const Token& t = peek();
        if (is_punct(t, "(") && nested_declarator_follows(mode)) {
            next();
            trailing_attributes(d.attrs, false);
            Declarator in;
            declarator_into(in, mode);
            expect(")", "to close the declarator");
            d.name = in.name;
            d.name_tok = in.name_tok;
            d.has_name = in.has_name;
            d.attrs.merge(in.attrs);
            inner = std::move(in.ops);
        } else if (t.kind == TokKind::Ident && !reserved_word(t.text)) {
            if (mode == NameMode::None)
                fail_at(t, ErrorCode::PARSE,
                        "unexpected name " + quoted(t.text) + " in a type name");
            d.name = std::string(t.text);
            d.name_tok = next();
            d.has_name = true;
        } else if (mode == NameMode::Required) {
            fail_at(t, ErrorCode::PARSE, "expected identifier or '(', found " + describe(t));
        } else {
            d.name_tok = t;
        }
        std::vector<DeclOp> suffixes;
        while (true) {
            if (is_punct(peek(), "[") && !is_punct(peek(1), "[")) {
                suffixes.push_back(array_suffix(d.name));
            } else if (is_punct(peek(), "(")) {
                suffixes.push_back(parameter_list());
            } else {
                break;
            }
        }
        d.ops = std::move(ptrs);
        for (auto it = suffixes.rbegin(); it != suffixes.rend(); ++it)
            d.ops.push_back(std::move(*it));
        for (auto& op : inner) d.ops.push_back(std::move(op));
    }

    // Parses "[N]", "[]", "[*]" or "[static const N]" of the array called name.
    DeclOp array_suffix(const std::string& name) {
        DeclOp op;
        op.kind = DeclOp::Array;
        op.tok = next();
        while (peek().kind == TokKind::Ident &&
               (peek().text == "static" || qualifier_word(peek().text)))
            next();
        if (is_punct(peek(), "]") || (is_punct(peek(), "*") && is_punct(peek(1), "]"))) {
            if (is_punct(peek(), "*")) next();
            op.flexible = true;
        } else if (vla_params_) {
            // A parameter's array size may name earlier parameters ("size_t n, int a[n]");
            // the array decays to a pointer, so a size that is not constant is dropped.
            Value v = conditional(true);
            if (!v.constant || !v.type->is_integer())
                op.flexible = true;
            else if (wide_value(v) < 0)
                fail_at(op.tok, ErrorCode::CONSTANT,
                        "size of array " + quoted(name) + " is negative (" +
                            wide_to_string(wide_value(v)) + ")");
            else
                op.count = static_cast<uint64_t>(std::min<Wide>(wide_value(v), INT64_MAX >> 4));
        } else {
            Token vt = peek();
            Wide n = integer_constant("array size");
            std::string what = name.empty() ? std::string("array") : "array " + quoted(name);
            if (n < 0)
                fail_at(vt, ErrorCode::CONSTANT,
                        "size of " + what + " is negative (" + wide_to_string(n) + ")");
            if (n > static_cast<Wide>(INT64_MAX))
                fail_at(vt, ErrorCode::CONSTANT,
                        "size of " + what + " (" + wide_to_string(n) + ") is too large");
            op.count = static_cast<uint64_t>(n);
        }
        expect("]", "after the array size");
        return op;
    }

    // Parses a parameter list "(...)" into a Func operation with adjusted parameter types.
    DeclOp parameter_list() {
        DepthGuard guard(*this);
        DeclOp op;
        op.kind = DeclOp::Func;
        op.tok = next();
        if (accept(")")) return op;
        std::set<std::string> seen;
        std::vector<std::pair<std::string, const Type*>> scope;
        struct ScopeReset {
            Parser& p;
            std::vector<std::pair<std::string, const Type*>>* saved;
            ~ScopeReset() { p.param_scope_ = saved; }
        } scope_reset{*this, param_scope_};
        param_scope_ = &scope;
        while (true) {
            if (is_punct(peek(), "...")) {
                next();
                op.variadic = true;
                expect(")", "after '...'");
                break;
            }
            Token ptok = peek();
            Specs ps = specifiers(SpecContext::Param);
            Declarator pd;
            {
                FlagScope vla(vla_params_, true);
                pd = declarator(NameMode::Optional);
            }
            trailing_attributes(pd.attrs, false);
            const Type* declared = declared_type(ps, pd, nullptr, true);
            const Type* t = declared;
            if (t->is_void()) {
                bool sole =
                    op.params.empty() && !pd.has_name && pd.ops.empty() && is_punct(peek(), ")");
                if (sole && ps.quals)
                    fail_at(ptok, ErrorCode::INVALID_TYPE,
                            "'void' as the only parameter may not be qualified");
                if (!sole)
                    fail_at(ptok, ErrorCode::INVALID_TYPE,
                            "parameter " + std::to_string(op.params.size() + 1) +
                                (pd.has_name ? " (" + quoted(pd.name) + ")" : std::string()) +
                                " has type 'void'");
                next();
                break;
            }
            if (t->is_array())
                t = types_.pointer(t->inner, array_element_quals(ps, pd));
            else if (t->is_function())
                t = types_.pointer(t);
            if (pd.has_name && !seen.insert(pd.name).second)
                fail_at(pd.name_tok, ErrorCode::REDEFINITION,
                        "redefinition of parameter " + quoted(pd.name));
            op.params.push_back(t);
            op.names.push_back(pd.name);
            op.spellings.push_back(parameter_spelling(ps, pd, declared, t).str());
            if (pd.has_name) scope.emplace_back(pd.name, t);
            if (accept(",")) continue;
            if (peek().kind == TokKind::Keyword) continue;
            if (accept(")")) break;
            fail_at(peek(), ErrorCode::PARSE,
                    "expected ',' or ')' in the parameter list, found " + describe(peek()));
        }
        return op;
    }

    // The qualifiers of the elements of an array parameter (kept on the decayed pointer).
    static uint8_t array_element_quals(const Specs& ps, const Declarator& pd) {
        uint8_t q = ps.quals;
        for (size_t i = 0; i + 1 < pd.ops.size(); ++i) {
            if (pd.ops[i].kind == DeclOp::Ptr)
                q = pd.ops[i].quals;
            else if (pd.ops[i].kind == DeclOp::Func)
                q = 0;
        }
        return q & (Q_CONST | Q_VOLATILE);
    }

    // The base type after a mode attribute, which resizes an integer type.
    const Type* apply_mode(const Type* base, const AttrSet& a, const Declarator& d) {
        if (!a.mode_bits) return base;
        if (!base->is_integer() || !d.ops.empty())
            fail_at(a.mode_tok, ErrorCode::INVALID_TYPE,
                    "machine mode applied to a non-integer type");
        bool is_signed = types_.is_signed_integer(base);
        switch (a.mode_bits) {
        case 8: return types_.prim(is_signed ? Prim::SChar : Prim::UChar);
        case 16: return types_.prim(is_signed ? Prim::Short : Prim::UShort);
        case 32: return types_.prim(is_signed ? Prim::Int : Prim::UInt);
        case 64: return types_.prim(is_signed ? Prim::Long : Prim::ULong);
        default: return types_.prim(is_signed ? Prim::Int128 : Prim::UInt128);
        }
    }

    // Builds the declared type from specifiers and declarator, checking each derivation.
    // A parameter's outermost array (decays) may have an element of unknown size (VLA).
    const Type* declared_type(const Specs& s, const Declarator& d,
                              std::vector<std::pair<const Type*, const DeclOp*>>* history,
                              bool decays = false) {
        AttrSet a = s.attrs;
        a.merge(d.attrs);
        const Type* cur = apply_mode(s.type, a, d);
        uint8_t q = s.quals & (Q_CONST | Q_VOLATILE);
        size_t depth = derivation_depth(cur);
        for (const DeclOp& op : d.ops) {
            if (++depth > kMaxDerivations)
                fail_at(op.tok, ErrorCode::INVALID_TYPE,
                        "the type of " + (d.has_name ? quoted(d.name) : std::string("a type name")) +
                            " derives more than " + std::to_string(kMaxDerivations) +
                            " pointer, array and function types from its base type");
            switch (op.kind) {
            case DeclOp::Ptr:
                cur = types_.pointer(cur, q);
                q = op.quals & (Q_CONST | Q_VOLATILE);
                break;
            case DeclOp::Array: {
                if (cur->is_function())
                    fail_at(op.tok, ErrorCode::INVALID_TYPE, "array of functions is not allowed");
                if (cur->is_void())
                    fail_at(op.tok, ErrorCode::INVALID_TYPE, "array of 'void' is not allowed");
                bool outermost = &op == &d.ops.back();
                if (!types_.is_complete(cur) && !(decays && outermost))
                    fail_incomplete(op.tok, "array element has", cur);
                if (op.flexible) {
                    cur = types_.flexible_array(cur);
                } else {
                    uint64_t elem = types_.is_complete(cur) ? types_.size_of(cur) : 0;
                    if (elem && op.count > (static_cast<uint64_t>(INT64_MAX) >> 3) / elem)
                        fail_at(op.tok, ErrorCode::CONSTANT, "array is too large");
                    cur = types_.array(cur, op.count);
                }
                break;
            }
            case DeclOp::Func:
                if (cur->is_array())
                    fail_at(op.tok, ErrorCode::INVALID_TYPE,
                            "function returning an array is not allowed");
                if (cur->is_function())
                    fail_at(op.tok, ErrorCode::INVALID_TYPE,
                            "function returning a function is not allowed");
                cur = types_.function(cur, op.params, op.variadic);
                q = 0;
                break;
            }
            if (history) history->emplace_back(cur, &op);
        }
        return cur;
    }

    // The ops of d before index end (all of them by default), as spell takes them.
    static std::vector<const DeclOp*> op_list(const Declarator& d, size_t end = SIZE_MAX) {
        std::vector<const DeclOp*> ops;
        size_t n = std::min(end, d.ops.size());
        ops.reserve(n + 1);
        for (size_t i = 0; i < n; ++i) ops.push_back(&d.ops[i]);
        return ops;
    }

    // The spelling of the type that specifiers s and attributes a derive by ops (ops[0]
    // applies to the base type first), result being that type. It follows
    // TypeTable::spelling step for step, with the base as written (a typedef name) and each
    // parameter list spelled as its parameters were, so a type written without typedef names
    // spells exactly as to_string spells it. Top-level qualifiers are dropped, as types do
    // not carry them. Where a mode attribute resized the base, or the base has no name and
    // is itself derived (typeof or a keyword naming a pointer), the structural spelling.
    TypeSpelling spell(const Specs& s, const AttrSet& a, const std::vector<const DeclOp*>& ops,
                       const Type* result) const {
        if (a.mode_bits) return types_.spelling(result);
        TypeSpelling out;
        if (!s.base_name.empty()) {
            out.base = s.base_name;
        } else {
            TypeKind k = s.type->kind;
            if (k == TypeKind::Pointer || k == TypeKind::Array || k == TypeKind::Function)
                return types_.spelling(result);
            out.base = types_.to_string(s.type);
        }
        // The qualifiers of the type each op derives from, tracked as declared_type does.
        std::vector<uint8_t> from(ops.size());
        uint8_t q = s.quals & (Q_CONST | Q_VOLATILE);
        for (size_t i = 0; i < ops.size(); ++i) {
            from[i] = q;
            if (ops[i]->kind == DeclOp::Ptr) q = ops[i]->quals & (Q_CONST | Q_VOLATILE);
            if (ops[i]->kind == DeclOp::Func) q = 0;
        }
        uint8_t obj_quals = 0;  // qualifiers of the type derived so far (outermost first)
        for (size_t i = ops.size(); i-- > 0;) {
            const DeclOp& op = *ops[i];
            switch (op.kind) {
            case DeclOp::Ptr:
                out.prefix = "*" + qualifier_text(obj_quals) + out.prefix;
                obj_quals = from[i];
                if (i > 0 && ops[i - 1]->kind != DeclOp::Ptr) {
                    out.prefix = "(" + out.prefix;
                    out.suffix += ")";
                }
                break;
            case DeclOp::Array:
                out.suffix += op.flexible ? "[]" : "[" + std::to_string(op.count) + "]";
                break;
            case DeclOp::Func: {
                std::string params;
                for (size_t k = 0; k < op.spellings.size(); ++k)
                    params += (k ? ", " : "") + op.spellings[k];
                if (op.variadic) params += op.spellings.empty() ? "..." : ", ...";
                if (op.spellings.empty() && !op.variadic) params = "void";
                out.suffix += "(" + params + ")";
                break;
            }
            }
        }
        out.base = qualifier_text(obj_quals) + out.base;
        return out;
    }

    // The spelling of a parameter declared with type declared and adjusted to t: an array
    // parameter is spelled as the pointer it decays to, a function parameter as a pointer
    // to it. An array type given by a typedef name has no pointer to spell by that name, so
    // it is spelled structurally.
    TypeSpelling parameter_spelling(const Specs& ps, const Declarator& pd, const Type* declared,
                                    const Type* t) const {
        static const DeclOp kDecayPointer{};  // a Ptr op without qualifiers
        AttrSet a = ps.attrs;
        a.merge(pd.attrs);
        std::vector<const DeclOp*> ops = op_list(pd);
        if (declared->is_array()) {
            if (ops.empty() || ops.back()->kind != DeclOp::Array) return types_.spelling(t);
            ops.back() = &kDecayPointer;
        } else if (declared->is_function()) {
            ops.push_back(&kDecayPointer);
        }
        return spell(ps, a, ops, t);
    }

    // The structural spellings of function type fn's return and parameter types, for
    // signatures whose parameter list came from a typedef (no list was written).
    void structural_spellings(const Type* fn, TypeSpelling& ret,
                              std::vector<std::string>& params) const {
        ret = types_.spelling(fn->inner);
        params.clear();
        for (const Type* p : fn->params) params.push_back(types_.to_string(p));
    }

    // How many pointer, array and function derivations t is made of, counted up to one past
    // the limit: the walk stays bounded so each derivation costs a bounded amount of work.
    static size_t derivation_depth(const Type* t) {
        size_t n = 0;
        while (n <= kMaxDerivations && t &&
               (t->kind == TypeKind::Pointer || t->kind == TypeKind::Array ||
                t->kind == TypeKind::Function)) {
            t = t->inner;
            ++n;
        }
        return n;
    }

    // Parses a type name: specifiers and an abstract declarator.
    const Type* type_name() {
        Specs s = specifiers(SpecContext::TypeName);
        Declarator d = declarator(NameMode::None);
        trailing_attributes(d.attrs, false);
        return declared_type(s, d, nullptr);
    }

    // Parses a type name with its spelling as written.
    SpelledType spelled_type_name() {
        Specs s = specifiers(SpecContext::TypeName);
        Declarator d = declarator(NameMode::None);
        trailing_attributes(d.attrs, false);
        SpelledType out;
        out.type = declared_type(s, d, nullptr);
        AttrSet a = s.attrs;
        a.merge(d.attrs);
        out.spelling = spell(s, a, op_list(d), out.type);
        return out;
    }

    // Fails unless the return and parameter types of a signature are complete, naming a
    // type by its spelling as written when ret and params give one.
    void check_signature_complete(const Token& tok, const Type* fn, const TypeSpelling* ret,
                                  const std::vector<std::string>* params) {
        const Type* r = fn->inner;
        if (!r->is_void() && !types_.is_complete(r)) {
            std::string shown = ret ? ret->str() : std::string();
            fail_incomplete(tok, "return type has", r, true, ret ? &shown : nullptr);
        }
        bool spelled = params && params->size() == fn->params.size();
        for (size_t i = 0; i < fn->params.size(); ++i)
            if (!types_.is_complete(fn->params[i]))
                fail_incomplete(tok, "parameter " + std::to_string(i + 1) + " has", fn->params[i],
                                true, spelled ? &(*params)[i] : nullptr);
    }

    // ---- external declarations ----

    // Parses one declaration at file scope (or a skipped function definition).
    void external_declaration() {
        if (accept(";")) return;
        if (is_word(peek(), "_Static_assert") || is_word(peek(), "static_assert")) {
            static_assertion();
            return;
        }
        FlagScope skip(skip_unsupported_, true);
        unsupported_.reset();
        Specs s = specifiers(SpecContext::TopLevel);
        std::optional<Token> spec_unsupported = unsupported_;
        if (accept(";")) {
            if (s.tag_reference) {
                const Type* t = s.type;
                if (t->kind == TypeKind::Record) fresh_.erase(t->record);
                if (t->kind == TypeKind::Enum) fresh_.erase(t->enumeration);
            }
            return;
        }
        bool first = true;
        while (true) {
            unsupported_ = spec_unsupported;
            Declarator d = declarator(NameMode::Required);
            trailing_attributes(d.attrs, true);
            std::vector<std::pair<const Type*, const DeclOp*>> history;
            const Type* t = declared_type(s, d, &history);
            if (unsupported_) {
                // Declares something jiffi cannot call or lay out: skipped, its name unknown.
                if (s.is_typedef) skipped_typedefs_.insert(d.name);
                if (t->is_function() && first && is_punct(peek(), "{")) {
                    skip_balanced();
                    return;
                }
                if (accept("=")) skip_initializer();
            } else if (s.is_typedef) {
                uint32_t align = std::max(s.attrs.aligned, d.attrs.aligned);
                if (align) t = types_.aligned(t, align);
                define_typedef(d, t);
            } else if (t->is_function()) {
                FunctionDecl f;
                f.name = d.name;
                f.type = t;
                AttrSet a = s.attrs;
                a.merge(d.attrs);
                f.asm_label = a.asm_label;
                if (!history.empty() && history.back().second->kind == DeclOp::Func) {
                    f.param_names = history.back().second->names;
                    f.param_spellings = history.back().second->spellings;
                    f.ret_spelling = spell(s, a, op_list(d, d.ops.size() - 1), t->inner);
                }
                f.param_names.resize(t->params.size());
                if (f.param_spellings.size() != t->params.size())
                    structural_spellings(t, f.ret_spelling, f.param_spellings);
                if (!s.is_static) define_function(d, std::move(f));
                if (first && is_punct(peek(), "{")) {
                    skip_balanced();
                    return;
                }
            } else {
                if (t->is_void())
                    fail_at(d.name_tok, ErrorCode::INVALID_TYPE,
                            "variable " + quoted(d.name) + " declared void");
                if (accept("=")) skip_initializer();
                if (!s.is_static) define_variable(d, t);
            }
            first = false;
            if (accept(",")) continue;
            expect(";", "after declaration");
            return;
        }
    }

    // Skips an initializer up to the ',' or ';' that ends it.
    void skip_initializer() {
        while (true) {
            const Token& t = peek();
            if (t.kind == TokKind::End)
                fail_at(t, ErrorCode::PARSE,
                        "expected ';' after the initializer, found end of input");
            if (is_punct(t, ",") || is_punct(t, ";")) return;
            if (is_punct(t, "(") || is_punct(t, "[") || is_punct(t, "{")) {
                skip_balanced();
                continue;
            }
            if (is_punct(t, ")") || is_punct(t, "]") || is_punct(t, "}"))
                fail_at(t, ErrorCode::PARSE, "unexpected " + describe(t) + " in an initializer");
            next();
        }
    }

    // Records a typedef, allowing a repeat with the same type.
    void define_typedef(const Declarator& d, const Type* t) {
        if (const Type* old = find_typedef_declared(d.name)) {
            if (old == t) return;
            fail_at(d.name_tok, ErrorCode::REDEFINITION,
                    "typedef " + quoted(d.name) + " redefined with a different type (" +
                        quoted(types_.to_string(old)) + " vs " + quoted(types_.to_string(t)) + ")");
        }
        std::string kind = ordinary_kind(d.name);
        if (!kind.empty())
            fail_at(d.name_tok, ErrorCode::REDEFINITION,
                    quoted(d.name) + " redeclared as a typedef (already " + kind + ")");
        local_.typedefs[d.name] = t;
    }

    // The type of a typedef declared by this text or before (no builtin names), or null.
    const Type* find_typedef_declared(const std::string& name) const {
        if (auto it = local_.typedefs.find(name); it != local_.typedefs.end()) return it->second;
        if (auto it = base_.typedefs.find(name); it != base_.typedefs.end()) return it->second;
        return nullptr;
    }

    // Records function prototype f (named by d); a repeat must agree (an empty "()" list
    // agrees with any). A repeat keeps the first names and spellings unless it gives the
    // parameter list the first one lacked.
    void define_function(const Declarator& d, FunctionDecl f) {
        const Type* t = f.type;
        if (const FunctionDecl* old = find_function(d.name)) {
            FunctionDecl merged = *old;
            bool old_empty = old->type->params.empty() && !old->type->variadic;
            bool new_empty = t->params.empty() && !t->variadic;
            if (old->type != t) {
                if (old->type->inner != t->inner || !(old_empty || new_empty))
                    fail_at(d.name_tok, ErrorCode::REDEFINITION,
                            "conflicting types for " + quoted(d.name) + " (" +
                                quoted(function_spelling(old->ret_spelling, old->param_spellings,
                                                         old->type->variadic)) +
                                " vs " +
                                quoted(function_spelling(f.ret_spelling, f.param_spellings,
                                                         t->variadic)) +
                                ")");
                if (old_empty) {
                    merged.type = t;
                    merged.param_names = f.param_names;
                    merged.ret_spelling = f.ret_spelling;
                    merged.param_spellings = f.param_spellings;
                }
            } else if (std::all_of(old->param_names.begin(), old->param_names.end(),
                                   [](const std::string& n) { return n.empty(); })) {
                merged.param_names = f.param_names;
            }
            if (!f.asm_label.empty()) merged.asm_label = f.asm_label;
            local_.functions[d.name] = std::move(merged);
            return;
        }
        std::string kind = ordinary_kind(d.name);
        if (!kind.empty())
            fail_at(d.name_tok, ErrorCode::REDEFINITION,
                    quoted(d.name) + " redeclared as a function (already " + kind + ")");
        local_.functions[d.name] = std::move(f);
    }

    // Records an object declaration; a repeat must agree (an array may gain its size).
    void define_variable(const Declarator& d, const Type* t) {
        if (const Type* old = find_variable(d.name)) {
            if (old == t) return;
            bool compatible = old->is_array() && t->is_array() && old->inner == t->inner &&
                              (old->flexible || t->flexible);
            if (!compatible)
                fail_at(d.name_tok, ErrorCode::REDEFINITION,
                        "conflicting types for " + quoted(d.name) + " (" +
                            quoted(types_.to_string(old)) + " vs " + quoted(types_.to_string(t)) +
                            ")");
            if (t->flexible) return;
            local_.variables[d.name] = t;
            return;
        }
        std::string kind = ordinary_kind(d.name);
        if (!kind.empty())
            fail_at(d.name_tok, ErrorCode::REDEFINITION,
                    quoted(d.name) + " redeclared as a variable (already " + kind + ")");
        local_.variables[d.name] = t;
    }

    // ---- constant expressions ----

    // The integer type an integer value computes in (an enum's underlying type).
    Prim value_prim(const Value& v) const { return types_.integer_prim(v.type); }

    // The integer promotion of an integer type.
    static Prim promote(Prim p) { return prim_rank(p) < prim_rank(Prim::Int) ? Prim::Int : p; }

    // True for a signed integer type of this target (plain char included when signed).
    bool prim_signed(Prim p) const {
        if (p == Prim::Char) return types_.target().char_signed;
        return prim_class(p) == PrimClass::Signed;
    }

    // The common type of the usual arithmetic conversions of two integer types.
    Prim common_prim(Prim a, Prim b) const {
        a = promote(a);
        b = promote(b);
        if (a == b) return a;
        bool sa = prim_signed(a), sb = prim_signed(b);
        if (sa == sb) return prim_rank(a) >= prim_rank(b) ? a : b;
        Prim u = sa ? b : a, s = sa ? a : b;
        if (prim_rank(u) >= prim_rank(s)) return u;
        if (prim_bits(s) > prim_bits(u)) return s;
        return unsigned_of(s);
    }

    // Converts bits to the representation of type p (truncate, then sign- or zero-extend).
    uint64_t convert_bits(uint64_t bits, Prim p) const {
        if (p == Prim::Bool) return bits != 0;
        unsigned w = prim_bits(p);
        if (w >= 64) return bits;
        uint64_t mask = (uint64_t(1) << w) - 1;
        bits &= mask;
        if (prim_signed(p) && (bits >> (w - 1)) & 1) bits |= ~mask;
        return bits;
    }

    // The mathematical value of an integer constant.
    Wide wide_value(const Value& v) const {
        Prim p = value_prim(v);
        if (prim_signed(p)) return static_cast<Wide>(static_cast<int64_t>(v.bits));
        return static_cast<Wide>(v.bits);
    }

    // An integer constant of type p.
    Value make_int(Prim p, uint64_t bits) {
        return Value{types_.prim(p), convert_bits(bits, p), true};
    }

    // Fails unless v is an integer value (constant or not) usable as an operand.
    void require_integer(const Value& v, const Token& op) {
        if (!v.type->is_integer())
            fail_at(op, ErrorCode::CONSTANT,
                    "invalid operand of type " + quoted(types_.to_string(v.type)) + " to " +
                        quoted(op.text) + " in a constant expression");
        if (v.type->kind == TypeKind::Enum && !v.type->enumeration->complete)
            fail_at(op, ErrorCode::INCOMPLETE_TYPE,
                    "operand of incomplete type " + quoted(types_.to_string(v.type)));
    }

    // Fails when an evaluated 128-bit integer is used (they are not supported here).
    void check_width(Prim p, const Token& tok, bool eval) {
        if (eval && prim_bits(p) > 64)
            fail_at(tok, ErrorCode::CONSTANT,
                    "128-bit integers are not supported in constant expressions");
    }

    // Parses an integer constant expression and returns its value.
    Wide integer_constant(const char* what) {
        Token first = peek();
        Value v = conditional(true);
        if (!v.type->is_integer() || !v.constant)
            fail_at(first, ErrorCode::CONSTANT,
                    std::string(what) + " is not an integer constant expression");
        return wide_value(v);
    }

    // conditional-expression: logical-or [? expression : conditional-expression]
    Value conditional(bool eval) {
        DepthGuard guard(*this);
        Value c = binary(1, eval);
        if (!is_punct(peek(), "?")) return c;
        Token q = next();
        if (!c.type->is_scalar())
            fail_at(q, ErrorCode::CONSTANT, "condition of '?:' is not a scalar");
        bool known = c.constant && c.type->is_integer();
        bool truth = known && c.bits != 0;
        Value a = c;
        if (!is_punct(peek(), ":")) a = conditional(eval && known && truth);
        expect(":", "in a conditional expression");
        Value b = conditional(eval && known && !truth);
        if (!a.type->is_integer() || !b.type->is_integer()) {
            Value r = truth ? a : b;
            r.constant = false;
            return r;
        }
        Prim p = common_prim(value_prim(a), value_prim(b));
        Value r = make_int(p, truth ? convert_bits(a.bits, p) : convert_bits(b.bits, p));
        r.constant = known && a.constant && b.constant;
        return r;
    }

    // The precedence of a binary operator token (higher binds tighter), 0 for others.
    static int binary_precedence(const Token& t) {
        if (t.kind != TokKind::Punct) return 0;
        std::string_view s = t.text;
        if (s == "||") return 1;
        if (s == "&&") return 2;
        if (s == "|") return 3;
        if (s == "^") return 4;
        if (s == "&") return 5;
        if (s == "==" || s == "!=") return 6;
        if (s == "<" || s == ">" || s == "<=" || s == ">=") return 7;
        if (s == "<<" || s == ">>") return 8;
        if (s == "+" || s == "-") return 9;
        if (s == "*" || s == "/" || s == "%") return 10;
        return 0;
    }

    // Binary operators by precedence climbing, with && and || short-circuiting evaluation.
    Value binary(int min_prec, bool eval) {
        Value lhs = unary(eval);
        while (true) {
            int prec = binary_precedence(peek());
            if (prec == 0 || prec < min_prec) return lhs;
            Token op = next();
            bool rhs_eval = eval;
            bool lhs_known = lhs.constant && lhs.type->is_integer();
            if (op.text == "&&" && lhs_known && lhs.bits == 0) rhs_eval = false;
            if (op.text == "||" && lhs_known && lhs.bits != 0) rhs_eval = false;
            Value rhs = binary(prec + 1, rhs_eval);
            lhs = binary_op(op, lhs, rhs, eval);
        }
    }

    // Applies one binary operator with C's conversions in the target's integer types.
    Value binary_op(const Token& op, const Value& a, const Value& b, bool eval) {
        std::string_view o = op.text;
        if (o == "&&" || o == "||") {
            if (!a.type->is_scalar() || !b.type->is_scalar())
                fail_at(op, ErrorCode::CONSTANT, "invalid operands to " + quoted(o));
            bool a_known = a.constant && a.type->is_integer();
            bool b_known = b.constant && b.type->is_integer();
            if (o == "&&") {
                if (a_known && a.bits == 0) return make_int(Prim::Int, 0);
                Value r = make_int(Prim::Int, b.bits != 0);
                r.constant = a_known && b_known;
                return r;
            }
            if (a_known && a.bits != 0) return make_int(Prim::Int, 1);
            Value r = make_int(Prim::Int, b.bits != 0);
            r.constant = a_known && b_known;
            return r;
        }
        require_integer(a, op);
        require_integer(b, op);
        bool constant = a.constant && b.constant;
        if (o == "<<" || o == ">>") {
            Prim p = promote(value_prim(a));
            check_width(p, op, eval && constant);
            Value r = make_int(p, 0);
            r.constant = constant;
            if (!constant || !eval) return r;
            Wide count = wide_value(b);
            unsigned w = prim_bits(p);
            if (count < 0 || count >= w)
                fail_at(op, ErrorCode::CONSTANT,
                        "shift count " + wide_to_string(count) + " is out of range for a " +
                            std::to_string(w) + "-bit type");
            uint64_t x = convert_bits(a.bits, p);
            unsigned n = static_cast<unsigned>(count);
            if (o == "<<") {
                r.bits = convert_bits(x << n, p);
            } else if (prim_signed(p)) {
                r.bits = convert_bits(static_cast<uint64_t>(static_cast<int64_t>(x) >> n), p);
            } else {
                r.bits = convert_bits(x >> n, p);
            }
            return r;
        }
        Prim p = common_prim(value_prim(a), value_prim(b));
        check_width(p, op, eval && constant);
        uint64_t x = convert_bits(a.bits, p), y = convert_bits(b.bits, p);
        bool s = prim_signed(p);
        bool compare = o == "==" || o == "!=" || o == "<" || o == ">" || o == "<=" || o == ">=";
        Value r = make_int(compare ? Prim::Int : p, 0);
        r.constant = constant;
        if (!constant || !eval) return r;
        if (compare) {
            bool res;
            if (o == "==")
                res = x == y;
            else if (o == "!=")
                res = x != y;
            else if (s) {
                int64_t sx = static_cast<int64_t>(x), sy = static_cast<int64_t>(y);
                res = o == "<" ? sx < sy : o == ">" ? sx > sy : o == "<=" ? sx <= sy : sx >= sy;
            } else {
                res = o == "<" ? x < y : o == ">" ? x > y : o == "<=" ? x <= y : x >= y;
            }
            r.bits = res;
            return r;
        }
        uint64_t res = 0;
        if (o == "+")
            res = x + y;
        else if (o == "-")
            res = x - y;
        else if (o == "*")
            res = x * y;
        else if (o == "&")
            res = x & y;
        else if (o == "|")
            res = x | y;
        else if (o == "^")
            res = x ^ y;
        else {
            if (y == 0)
                fail_at(op, ErrorCode::CONSTANT, "division by zero in a constant expression");
            if (s) {
                int64_t sx = static_cast<int64_t>(x), sy = static_cast<int64_t>(y);
                if (sy == -1)
                    res = o == "/" ? uint64_t(0) - x : 0;
                else
                    res = static_cast<uint64_t>(o == "/" ? sx / sy : sx % sy);
            } else {
                res = o == "/" ? x / y : x % y;
            }
        }
        r.bits = convert_bits(res, p);
        return r;
    }

    // Unary operators, casts, sizeof, _Alignof and postfix operators.
    Value unary(bool eval) {
        DepthGuard guard(*this);
        const Token& t = peek();
        if (t.kind == TokKind::Punct) {
            std::string_view o = t.text;
            if (o == "-" || o == "+" || o == "~" || o == "!") {
                Token op = next();
                Value v = unary(eval);
                if (o == "!") {
                    if (!v.type->is_scalar())
                        fail_at(op, ErrorCode::CONSTANT, "invalid operand to '!'");
                    Value r = make_int(Prim::Int, v.bits == 0);
                    r.constant = v.constant && v.type->is_integer();
                    return r;
                }
                require_integer(v, op);
                Prim p = promote(value_prim(v));
                check_width(p, op, eval && v.constant);
                uint64_t x = convert_bits(v.bits, p);
                uint64_t res = o == "-" ? uint64_t(0) - x : o == "~" ? ~x : x;
                Value r = make_int(p, res);
                r.constant = v.constant;
                return r;
            }
            if (o == "*") {
                Token op = next();
                Value v = unary(false);
                if (!v.type->is_pointer() && !v.type->is_array())
                    fail_at(op, ErrorCode::CONSTANT, "indirection requires a pointer operand");
                return Value{v.type->inner, 0, false};
            }
            if (o == "&") {
                next();
                Value v = unary(false);
                return Value{types_.pointer(v.type), 0, false};
            }
            if (o == "(" && starts_type(1)) {
                Token open = next();
                const Type* target = type_name();
                expect(")", "after the type name of a cast");
                if (is_punct(peek(), "{"))
                    fail_at(peek(), ErrorCode::CONSTANT, "compound literals are not supported");
                Value v = unary(eval);
                return cast(open, target, v, eval);
            }
        } else if (t.kind == TokKind::Ident) {
            std::string_view w = t.text;
            if (w == "sizeof") {
                Token op = next();
                const Type* ty = operand_type(op);
                uint64_t n = at(op, [&] { return types_.size_of(ty); });
                return make_int(Prim::ULong, n);
            }
            if (w == "_Alignof" || w == "alignof" || w == "__alignof__" || w == "__alignof") {
                Token op = next();
                const Type* ty = operand_type(op);
                uint32_t n = at(op, [&] { return types_.align_of(ty); });
                return make_int(Prim::ULong, n);
            }
            if (w == "__extension__") {
                next();
                return unary(eval);
            }
        }
        return postfix(eval);
    }

    // The type operand of sizeof or _Alignof: "(type-name)" or a unary expression.
    const Type* operand_type(const Token& op) {
        if (is_punct(peek(), "(") && starts_type(1)) {
            next();
            const Type* t = type_name();
            expect(")", "after the type name of " + quoted(op.text));
            return t;
        }
        return unary(false).type;
    }

    // Converts v to the cast's target type.
    Value cast(const Token& open, const Type* target, const Value& v, bool eval) {
        if (target->is_integer()) {
            if (target->kind == TypeKind::Enum && !target->enumeration->complete)
                fail_at(open, ErrorCode::INCOMPLETE_TYPE,
                        "cast to incomplete type " + quoted(types_.to_string(target)));
            Prim p = types_.integer_prim(target);
            if (!v.type->is_integer() || !v.constant) return Value{target, 0, false};
            check_width(p, open, eval);
            return Value{target, convert_bits(v.bits, p), true};
        }
        if (target->is_record() || target->is_array() || target->is_function())
            fail_at(open, ErrorCode::CONSTANT,
                    "cast to " + quoted(types_.to_string(target)) + " is not allowed");
        return Value{target, 0, false};
    }

    // Postfix operators on a primary expression: [index], .member, ->member.
    Value postfix(bool eval) {
        Value v = primary(eval);
        while (true) {
            const Token& t = peek();
            if (is_punct(t, "[")) {
                Token op = next();
                conditional(false);
                expect("]", "after the index");
                if (!v.type->is_pointer() && !v.type->is_array())
                    fail_at(op, ErrorCode::CONSTANT,
                            "subscripted value is not an array or pointer");
                v = Value{v.type->inner, 0, false};
            } else if (is_punct(t, ".") || is_punct(t, "->")) {
                Token op = next();
                const Type* rt = v.type;
                if (op.text == "->") {
                    if (!rt->is_pointer())
                        fail_at(op, ErrorCode::CONSTANT, "'->' applied to a non-pointer");
                    rt = rt->inner;
                }
                if (!rt->is_record())
                    fail_at(op, ErrorCode::CONSTANT, quoted(op.text) + " applied to a non-record");
                const Token& mt = peek();
                if (mt.kind != TokKind::Ident)
                    fail_at(mt, ErrorCode::PARSE, "expected a member name, found " + describe(mt));
                Token name = next();
                auto m = find_member(*rt->record, name.text);
                if (!m)
                    fail_at(name, ErrorCode::CONSTANT,
                            "no member " + quoted(name.text) + " in '" +
                                rt->record->display_name() + "'");
                v = Value{m->field->type, 0, false};
            } else if (is_punct(t, "(")) {
                fail_at(t, ErrorCode::CONSTANT,
                        "function calls are not allowed in a constant expression");
            } else {
                return v;
            }
        }
    }

    // A member found by name and its bit offset from the start of the record searched.
    struct MemberRef {
        const Field* field;
        uint64_t offset_bits;
    };

    // Finds a member by name, looking into anonymous members; offsets are from rec's start.
    std::optional<MemberRef> find_member(const Record& rec, std::string_view name) const {
        for (const Field& f : rec.fields) {
            if (f.anonymous) {
                if (auto m = find_member(*f.type->record, name))
                    return MemberRef{m->field, f.offset_bits + m->offset_bits};
            } else if (!f.name.empty() && f.name == name) {
                return MemberRef{&f, f.offset_bits};
            }
        }
        return std::nullopt;
    }

    // Primary expressions: literals, identifiers, parentheses and __builtin_offsetof.
    Value primary(bool eval) {
        const Token& t = peek();
        switch (t.kind) {
        case TokKind::Number: return number_value(next());
        case TokKind::Char: return char_value(next());
        case TokKind::String: {
            uint64_t n = 0;
            while (peek().kind == TokKind::String) n += string_contents(next()).size();
            return Value{types_.array(types_.prim(Prim::Char), n + 1), 0, false};
        }
        case TokKind::Punct:
            if (t.text == "(") {
                next();
                Value v = conditional(eval);
                expect(")", "to close the parenthesized expression");
                return v;
            }
            fail_at(t, ErrorCode::PARSE, "expected an expression, found " + describe(t));
        case TokKind::End:
            fail_at(t, ErrorCode::PARSE, "expected an expression, found end of input");
        case TokKind::Keyword:
            fail_at(t, ErrorCode::PARSE, "expected an expression, found " + describe(t));
        case TokKind::Ident: break;
        }
        std::string name(t.text);
        if (name == "__builtin_offsetof" || name == "offsetof") return offsetof_value();
        if (name == "true" || name == "false") {
            next();
            return make_int(Prim::Int, name == "true");
        }
        if (reserved_word(name))
            fail_at(t, ErrorCode::PARSE, "expected an expression, found " + describe(t));
        if (auto p = pending_constant(name)) {
            next();
            Wide v = p->second;
            Prim pr = v >= INT32_MIN && v <= INT32_MAX ? Prim::Int
                      : v <= INT64_MAX                 ? Prim::Long
                                                       : Prim::ULong;
            return make_int(pr, static_cast<uint64_t>(v));
        }
        if (const EnumConstant* c = find_constant(name)) {
            next();
            Prim pr = c->value >= INT32_MIN && c->value <= INT32_MAX
                          ? Prim::Int
                          : c->type->enumeration->underlying;
            return make_int(pr, static_cast<uint64_t>(c->value));
        }
        if (const Type* v = find_variable(name)) {
            next();
            return Value{v, 0, false};
        }
        if (const FunctionDecl* f = find_function(name)) {
            next();
            return Value{f->type, 0, false};
        }
        if (find_typedef(name))
            fail_at(t, ErrorCode::PARSE,
                    "unexpected type name " + quoted(name) + " in an expression");
        if (vla_params_) {
            // An earlier parameter, or a name C would reject: either way not a constant.
            next();
            if (param_scope_)
                for (auto& [n, ty] : *param_scope_)
                    if (n == name) return Value{ty, 0, false};
            return Value{types_.prim(Prim::Int), 0, false};
        }
        fail_at(t, ErrorCode::CONSTANT, "use of undeclared identifier " + quoted(name));
    }

    // Parses __builtin_offsetof(type, member.member[index]...).
    Value offsetof_value() {
        Token kw = next();
        expect("(", "after " + quoted(kw.text));
        Token tt = peek();
        const Type* t = type_name();
        expect(",", "after the type in " + quoted(kw.text));
        if (!t->is_record())
            fail_at(tt, ErrorCode::CONSTANT,
                    quoted(kw.text) + " requires a struct or union type, not " +
                        quoted(types_.to_string(t)));
        uint64_t bits = 0;
        const Type* cur = t;
        const Field* last = nullptr;
        bool first = true;
        while (true) {
            if (first || accept(".")) {
                if (!cur->is_record())
                    fail_at(peek(), ErrorCode::CONSTANT, "member access into a non-record type");
                if (!cur->record->complete)
                    fail_at(tt, ErrorCode::INCOMPLETE_TYPE,
                            "offsetof of incomplete type '" + cur->record->display_name() + "'");
                const Token& nt = peek();
                if (nt.kind != TokKind::Ident)
                    fail_at(nt, ErrorCode::PARSE, "expected a member name, found " + describe(nt));
                Token name = next();
                auto m = find_member(*cur->record, name.text);
                if (!m)
                    fail_at(name, ErrorCode::CONSTANT,
                            "no member " + quoted(name.text) + " in '" +
                                cur->record->display_name() + "'");
                bits += m->offset_bits;
                last = m->field;
                cur = m->field->type;
                first = false;
            } else if (is_punct(peek(), "[")) {
                Token op = next();
                Wide idx = integer_constant("array index");
                expect("]", "after the index");
                if (!cur->is_array())
                    fail_at(op, ErrorCode::CONSTANT, "subscript of a non-array member");
                uint64_t elem = at(op, [&] { return types_.size_of(cur->inner); });
                bits += static_cast<uint64_t>(idx) * elem * 8;
                cur = cur->inner;
                last = nullptr;
            } else {
                break;
            }
        }
        expect(")", "to close " + quoted(kw.text));
        if (last && last->is_bitfield)
            fail_at(kw, ErrorCode::CONSTANT, "offsetof of bit-field " + quoted(last->name));
        return make_int(Prim::ULong, bits / 8);
    }

    // The value and C type of an integer literal.
    Value number_value(const Token& t) {
        std::string_view s = t.text;
        unsigned base = 10;
        size_t i = 0;
        if (s.size() > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
            base = 16;
            i = 2;
        } else if (s.size() > 1 && s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
            base = 2;
            i = 2;
        } else if (s[0] == '0') {
            base = 8;
        }
        bool is_float = s.find('.') != std::string_view::npos;
        for (char c : s) {
            if (base == 16 && (c == 'p' || c == 'P')) is_float = true;
            if (base != 16 && base != 2 && (c == 'e' || c == 'E')) is_float = true;
        }
        if (is_float)
            fail_at(t, ErrorCode::CONSTANT,
                    "floating constant " + quoted(s) + " in an integer constant expression");
        uint64_t v = 0;
        bool overflow = false;
        size_t digits = 0;
        for (; i < s.size(); ++i) {
            char c = s[i];
            unsigned d;
            if (c >= '0' && c <= '9')
                d = static_cast<unsigned>(c - '0');
            else if (c >= 'a' && c <= 'f')
                d = static_cast<unsigned>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                d = static_cast<unsigned>(c - 'A' + 10);
            else
                break;
            if (base != 16 && d >= 10) break;
            if (d >= base)
                fail_at(t, ErrorCode::CONSTANT,
                        "invalid digit '" + std::string(1, c) + "' in constant " + quoted(s));
            if (v > (UINT64_MAX - d) / base) overflow = true;
            v = v * base + d;
            ++digits;
        }
        if (base != 8 && digits == 0)
            fail_at(t, ErrorCode::CONSTANT, "invalid integer constant " + quoted(s));
        if (overflow)
            fail_at(t, ErrorCode::CONSTANT, "integer constant " + quoted(s) + " is too large");
        std::string suffix;
        for (; i < s.size(); ++i) suffix += static_cast<char>(s[i] | 0x20);
        bool u = false;
        int l = 0;
        if (suffix == "u")
            u = true;
        else if (suffix == "l")
            l = 1;
        else if (suffix == "ul" || suffix == "lu")
            u = true, l = 1;
        else if (suffix == "ll")
            l = 2;
        else if (suffix == "ull" || suffix == "llu")
            u = true, l = 2;
        else if (!suffix.empty())
            fail_at(t, ErrorCode::CONSTANT,
                    "invalid suffix " + quoted(s.substr(s.size() - suffix.size())) +
                        " on integer constant");
        bool decimal = base == 10;
        std::vector<Prim> candidates;
        if (!u && l == 0) {
            candidates = {Prim::Int};
            if (!decimal) candidates.push_back(Prim::UInt);
            candidates.push_back(Prim::Long);
            if (!decimal) candidates.push_back(Prim::ULong);
        } else if (u && l == 0) {
            candidates = {Prim::UInt, Prim::ULong};
        } else if (!u && l == 1) {
            candidates = {Prim::Long};
            if (!decimal) candidates.push_back(Prim::ULong);
        } else if (u && l == 1) {
            candidates = {Prim::ULong};
        } else if (!u) {
            candidates = {Prim::LongLong};
            if (!decimal) candidates.push_back(Prim::ULongLong);
        } else {
            candidates = {Prim::ULongLong};
        }
        for (Prim p : candidates) {
            unsigned w = prim_bits(p);
            uint64_t max = prim_signed(p) ? (uint64_t(1) << (w - 1)) - 1
                                          : (w == 64 ? UINT64_MAX : (uint64_t(1) << w) - 1);
            if (v <= max) return make_int(p, v);
        }
        // Too large for any signed type: unsigned, as GCC does (with a warning).
        return make_int(l == 2 ? Prim::ULongLong : Prim::ULong, v);
    }

    // The value of a character constant ('a', '\n', '\x41', L'x', 'ab').
    Value char_value(const Token& t) {
        std::string_view s = t.text;
        size_t q = s.find('\'');
        std::string_view prefix = s.substr(0, q);
        std::string_view body = s.substr(q + 1, s.size() - q - 2);
        std::vector<uint32_t> chars;
        for (size_t i = 0; i < body.size();) {
            unsigned char c = static_cast<unsigned char>(body[i++]);
            if (c != '\\') {
                chars.push_back(c);
                continue;
            }
            if (i >= body.size()) break;
            char e = body[i++];
            uint32_t v = 0;
            switch (e) {
            case 'n': v = '\n'; break;
            case 't': v = '\t'; break;
            case 'r': v = '\r'; break;
            case 'a': v = '\a'; break;
            case 'b': v = '\b'; break;
            case 'f': v = '\f'; break;
            case 'v': v = '\v'; break;
            case 'e':
            case 'E': v = 27; break;
            case '\\':
            case '\'':
            case '"':
            case '?': v = static_cast<unsigned char>(e); break;
            case 'x': {
                size_t n = 0;
                uint64_t x = 0;
                while (i < body.size() && std::isxdigit(static_cast<unsigned char>(body[i]))) {
                    char h = body[i++];
                    x = x * 16 + static_cast<uint64_t>(h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
                    if (x > 0xffffffffu)
                        fail_at(t, ErrorCode::CONSTANT,
                                "hex escape sequence out of range in " + quoted(s));
                    ++n;
                }
                if (n == 0)
                    fail_at(t, ErrorCode::CONSTANT, "\\x used with no following hex digits");
                v = static_cast<uint32_t>(x);
                break;
            }
            default:
                if (e >= '0' && e <= '7') {
                    v = static_cast<uint32_t>(e - '0');
                    for (int k = 0; k < 2 && i < body.size() && body[i] >= '0' && body[i] <= '7';
                         ++k)
                        v = v * 8 + static_cast<uint32_t>(body[i++] - '0');
                } else {
                    fail_at(t, ErrorCode::CONSTANT,
                            "unsupported escape sequence '\\" + std::string(1, e) + "' in " +
                                quoted(s));
                }
            }
            chars.push_back(v);
        }
        if (chars.empty()) fail_at(t, ErrorCode::CONSTANT, "empty character constant");
        if (!prefix.empty()) {
            if (chars.size() != 1)
                fail_at(t, ErrorCode::CONSTANT,
                        "wide character constant " + quoted(s) + " has more than one character");
            if (prefix == "L") {
                Prim p = types_.target().wchar_signed ? Prim::Int : Prim::UInt;
                return make_int(p, chars[0]);
            }
            if (prefix == "u") return make_int(Prim::UShort, chars[0]);
            if (prefix == "U") return make_int(Prim::UInt, chars[0]);
            return make_int(Prim::UChar, chars[0]);
        }
        for (uint32_t c : chars)
            if (c > 0xff)
                fail_at(t, ErrorCode::CONSTANT, "escape sequence out of range in " + quoted(s));
        if (chars.size() == 1) return make_int(Prim::Int, convert_bits(chars[0], Prim::Char));
        uint64_t v = 0;
        for (uint32_t c : chars) v = (v << 8) | c;
        return make_int(Prim::Int, v);
    }

    TypeTable& types_;
    const Declarations& base_;
    Declarations local_;
    std::vector<Token> toks_;
    size_t pos_ = 0;
    int depth_ = 0;
    bool no_definitions_ = false;
    bool skip_unsupported_ = false;  // unsupported types skip the declaration
    bool vla_params_ = false;        // parsing a parameter's declarator
    std::vector<std::pair<std::string, const Type*>>* param_scope_ = nullptr;  // named so far
    std::optional<Token> unsupported_;        // the first unsupported type in this declaration
    std::set<std::string> skipped_typedefs_;  // typedefs skipped for an unsupported type
    std::unordered_set<const Record*> skipped_records_;  // left incomplete for the same reason
    std::vector<std::pair<Record*, Record>> saved_records_;
    std::vector<std::pair<Enum*, Enum>> saved_enums_;
    std::unordered_set<const void*> created_;     // records and enums created by this text
    std::unordered_set<const void*> fresh_;       // tags first named by the current declaration
    std::unordered_set<const Record*> defining_;  // records whose bodies are being parsed
    PendingEnum* pending_enum_ = nullptr;
};

}  // namespace

void parse_declarations(TypeTable& types, Declarations& decls, std::string_view text) {
    Parser p(types, decls, text, false);
    try {
        p.declarations();
    } catch (...) {
        p.rollback();
        throw;
    }
    p.commit(decls);
}

ParsedSignature parse_signature(TypeTable& types, const Declarations& decls,
                                std::string_view text) {
    Parser p(types, decls, text, true);
    return p.signature();
}

std::vector<SpelledType> parse_spelled_type_list(TypeTable& types, const Declarations& decls,
                                                 std::string_view text) {
    Parser p(types, decls, text, true);
    return p.type_list();
}

std::vector<const Type*> parse_type_list(TypeTable& types, const Declarations& decls,
                                         std::string_view text) {
    std::vector<const Type*> out;
    for (const SpelledType& t : parse_spelled_type_list(types, decls, text)) out.push_back(t.type);
    return out;
}

SpelledType parse_spelled_type_name(TypeTable& types, const Declarations& decls,
                                    std::string_view text) {
    Parser p(types, decls, text, true);
    return p.whole_type_name();
}

const Type* parse_type_name(TypeTable& types, const Declarations& decls, std::string_view text) {
    return parse_spelled_type_name(types, decls, text).type;
}

}  // namespace jiffi::detail

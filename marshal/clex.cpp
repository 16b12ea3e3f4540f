// The lexer of the C declaration parser: tokens, line and column tracking, line markers and
// the "#pragma" lines it honors, skips or refuses.
#include "marshal/clex.hpp"

#include <algorithm>

#include "base/messages.hpp"

namespace jiffi::detail::cparse {

std::string where(const Token& t) { return parse_msg::position(t.line, t.column); }

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

std::string describe(const Token& t) {
    if (t.kind == TokKind::End) return "end of input";
    return quoted(t.text);
}

[[noreturn]] void fail_at(const Token& t, ErrorCode code, const std::string& msg) {
    fail(code, where(t) + ": " + msg);
}

namespace {

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
        fail(code, parse_msg::position(line, column) + ": " + msg);
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

}  // namespace

std::vector<Token> tokenize(std::string_view src, bool keywords) {
    return Lexer(src, keywords).run();
}

}  // namespace jiffi::detail::cparse

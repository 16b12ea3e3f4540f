// Reading Clang's textual LLVM IR: named types, declare/call lines, normalized parameters.
#include "ir_text.hpp"

#include <cctype>
#include <sstream>
#include <stdexcept>

#include "abi/abi_util.hpp"

namespace jiffi::detail::test {

namespace {

void skip_spaces(const std::string& s, size_t& pos) {
    while (pos < s.size() && s[pos] == ' ') ++pos;
}

bool starts_at(const std::string& s, size_t pos, const char* w) {
    return s.compare(pos, std::char_traits<char>::length(w), w) == 0;
}

// Splits s at each sep outside brackets of any kind; pieces as they stand between separators.
std::vector<std::string> split_outside_brackets(const std::string& s, char sep) {
    std::vector<std::string> out(1);
    int depth = 0;
    for (char c : s) {
        if (c == '(' || c == '[' || c == '{' || c == '<') ++depth;
        if (c == ')' || c == ']' || c == '}' || c == '>') --depth;
        if (c == sep && depth == 0) out.emplace_back();
        else out.back() += c;
    }
    return out;
}

// Splits s at commas outside brackets, each piece trimmed of spaces ("" gives no pieces).
std::vector<std::string> split_top(const std::string& s) {
    std::vector<std::string> out = split_outside_brackets(s, ',');
    if (out.size() == 1 && out[0].find_first_not_of(' ') == std::string::npos) return {};
    for (std::string& p : out) {
        size_t a = p.find_first_not_of(' ');
        size_t e = p.find_last_not_of(' ');
        p = a == std::string::npos ? "" : p.substr(a, e - a + 1);
    }
    return out;
}

// Splits s at spaces outside brackets, dropping empty words.
std::vector<std::string> split_words(const std::string& s) {
    std::vector<std::string> out;
    for (std::string& w : split_outside_brackets(s, ' '))
        if (!w.empty()) out.push_back(std::move(w));
    return out;
}

// The index just past the bracket that closes the one at open.
size_t match_close(const std::string& s, size_t open) {
    int depth = 0;
    for (size_t i = open; i < s.size(); ++i) {
        char c = s[i];
        if (c == '(' || c == '[' || c == '{' || c == '<') ++depth;
        if (c == ')' || c == ']' || c == '}' || c == '>') {
            if (--depth == 0) return i + 1;
        }
    }
    throw std::runtime_error("unbalanced brackets in: " + s);
}

bool is_attr_word(const std::string& w) {
    return w == "noundef" || w == "signext" || w == "zeroext" || w == "inreg" ||
           w == "noalias" || w == "nonnull" || w == "dso_local" || w == "dead_on_unwind" ||
           w == "writable" || w == "nocapture" || w == "readonly" || w == "writeonly";
}

// True for attributes that say nothing about how a value is passed.
bool is_dropped_attr(const std::string& w) {
    return w == "dead_on_unwind" || w == "noalias" || w == "writable" || w == "nocapture" ||
           w == "nonnull" || w == "readonly" || w == "writeonly" || w == "dso_local" ||
           w.rfind("dereferenceable", 0) == 0;
}

}  // namespace

IrType parse_ir_type(const std::string& s, size_t& pos, const std::map<std::string, std::string>& named) {
    skip_spaces(s, pos);
    auto expect = [&](char c) {
        skip_spaces(s, pos);
        if (pos >= s.size() || s[pos] != c)
            throw std::runtime_error(std::string("expected '") + c + "' in IR type: " + s);
        ++pos;
    };
    auto number = [&] {
        skip_spaces(s, pos);
        size_t b = pos;
        while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) ++pos;
        if (b == pos) throw std::runtime_error("expected a number in IR type: " + s);
        return uint32_t(std::stoul(s.substr(b, pos - b)));
    };
    auto members = [&](char close) {
        std::vector<IrType> ms;
        skip_spaces(s, pos);
        if (s[pos] == close) {
            ++pos;
            return ms;
        }
        for (;;) {
            ms.push_back(parse_ir_type(s, pos, named));
            skip_spaces(s, pos);
            if (s[pos] == ',') {
                ++pos;
                continue;
            }
            expect(close);
            return ms;
        }
    };
    if (starts_at(s, pos, "<{")) {
        pos += 2;
        IrType t = IrType::structure(members('}'));
        expect('>');
        t.packed = true;
        return t;
    }
    if (s[pos] == '{') {
        ++pos;
        return IrType::structure(members('}'));
    }
    if (s[pos] == '<' || s[pos] == '[') {
        bool vec = s[pos] == '<';
        ++pos;
        uint32_t n = number();
        skip_spaces(s, pos);
        if (s[pos] != 'x') throw std::runtime_error("expected 'x' in IR type: " + s);
        ++pos;
        IrType e = parse_ir_type(s, pos, named);
        expect(vec ? '>' : ']');
        return vec ? IrType::vector(e, n) : IrType::array(e, n);
    }
    if (s[pos] == '%') {
        size_t b = pos++;
        while (pos < s.size() && (std::isalnum(static_cast<unsigned char>(s[pos])) || s[pos] == '.' ||
                                  s[pos] == '_' || s[pos] == '$' || s[pos] == '-'))
            ++pos;
        std::string name = s.substr(b, pos - b);
        auto it = named.find(name);
        if (it == named.end()) throw std::runtime_error("unknown named IR type " + name);
        size_t p2 = 0;
        return parse_ir_type(it->second, p2, named);
    }
    if (s[pos] == 'i' && pos + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[pos + 1]))) {
        ++pos;
        return IrType::int_bits(number());
    }
    static const std::pair<const char*, IrType (*)()> words[] = {
        {"float", IrType::f32},     {"double", IrType::f64},    {"x86_fp80", IrType::x86_fp80},
        {"fp128", IrType::fp128},   {"ptr", IrType::ptr},
    };
    for (const auto& [w, make] : words) {
        if (starts_at(s, pos, w)) {
            pos += std::char_traits<char>::length(w);
            return make();
        }
    }
    if (starts_at(s, pos, "void")) {
        pos += 4;
        return IrType{};
    }
    throw std::runtime_error("unknown IR type at '" + s.substr(pos) + "'");
}

std::string normalize_param(const std::string& p, const std::map<std::string, std::string>& named,
                            bool has_value) {
    size_t pos = 0;
    IrType t = parse_ir_type(p, pos, named);
    std::vector<std::string> words = split_words(p.substr(pos));
    if (has_value && !words.empty()) words.pop_back();
    std::string out = t.text();
    for (const std::string& w : words) {
        if (is_dropped_attr(w)) continue;
        for (const char* pre : {"byval(", "sret("}) {
            if (w.rfind(pre, 0) == 0) {
                size_t q = std::char_traits<char>::length(pre);
                std::string inner = w.substr(q, w.size() - q - 1);
                size_t p2 = 0;
                IrType pt = parse_ir_type(inner, p2, named);
                out += " " + std::string(pre) + std::to_string(abi::ir_alloc_size(pt)) + ")";
                goto next;
            }
        }
        out += " " + w;
    next:;
    }
    return out;
}

namespace {

// Normalizes a return "attrs... type".
std::string normalize_return(const std::string& r, const std::map<std::string, std::string>& named) {
    std::vector<std::string> words = split_words(r);
    std::string attrs;
    size_t i = 0;
    while (i < words.size() && is_attr_word(words[i])) {
        if (!is_dropped_attr(words[i]) && words[i] != "noundef") attrs += words[i] + " ";
        ++i;
    }
    std::string rest;
    for (size_t k = i; k < words.size(); ++k) rest += (k > i ? " " : "") + words[k];
    size_t pos = 0;
    return attrs + parse_ir_type(rest, pos, named).text();
}

}  // namespace

IrModule IrModule::parse(const std::string& text) {
    IrModule m;
    std::istringstream in(text);
    std::string line;
    std::vector<std::string> declare_lines, call_lines;
    while (std::getline(in, line)) {
        if (!line.empty() && line[0] == '%') {
            size_t eq = line.find(" = type ");
            if (eq == std::string::npos) continue;
            std::string body = line.substr(eq + 8);
            if (body != "opaque") m.named[line.substr(0, eq)] = body;
        } else if (line.rfind("declare ", 0) == 0) {
            declare_lines.push_back(line);
        } else if (line.find("call ") != std::string::npos && line.find(" @llvm.") == std::string::npos) {
            call_lines.push_back(line);
        }
    }
    for (const std::string& l : declare_lines) {
        size_t at = l.find('@');
        size_t open = l.find('(', at);
        std::string name = l.substr(at + 1, open - at - 1);
        size_t close = match_close(l, open);
        IrFunction f;
        f.ret = normalize_return(l.substr(8, at - 8), m.named);
        for (const std::string& p : split_top(l.substr(open + 1, close - open - 2))) {
            if (p == "...") f.variadic = true;
            else f.params.push_back(normalize_param(p, m.named, false));
        }
        m.declares[name] = f;
    }
    for (const std::string& l : call_lines) {
        size_t c = l.find("call ");
        size_t at = l.find(" @", c);
        if (at == std::string::npos) continue;
        size_t open = l.find('(', at);
        std::string name = l.substr(at + 2, open - at - 2);
        if (m.calls.count(name)) continue;
        size_t close = match_close(l, open);
        IrFunction f;
        std::string head = l.substr(c + 5, at - c - 5);
        if (!head.empty() && head.back() == ')') {
            // A variadic call names its function type: "RET (FIXED, ...)".
            size_t depth = 0, i = head.size();
            while (i-- > 0) {
                if (head[i] == ')') ++depth;
                if (head[i] == '(' && --depth == 0) break;
            }
            for (const std::string& p : split_top(head.substr(i + 1, head.size() - i - 2))) {
                if (p == "...") {
                    f.variadic = true;
                    continue;
                }
                size_t pos = 0;
                f.fixed_types.push_back(parse_ir_type(p, pos, m.named).text());
            }
            head = head.substr(0, i);
        }
        f.ret = normalize_return(head, m.named);
        for (const std::string& p : split_top(l.substr(open + 1, close - open - 2)))
            f.params.push_back(normalize_param(p, m.named, true));
        m.calls[name] = f;
    }
    return m;
}

}  // namespace jiffi::detail::test

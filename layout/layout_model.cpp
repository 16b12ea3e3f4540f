// The layout dump's JSON: jiffi's format and c2ffi's written, jiffi's read back, a JSON parser.
#include "layout/layout_model.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace jiffi::detail {

std::string DumpLocation::text() const {
    if (file.empty()) return "";
    return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

std::string DumpRecord::display() const {
    std::string kw = is_union ? "union " : "struct ";
    if (!tag.empty()) return kw + tag;
    if (!typedef_name.empty()) return kw + "<anonymous> (typedef " + typedef_name + ")";
    return kw + "<anonymous at " + loc.text() + ">";
}

std::string DumpEnumerator::text() const {
    return negative ? std::to_string(int64_t(bits)) : std::to_string(bits);
}

std::string DumpMacro::value_text() const {
    switch (kind) {
    case MacroKind::Integer:
    case MacroKind::Pointer: return negative ? std::to_string(int64_t(bits)) : std::to_string(bits);
    case MacroKind::Float: {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.17g", real);
        return buf;
    }
    case MacroKind::String: return str;
    }
    return "";
}

// ---- JSON values and parser --------------------------------------------------------------

const JsonValue* JsonValue::find(std::string_view key) const {
    for (const auto& [k, v] : members)
        if (k == key) return &v;
    return nullptr;
}

uint64_t JsonValue::u64(std::string_view key, uint64_t def) const {
    const JsonValue* v = find(key);
    if (!v || (v->kind != Kind::Number && v->kind != Kind::String)) return def;
    return std::strtoull(v->text.c_str(), nullptr, 10);
}

int64_t JsonValue::i64(std::string_view key, int64_t def) const {
    const JsonValue* v = find(key);
    if (!v || (v->kind != Kind::Number && v->kind != Kind::String)) return def;
    return std::strtoll(v->text.c_str(), nullptr, 10);
}

std::string JsonValue::str(std::string_view key) const {
    const JsonValue* v = find(key);
    return v && v->kind == Kind::String ? v->text : std::string();
}

bool JsonValue::flag(std::string_view key) const {
    const JsonValue* v = find(key);
    return v && v->kind == Kind::Bool && v->boolean;
}

namespace {

// A recursive-descent JSON parser over one text.
class JsonParser {
public:
    explicit JsonParser(std::string_view s) : s_(s) {}

    // Parses the whole text as one value.
    JsonValue run() {
        JsonValue v = value(0);
        skip_ws();
        if (pos_ != s_.size()) error("trailing characters");
        return v;
    }

private:
    [[noreturn]] void error(const char* what) const {
        throw std::runtime_error(std::string("JSON: ") + what + " at byte " + std::to_string(pos_));
    }
    void skip_ws() {
        while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\t' || s_[pos_] == '\r'))
            ++pos_;
    }
    bool eat(char c) {
        skip_ws();
        if (pos_ < s_.size() && s_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    void expect(char c) {
        if (!eat(c)) error((std::string("expected '") + c + "'").c_str());
    }

    JsonValue value(int depth) {
        if (depth > 200) error("nesting too deep");
        skip_ws();
        if (pos_ >= s_.size()) error("unexpected end");
        JsonValue v;
        char c = s_[pos_];
        if (c == '{') {
            ++pos_;
            v.kind = JsonValue::Kind::Object;
            v.members.reserve(8);
            if (eat('}')) return v;
            do {
                skip_ws();
                std::string key = string();
                expect(':');
                v.members.emplace_back(std::move(key), value(depth + 1));
            } while (eat(','));
            expect('}');
        } else if (c == '[') {
            ++pos_;
            v.kind = JsonValue::Kind::Array;
            if (eat(']')) return v;
            do v.items.push_back(value(depth + 1));
            while (eat(','));
            expect(']');
        } else if (c == '"') {
            v.kind = JsonValue::Kind::String;
            v.text = string();
        } else if (s_.substr(pos_, 4) == "true") {
            pos_ += 4;
            v.kind = JsonValue::Kind::Bool;
            v.boolean = true;
        } else if (s_.substr(pos_, 5) == "false") {
            pos_ += 5;
            v.kind = JsonValue::Kind::Bool;
        } else if (s_.substr(pos_, 4) == "null") {
            pos_ += 4;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t start = pos_++;
            while (pos_ < s_.size() && std::strchr("0123456789.eE+-", s_[pos_])) ++pos_;
            v.kind = JsonValue::Kind::Number;
            v.text = std::string(s_.substr(start, pos_ - start));
        } else {
            error("unexpected character");
        }
        return v;
    }

    // Parses a string literal at pos_, decoding escapes (\uXXXX to UTF-8).
    std::string string() {
        if (pos_ >= s_.size() || s_[pos_] != '"') error("expected a string");
        ++pos_;
        std::string out;
        while (true) {
            // Copies the run of plain characters up to the next quote or escape at once.
            size_t run = pos_;
            while (run < s_.size() && s_[run] != '"' && s_[run] != '\\') ++run;
            out.append(s_.data() + pos_, run - pos_);
            pos_ = run;
            if (pos_ >= s_.size()) error("unterminated string");
            char c = s_[pos_++];
            if (c == '"') break;
            if (c != '\\') {
                out += c;
                continue;
            }
            if (pos_ >= s_.size()) error("unterminated escape");
            char e = s_[pos_++];
            switch (e) {
            case 'n': out += '\n'; break;
            case 't': out += '\t'; break;
            case 'r': out += '\r'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'u': {
                if (pos_ + 4 > s_.size()) error("short \\u escape");
                unsigned cp = 0;
                for (size_t k = 0; k < 4; ++k) {
                    char h = s_[pos_ + k];
                    int digit = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
                                : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
                    if (digit < 0) error("bad \\u escape");
                    cp = cp * 16 + unsigned(digit);
                }
                pos_ += 4;
                if (cp < 0x100) {
                    // json_quote writes each byte outside printable ASCII as \u00XX: one byte.
                    out += char(cp);
                } else if (cp < 0x800) {
                    out += char(0xC0 | (cp >> 6));
                    out += char(0x80 | (cp & 0x3F));
                } else {
                    out += char(0xE0 | (cp >> 12));
                    out += char(0x80 | ((cp >> 6) & 0x3F));
                    out += char(0x80 | (cp & 0x3F));
                }
                break;
            }
            default: out += e; break;
            }
        }
        return out;
    }

    std::string_view s_;
    size_t pos_ = 0;
};

}  // namespace

JsonValue parse_json(std::string_view text) { return JsonParser(text).run(); }

void json_quote(std::string& out, std::string_view s) {
    out += '"';
    for (unsigned char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '\r': out += "\\r"; break;
        default:
            if (c < 0x20 || c >= 0x7f) {
                // Bytes outside printable ASCII (strings of any encoding) as \u00XX.
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            } else {
                out += char(c);
            }
        }
    }
    out += '"';
}

namespace {

// Builds one JSON object member by member ("key": value, ...).
class ObjectWriter {
public:
    explicit ObjectWriter(std::string& out) : out_(out) { out_ += '{'; }
    void key(std::string_view k) {
        if (!first_) out_ += ", ";
        first_ = false;
        json_quote(out_, k);
        out_ += ": ";
    }
    void str(std::string_view k, std::string_view v) { key(k); json_quote(out_, v); }
    void num(std::string_view k, uint64_t v) { key(k); out_ += std::to_string(v); }
    void snum(std::string_view k, int64_t v) { key(k); out_ += std::to_string(v); }
    void boolean(std::string_view k, bool v) { key(k); out_ += v ? "true" : "false"; }
    void raw(std::string_view k, std::string_view v) { key(k); out_ += v; }
    // A 64-bit integer: a JSON number when exact in a double (|v| <= 2^53), else a string.
    void big(std::string_view k, bool negative, uint64_t bits) {
        key(k);
        const uint64_t lim = uint64_t(1) << 53;
        if (negative) {
            int64_t v = int64_t(bits);
            if (v >= -int64_t(lim)) out_ += std::to_string(v);
            else json_quote(out_, std::to_string(v));
        } else if (bits <= lim) {
            out_ += std::to_string(bits);
        } else {
            json_quote(out_, std::to_string(bits));
        }
    }
    void close() { out_ += '}'; }

private:
    std::string& out_;
    bool first_ = true;
};

const char* kind_name(DumpTypeKind k) {
    switch (k) {
    case DumpTypeKind::Builtin: return "builtin";
    case DumpTypeKind::Pointer: return "pointer";
    case DumpTypeKind::Array: return "array";
    case DumpTypeKind::Record: return "record";
    case DumpTypeKind::Enum: return "enum";
    case DumpTypeKind::Typedef: return "typedef";
    case DumpTypeKind::Function: return "function";
    case DumpTypeKind::Qualified: return "qualified";
    case DumpTypeKind::Vector: return "vector";
    case DumpTypeKind::Other: return "other";
    }
    return "other";
}

DumpTypeKind kind_from(const std::string& s) {
    for (int k = 0; k <= int(DumpTypeKind::Other); ++k)
        if (s == kind_name(DumpTypeKind(k))) return DumpTypeKind(k);
    throw std::runtime_error("layout dump: unknown type kind '" + s + "'");
}

const char* macro_kind_name(MacroKind k) {
    switch (k) {
    case MacroKind::Integer: return "integer";
    case MacroKind::Float: return "float";
    case MacroKind::String: return "string";
    case MacroKind::Pointer: return "pointer";
    }
    return "integer";
}

// Writes a list of items, one per line when pretty.
template <class T, class F>
void write_list(std::string& out, const char* key, const std::vector<T>& items, bool pretty, F&& each) {
    out += pretty ? ",\n  " : ",";
    json_quote(out, key);
    out += ": [";
    for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += ",";
        if (pretty) out += "\n    ";
        each(items[i], i);
    }
    out += pretty && !items.empty() ? "\n  ]" : "]";
}

}  // namespace

std::string write_jiffi_json(const LayoutDump& d, bool pretty) {
    std::string out;
    out.reserve(256 + d.types.size() * 120 + d.records.size() * 400);
    out += "{";
    out += pretty ? "\n  " : "";
    out += "\"format\": \"jiffi-layout\", \"version\": 1";
    out += pretty ? ",\n  " : ",";
    out += "\"header\": ";
    {
        ObjectWriter w(out);
        w.str("triple", d.header.triple);
        w.num("pointer_size", d.header.pointer_size);
        w.num("long_size", d.header.long_size);
        w.num("long_double_size", d.header.long_double_size);
        w.boolean("char_signed", d.header.char_signed);
        w.str("clang_version", d.header.clang_version);
        w.key("arguments");
        out += '[';
        for (size_t i = 0; i < d.header.arguments.size(); ++i) {
            if (i) out += ", ";
            json_quote(out, d.header.arguments[i]);
        }
        out += ']';
        w.key("dependencies");
        out += '[';
        for (size_t i = 0; i < d.header.dependencies.size(); ++i) {
            if (i) out += ", ";
            json_quote(out, d.header.dependencies[i]);
        }
        out += ']';
        w.close();
    }
    write_list(out, "types", d.types, pretty, [&](const DumpType& t, size_t) {
        ObjectWriter w(out);
        w.num("id", t.id);
        w.str("kind", kind_name(t.kind));
        if (!t.name.empty()) w.str("name", t.name);
        w.str("spelling", t.spelling);
        w.boolean("complete", t.complete);
        if (t.complete) {
            w.num("size", t.size);
            w.num("align", t.align);
        }
        if (t.inner != kNoType) w.num(t.kind == DumpTypeKind::Function ? "return" : "type", t.inner);
        if (t.canonical != kNoType) w.num("canonical", t.canonical);
        if (t.kind == DumpTypeKind::Array || t.kind == DumpTypeKind::Vector) {
            w.num("count", t.count);
            if (t.flexible) w.boolean("flexible", true);
        }
        if (t.kind == DumpTypeKind::Function) {
            w.key("params");
            out += '[';
            for (size_t i = 0; i < t.params.size(); ++i) out += (i ? ", " : "") + std::to_string(t.params[i]);
            out += ']';
            w.boolean("variadic", t.variadic);
            if (!t.prototyped) w.boolean("prototyped", false);
        }
        if (t.kind == DumpTypeKind::Qualified) {
            if (t.is_const) w.boolean("const", true);
            if (t.is_volatile) w.boolean("volatile", true);
            if (t.is_restrict) w.boolean("restrict", true);
        }
        if (t.decl >= 0) w.snum(t.kind == DumpTypeKind::Record ? "record" : "enum", t.decl);
        w.close();
    });
    write_list(out, "records", d.records, pretty, [&](const DumpRecord& r, size_t i) {
        ObjectWriter w(out);
        w.num("index", i);
        w.str("kind", r.is_union ? "union" : "struct");
        w.str("tag", r.tag);
        if (!r.typedef_name.empty()) w.str("typedef", r.typedef_name);
        w.num("type", r.type);
        w.boolean("complete", r.complete);
        w.boolean("anonymous", r.anonymous);
        w.snum("parent", r.parent);
        w.num("size", r.size);
        w.num("align", r.align);
        w.boolean("packed", r.packed);
        w.num("pack", r.pack);
        w.num("align_attr", r.align_attr);
        w.boolean("flexible", r.has_flexible);
        w.str("location", r.loc.text());
        w.key("fields");
        out += '[';
        for (size_t k = 0; k < r.fields.size(); ++k) {
            const DumpField& f = r.fields[k];
            out += k ? ", " : "";
            ObjectWriter fw(out);
            fw.str("name", f.name);
            fw.num("type", f.type);
            fw.num("offset_bits", f.offset_bits);
            fw.num("offset", f.offset_bits / 8);
            fw.boolean("bitfield", f.bitfield);
            if (f.bitfield) fw.num("bit_width", f.bit_width);
            if (f.anonymous) fw.boolean("anonymous", true);
            if (f.flexible) fw.boolean("flexible", true);
            fw.close();
        }
        out += ']';
        w.key("access");
        out += '[';
        for (size_t k = 0; k < r.access.size(); ++k) {
            const DumpAccess& a = r.access[k];
            out += k ? ", " : "";
            ObjectWriter aw(out);
            aw.str("name", a.name);
            aw.key("path");
            out += '[';
            for (size_t p = 0; p < a.path.size(); ++p) out += (p ? ", " : "") + std::to_string(a.path[p]);
            out += ']';
            aw.num("offset_bits", a.offset_bits);
            aw.num("offset", a.offset_bits / 8);
            if (a.bitfield) aw.num("bit_width", a.bit_width);
            aw.close();
        }
        out += ']';
        w.close();
    });
    write_list(out, "enums", d.enums, pretty, [&](const DumpEnum& e, size_t) {
        ObjectWriter w(out);
        w.str("tag", e.tag);
        if (!e.typedef_name.empty()) w.str("typedef", e.typedef_name);
        w.num("type", e.type);
        if (e.underlying != kNoType) w.num("underlying", e.underlying);
        w.boolean("complete", e.complete);
        w.str("location", e.loc.text());
        w.key("values");
        out += '[';
        for (size_t k = 0; k < e.values.size(); ++k) {
            out += k ? ", " : "";
            ObjectWriter vw(out);
            vw.str("name", e.values[k].name);
            vw.big("value", e.values[k].negative, e.values[k].bits);
            vw.close();
        }
        out += ']';
        w.close();
    });
    write_list(out, "typedefs", d.typedefs, pretty, [&](const DumpTypedef& t, size_t) {
        ObjectWriter w(out);
        w.str("name", t.name);
        w.num("type", t.type);
        w.num("canonical", t.canonical);
        w.str("location", t.loc.text());
        w.close();
    });
    write_list(out, "functions", d.functions, pretty, [&](const DumpFunction& f, size_t) {
        ObjectWriter w(out);
        w.str("name", f.name);
        w.num("type", f.type);
        w.num("return", f.ret);
        w.key("params");
        out += '[';
        for (size_t k = 0; k < f.params.size(); ++k) {
            out += k ? ", " : "";
            ObjectWriter pw(out);
            pw.str("name", f.params[k].name);
            pw.num("type", f.params[k].type);
            pw.close();
        }
        out += ']';
        w.boolean("variadic", f.variadic);
        w.boolean("inline", f.is_inline);
        w.str("storage", f.storage);
        w.str("location", f.loc.text());
        w.close();
    });
    write_list(out, "variables", d.variables, pretty, [&](const DumpVariable& v, size_t) {
        ObjectWriter w(out);
        w.str("name", v.name);
        w.num("type", v.type);
        w.str("storage", v.storage);
        w.str("location", v.loc.text());
        w.close();
    });
    write_list(out, "macros", d.macros, pretty, [&](const DumpMacro& m, size_t) {
        ObjectWriter w(out);
        w.str("name", m.name);
        w.str("kind", macro_kind_name(m.kind));
        if (m.type != kNoType) w.num("type", m.type);
        switch (m.kind) {
        case MacroKind::Integer:
        case MacroKind::Pointer: w.big("value", m.negative, m.bits); break;
        case MacroKind::Float:
            if (std::isfinite(m.real)) w.raw("value", m.value_text());
            else w.str("value", m.value_text());
            break;
        case MacroKind::String: w.str("value", m.str); break;
        }
        w.str("definition", m.definition);
        w.str("location", m.loc.text());
        w.close();
    });
    write_list(out, "skipped", d.skipped, pretty, [&](const DumpSkipped& s, size_t) {
        ObjectWriter w(out);
        w.str("kind", s.kind);
        w.str("name", s.name);
        w.str("reason", s.reason);
        w.str("location", s.loc.text());
        w.close();
    });
    out += pretty ? "\n}\n" : "}";
    return out;
}

// ---- c2ffi ------------------------------------------------------------------------------

namespace {

// Writes the dump as c2ffi's JSON: one array of declarations, types nested inline.
class C2ffiWriter {
public:
    explicit C2ffiWriter(const LayoutDump& d) : d_(d) {}

    std::string run() {
        out_ = "[\n";
        bool first = true;
        auto sep = [&] {
            if (!first) out_ += ",\n";
            first = false;
        };
        for (size_t i = 0; i < d_.records.size(); ++i) {
            const DumpRecord& r = d_.records[i];
            if (r.tag.empty()) continue;  // untagged records are written where they are used
            sep();
            record_decl(i);
        }
        for (const DumpEnum& e : d_.enums) {
            if (e.tag.empty()) continue;
            sep();
            enum_decl(e);
        }
        for (const DumpTypedef& t : d_.typedefs) {
            sep();
            out_ += "{ \"tag\": \"typedef\", \"ns\": 0, \"name\": ";
            json_quote(out_, t.name);
            out_ += ", \"location\": ";
            json_quote(out_, t.loc.text());
            out_ += ", \"type\": ";
            type(d_.types[t.type].inner);
            out_ += " }";
        }
        for (const DumpFunction& f : d_.functions) {
            sep();
            out_ += "{ \"tag\": \"function\", \"name\": ";
            json_quote(out_, f.name);
            out_ += ", \"ns\": 0, \"location\": ";
            json_quote(out_, f.loc.text());
            out_ += std::string(", \"variadic\": ") + (f.variadic ? "true" : "false");
            out_ += std::string(", \"inline\": ") + (f.is_inline ? "true" : "false");
            out_ += ", \"storage-class\": ";
            json_quote(out_, f.storage);
            out_ += ", \"parameters\": [";
            for (size_t k = 0; k < f.params.size(); ++k) {
                out_ += k ? ", " : "";
                out_ += "{ \"tag\": \"parameter\", \"name\": ";
                json_quote(out_, f.params[k].name);
                out_ += ", \"type\": ";
                type(f.params[k].type);
                out_ += " }";
            }
            out_ += "], \"return-type\": ";
            type(f.ret);
            out_ += " }";
        }
        for (const DumpVariable& v : d_.variables) {
            sep();
            out_ += "{ \"tag\": \"extern\", \"name\": ";
            json_quote(out_, v.name);
            out_ += ", \"ns\": 0, \"location\": ";
            json_quote(out_, v.loc.text());
            out_ += ", \"type\": ";
            type(v.type);
            out_ += " }";
        }
        for (const DumpMacro& m : d_.macros) {
            sep();
            out_ += "{ \"tag\": \"const\", \"name\": ";
            json_quote(out_, m.name);
            out_ += ", \"ns\": 0, \"location\": ";
            json_quote(out_, m.loc.text());
            out_ += ", \"type\": ";
            if (m.kind == MacroKind::String) out_ += "{ \"tag\": \":pointer\", \"type\": { \"tag\": \":char\", \"bit-size\": 8, \"bit-alignment\": 8 } }";
            else type(m.type);
            out_ += ", \"value\": ";
            if (m.kind == MacroKind::String || (m.kind == MacroKind::Float && !std::isfinite(m.real)))
                json_quote(out_, m.value_text());
            else
                out_ += m.value_text();
            out_ += " }";
        }
        out_ += "\n]\n";
        return std::move(out_);
    }

private:
    // A record's declaration object (also used inline for untagged records).
    void record_decl(size_t i) {
        const DumpRecord& r = d_.records[i];
        out_ += std::string("{ \"tag\": \"") + (r.is_union ? "union" : "struct") + "\", \"ns\": 0, \"name\": ";
        json_quote(out_, r.tag);
        out_ += ", \"id\": " + std::to_string(r.tag.empty() ? i + 1 : 0) + ", \"location\": ";
        json_quote(out_, r.loc.text());
        out_ += ", \"bit-size\": " + std::to_string(r.complete ? r.size * 8 : 0) +
                ", \"bit-alignment\": " + std::to_string(r.complete ? r.align * 8 : 0) + ", \"fields\": [";
        for (size_t k = 0; k < r.fields.size(); ++k) {
            const DumpField& f = r.fields[k];
            const DumpType& t = d_.types[f.type];
            out_ += k ? ", " : "";
            out_ += "{ \"tag\": \"field\", \"name\": ";
            json_quote(out_, f.name);
            out_ += ", \"bit-offset\": " + std::to_string(f.offset_bits) + ", \"bit-size\": " +
                    std::to_string(f.bitfield ? f.bit_width : t.size * 8) + ", \"bit-alignment\": " +
                    std::to_string(t.align * 8) + ", \"type\": ";
            if (f.bitfield) {
                out_ += "{ \"tag\": \":bitfield\", \"width\": " + std::to_string(f.bit_width) + ", \"type\": ";
                type(f.type);
                out_ += " }";
            } else {
                type(f.type);
            }
            out_ += " }";
        }
        out_ += "] }";
    }

    void enum_decl(const DumpEnum& e) {
        out_ += "{ \"tag\": \"enum\", \"ns\": 0, \"name\": ";
        json_quote(out_, e.tag);
        out_ += ", \"id\": 0, \"location\": ";
        json_quote(out_, e.loc.text());
        out_ += ", \"fields\": [";
        for (size_t k = 0; k < e.values.size(); ++k) {
            out_ += k ? ", " : "";
            out_ += "{ \"tag\": \"field\", \"name\": ";
            json_quote(out_, e.values[k].name);
            out_ += ", \"value\": " + e.values[k].text() + " }";
        }
        out_ += "] }";
    }

    // The type without qualifiers (c2ffi drops them).
    const DumpType& unqualified(uint32_t id) const {
        const DumpType* t = &d_.types[id];
        while (t->kind == DumpTypeKind::Qualified) t = &d_.types[t->inner];
        return *t;
    }

    // Writes a type reference as c2ffi does.
    void type(uint32_t id) {
        if (id == kNoType) {
            out_ += "{ \"tag\": \":void\" }";
            return;
        }
        const DumpType& t = unqualified(id);
        switch (t.kind) {
        case DumpTypeKind::Builtin: {
            if (t.name == "void") {
                out_ += "{ \"tag\": \":void\" }";
                return;
            }
            std::string tag = ":" + t.name;
            for (char& c : tag)
                if (c == ' ') c = '-';
            out_ += "{ \"tag\": ";
            json_quote(out_, tag);
            out_ += ", \"bit-size\": " + std::to_string(t.size * 8) + ", \"bit-alignment\": " +
                    std::to_string(t.align * 8) + " }";
            return;
        }
        case DumpTypeKind::Typedef:
            out_ += "{ \"tag\": ";
            json_quote(out_, t.name);
            out_ += " }";
            return;
        case DumpTypeKind::Pointer: {
            const DumpType& p = unqualified(t.inner);
            if (p.kind == DumpTypeKind::Function) {
                out_ += "{ \"tag\": \":function-pointer\" }";
                return;
            }
            out_ += "{ \"tag\": \":pointer\", \"type\": ";
            type(t.inner);
            out_ += " }";
            return;
        }
        case DumpTypeKind::Array:
            out_ += "{ \"tag\": \":array\", \"type\": ";
            type(t.inner);
            out_ += ", \"size\": " + std::to_string(t.flexible ? 0 : t.count) + " }";
            return;
        case DumpTypeKind::Record: {
            const DumpRecord& r = d_.records[size_t(t.decl)];
            if (r.tag.empty()) {
                record_decl(size_t(t.decl));
                return;
            }
            out_ += std::string("{ \"tag\": \"") + (r.is_union ? ":union" : ":struct") + "\", \"name\": ";
            json_quote(out_, r.tag);
            out_ += ", \"id\": 0 }";
            return;
        }
        case DumpTypeKind::Enum: {
            const DumpEnum& e = d_.enums[size_t(t.decl)];
            if (e.tag.empty()) {
                enum_decl(e);
                return;
            }
            out_ += "{ \"tag\": \":enum\", \"name\": ";
            json_quote(out_, e.tag);
            out_ += ", \"id\": 0 }";
            return;
        }
        case DumpTypeKind::Function: out_ += "{ \"tag\": \":function\" }"; return;
        default:
            out_ += "{ \"tag\": ";
            json_quote(out_, "<unknown-type:" + t.spelling + ">");
            out_ += " }";
            return;
        }
    }

    const LayoutDump& d_;
    std::string out_;
};

DumpLocation parse_location(const std::string& s) {
    DumpLocation l;
    if (s.empty()) return l;
    size_t c2 = s.rfind(':');
    size_t c1 = c2 == std::string::npos || c2 == 0 ? std::string::npos : s.rfind(':', c2 - 1);
    if (c1 == std::string::npos) {
        l.file = s;
        return l;
    }
    l.file = s.substr(0, c1);
    l.line = uint32_t(std::strtoul(s.c_str() + c1 + 1, nullptr, 10));
    l.column = uint32_t(std::strtoul(s.c_str() + c2 + 1, nullptr, 10));
    return l;
}

// ---- Reading jiffi's format back: every value checked ---------------------------------------

// Bounds of what a dump may claim: sizes up to 1 TiB (so bit offsets never overflow) and
// alignments up to 2^30 (Clang's own limit is lower).
constexpr uint64_t kMaxSize = uint64_t(1) << 40;
constexpr uint64_t kMaxAlign = uint64_t(1) << 30;

// Throws the reader's error naming what is wrong with the dump.
[[noreturn]] void bad(const std::string& what) { throw std::runtime_error("layout dump: " + what); }

// The decimal digits text as a value at most max; throws naming what otherwise.
uint64_t parse_u64(std::string_view text, uint64_t max, const std::string& what) {
    if (text.empty()) bad(what + " is not an unsigned integer");
    uint64_t v = 0;
    for (char c : text) {
        if (c < '0' || c > '9') bad(what + " '" + std::string(text) + "' is not an unsigned integer");
        unsigned digit = unsigned(c - '0');
        if (v > (max - digit) / 10 || v * 10 + digit > max)
            bad(what + " " + std::string(text) + " is larger than " + std::to_string(max));
        v = v * 10 + digit;
    }
    return v;
}

// Member key of v as an unsigned integer at most max; def when it is missing.
uint64_t get_u64(const JsonValue& v, std::string_view key, uint64_t max, uint64_t def = 0) {
    const JsonValue* x = v.find(key);
    if (!x) return def;
    if (x->kind != JsonValue::Kind::Number) bad("'" + std::string(key) + "' is not a number");
    return parse_u64(x->text, max, "'" + std::string(key) + "'");
}

// Member key of v as a type id (not yet checked against the type count); kNoType when missing.
uint32_t get_id(const JsonValue& v, std::string_view key) {
    return uint32_t(get_u64(v, key, kNoType, kNoType));
}

// Member key of v as an index, or -1 when it is missing or -1.
int32_t get_index(const JsonValue& v, std::string_view key) {
    const JsonValue* x = v.find(key);
    if (!x || (x->kind == JsonValue::Kind::Number && x->text == "-1")) return -1;
    return int32_t(get_u64(v, key, INT32_MAX));
}

// The array member key of v; an empty array when it is missing and optional.
const JsonValue& get_array(const JsonValue& v, std::string_view key, bool optional = false) {
    static const JsonValue empty = [] {
        JsonValue e;
        e.kind = JsonValue::Kind::Array;
        return e;
    }();
    const JsonValue* x = v.find(key);
    if (!x && optional) return empty;
    if (!x || x->kind != JsonValue::Kind::Array) bad("missing array '" + std::string(key) + "'");
    return *x;
}

// The items of an array of type ids.
std::vector<uint32_t> get_ids(const JsonValue& v, std::string_view key) {
    std::vector<uint32_t> out;
    for (const JsonValue& x : get_array(v, key, true).items) {
        if (x.kind != JsonValue::Kind::Number) bad("'" + std::string(key) + "' holds a non-number");
        out.push_back(uint32_t(parse_u64(x.text, kNoType - 1, "an item of '" + std::string(key) + "'")));
    }
    return out;
}

// The items of an array of strings.
std::vector<std::string> get_strings(const JsonValue& v, std::string_view key) {
    std::vector<std::string> out;
    for (const JsonValue& x : get_array(v, key, true).items) {
        if (x.kind != JsonValue::Kind::String) bad("'" + std::string(key) + "' holds a non-string");
        out.push_back(x.text);
    }
    return out;
}

// Reads a value written by ObjectWriter::big: a 64-bit integer as a number or a string.
void read_big(const JsonValue& v, std::string_view key, bool& negative, uint64_t& bits) {
    const JsonValue* x = v.find(key);
    if (!x) bad("missing '" + std::string(key) + "'");
    if (x->kind != JsonValue::Kind::Number && x->kind != JsonValue::Kind::String)
        bad("'" + std::string(key) + "' is not an integer");
    std::string_view t = x->text;
    negative = !t.empty() && t[0] == '-';
    if (negative) {
        uint64_t magnitude = parse_u64(t.substr(1), uint64_t(1) << 63, "'" + std::string(key) + "'");
        bits = ~magnitude + 1;
    } else {
        bits = parse_u64(t, UINT64_MAX, "'" + std::string(key) + "'");
    }
}

// ---- Checking a dump against the C rules -------------------------------------------------

bool power_of_two(uint64_t v) { return v && !(v & (v - 1)); }

// Checks what a dump holds: every id in range, no cycle that C types cannot have, and sizes,
// alignments and offsets that the C rules allow; throws naming the first fault.
class DumpChecker {
public:
    explicit DumpChecker(const LayoutDump& d) : d_(d) {}

    void run() {
        const DumpHeader& h = d_.header;
        if (h.pointer_size < 1 || h.pointer_size > 16 || h.long_size < 1 || h.long_size > 16 ||
            h.long_double_size > 64)
            bad("the header's pointer_size, long_size or long_double_size is out of range");
        for (size_t i = 0; i < d_.types.size(); ++i) type(d_.types[i]);
        types_acyclic();
        // Every member's type id first: a record's checks look into the records it holds.
        for (const DumpRecord& r : d_.records)
            for (const DumpField& f : r.fields) need_id(f.type, "member '" + f.name + "' of " + r.display());
        for (size_t i = 0; i < d_.records.size(); ++i) record(i);
        records_acyclic();
        for (const DumpEnum& e : d_.enums) {
            check_id(e.type, "enum '" + e.tag + "'");
            check_id(e.underlying, "enum '" + e.tag + "'");
            if (e.underlying != kNoType && d_.types[e.underlying].kind != DumpTypeKind::Builtin)
                bad("enum '" + e.tag + "' has an underlying type that is not an integer");
        }
        for (const DumpTypedef& t : d_.typedefs) {
            need_id(t.type, "typedef '" + t.name + "'");
            need_id(t.canonical, "typedef '" + t.name + "'");
        }
        for (const DumpFunction& f : d_.functions) {
            check_id(f.type, "function '" + f.name + "'");
            check_id(f.ret, "function '" + f.name + "'");
            for (const DumpParam& p : f.params) check_id(p.type, "function '" + f.name + "'");
        }
        for (const DumpVariable& v : d_.variables) check_id(v.type, "variable '" + v.name + "'");
        for (const DumpMacro& m : d_.macros) check_id(m.type, "macro '" + m.name + "'");
    }

private:
    void check_id(uint32_t id, const std::string& who) const {
        if (id != kNoType && id >= d_.types.size())
            bad(who + " names type id " + std::to_string(id) + ", past the " + std::to_string(d_.types.size()) + " types");
    }
    void need_id(uint32_t id, const std::string& who) const {
        if (id == kNoType) bad(who + " names no type");
        check_id(id, who);
    }

    // The checks of one type node that need only its own fields and its neighbours' claims.
    void type(const DumpType& t) {
        std::string who = "type " + std::to_string(t.id) + " (" + std::string(t.spelling) + ")";
        check_id(t.inner, who);
        check_id(t.canonical, who);
        for (uint32_t p : t.params) check_id(p, who);
        if (t.complete) {
            if (!power_of_two(t.align) || t.align > kMaxAlign)
                bad(who + " has alignment " + std::to_string(t.align) + ", not a power of two up to 2^30");
            if (t.size > kMaxSize) bad(who + " has size " + std::to_string(t.size) + ", more than 2^40");
        }
        auto inner = [&]() -> const DumpType& {
            need_id(t.inner, who);
            return d_.types[t.inner];
        };
        switch (t.kind) {
        case DumpTypeKind::Pointer:
            inner();
            if (!t.complete || t.size != d_.header.pointer_size)
                bad(who + " is a pointer of size " + std::to_string(t.size) + ", not the target's " +
                    std::to_string(d_.header.pointer_size));
            break;
        case DumpTypeKind::Array: {
            const DumpType& e = inner();
            if (!e.complete) bad(who + " is an array of an incomplete type");
            if (t.flexible) {
                if (t.complete) bad(who + " is a flexible array with a size");
            } else if (!t.complete || (e.size && t.count > kMaxSize / e.size) || t.count * e.size != t.size) {
                bad(who + " is an array of " + std::to_string(t.count) + " elements of " + std::to_string(e.size) +
                    " bytes whose size is given as " + std::to_string(t.size));
            }
            break;
        }
        case DumpTypeKind::Vector: inner(); break;
        case DumpTypeKind::Function: inner(); break;
        case DumpTypeKind::Typedef:
        case DumpTypeKind::Qualified: {
            const DumpType& e = inner();
            if (t.kind == DumpTypeKind::Typedef) need_id(t.canonical, who);
            if (t.complete != e.complete || (t.complete && t.size != e.size))
                bad(who + " does not have the size of the type it names");
            break;
        }
        case DumpTypeKind::Record: {
            if (t.decl < 0 || size_t(t.decl) >= d_.records.size()) bad(who + " is a record type without its record");
            const DumpRecord& r = d_.records[size_t(t.decl)];
            if (t.complete != r.complete || (t.complete && (t.size != r.size || t.align != r.align)))
                bad(who + " does not have the size and alignment of its record");
            break;
        }
        case DumpTypeKind::Enum:
            if (t.decl < 0 || size_t(t.decl) >= d_.enums.size()) bad(who + " is an enum type without its enum");
            break;
        default: break;
        }
    }

    // The edges of the type graph that C never closes into a cycle: everything but the way
    // from a record's type to its members (pointers to records make those cycles legal).
    template <class F>
    void each_edge(const DumpType& t, F&& f) const {
        if (t.kind == DumpTypeKind::Record || t.kind == DumpTypeKind::Enum) return;
        if (t.inner != kNoType) f(t.inner);
        if (t.canonical != kNoType) f(t.canonical);
        for (uint32_t p : t.params) f(p);
    }

    // Throws when the type graph (without record members) has a cycle; iterative, so a
    // long chain cannot exhaust the stack.
    void types_acyclic() const {
        std::vector<uint8_t> state(d_.types.size(), 0);  // 0 new, 1 on the path, 2 done
        std::vector<std::pair<uint32_t, size_t>> stack;
        for (uint32_t root = 0; root < d_.types.size(); ++root) {
            if (state[root]) continue;
            stack.push_back({root, 0});
            state[root] = 1;
            while (!stack.empty()) {
                auto& [node, next] = stack.back();
                std::vector<uint32_t> out;
                each_edge(d_.types[node], [&](uint32_t to) { out.push_back(to); });
                if (next == out.size()) {
                    state[node] = 2;
                    stack.pop_back();
                    continue;
                }
                uint32_t to = out[next++];
                if (state[to] == 1) bad("type " + std::to_string(to) + " refers to itself");
                if (state[to] == 0) {
                    state[to] = 1;
                    stack.push_back({to, 0});
                }
            }
        }
    }

    // The type id without typedefs and qualifiers (the graph is acyclic when this is called).
    uint32_t strip(uint32_t id) const {
        while (d_.types[id].kind == DumpTypeKind::Typedef || d_.types[id].kind == DumpTypeKind::Qualified)
            id = d_.types[id].inner;
        return id;
    }

    // The record a member of type id holds by value (through arrays), or -1.
    int32_t held_record(uint32_t id) const {
        id = strip(id);
        while (d_.types[id].kind == DumpTypeKind::Array) id = strip(d_.types[id].inner);
        return d_.types[id].kind == DumpTypeKind::Record ? d_.types[id].decl : -1;
    }

    // The checks of record i: its layout and every member's place in it.
    void record(size_t i) {
        const DumpRecord& r = d_.records[i];
        std::string who = r.display();
        check_id(r.type, who);
        if (r.type != kNoType && (d_.types[r.type].kind != DumpTypeKind::Record || d_.types[r.type].decl != int32_t(i)))
            bad(who + " names type " + std::to_string(r.type) + ", which is not its record type");
        if (r.parent < -1 || r.parent >= int32_t(d_.records.size())) bad(who + " has no parent record " + std::to_string(r.parent));
        if (!r.complete) return;
        if (!power_of_two(r.align) || r.align > kMaxAlign)
            bad(who + " has alignment " + std::to_string(r.align) + ", not a power of two up to 2^30");
        if (r.size > kMaxSize) bad(who + " has size " + std::to_string(r.size) + ", more than 2^40");
        if (r.size % r.align) bad(who + " has size " + std::to_string(r.size) + ", not a multiple of its alignment " + std::to_string(r.align));
        for (size_t k = 0; k < r.fields.size(); ++k) {
            const DumpField& f = r.fields[k];
            std::string member = "member '" + (f.name.empty() ? std::string("<unnamed>") : f.name) + "' of " + who;
            const DumpType& ft = d_.types[f.type];
            const DumpType& bare = d_.types[strip(f.type)];
            if (f.offset_bits > r.size * 8) bad(member + " starts past the end of the record");
            if (r.is_union && f.offset_bits != 0) bad(member + " is not at offset 0 of the union");
            if (f.anonymous && bare.kind != DumpTypeKind::Record) bad(member + " is anonymous but not a record");
            if (!ft.complete) {
                if (bare.kind != DumpTypeKind::Array || !bare.flexible || k + 1 != r.fields.size() || f.bitfield)
                    bad(member + " has an incomplete type");
                if (f.offset_bits % 8) bad(member + " does not start at a byte");
                continue;
            }
            if (f.bitfield) {
                if (f.bit_width > ft.size * 8) bad(member + " is wider than its type");
                if (f.offset_bits + f.bit_width > r.size * 8) bad(member + " ends past the end of the record");
            } else {
                if (f.offset_bits % 8) bad(member + " does not start at a byte");
                if (f.offset_bits / 8 + ft.size > r.size) bad(member + " ends past the end of the record");
            }
        }
        for (const DumpAccess& a : r.access) {
            const DumpRecord* at = &r;
            for (size_t s = 0; s < a.path.size(); ++s) {
                if (a.path[s] >= at->fields.size()) bad("access '" + a.name + "' of " + who + " names no member");
                if (s + 1 == a.path.size()) break;
                int32_t inner = held_record(at->fields[a.path[s]].type);
                if (inner < 0) bad("access '" + a.name + "' of " + who + " passes through a non-record");
                at = &d_.records[size_t(inner)];
            }
        }
    }

    // Throws when a record holds itself by value, directly or through other records.
    void records_acyclic() const {
        std::vector<uint8_t> state(d_.records.size(), 0);
        std::vector<std::pair<size_t, size_t>> stack;
        for (size_t root = 0; root < d_.records.size(); ++root) {
            if (state[root]) continue;
            stack.push_back({root, 0});
            state[root] = 1;
            while (!stack.empty()) {
                auto& [node, next] = stack.back();
                const DumpRecord& r = d_.records[node];
                if (next == r.fields.size()) {
                    state[node] = 2;
                    stack.pop_back();
                    continue;
                }
                int32_t held = held_record(r.fields[next++].type);
                if (held < 0) continue;
                if (state[size_t(held)] == 1) bad(d_.records[size_t(held)].display() + " contains itself");
                if (state[size_t(held)] == 0) {
                    state[size_t(held)] = 1;
                    stack.push_back({size_t(held), 0});
                }
            }
        }
    }

    const LayoutDump& d_;
};

}  // namespace

std::string write_c2ffi_json(const LayoutDump& dump) { return C2ffiWriter(dump).run(); }

void check_layout_dump(const LayoutDump& dump) { DumpChecker(dump).run(); }

LayoutDump read_jiffi_json(std::string_view text) {
    JsonValue root = parse_json(text);
    if (root.kind != JsonValue::Kind::Object || root.str("format") != "jiffi-layout" ||
        get_u64(root, "version", UINT32_MAX) != 1)
        throw std::runtime_error("not a jiffi-layout version 1 dump");
    LayoutDump d;
    if (const JsonValue* h = root.find("header")) {
        d.header.triple = h->str("triple");
        d.header.pointer_size = uint32_t(get_u64(*h, "pointer_size", UINT32_MAX, d.header.pointer_size));
        d.header.long_size = uint32_t(get_u64(*h, "long_size", UINT32_MAX, d.header.long_size));
        d.header.long_double_size = uint32_t(get_u64(*h, "long_double_size", UINT32_MAX, d.header.long_double_size));
        d.header.char_signed = h->flag("char_signed");
        d.header.clang_version = h->str("clang_version");
        d.header.arguments = get_strings(*h, "arguments");
        d.header.dependencies = get_strings(*h, "dependencies");
    }
    for (const JsonValue& v : get_array(root, "types").items) {
        DumpType t;
        t.id = uint32_t(get_u64(v, "id", kNoType - 1));
        t.kind = kind_from(v.str("kind"));
        t.name = v.str("name");
        t.spelling = v.str("spelling");
        t.complete = v.flag("complete");
        t.size = get_u64(v, "size", UINT64_MAX);
        t.align = get_u64(v, "align", UINT64_MAX);
        t.inner = get_id(v, t.kind == DumpTypeKind::Function ? "return" : "type");
        t.canonical = get_id(v, "canonical");
        t.count = get_u64(v, "count", UINT64_MAX);
        t.flexible = v.flag("flexible");
        t.params = get_ids(v, "params");
        t.variadic = v.flag("variadic");
        t.prototyped = !v.find("prototyped") || v.flag("prototyped");
        t.is_const = v.flag("const");
        t.is_volatile = v.flag("volatile");
        t.is_restrict = v.flag("restrict");
        t.decl = get_index(v, t.kind == DumpTypeKind::Record ? "record" : "enum");
        if (t.id != d.types.size()) bad("type ids out of order");
        d.types.push_back(std::move(t));
    }
    for (const JsonValue& v : get_array(root, "records").items) {
        DumpRecord r;
        r.is_union = v.str("kind") == "union";
        r.tag = v.str("tag");
        r.typedef_name = v.str("typedef");
        r.type = get_id(v, "type");
        r.complete = v.flag("complete");
        r.anonymous = v.flag("anonymous");
        r.parent = get_index(v, "parent");
        r.size = get_u64(v, "size", UINT64_MAX);
        r.align = get_u64(v, "align", UINT64_MAX, 1);
        r.packed = v.flag("packed");
        r.pack = uint32_t(get_u64(v, "pack", UINT32_MAX));
        r.align_attr = uint32_t(get_u64(v, "align_attr", UINT32_MAX));
        r.has_flexible = v.flag("flexible");
        r.loc = parse_location(v.str("location"));
        for (const JsonValue& fv : get_array(v, "fields").items) {
            DumpField f;
            f.name = fv.str("name");
            f.type = get_id(fv, "type");
            f.offset_bits = get_u64(fv, "offset_bits", UINT64_MAX);
            f.bitfield = fv.flag("bitfield");
            f.bit_width = uint32_t(get_u64(fv, "bit_width", UINT32_MAX));
            f.anonymous = fv.flag("anonymous");
            f.flexible = fv.flag("flexible");
            r.fields.push_back(std::move(f));
        }
        for (const JsonValue& av : get_array(v, "access", true).items) {
            DumpAccess a;
            a.name = av.str("name");
            a.path = get_ids(av, "path");
            a.offset_bits = get_u64(av, "offset_bits", UINT64_MAX);
            a.bit_width = uint32_t(get_u64(av, "bit_width", UINT32_MAX));
            a.bitfield = av.find("bit_width") != nullptr;
            r.access.push_back(std::move(a));
        }
        d.records.push_back(std::move(r));
    }
    for (const JsonValue& v : get_array(root, "enums").items) {
        DumpEnum e;
        e.tag = v.str("tag");
        e.typedef_name = v.str("typedef");
        e.type = get_id(v, "type");
        e.underlying = get_id(v, "underlying");
        e.complete = v.flag("complete");
        e.loc = parse_location(v.str("location"));
        for (const JsonValue& x : get_array(v, "values").items) {
            DumpEnumerator en;
            en.name = x.str("name");
            read_big(x, "value", en.negative, en.bits);
            e.values.push_back(std::move(en));
        }
        d.enums.push_back(std::move(e));
    }
    for (const JsonValue& v : get_array(root, "typedefs").items) {
        DumpTypedef t;
        t.name = v.str("name");
        t.type = get_id(v, "type");
        t.canonical = get_id(v, "canonical");
        t.loc = parse_location(v.str("location"));
        d.typedefs.push_back(std::move(t));
    }
    for (const JsonValue& v : get_array(root, "functions").items) {
        DumpFunction f;
        f.name = v.str("name");
        f.type = get_id(v, "type");
        f.ret = get_id(v, "return");
        for (const JsonValue& p : get_array(v, "params").items) f.params.push_back({p.str("name"), get_id(p, "type")});
        f.variadic = v.flag("variadic");
        f.is_inline = v.flag("inline");
        f.storage = v.str("storage");
        f.loc = parse_location(v.str("location"));
        d.functions.push_back(std::move(f));
    }
    for (const JsonValue& v : get_array(root, "variables").items) {
        DumpVariable x;
        x.name = v.str("name");
        x.type = get_id(v, "type");
        x.storage = v.str("storage");
        x.loc = parse_location(v.str("location"));
        d.variables.push_back(std::move(x));
    }
    for (const JsonValue& v : get_array(root, "macros").items) {
        DumpMacro m;
        m.name = v.str("name");
        std::string k = v.str("kind");
        m.kind = k == "float" ? MacroKind::Float : k == "string" ? MacroKind::String
                 : k == "pointer" ? MacroKind::Pointer : MacroKind::Integer;
        m.type = get_id(v, "type");
        const JsonValue* val = v.find("value");
        if (!val) bad("macro '" + m.name + "' has no value");
        if (m.kind == MacroKind::String) m.str = val->text;
        else if (m.kind == MacroKind::Float) m.real = std::strtod(val->text.c_str(), nullptr);
        else read_big(v, "value", m.negative, m.bits);
        m.definition = v.str("definition");
        m.loc = parse_location(v.str("location"));
        d.macros.push_back(std::move(m));
    }
    for (const JsonValue& v : get_array(root, "skipped").items)
        d.skipped.push_back({v.str("kind"), v.str("name"), v.str("reason"), parse_location(v.str("location"))});
    check_layout_dump(d);
    return d;
}

// ---- Layout cache entries ----------------------------------------------------------------

std::string write_layout_cache_entry(const LayoutCacheEntry& e) {
    std::string out = std::string(kCacheMagic) + "\n" + std::to_string(e.request.size()) + "\n" + e.request + "\n";
    out += "deps " + std::to_string(e.deps.size()) + "\n";
    for (const CacheDependency& d : e.deps) {
        char hash[17];
        std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(d.hash));
        out += std::to_string(d.size) + " " + std::to_string(d.mtime_ns) + " " + hash + " " + d.path + "\n";
    }
    return out + "json\n" + e.json;
}

namespace {

// Reads a cache entry's lines from its bytes, each read bounded by what is left.
class EntryReader {
public:
    explicit EntryReader(std::string_view s) : s_(s) {}

    // The next line without its newline; throws when there is none.
    std::string_view line(const char* what) {
        size_t nl = s_.find('\n', pos_);
        if (nl == std::string_view::npos) fail(std::string("no ") + what + " line");
        std::string_view l = s_.substr(pos_, nl - pos_);
        pos_ = nl + 1;
        return l;
    }
    // The next n bytes; throws when fewer are left.
    std::string_view bytes(uint64_t n, const char* what) {
        if (n > s_.size() - pos_) fail(std::string(what) + " is longer than the entry");
        std::string_view b = s_.substr(pos_, size_t(n));
        pos_ += size_t(n);
        return b;
    }
    std::string_view rest() const { return s_.substr(pos_); }

    [[noreturn]] static void fail(const std::string& what) { throw std::runtime_error("layout cache entry: " + what); }

private:
    std::string_view s_;
    size_t pos_ = 0;
};

// The next space-separated word of line, removed from it.
std::string_view word(std::string_view& line) {
    size_t sp = line.find(' ');
    std::string_view w = line.substr(0, sp);
    line = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
    return w;
}

// One dependency line: "SIZE MTIME_NS HASH PATH".
CacheDependency dependency_line(std::string_view line) {
    CacheDependency d;
    d.size = parse_u64(word(line), UINT64_MAX, "a dependency's size");
    std::string_view mtime = word(line);
    bool negative = !mtime.empty() && mtime[0] == '-';
    uint64_t m = parse_u64(negative ? mtime.substr(1) : mtime, uint64_t(INT64_MAX), "a dependency's time");
    d.mtime_ns = negative ? -int64_t(m) : int64_t(m);
    std::string_view hash = word(line);
    if (hash.empty() || hash.size() > 16) EntryReader::fail("a dependency's hash is not 1 to 16 hex digits");
    for (char c : hash) {
        int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (digit < 0) EntryReader::fail("a dependency's hash is not hexadecimal");
        d.hash = d.hash * 16 + uint64_t(digit);
    }
    if (line.empty() || line.find('\0') != std::string_view::npos) EntryReader::fail("a dependency has no usable path");
    d.path = std::string(line);
    return d;
}

}  // namespace

LayoutCacheEntry read_layout_cache_entry(std::string_view bytes, LayoutDump* dump) {
    EntryReader in(bytes);
    if (in.line("header") != kCacheMagic) EntryReader::fail("not a jiffi-layout-cache 1 entry");
    LayoutCacheEntry e;
    uint64_t len = parse_u64(in.line("request length"), UINT64_MAX, "the request length");
    e.request = std::string(in.bytes(len, "the request"));
    if (!in.line("request end").empty()) EntryReader::fail("the request is not followed by an empty line");
    std::string_view deps = in.line("deps");
    if (word(deps) != "deps") EntryReader::fail("no deps line");
    uint64_t n = parse_u64(deps, UINT64_MAX, "the dependency count");
    // Each line is read before it is stored, so a huge count only runs out of lines.
    for (uint64_t i = 0; i < n; ++i) e.deps.push_back(dependency_line(in.line("dependency")));
    if (in.line("json") != "json") EntryReader::fail("no json line");
    e.json = std::string(in.rest());
    if (dump) *dump = read_jiffi_json(e.json);
    return e;
}

SnippetRecord find_snippet_record(std::string_view text) {
    // Skips comments and preprocessor lines, then looks for "struct|union IDENT {".
    auto ident = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    size_t i = 0, n = text.size();
    bool line_start = true;
    while (i < n) {
        char c = text[i];
        if (c == '\n') {
            line_start = true;
            ++i;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r') {
            ++i;
            continue;
        }
        if (line_start && c == '#') {
            while (i < n && text[i] != '\n') ++i;
            continue;
        }
        line_start = false;
        if (text.substr(i, 2) == "/*") {
            size_t e = text.find("*/", i + 2);
            i = e == std::string_view::npos ? n : e + 2;
            continue;
        }
        if (text.substr(i, 2) == "//") {
            while (i < n && text[i] != '\n') ++i;
            continue;
        }
        if (ident(c)) {
            size_t s = i;
            while (i < n && ident(text[i])) ++i;
            std::string_view word = text.substr(s, i - s);
            if (word == "struct" || word == "union") {
                size_t j = i;
                while (j < n && std::isspace(static_cast<unsigned char>(text[j]))) ++j;
                size_t t = j;
                while (j < n && ident(text[j])) ++j;
                if (j == t) continue;
                size_t tag_end = j;
                while (j < n && std::isspace(static_cast<unsigned char>(text[j]))) ++j;
                if (j < n && text[j] == '{')
                    return {std::string(text.substr(t, tag_end - t)), word == "union", t};
            }
            continue;
        }
        ++i;
    }
    return {};
}

}  // namespace jiffi::detail

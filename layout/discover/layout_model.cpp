// The layout dump's JSON: jiffi's format and c2ffi's written, jiffi's read back, a JSON parser.
#include "layout/discover/layout_model.hpp"

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
                unsigned cp = std::stoul(std::string(s_.substr(pos_, 4)), nullptr, 16);
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

// Reads a value written by ObjectWriter::big.
void read_big(const JsonValue& v, std::string_view key, bool& negative, uint64_t& bits) {
    const JsonValue* x = v.find(key);
    if (!x) throw std::runtime_error("layout dump: missing '" + std::string(key) + "'");
    negative = !x->text.empty() && x->text[0] == '-';
    bits = negative ? uint64_t(std::strtoll(x->text.c_str(), nullptr, 10))
                    : std::strtoull(x->text.c_str(), nullptr, 10);
}

const JsonValue& member_array(const JsonValue& root, std::string_view key) {
    const JsonValue* v = root.find(key);
    if (!v || v->kind != JsonValue::Kind::Array)
        throw std::runtime_error("layout dump: missing array '" + std::string(key) + "'");
    return *v;
}

}  // namespace

std::string write_c2ffi_json(const LayoutDump& dump) { return C2ffiWriter(dump).run(); }

LayoutDump read_jiffi_json(std::string_view text) {
    JsonValue root = parse_json(text);
    if (root.str("format") != "jiffi-layout" || root.u64("version") != 1)
        throw std::runtime_error("not a jiffi-layout version 1 dump");
    LayoutDump d;
    if (const JsonValue* h = root.find("header")) {
        d.header.triple = h->str("triple");
        d.header.pointer_size = uint32_t(h->u64("pointer_size"));
        d.header.long_size = uint32_t(h->u64("long_size"));
        d.header.long_double_size = uint32_t(h->u64("long_double_size"));
        d.header.char_signed = h->flag("char_signed");
        d.header.clang_version = h->str("clang_version");
        if (const JsonValue* a = h->find("arguments"))
            for (const JsonValue& s : a->items) d.header.arguments.push_back(s.text);
        if (const JsonValue* a = h->find("dependencies"))
            for (const JsonValue& s : a->items) d.header.dependencies.push_back(s.text);
    }
    auto id = [](const JsonValue& v, std::string_view key) {
        const JsonValue* x = v.find(key);
        return x ? uint32_t(std::strtoul(x->text.c_str(), nullptr, 10)) : kNoType;
    };
    for (const JsonValue& v : member_array(root, "types").items) {
        DumpType t;
        t.id = uint32_t(v.u64("id"));
        t.kind = kind_from(v.str("kind"));
        t.name = v.str("name");
        t.spelling = v.str("spelling");
        t.complete = v.flag("complete");
        t.size = v.u64("size");
        t.align = v.u64("align");
        t.inner = id(v, t.kind == DumpTypeKind::Function ? "return" : "type");
        t.canonical = id(v, "canonical");
        t.count = v.u64("count");
        t.flexible = v.flag("flexible");
        if (const JsonValue* p = v.find("params"))
            for (const JsonValue& x : p->items) t.params.push_back(uint32_t(std::strtoul(x.text.c_str(), nullptr, 10)));
        t.variadic = v.flag("variadic");
        t.prototyped = !v.find("prototyped") || v.flag("prototyped");
        t.is_const = v.flag("const");
        t.is_volatile = v.flag("volatile");
        t.is_restrict = v.flag("restrict");
        t.decl = int32_t(v.i64(t.kind == DumpTypeKind::Record ? "record" : "enum", -1));
        if (t.id != d.types.size()) throw std::runtime_error("layout dump: type ids out of order");
        d.types.push_back(std::move(t));
    }
    auto check_id = [&](uint32_t i) {
        if (i != kNoType && i >= d.types.size())
            throw std::runtime_error("layout dump: type id " + std::to_string(i) + " out of range");
    };
    for (const DumpType& t : d.types) {
        check_id(t.inner);
        check_id(t.canonical);
        for (uint32_t p : t.params) check_id(p);
    }
    for (const JsonValue& v : member_array(root, "records").items) {
        DumpRecord r;
        r.is_union = v.str("kind") == "union";
        r.tag = v.str("tag");
        r.typedef_name = v.str("typedef");
        r.type = id(v, "type");
        check_id(r.type);
        r.complete = v.flag("complete");
        r.anonymous = v.flag("anonymous");
        r.parent = int32_t(v.i64("parent", -1));
        r.size = v.u64("size");
        r.align = v.u64("align", 1);
        r.packed = v.flag("packed");
        r.pack = uint32_t(v.u64("pack"));
        r.align_attr = uint32_t(v.u64("align_attr"));
        r.has_flexible = v.flag("flexible");
        r.loc = parse_location(v.str("location"));
        for (const JsonValue& fv : member_array(v, "fields").items) {
            DumpField f;
            f.name = fv.str("name");
            f.type = id(fv, "type");
            check_id(f.type);
            if (f.type == kNoType) throw std::runtime_error("layout dump: field without a type");
            f.offset_bits = fv.u64("offset_bits");
            f.bitfield = fv.flag("bitfield");
            f.bit_width = uint32_t(fv.u64("bit_width"));
            f.anonymous = fv.flag("anonymous");
            f.flexible = fv.flag("flexible");
            r.fields.push_back(std::move(f));
        }
        if (const JsonValue* acc = v.find("access"))
            for (const JsonValue& av : acc->items) {
                DumpAccess a;
                a.name = av.str("name");
                if (const JsonValue* p = av.find("path"))
                    for (const JsonValue& x : p->items) a.path.push_back(uint32_t(std::strtoul(x.text.c_str(), nullptr, 10)));
                a.offset_bits = av.u64("offset_bits");
                a.bit_width = uint32_t(av.u64("bit_width"));
                a.bitfield = av.find("bit_width") != nullptr;
                r.access.push_back(std::move(a));
            }
        d.records.push_back(std::move(r));
    }
    for (const JsonValue& v : member_array(root, "enums").items) {
        DumpEnum e;
        e.tag = v.str("tag");
        e.typedef_name = v.str("typedef");
        e.type = id(v, "type");
        e.underlying = id(v, "underlying");
        check_id(e.type);
        check_id(e.underlying);
        e.complete = v.flag("complete");
        e.loc = parse_location(v.str("location"));
        for (const JsonValue& x : member_array(v, "values").items) {
            DumpEnumerator en;
            en.name = x.str("name");
            read_big(x, "value", en.negative, en.bits);
            e.values.push_back(std::move(en));
        }
        d.enums.push_back(std::move(e));
    }
    for (const JsonValue& v : member_array(root, "typedefs").items) {
        DumpTypedef t;
        t.name = v.str("name");
        t.type = id(v, "type");
        t.canonical = id(v, "canonical");
        check_id(t.type);
        check_id(t.canonical);
        t.loc = parse_location(v.str("location"));
        d.typedefs.push_back(std::move(t));
    }
    for (const JsonValue& v : member_array(root, "functions").items) {
        DumpFunction f;
        f.name = v.str("name");
        f.type = id(v, "type");
        f.ret = id(v, "return");
        check_id(f.type);
        check_id(f.ret);
        for (const JsonValue& p : member_array(v, "params").items) {
            f.params.push_back({p.str("name"), id(p, "type")});
            check_id(f.params.back().type);
        }
        f.variadic = v.flag("variadic");
        f.is_inline = v.flag("inline");
        f.storage = v.str("storage");
        f.loc = parse_location(v.str("location"));
        d.functions.push_back(std::move(f));
    }
    for (const JsonValue& v : member_array(root, "variables").items) {
        DumpVariable x;
        x.name = v.str("name");
        x.type = id(v, "type");
        check_id(x.type);
        x.storage = v.str("storage");
        x.loc = parse_location(v.str("location"));
        d.variables.push_back(std::move(x));
    }
    for (const JsonValue& v : member_array(root, "macros").items) {
        DumpMacro m;
        m.name = v.str("name");
        std::string k = v.str("kind");
        m.kind = k == "float" ? MacroKind::Float : k == "string" ? MacroKind::String
                 : k == "pointer" ? MacroKind::Pointer : MacroKind::Integer;
        m.type = id(v, "type");
        check_id(m.type);
        const JsonValue* val = v.find("value");
        if (!val) throw std::runtime_error("layout dump: macro '" + m.name + "' has no value");
        if (m.kind == MacroKind::String) m.str = val->text;
        else if (m.kind == MacroKind::Float) m.real = std::strtod(val->text.c_str(), nullptr);
        else read_big(v, "value", m.negative, m.bits);
        m.definition = v.str("definition");
        m.loc = parse_location(v.str("location"));
        d.macros.push_back(std::move(m));
    }
    for (const JsonValue& v : member_array(root, "skipped").items)
        d.skipped.push_back({v.str("kind"), v.str("name"), v.str("reason"), parse_location(v.str("location"))});
    for (const DumpType& t : d.types) {
        if (t.kind == DumpTypeKind::Record && (t.decl < 0 || size_t(t.decl) >= d.records.size()))
            throw std::runtime_error("layout dump: record type " + std::to_string(t.id) + " without its record");
        if (t.kind == DumpTypeKind::Enum && (t.decl < 0 || size_t(t.decl) >= d.enums.size()))
            throw std::runtime_error("layout dump: enum type " + std::to_string(t.id) + " without its enum");
    }
    return d;
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

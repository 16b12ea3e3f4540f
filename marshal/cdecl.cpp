// The declaration half of the C declaration parser: names and their lookups, attributes,
// declaration specifiers, records, enums, static assertions, declarators, parameter lists,
// the spellings of types as written, and file-scope declarations (typedefs, prototypes,
// variables).
#include "marshal/cdecl.hpp"

namespace jiffi::detail::cparse {

namespace {

constexpr uint32_t kMaxAlign = 1u << 28;
constexpr uint32_t kDefaultBiggestAlign = 16;  // bare aligned on x86-64 and AArch64

struct KeywordEntry {
    std::string_view keyword;
    std::string_view c_type;
};

constexpr KeywordEntry kKeywords[] = {
#define JIFFI_KEYWORD(kw, ctype) {kw, ctype},
#include "marshal/keywords.def"
#undef JIFFI_KEYWORD
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

}  // namespace

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

bool storage_word(std::string_view w) {
    return w == "typedef" || w == "extern" || w == "static" || w == "inline" || w == "__inline" ||
           w == "__inline__" || w == "_Noreturn" || w == "register" || w == "auto" ||
           w == "_Thread_local" || w == "__thread" || w == "thread_local" || w == "constexpr";
}

std::optional<uint8_t> qualifier_word(std::string_view w) {
    if (w == "const" || w == "__const" || w == "__const__") return Q_CONST;
    if (w == "volatile" || w == "__volatile" || w == "__volatile__") return Q_VOLATILE;
    // restrict and the nullability annotations do not change the ABI: dropped.
    if (w == "restrict" || w == "__restrict" || w == "__restrict__" || w == "_Nonnull" ||
        w == "_Nullable" || w == "_Null_unspecified" || w == "_Nullable_result")
        return uint8_t(0);
    return std::nullopt;
}

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

bool attribute_word(std::string_view w) { return w == "__attribute__" || w == "__attribute"; }

bool asm_word(std::string_view w) { return w == "__asm__" || w == "__asm" || w == "asm"; }

bool basic_type_word(std::string_view w) {
    static const std::unordered_set<std::string_view> words = word_set(
        "void char short int long float double signed __signed __signed__ unsigned _Bool "
        "_Complex __complex__ __complex __int128 __float128 __fp16 __bf16 _Decimal32 _Decimal64 "
        "_Decimal128 _Imaginary _BitInt __auto_type");
    return words.count(w) != 0;
}

bool float_n_word(std::string_view w) {
    return w == "_Float16" || w == "_Float32" || w == "_Float64" || w == "_Float128" ||
           w == "_Float32x" || w == "_Float64x" || w == "_Float128x";
}

bool typeof_word(std::string_view w) {
    return w == "typeof" || w == "__typeof__" || w == "__typeof" || w == "typeof_unqual" ||
           w == "__typeof_unqual__";
}

// ---- names ----

const Type* Parser::find_typedef(const std::string& name) {
    if (auto it = local_.typedefs.find(name); it != local_.typedefs.end()) return it->second;
    if (auto it = base_.typedefs.find(name); it != base_.typedefs.end()) return it->second;
    if (name == "__int128_t") return types_.prim(Prim::Int128);
    if (name == "__uint128_t") return types_.prim(Prim::UInt128);
    if (name == "bool") return types_.prim(Prim::Bool);
    if (name == "__builtin_va_list") return builtin_va_list();
    return nullptr;
}

const Tag* Parser::find_tag(const std::string& name) const {
    if (auto it = local_.tags.find(name); it != local_.tags.end()) return &it->second;
    if (auto it = base_.tags.find(name); it != base_.tags.end()) return &it->second;
    return nullptr;
}

const EnumConstant* Parser::find_constant(const std::string& name) const {
    if (auto it = local_.constants.find(name); it != local_.constants.end()) return &it->second;
    if (auto it = base_.constants.find(name); it != base_.constants.end()) return &it->second;
    return nullptr;
}

const FunctionDecl* Parser::find_function(const std::string& name) const {
    if (auto it = local_.functions.find(name); it != local_.functions.end()) return &it->second;
    if (auto it = base_.functions.find(name); it != base_.functions.end()) return &it->second;
    return nullptr;
}

const Type* Parser::find_variable(const std::string& name) const {
    if (auto it = local_.variables.find(name); it != local_.variables.end()) return it->second;
    if (auto it = base_.variables.find(name); it != base_.variables.end()) return it->second;
    return nullptr;
}

std::string Parser::ordinary_kind(const std::string& name) {
    if (local_.typedefs.count(name) || base_.typedefs.count(name)) return "a typedef";
    if (find_constant(name) || pending_constant(name)) return "an enum constant";
    if (find_function(name)) return "a function";
    if (find_variable(name)) return "a variable";
    return "";
}

const Type* Parser::builtin_va_list() {
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

const Type* Parser::keyword_type(const Token& kw, std::string* name) {
    for (const KeywordEntry& e : kKeywords) {
        if (e.keyword != kw.text) continue;
        std::vector<Token> saved = std::move(toks_);
        size_t saved_pos = pos_;
        toks_ = tokenize(e.c_type, false);
        pos_ = 0;
        const Type* t = nullptr;
        try {
            t = type_name();
        } catch (const Error& err) {
            toks_ = std::move(saved);
            pos_ = saved_pos;
            std::string msg = err.message();
            if (parse_msg::has_position(msg)) msg = msg.substr(msg.find(": ") + 2);
            fail_at(kw, err.code(), "in keyword " + quoted(kw.text) + ": " + msg);
        }
        toks_ = std::move(saved);
        pos_ = saved_pos;
        if (find_typedef(std::string(e.c_type))) *name = std::string(e.c_type);
        return t;
    }
    fail_at(kw, ErrorCode::UNKNOWN_TYPE, "unknown type keyword " + quoted(kw.text));
}

bool Parser::starts_type(size_t k) {
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

void Parser::save_record(Record* r) {
    if (created_.count(r)) return;
    for (auto& s : saved_records_)
        if (s.first == r) return;
    saved_records_.emplace_back(r, *r);
}

void Parser::save_enum(Enum* e) {
    if (created_.count(e)) return;
    for (auto& s : saved_enums_)
        if (s.first == e) return;
    saved_enums_.emplace_back(e, *e);
}

// ---- attributes ----

void Parser::trailing_attributes(AttrSet& a, bool allow_asm) {
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

void Parser::skip_balanced() {
    std::vector<Token> stack;
    do {
        const Token& t = next();
        if (t.kind == TokKind::End) {
            const Token& open = stack.back();
            fail_at(t, ErrorCode::PARSE,
                    parse_msg::unmatched(open.text == "("   ? ")"
                                         : open.text == "[" ? "]"
                                                            : "}",
                                         quoted(open.text), where(open), "end of input"));
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
                        parse_msg::unmatched(want, quoted(stack.back().text), where(stack.back()),
                                             describe(t)));
            stack.pop_back();
        }
    } while (!stack.empty());
}

uint32_t Parser::alignment_argument() {
    Token t = peek();
    Wide v = integer_constant("alignment");
    if (v <= 0 || (v & (v - 1)) != 0)
        fail_at(t, ErrorCode::CONSTANT, parse_msg::alignment_not_power_of_2(wide_to_string(v)));
    if (v > kMaxAlign)
        fail_at(t, ErrorCode::CONSTANT, parse_msg::alignment_too_large(wide_to_string(v)));
    return static_cast<uint32_t>(v);
}

void Parser::one_attribute(AttrSet& a) {
    const Token& nt = peek();
    if (nt.kind != TokKind::Ident)
        fail_at(nt, ErrorCode::PARSE, parse_msg::expected_attribute_name(describe(nt)));
    Token name_tok = next();
    std::string_view name = name_tok.text;
    if (name.size() > 4 && name.substr(0, 2) == "__" && name.substr(name.size() - 2) == "__")
        name = name.substr(2, name.size() - 4);
    if (abi_attribute(name)) {
        fail_at(name_tok, ErrorCode::NOT_AVAILABLE,
                parse_msg::abi_attribute_refused(quoted(name_tok.text)));
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

void Parser::gnu_attribute(AttrSet& a) {
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

void Parser::std_attribute(AttrSet& a) {
    next();
    next();
    while (!(is_punct(peek(), "]") && is_punct(peek(1), "]"))) {
        if (is_punct(peek(), ",")) {
            next();
            continue;
        }
        const Token& t = peek();
        if (t.kind != TokKind::Ident)
            fail_at(t, ErrorCode::PARSE, parse_msg::expected_attribute_name(describe(t)));
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
                    parse_msg::abi_attribute_refused(quoted(peek().text)));
        } else {
            if (peek().kind != TokKind::Ident)
                fail_at(peek(), ErrorCode::PARSE,
                        parse_msg::expected_attribute_name(describe(peek())));
            next();
            if (is_punct(peek(), "(")) skip_balanced();
        }
        if (!(is_punct(peek(), "]") && is_punct(peek(1), "]")))
            expect(",", "between attributes");
    }
    next();
    next();
}

void Parser::asm_label(AttrSet& a) {
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

std::string Parser::string_contents(const Token& t) {
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

void Parser::basic_type(SpecCounts& c, const Token& t) {
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
        fail_at(t, ErrorCode::INVALID_TYPE, parse_msg::cannot_combine(quoted(w)));
    }
}

void Parser::unsupported_type(const Token& t, const std::string& msg) {
    if (!skip_unsupported_) fail_at(t, ErrorCode::INVALID_TYPE, msg);
    if (!unsupported_) unsupported_ = t;
}

Specs Parser::specifiers(SpecContext ctx) {
    DepthGuard guard(*this);
    Specs s;
    s.first = peek();
    SpecCounts c;
    auto set_named = [&](const Token& t, const Type* ty) {
        c.named = ty;
        if (!c.valid())
            fail_at(t, ErrorCode::INVALID_TYPE, parse_msg::cannot_combine(quoted(t.text)));
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
            fail_at(t, ErrorCode::INVALID_TYPE, parse_msg::kAtomicUnsupported);
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
                                parse_msg::alignment_not_power_of_2(wide_to_string(n)));
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
            if (c.any()) fail_at(kw, ErrorCode::INVALID_TYPE, parse_msg::cannot_combine(quoted(w)));
            set_named(kw, record_specifier(s));
        } else if (w == "enum") {
            Token kw = t;
            if (c.any())
                fail_at(kw, ErrorCode::INVALID_TYPE, parse_msg::cannot_combine(quoted("enum")));
            set_named(kw, enum_specifier(s));
        } else if (typeof_word(w)) {
            Token kw = next();
            if (c.any()) fail_at(kw, ErrorCode::INVALID_TYPE, parse_msg::cannot_combine(quoted(w)));
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

const Type* Parser::typeof_specifier() {
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

const Type* Parser::record_specifier(Specs& s) {
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
                    parse_msg::expected_body_or_tag(quoted(kw.text), describe(peek())));
        s.tag_reference = true;
        return tag_reference(tag, tag_tok, is_union ? "union" : "struct");
    }
    if (no_definitions_)
        fail_at(kw, ErrorCode::PARSE,
                parse_msg::not_allowed_here(is_union ? "union definitions" : "struct definitions"));
    Record* rec = begin_record(tag, tag_tok, is_union);
    s.record_def = rec;
    record_body(rec, ra);
    return rec->type;
}

const Type* Parser::tag_reference(const std::string& tag, const Token& tag_tok,
                                  std::string_view kind) {
    if (const Tag* t = find_tag(tag)) {
        if (kind == "enum") {
            if (!t->enumeration)
                fail_at(tag_tok, ErrorCode::REDEFINITION,
                        parse_msg::tag_conflicts("enum " + tag, t->record->display_name()));
            return t->enumeration->type;
        }
        if (!t->record || t->record->is_union != (kind == "union"))
            fail_at(tag_tok, ErrorCode::REDEFINITION,
                    parse_msg::tag_conflicts(
                        std::string(kind) + " " + tag,
                        t->record ? t->record->display_name() : t->enumeration->display_name()));
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

Record* Parser::begin_record(const std::string& tag, const Token& tag_tok, bool is_union) {
    Record* rec = nullptr;
    if (!tag.empty()) {
        if (const Tag* t = find_tag(tag)) {
            std::string kind = is_union ? "union " : "struct ";
            if (!t->record || t->record->is_union != is_union)
                fail_at(tag_tok, ErrorCode::REDEFINITION,
                        parse_msg::wrong_kind_of_tag(kind + tag,
                                                     t->record ? t->record->display_name()
                                                               : t->enumeration->display_name()));
            rec = t->record;
            if (defining_.count(rec))
                fail_at(tag_tok, ErrorCode::REDEFINITION,
                        "nested " + parse_msg::redefinition_of(rec->display_name()));
            if (rec->complete)
                fail_at(tag_tok, ErrorCode::REDEFINITION,
                        parse_msg::redefinition_of(rec->display_name()));
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

void Parser::add_member_names(const Field& f, std::set<std::string>& names, const Token& tok,
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

void Parser::fail_incomplete(const Token& tok, const std::string& what, const Type* t,
                             bool unknown_if_new, const std::string* shown) {
    std::string name = shown ? *shown : types_.to_string(t);
    const Type* base = t;
    while (base->is_array()) base = base->inner;
    const void* key = base->kind == TypeKind::Record ? static_cast<const void*>(base->record)
                      : base->kind == TypeKind::Enum
                          ? static_cast<const void*>(base->enumeration)
                          : nullptr;
    if (key && unknown_if_new && fresh_.count(key))
        fail_at(tok, ErrorCode::UNKNOWN_TYPE, what + " unknown type " + quoted(name));
    fail_at(tok, ErrorCode::INCOMPLETE_TYPE, parse_msg::incomplete(what, quoted(name)));
}

void Parser::record_body(Record* rec, const AttrSet& before) {
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
            fail_at(
                field_toks[i], ErrorCode::INVALID_TYPE,
                parse_msg::flexible_array_not_last(quoted(fields[i].name), rec->display_name()));
    }
    if (!fields.empty() && fields.back().type->is_array() && fields.back().type->flexible) {
        bool other_named = false;
        for (size_t i = 0; i + 1 < fields.size(); ++i)
            if (!fields[i].name.empty() || fields[i].anonymous) other_named = true;
        if (!other_named && !rec->is_union)
            fail_at(field_toks.back(), ErrorCode::INVALID_TYPE,
                    parse_msg::flexible_array_alone(quoted(fields.back().name)));
    }
    rec->fields = std::move(fields);
    rec->packed = after.packed;
    rec->align_attr = after.aligned;
    rec->pack = lbrace.pack;
    at(rbrace, [&] { types_.complete_record(*rec); });
    defining_.erase(rec);
}

void Parser::bit_field(Field& f, const std::string& what, Wide width, const Token& width_tok) {
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

void Parser::member_type_check(const Field& f, const std::string& what, const Token& tok) {
    const Type* t = f.type;
    if (t->is_function())
        fail_at(tok, ErrorCode::INVALID_TYPE, what + " declared as a function");
    if (t->is_void()) fail_at(tok, ErrorCode::INVALID_TYPE, parse_msg::has_void_type(what));
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

const Type* Parser::enum_specifier(Specs& s) {
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
                    parse_msg::expected_body_or_tag(quoted("enum"), describe(peek())));
        s.tag_reference = true;
        const Type* t = tag_reference(tag, tag_tok, "enum");
        if (fixed) {
            Enum* e = t->enumeration;
            if (e->complete && (!e->fixed_underlying || e->underlying != *fixed))
                fail_at(tag_tok, ErrorCode::REDEFINITION,
                        parse_msg::different_underlying_type(tag, "redeclared"));
            if (!e->complete) {
                if (no_definitions_)
                    fail_at(tag_tok, ErrorCode::PARSE,
                            parse_msg::not_allowed_here("enum declarations"));
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
        fail_at(kw, ErrorCode::PARSE, parse_msg::not_allowed_here("enum definitions"));
    Enum* e = nullptr;
    if (!tag.empty()) {
        if (const Tag* t = find_tag(tag)) {
            if (!t->enumeration)
                fail_at(tag_tok, ErrorCode::REDEFINITION,
                        parse_msg::wrong_kind_of_tag("enum " + tag, t->record->display_name()));
            e = t->enumeration;
            bool forward_fixed = e->complete && e->fixed_underlying && e->values.empty();
            if (e->complete && !forward_fixed)
                fail_at(tag_tok, ErrorCode::REDEFINITION,
                        parse_msg::redefinition_of("enum " + tag));
            if (forward_fixed && (!fixed || *fixed != e->underlying))
                fail_at(tag_tok, ErrorCode::REDEFINITION,
                        parse_msg::different_underlying_type(tag, "redefined"));
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

void Parser::enum_body(Enum* e, AttrSet attrs, std::optional<Prim> fixed) {
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

const std::pair<std::string, Wide>* Parser::pending_constant(const std::string& name) const {
    if (!pending_enum_) return nullptr;
    auto it = pending_enum_->index.find(name);
    return it == pending_enum_->index.end() ? nullptr : &pending_enum_->values[it->second];
}

void Parser::static_assertion() {
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

Declarator Parser::declarator(NameMode mode) {
    Declarator d;
    declarator_into(d, mode);
    return d;
}

bool Parser::nested_declarator_follows(NameMode mode) {
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

void Parser::declarator_into(Declarator& d, NameMode mode) {
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
                fail_at(t, ErrorCode::INVALID_TYPE, parse_msg::kAtomicUnsupported);
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

DeclOp Parser::array_suffix(const std::string& name) {
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
            fail_at(
                op.tok, ErrorCode::CONSTANT,
                parse_msg::negative_size("array " + quoted(name), wide_to_string(wide_value(v))));
        else
            op.count = static_cast<uint64_t>(std::min<Wide>(wide_value(v), INT64_MAX >> 4));
    } else {
        Token vt = peek();
        Wide n = integer_constant("array size");
        std::string what = name.empty() ? std::string("array") : "array " + quoted(name);
        if (n < 0)
            fail_at(vt, ErrorCode::CONSTANT, parse_msg::negative_size(what, wide_to_string(n)));
        if (n > static_cast<Wide>(INT64_MAX))
            fail_at(vt, ErrorCode::CONSTANT,
                    "size of " + what + " (" + wide_to_string(n) + ") is too large");
        op.count = static_cast<uint64_t>(n);
    }
    expect("]", "after the array size");
    return op;
}

DeclOp Parser::parameter_list() {
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
                        parse_msg::has_void_type(
                            "parameter " + std::to_string(op.params.size() + 1) +
                            (pd.has_name ? " (" + quoted(pd.name) + ")" : std::string())));
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

uint8_t Parser::array_element_quals(const Specs& ps, const Declarator& pd) {
    uint8_t q = ps.quals;
    for (size_t i = 0; i + 1 < pd.ops.size(); ++i) {
        if (pd.ops[i].kind == DeclOp::Ptr)
            q = pd.ops[i].quals;
        else if (pd.ops[i].kind == DeclOp::Func)
            q = 0;
    }
    return q & (Q_CONST | Q_VOLATILE);
}

const Type* Parser::apply_mode(const Type* base, const AttrSet& a, const Declarator& d) {
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

const Type* Parser::declared_type(const Specs& s, const Declarator& d,
                                  std::vector<std::pair<const Type*, const DeclOp*>>* history,
                                  bool decays) {
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

std::vector<const DeclOp*> Parser::op_list(const Declarator& d, size_t end) {
    std::vector<const DeclOp*> ops;
    size_t n = std::min(end, d.ops.size());
    ops.reserve(n + 1);
    for (size_t i = 0; i < n; ++i) ops.push_back(&d.ops[i]);
    return ops;
}

TypeSpelling Parser::spell(const Specs& s, const AttrSet& a, const std::vector<const DeclOp*>& ops,
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

TypeSpelling Parser::parameter_spelling(const Specs& ps, const Declarator& pd, const Type* declared,
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

void Parser::structural_spellings(const Type* fn, TypeSpelling& ret,
                                  std::vector<std::string>& params) const {
    ret = types_.spelling(fn->inner);
    params.clear();
    for (const Type* p : fn->params) params.push_back(types_.to_string(p));
}

size_t Parser::derivation_depth(const Type* t) {
    size_t n = 0;
    while (n <= kMaxDerivations && t &&
           (t->kind == TypeKind::Pointer || t->kind == TypeKind::Array ||
            t->kind == TypeKind::Function)) {
        t = t->inner;
        ++n;
    }
    return n;
}

const Type* Parser::type_name() {
    Specs s = specifiers(SpecContext::TypeName);
    Declarator d = declarator(NameMode::None);
    trailing_attributes(d.attrs, false);
    return declared_type(s, d, nullptr);
}

SpelledType Parser::spelled_type_name() {
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

void Parser::check_signature_complete(const Token& tok, const Type* fn, const TypeSpelling* ret,
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

void Parser::external_declaration() {
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

void Parser::skip_initializer() {
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

void Parser::define_typedef(const Declarator& d, const Type* t) {
    if (const Type* old = find_typedef_declared(d.name)) {
        if (old == t) return;
        fail_at(d.name_tok, ErrorCode::REDEFINITION,
                "typedef " + quoted(d.name) + " redefined with a different type (" +
                    quoted(types_.to_string(old)) + " vs " + quoted(types_.to_string(t)) + ")");
    }
    std::string kind = ordinary_kind(d.name);
    if (!kind.empty())
        fail_at(d.name_tok, ErrorCode::REDEFINITION,
                parse_msg::redeclared_as(quoted(d.name), "a typedef", kind));
    local_.typedefs[d.name] = t;
}

const Type* Parser::find_typedef_declared(const std::string& name) const {
    if (auto it = local_.typedefs.find(name); it != local_.typedefs.end()) return it->second;
    if (auto it = base_.typedefs.find(name); it != base_.typedefs.end()) return it->second;
    return nullptr;
}

void Parser::define_function(const Declarator& d, FunctionDecl f) {
    const Type* t = f.type;
    if (const FunctionDecl* old = find_function(d.name)) {
        FunctionDecl merged = *old;
        bool old_empty = old->type->params.empty() && !old->type->variadic;
        bool new_empty = t->params.empty() && !t->variadic;
        if (old->type != t) {
            if (old->type->inner != t->inner || !(old_empty || new_empty))
                fail_at(
                    d.name_tok, ErrorCode::REDEFINITION,
                    parse_msg::conflicting_types(
                        quoted(d.name),
                        quoted(function_spelling(old->ret_spelling, old->param_spellings,
                                                 old->type->variadic)),
                        quoted(function_spelling(f.ret_spelling, f.param_spellings, t->variadic))));
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
                parse_msg::redeclared_as(quoted(d.name), "a function", kind));
    local_.functions[d.name] = std::move(f);
}

void Parser::define_variable(const Declarator& d, const Type* t) {
    if (const Type* old = find_variable(d.name)) {
        if (old == t) return;
        bool compatible = old->is_array() && t->is_array() && old->inner == t->inner &&
                          (old->flexible || t->flexible);
        if (!compatible)
            fail_at(d.name_tok, ErrorCode::REDEFINITION,
                    parse_msg::conflicting_types(quoted(d.name), quoted(types_.to_string(old)),
                                                 quoted(types_.to_string(t))));
        if (t->flexible) return;
        local_.variables[d.name] = t;
        return;
    }
    std::string kind = ordinary_kind(d.name);
    if (!kind.empty())
        fail_at(d.name_tok, ErrorCode::REDEFINITION,
                parse_msg::redeclared_as(quoted(d.name), "a variable", kind));
    local_.variables[d.name] = t;
}

}  // namespace jiffi::detail::cparse

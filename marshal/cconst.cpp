// The integer constant expressions of the C declaration parser: literals, enumerators,
// sizeof, _Alignof, offsetof, casts and C's operators, evaluated in the target's integer
// types with C's conversions. Arithmetic wraps in the width of its type; a literal too large
// for every type, division by zero, a shift count out of range and an evaluated 128-bit
// value are errors.
#include "marshal/cconst.hpp"

#include <algorithm>
#include <cctype>

#include "marshal/cdecl.hpp"

namespace jiffi::detail::cparse {

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

Prim unsigned_of(Prim p) {
    switch (p) {
    case Prim::Int: return Prim::UInt;
    case Prim::Long: return Prim::ULong;
    case Prim::LongLong: return Prim::ULongLong;
    case Prim::Int128: return Prim::UInt128;
    default: return p;
    }
}

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

// ---- constant expressions ----

Prim Parser::value_prim(const Value& v) const { return types_.integer_prim(v.type); }

Prim Parser::promote(Prim p) { return prim_rank(p) < prim_rank(Prim::Int) ? Prim::Int : p; }

bool Parser::prim_signed(Prim p) const {
    if (p == Prim::Char) return types_.target().char_signed;
    return prim_class(p) == PrimClass::Signed;
}

Prim Parser::common_prim(Prim a, Prim b) const {
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

uint64_t Parser::convert_bits(uint64_t bits, Prim p) const {
    if (p == Prim::Bool) return bits != 0;
    unsigned w = prim_bits(p);
    if (w >= 64) return bits;
    uint64_t mask = (uint64_t(1) << w) - 1;
    bits &= mask;
    if (prim_signed(p) && (bits >> (w - 1)) & 1) bits |= ~mask;
    return bits;
}

Wide Parser::wide_value(const Value& v) const {
    Prim p = value_prim(v);
    if (prim_signed(p)) return static_cast<Wide>(static_cast<int64_t>(v.bits));
    return static_cast<Wide>(v.bits);
}

Value Parser::make_int(Prim p, uint64_t bits) {
    return Value{types_.prim(p), convert_bits(bits, p), true};
}

void Parser::require_integer(const Value& v, const Token& op) {
    if (!v.type->is_integer())
        fail_at(op, ErrorCode::CONSTANT,
                "invalid operand of type " + quoted(types_.to_string(v.type)) + " to " +
                    quoted(op.text) + " in a constant expression");
    if (v.type->kind == TypeKind::Enum && !v.type->enumeration->complete)
        fail_at(op, ErrorCode::INCOMPLETE_TYPE,
                parse_msg::incomplete("operand of", quoted(types_.to_string(v.type))));
}

void Parser::check_width(Prim p, const Token& tok, bool eval) {
    if (eval && prim_bits(p) > 64)
        fail_at(tok, ErrorCode::CONSTANT,
                "128-bit integers are not supported in constant expressions");
}

Wide Parser::integer_constant(const char* what) {
    Token first = peek();
    Value v = conditional(true);
    if (!v.type->is_integer() || !v.constant)
        fail_at(first, ErrorCode::CONSTANT,
                std::string(what) + " is not an integer constant expression");
    return wide_value(v);
}

Value Parser::conditional(bool eval) {
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

int Parser::binary_precedence(const Token& t) {
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

Value Parser::binary(int min_prec, bool eval) {
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

Value Parser::binary_op(const Token& op, const Value& a, const Value& b, bool eval) {
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

Value Parser::unary(bool eval) {
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

const Type* Parser::operand_type(const Token& op) {
    if (is_punct(peek(), "(") && starts_type(1)) {
        next();
        const Type* t = type_name();
        expect(")", "after the type name of " + quoted(op.text));
        return t;
    }
    return unary(false).type;
}

Value Parser::cast(const Token& open, const Type* target, const Value& v, bool eval) {
    if (target->is_integer()) {
        if (target->kind == TypeKind::Enum && !target->enumeration->complete)
            fail_at(open, ErrorCode::INCOMPLETE_TYPE,
                    parse_msg::incomplete("cast to", quoted(types_.to_string(target))));
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

Value Parser::postfix(bool eval) {
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
                fail_at(mt, ErrorCode::PARSE, parse_msg::expected_member_name(describe(mt)));
            Token name = next();
            auto m = find_member(*rt->record, name.text);
            if (!m)
                fail_at(name, ErrorCode::CONSTANT,
                        parse_msg::no_member(quoted(name.text), rt->record->display_name()));
            v = Value{m->field->type, 0, false};
        } else if (is_punct(t, "(")) {
            fail_at(t, ErrorCode::CONSTANT,
                    "function calls are not allowed in a constant expression");
        } else {
            return v;
        }
    }
}

std::optional<Parser::MemberRef> Parser::find_member(const Record& rec,
                                                     std::string_view name) const {
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

Value Parser::primary(bool eval) {
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
        fail_at(t, ErrorCode::PARSE, parse_msg::expected_expression(describe(t)));
    case TokKind::End:
    case TokKind::Keyword:
        fail_at(t, ErrorCode::PARSE, parse_msg::expected_expression(describe(t)));
    case TokKind::Ident: break;
    }
    std::string name(t.text);
    if (name == "__builtin_offsetof" || name == "offsetof") return offsetof_value();
    if (name == "true" || name == "false") {
        next();
        return make_int(Prim::Int, name == "true");
    }
    if (reserved_word(name))
        fail_at(t, ErrorCode::PARSE, parse_msg::expected_expression(describe(t)));
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

Value Parser::offsetof_value() {
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
                        "offsetof of " + parse_msg::incomplete_type(cur->record->display_name()));
            const Token& nt = peek();
            if (nt.kind != TokKind::Ident)
                fail_at(nt, ErrorCode::PARSE, parse_msg::expected_member_name(describe(nt)));
            Token name = next();
            auto m = find_member(*cur->record, name.text);
            if (!m)
                fail_at(name, ErrorCode::CONSTANT,
                        parse_msg::no_member(quoted(name.text), cur->record->display_name()));
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

Value Parser::number_value(const Token& t) {
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

Value Parser::char_value(const Token& t) {
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

}  // namespace jiffi::detail::cparse

// The entry points of the C declaration parser: a whole text parsed as declarations, a
// signature, a list of type names or one type name (the lexer is clex.cpp, declarations
// cdecl.cpp, constant expressions cconst.cpp).
#include "marshal/cparse.hpp"

#include "marshal/cdecl.hpp"

namespace jiffi::detail {

namespace cparse {

void Parser::declarations() {
    while (peek().kind != TokKind::End) {
        fresh_.clear();
        external_declaration();
    }
}

void Parser::commit(Declarations& decls) {
    for (auto& [k, v] : local_.typedefs) decls.typedefs.insert_or_assign(k, v);
    for (auto& [k, v] : local_.tags) decls.tags.insert_or_assign(k, v);
    for (auto& [k, v] : local_.constants) decls.constants.insert_or_assign(k, v);
    for (auto& [k, v] : local_.functions) decls.functions.insert_or_assign(k, v);
    for (auto& [k, v] : local_.variables) decls.variables.insert_or_assign(k, v);
}

void Parser::rollback() noexcept {
    for (auto it = saved_records_.rbegin(); it != saved_records_.rend(); ++it)
        *it->first = it->second;
    for (auto it = saved_enums_.rbegin(); it != saved_enums_.rend(); ++it)
        *it->first = it->second;
}

ParsedSignature Parser::signature() {
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

std::vector<SpelledType> Parser::type_list() {
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

SpelledType Parser::whole_type_name() {
    no_definitions_ = true;
    SpelledType t = spelled_type_name();
    if (peek().kind != TokKind::End)
        fail_at(peek(), ErrorCode::PARSE,
                "expected end of type name, found " + describe(peek()));
    return t;
}

}  // namespace cparse

using cparse::Parser;

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

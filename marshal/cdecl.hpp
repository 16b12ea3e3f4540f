// The declaration half of the C declaration parser: specifiers, declarators, records, enums,
// typedefs, attributes and prototypes, and the Parser of one text that holds both halves
// (its constant-expression members are defined in cconst.cpp, its entry points in
// cparse.cpp).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "base/error.hpp"
#include "marshal/cconst.hpp"
#include "marshal/clex.hpp"
#include "marshal/cparse.hpp"
#include "marshal/decls.hpp"
#include "base/messages.hpp"
#include "marshal/type.hpp"

namespace jiffi::detail::cparse {

// Deepest nesting of specifiers, declarators and expressions (Parser::DepthGuard).
constexpr int kMaxDepth = 256;
// Most pointer, array and function derivations in one type (C requires 12): deeper types
// would make every size and completeness query (which walk the derivations) quadratic.
constexpr size_t kMaxDerivations = 256;

// The enumerators of an enum being defined, in order and by name (later values may use them).
struct PendingEnum {
    std::vector<std::pair<std::string, Wide>> values;
    std::unordered_map<std::string, size_t> index;
};

// Words that can never name a declared entity.
bool reserved_word(std::string_view w);

// Storage classes and function specifiers, which do not change a type.
bool storage_word(std::string_view w);

// The qualifier bits a word stands for, or nullopt when it is no qualifier.
std::optional<uint8_t> qualifier_word(std::string_view w);

// The attributes (GCC's and Clang's names, without surrounding underscores) that change how a
// function is called or how a record or union is laid out or passed, which jiffi refuses
// rather than ignore; the list is documented in docs/security.md.
bool abi_attribute(std::string_view w);

// The spellings of GCC's __attribute__.
bool attribute_word(std::string_view w);

// The spellings of an asm label.
bool asm_word(std::string_view w);

// The keywords that make up the C scalar types (and some types jiffi does not support).
bool basic_type_word(std::string_view w);

// The _FloatN names: types in GCC, but typedefs that glibc's headers define for Clang.
bool float_n_word(std::string_view w);

// The spellings of typeof.
bool typeof_word(std::string_view w);

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

// Parses one text; results go into an overlay of the base declarations until commit().
class Parser {
public:
    Parser(TypeTable& types, const Declarations& base, std::string_view text, bool keywords)
        : types_(types), base_(base), toks_(tokenize(text, keywords)) {}

    // Parses declarations until the end of the text.
    void declarations();

    // Copies everything the text declared into decls.
    void commit(Declarations& decls);

    // Restores the records and enums declared before this text that it changed.
    void rollback() noexcept;

    // Parses the whole text as a signature.
    ParsedSignature signature();

    // Parses the whole text as a list of type names separated by commas or, after keywords,
    // spaces.
    std::vector<SpelledType> type_list();

    // Parses the whole text as one type name.
    SpelledType whole_type_name();

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
            if (parse_msg::has_position(e.message())) throw;
            fail_at(t, e.code(), e.message());
        }
    }

    // ---- names ----

    // The type a typedef name (or a builtin one such as __int128_t) names, or null.
    const Type* find_typedef(const std::string& name);

    // The tag of that name, declared by this text or before, or null.
    const Tag* find_tag(const std::string& name) const;

    // The enum constant of that name, or null.
    const EnumConstant* find_constant(const std::string& name) const;

    // The function prototype of that name, or null.
    const FunctionDecl* find_function(const std::string& name) const;

    // The type of the variable of that name, or null.
    const Type* find_variable(const std::string& name) const;

    // What an ordinary identifier already names, as a word for messages, or "" if nothing.
    std::string ordinary_kind(const std::string& name);

    // The target's __builtin_va_list, created on first use.
    const Type* builtin_va_list();

    // Resolves a keyword token (":int") to its type by parsing its C spelling; sets *name
    // to that spelling when it is a typedef name (":size" is size_t).
    const Type* keyword_type(const Token& kw, std::string* name);

    // True when the token at offset k starts a type name.
    bool starts_type(size_t k);

    // ---- records and enums changed in place ----

    // Keeps a copy of a record declared before this text, to restore it on error.
    void save_record(Record* r);

    // Keeps a copy of an enum declared before this text, to restore it on error.
    void save_enum(Enum* e);

    // ---- attributes ----

    // Parses any run of __attribute__((...)), [[...]] and (if allow_asm) __asm__("...").
    void trailing_attributes(AttrSet& a, bool allow_asm);

    // Skips a parenthesized group starting at '(' (or '[' / '{'), balancing all brackets.
    void skip_balanced();

    // Parses the argument of aligned(N) and checks it is a power of two.
    uint32_t alignment_argument();

    // Acts on one attribute by name ("packed", "aligned", "mode"); skips the others.
    void one_attribute(AttrSet& a);

    // Parses __attribute__((a, b(...), ...)).
    void gnu_attribute(AttrSet& a);

    // Parses a C23 attribute list [[gnu::packed, deprecated("x")]].
    void std_attribute(AttrSet& a);

    // Parses __asm__("name" "parts") and records the symbol name.
    void asm_label(AttrSet& a);

    // The bytes of a string literal with simple escapes decoded.
    std::string string_contents(const Token& t);

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
    void basic_type(SpecCounts& c, const Token& t);

    // Notes a type jiffi cannot represent: a file-scope declaration using it is skipped (as
    // glibc's _Float128 functions in <math.h>); anywhere else it is an error.
    void unsupported_type(const Token& t, const std::string& msg);

    // Parses declaration specifiers: storage classes, qualifiers, attributes and the type.
    Specs specifiers(SpecContext ctx);

    // Parses typeof(type-name) or typeof(expression).
    const Type* typeof_specifier();

    // Parses "struct/union [attrs] [tag] [attrs] [{ members } [attrs]]".
    const Type* record_specifier(Specs& s);

    // The record or enum a tag names, declaring an incomplete one if the tag is new.
    const Type* tag_reference(const std::string& tag, const Token& tag_tok, std::string_view kind);

    // The record a definition fills: a new one, or the incomplete one the tag names.
    Record* begin_record(const std::string& tag, const Token& tag_tok, bool is_union);

    // Adds the names a member makes visible to names, failing on a duplicate.
    void add_member_names(const Field& f, std::set<std::string>& names, const Token& tok,
                          const Record& owner);

    // Fails with INCOMPLETE_TYPE or, if unknown_if_new and the tag was never declared before
    // this text, with UNKNOWN_TYPE.
    [[noreturn]] void fail_incomplete(const Token& tok, const std::string& what, const Type* t,
                                      bool unknown_if_new = false,
                                      const std::string* shown = nullptr);

    // Parses "{ members }" and trailing attributes, then lays the record out.
    void record_body(Record* rec, const AttrSet& before);

    // Checks a bit-field's type and width and fills its Field.
    void bit_field(Field& f, const std::string& what, Wide width, const Token& width_tok);

    // Checks that a member's type can be a member.
    void member_type_check(const Field& f, const std::string& what, const Token& tok);

    // Parses "enum [attrs] [tag] [: type] [{ enumerators } [attrs]]".
    const Type* enum_specifier(Specs& s);

    // Parses "{ A, B = expr, ... }" and trailing attributes, and chooses the underlying type.
    void enum_body(Enum* e, AttrSet attrs, std::optional<Prim> fixed);

    // The value of an enumerator of the enum being defined, if name is one.
    const std::pair<std::string, Wide>* pending_constant(const std::string& name) const;

    // Parses _Static_assert(expr[, "message"]); and fails when expr is zero.
    void static_assertion();

    // ---- declarators ----

    // Parses a declarator; name_mode says whether it must, may or must not name something.
    Declarator declarator(NameMode mode);

    // True when the '(' at the current position opens a nested declarator, not parameters.
    bool nested_declarator_follows(NameMode mode);

    // Parses one declarator level: pointers, a name or nested declarator, then suffixes.
    void declarator_into(Declarator& d, NameMode mode);

    // Parses "[N]", "[]", "[*]" or "[static const N]" of the array called name.
    DeclOp array_suffix(const std::string& name);

    // Parses a parameter list "(...)" into a Func operation with adjusted parameter types.
    DeclOp parameter_list();

    // The qualifiers of the elements of an array parameter (kept on the decayed pointer).
    static uint8_t array_element_quals(const Specs& ps, const Declarator& pd);

    // The base type after a mode attribute, which resizes an integer type.
    const Type* apply_mode(const Type* base, const AttrSet& a, const Declarator& d);

    // Builds the declared type from specifiers and declarator, checking each derivation.
    // A parameter's outermost array (decays) may have an element of unknown size (VLA).
    const Type* declared_type(const Specs& s, const Declarator& d,
                              std::vector<std::pair<const Type*, const DeclOp*>>* history,
                              bool decays = false);

    // The ops of d before index end (all of them by default), as spell takes them.
    static std::vector<const DeclOp*> op_list(const Declarator& d, size_t end = SIZE_MAX);

    // The spelling of the type that specifiers s and attributes a derive by ops (ops[0]
    // applies to the base type first), result being that type. It follows
    // TypeTable::spelling step for step, with the base as written (a typedef name) and each
    // parameter list spelled as its parameters were, so a type written without typedef names
    // spells exactly as to_string spells it. Top-level qualifiers are dropped, as types do
    // not carry them. Where a mode attribute resized the base, or the base has no name and
    // is itself derived (typeof or a keyword naming a pointer), the structural spelling.
    TypeSpelling spell(const Specs& s, const AttrSet& a, const std::vector<const DeclOp*>& ops,
                       const Type* result) const;

    // The spelling of a parameter declared with type declared and adjusted to t: an array
    // parameter is spelled as the pointer it decays to, a function parameter as a pointer
    // to it. An array type given by a typedef name has no pointer to spell by that name, so
    // it is spelled structurally.
    TypeSpelling parameter_spelling(const Specs& ps, const Declarator& pd, const Type* declared,
                                    const Type* t) const;

    // The structural spellings of function type fn's return and parameter types, for
    // signatures whose parameter list came from a typedef (no list was written).
    void structural_spellings(const Type* fn, TypeSpelling& ret,
                              std::vector<std::string>& params) const;

    // How many pointer, array and function derivations t is made of, counted up to one past
    // the limit: the walk stays bounded so each derivation costs a bounded amount of work.
    static size_t derivation_depth(const Type* t);

    // Parses a type name: specifiers and an abstract declarator.
    const Type* type_name();

    // Parses a type name with its spelling as written.
    SpelledType spelled_type_name();

    // Fails unless the return and parameter types of a signature are complete, naming a
    // type by its spelling as written when ret and params give one.
    void check_signature_complete(const Token& tok, const Type* fn, const TypeSpelling* ret,
                                  const std::vector<std::string>* params);

    // ---- external declarations ----

    // Parses one declaration at file scope (or a skipped function definition).
    void external_declaration();

    // Skips an initializer up to the ',' or ';' that ends it.
    void skip_initializer();

    // Records a typedef, allowing a repeat with the same type.
    void define_typedef(const Declarator& d, const Type* t);

    // The type of a typedef declared by this text or before (no builtin names), or null.
    const Type* find_typedef_declared(const std::string& name) const;

    // Records function prototype f (named by d); a repeat must agree (an empty "()" list
    // agrees with any). A repeat keeps the first names and spellings unless it gives the
    // parameter list the first one lacked.
    void define_function(const Declarator& d, FunctionDecl f);

    // Records an object declaration; a repeat must agree (an array may gain its size).
    void define_variable(const Declarator& d, const Type* t);

    // ---- constant expressions ----

    // The integer type an integer value computes in (an enum's underlying type).
    Prim value_prim(const Value& v) const;

    // The integer promotion of an integer type.
    static Prim promote(Prim p);

    // True for a signed integer type of this target (plain char included when signed).
    bool prim_signed(Prim p) const;

    // The common type of the usual arithmetic conversions of two integer types.
    Prim common_prim(Prim a, Prim b) const;

    // Converts bits to the representation of type p (truncate, then sign- or zero-extend).
    uint64_t convert_bits(uint64_t bits, Prim p) const;

    // The mathematical value of an integer constant.
    Wide wide_value(const Value& v) const;

    // An integer constant of type p.
    Value make_int(Prim p, uint64_t bits);

    // Fails unless v is an integer value (constant or not) usable as an operand.
    void require_integer(const Value& v, const Token& op);

    // Fails when an evaluated 128-bit integer is used (they are not supported here).
    void check_width(Prim p, const Token& tok, bool eval);

    // Parses an integer constant expression and returns its value.
    Wide integer_constant(const char* what);

    // conditional-expression: logical-or [? expression : conditional-expression]
    Value conditional(bool eval);

    // The precedence of a binary operator token (higher binds tighter), 0 for others.
    static int binary_precedence(const Token& t);

    // Binary operators by precedence climbing, with && and || short-circuiting evaluation.
    Value binary(int min_prec, bool eval);

    // Applies one binary operator with C's conversions in the target's integer types.
    Value binary_op(const Token& op, const Value& a, const Value& b, bool eval);

    // Unary operators, casts, sizeof, _Alignof and postfix operators.
    Value unary(bool eval);

    // The type operand of sizeof or _Alignof: "(type-name)" or a unary expression.
    const Type* operand_type(const Token& op);

    // Converts v to the cast's target type.
    Value cast(const Token& open, const Type* target, const Value& v, bool eval);

    // Postfix operators on a primary expression: [index], .member, ->member.
    Value postfix(bool eval);

    // A member found by name and its bit offset from the start of the record searched.
    struct MemberRef {
        const Field* field;
        uint64_t offset_bits;
    };

    // Finds a member by name, looking into anonymous members; offsets are from rec's start.
    std::optional<MemberRef> find_member(const Record& rec, std::string_view name) const;

    // Primary expressions: literals, identifiers, parentheses and __builtin_offsetof.
    Value primary(bool eval);

    // Parses __builtin_offsetof(type, member.member[index]...).
    Value offsetof_value();

    // The value and C type of an integer literal.
    Value number_value(const Token& t);

    // The value of a character constant ('a', '\n', '\x41', L'x', 'ab').
    Value char_value(const Token& t);

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

}  // namespace jiffi::detail::cparse

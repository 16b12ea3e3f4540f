// The messages written in more than one place, one definition each, so that a fault reads
// the same wherever it is found and a change of wording is made once (tests check the texts).
// Two parts: the runtime's (namespace messages) and those of the C declaration parser and
// the type table (namespace parse_msg), whose arguments named quoted_* arrive already quoted
// (cparse::quoted), the others as they are.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace jiffi::detail::messages {

// A variadic prototype given where a call-site signature is needed: of what it was given for
// ("" for nothing more), and what the call-site signature is needed for.
inline std::string variadic_prototype(const std::string& sig_text, const std::string& of = "",
                                      const char* needed_for = "to call it") {
    return "signature '" + sig_text + "'" + (of.empty() ? "" : " of " + of) +
           " is a variadic prototype: make a call-site signature with jiffi_signature_vararg " + needed_for;
}

// The stderr line, a printf format taking the signature text and the callback's address,
// of a released callback called (the process then aborts).
inline constexpr const char* kReleasedCallbackCalled =
    "jiffi: a released callback was called: '%s' (callback %p); aborting\n";

// Why the JIT cannot make callbacks on this host.
inline constexpr const char* kNoTrampolineCode = "JIT callbacks have no trampoline code for this host";

// libffi refused to make a closure for a signature.
inline std::string libffi_no_closure(const std::string& sig_text) {
    return "libffi cannot make a closure for '" + sig_text + "'";
}

// Why a stub was never compiled: the process began to exit first.
inline constexpr const char* kProcessExiting = "the process is exiting";

// The JIFFI_LOG line of a layout cache entry not used, and why.
inline std::string layout_cache_ignoring(const std::string& file, const std::string& why) {
    return "layout cache: ignoring '" + file + "': " + why;
}

// The start of a define-c-struct-auto error about the request for name ("... 'name': why").
inline std::string auto_record_request(const std::string& name) { return "define-c-struct-auto '" + name + "': "; }

// The start of a define-c-struct-auto error about the type name found ("... 'name' is ...").
inline std::string auto_record_type(const std::string& name) { return "define-c-struct-auto: '" + name + "' "; }

}  // namespace jiffi::detail::messages

namespace jiffi::detail::parse_msg {

// "line L, column C": where every parser message starts ("line L, column C: ...").
inline std::string position(uint32_t line, uint32_t column) {
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

// True when message already starts with a position.
inline bool has_position(const std::string& message) { return message.rfind("line ", 0) == 0; }

// "incomplete type 'NAME'".
inline std::string incomplete_type(std::string_view name) {
    return "incomplete type '" + std::string(name) + "'";
}

// "WHAT incomplete type 'T'" ("array element has incomplete type 'struct s'").
inline std::string incomplete(std::string_view what, std::string_view quoted_type) {
    return std::string(what) + " incomplete type " + std::string(quoted_type);
}

// "SUBJECT has type 'void'".
inline std::string has_void_type(std::string_view subject) {
    return std::string(subject) + " has type 'void'";
}

// "cannot combine 'W' with the previous type specifiers".
inline std::string cannot_combine(std::string_view quoted_word) {
    return "cannot combine " + std::string(quoted_word) + " with the previous type specifiers";
}

// The refusal of an _Atomic type.
inline constexpr char kAtomicUnsupported[] = "'_Atomic' types are not supported";

// "requested alignment N is not a positive power of 2".
inline std::string alignment_not_power_of_2(std::string_view value) {
    return "requested alignment " + std::string(value) + " is not a positive power of 2";
}

// "requested alignment N is too large".
inline std::string alignment_too_large(std::string_view value) {
    return "requested alignment " + std::string(value) + " is too large";
}

// "flexible array member 'M' is not at the end of 'struct s'".
inline std::string flexible_array_not_last(std::string_view quoted_member,
                                           std::string_view record) {
    return "flexible array member " + std::string(quoted_member) + " is not at the end of '" +
           std::string(record) + "'";
}

// "flexible array member 'M' in a struct with no named members".
inline std::string flexible_array_alone(std::string_view quoted_member) {
    return "flexible array member " + std::string(quoted_member) +
           " in a struct with no named members";
}

// "size of WHAT is negative (N)".
inline std::string negative_size(std::string_view what, std::string_view value) {
    return "size of " + std::string(what) + " is negative (" + std::string(value) + ")";
}

// "expected an expression, found FOUND" (FOUND: a quoted token or "end of input").
inline std::string expected_expression(std::string_view found) {
    return "expected an expression, found " + std::string(found);
}

// "expected an attribute name, found FOUND".
inline std::string expected_attribute_name(std::string_view found) {
    return "expected an attribute name, found " + std::string(found);
}

// "expected a member name, found FOUND".
inline std::string expected_member_name(std::string_view found) {
    return "expected a member name, found " + std::string(found);
}

// "expected '{' or a tag name after 'struct', found FOUND".
inline std::string expected_body_or_tag(std::string_view quoted_keyword, std::string_view found) {
    return "expected '{' or a tag name after " + std::string(quoted_keyword) + ", found " +
           std::string(found);
}

// "expected ')' to match '(' at line L, column C, found FOUND".
inline std::string unmatched(std::string_view closer, std::string_view quoted_opener,
                             std::string_view opener_position, std::string_view found) {
    return "expected '" + std::string(closer) + "' to match " + std::string(quoted_opener) +
           " at " + std::string(opener_position) + ", found " + std::string(found);
}

// "attribute 'A' changes the calling convention or layout, which jiffi does not support: ...".
inline std::string abi_attribute_refused(std::string_view quoted_attribute) {
    return "attribute " + std::string(quoted_attribute) +
           " changes the calling convention or layout, which jiffi does not support: declare "
           "the function without it";
}

// "no member 'M' in 'struct s'".
inline std::string no_member(std::string_view quoted_member, std::string_view record) {
    return "no member " + std::string(quoted_member) + " in '" + std::string(record) + "'";
}

// "WHAT are not allowed here (declare them with jiffi_cdef)" ("enum definitions").
inline std::string not_allowed_here(std::string_view what) {
    return std::string(what) + " are not allowed here (declare them with jiffi_cdef)";
}

// "redefinition of 'NAME'".
inline std::string redefinition_of(std::string_view name) {
    return "redefinition of '" + std::string(name) + "'";
}

// "'TAG' defined as the wrong kind of tag (previously 'PREVIOUS')" (TAG: "struct s").
inline std::string wrong_kind_of_tag(std::string_view tag, std::string_view previous) {
    return "'" + std::string(tag) + "' defined as the wrong kind of tag (previously '" +
           std::string(previous) + "')";
}

// "'TAG' conflicts with 'PREVIOUS'" (TAG: "enum e").
inline std::string tag_conflicts(std::string_view tag, std::string_view previous) {
    return "'" + std::string(tag) + "' conflicts with '" + std::string(previous) + "'";
}

// "'enum TAG' VERB with a different underlying type" (VERB: "redeclared", "redefined").
inline std::string different_underlying_type(std::string_view tag, std::string_view verb) {
    return "'enum " + std::string(tag) + "' " + std::string(verb) +
           " with a different underlying type";
}

// "'NAME' redeclared as WHAT (already KIND)" (WHAT, KIND: "a typedef", "a function", ...).
inline std::string redeclared_as(std::string_view quoted_name, std::string_view what,
                                 std::string_view kind) {
    return std::string(quoted_name) + " redeclared as " + std::string(what) + " (already " +
           std::string(kind) + ")";
}

// "conflicting types for 'NAME' ('OLD' vs 'NEW')".
inline std::string conflicting_types(std::string_view quoted_name, std::string_view quoted_old,
                                     std::string_view quoted_new) {
    return "conflicting types for " + std::string(quoted_name) + " (" + std::string(quoted_old) +
           " vs " + std::string(quoted_new) + ")";
}

}  // namespace jiffi::detail::parse_msg

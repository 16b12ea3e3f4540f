// The messages written in more than one place, one definition each, so that a fault reads
// the same wherever it is found and a change of wording is made once.
#pragma once

#include <string>

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

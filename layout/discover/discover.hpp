// The header discoverer: parses C headers with Clang and reads layouts from its AST.
// (Clang stays inside discover.cpp; this header is Clang-free.)
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "layout/layout_model.hpp"

namespace jiffi::detail {

// Exit codes of jiffi-layout (and of jiffi_discover_run), documented in docs/layout-format.md.
enum DiscoverExit : int {
    kExitOk = 0,
    kExitUsage = 1,        // bad command line
    kExitCompile = 2,      // a header is missing or does not compile, or a snippet disagrees
    kExitUnknownName = 3,  // an --only name that the headers do not declare
    kExitOutput = 4,       // the output file cannot be written
    kExitInternal = 5,     // anything else
};

// What to parse and for which target.
struct DiscoverOptions {
    std::string target;                     // triple; "" for Clang's default (the host)
    std::vector<std::string> include_dirs;  // -I
    std::vector<std::string> defines;       // -D: "NAME" or "NAME=VALUE"
    std::vector<std::string> headers;       // "sys/stat.h" (<>) or a path that exists
    std::vector<std::string> only;          // names to keep ("stat", "struct stat", "SEEK_SET")
    // Declarations parsed after the headers. A "struct T { ... };" in it is define-c-struct-
    // auto's form: each of its members must exist in the headers' T with a compatible type,
    // and T is then the headers' record (or the snippet's own when no header defines T).
    std::string snippet;
    std::string resource_dir;               // "" for the one found at configure time
    std::vector<std::string> arguments;     // the request as given, echoed in the dump header
};

// A failure with its exit code and, for compile errors, Clang's diagnostics.
class DiscoverError : public std::runtime_error {
public:
    DiscoverError(int exit_code, const std::string& message)
        : std::runtime_error(message), exit_code_(exit_code) {}
    int exit_code() const { return exit_code_; }

private:
    int exit_code_;
};

// Parses the headers and dumps everything they declare (or, with options.only, the named
// declarations and everything their types reach). Throws DiscoverError.
LayoutDump discover_layout(const DiscoverOptions& options);

// The part of dump named by only and everything their types reach, with type ids and record
// and enum indices renumbered; names nothing in dump are appended to unknown.
LayoutDump select_dump(const LayoutDump& dump, const std::vector<std::string>& only,
                       std::vector<std::string>& unknown);

// The clang resource directory baked at configure time (JIFFI_CLANG_RESOURCE_DIR overrides).
std::string default_resource_dir();

// Runs jiffi-layout's command line (args without the program name): fills out with the JSON
// and output_path with -o's file ("" for stdout), or err with the message; returns the
// exit code.
int run_layout_command(const std::vector<std::string>& args, std::string& out,
                       std::string& output_path, std::string& err);

// jiffi-layout's usage text.
const char* layout_usage();

}  // namespace jiffi::detail

extern "C" {
// The entry point the runtime finds with dlsym: runs the command line argv (without a program
// name) and returns its exit code; *out receives the JSON, *err the error message (both
// malloc'd, NUL-terminated, freed by jiffi_discover_free).
__attribute__((visibility("default"))) int jiffi_discover_run(int argc, const char* const* argv,
                                                              char** out, char** err);
__attribute__((visibility("default"))) void jiffi_discover_free(char* p);
}

// Shared libraries: resolution, loading and symbol lookup, and the library object behind the
// C API's jiffi_library handles.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "runtime/context.hpp"

namespace jiffi::detail {

// A loaded shared library (or the running process), closed when destroyed.
class LoadedLibrary {
public:
    LoadedLibrary(void* handle, std::string path, std::string requested);
    ~LoadedLibrary();
    LoadedLibrary(const LoadedLibrary&) = delete;
    LoadedLibrary& operator=(const LoadedLibrary&) = delete;

    // The file loaded ("" for the running process).
    const std::string& path() const { return path_; }
    // The name the caller asked for ("" for the running process).
    const std::string& requested() const { return requested_; }
    // The address of symbol; throws Error(SYMBOL_NOT_FOUND) naming the symbol and library.
    void* symbol(const std::string& name) const;

private:
    void* handle_;
    std::string path_;
    std::string requested_;
};

// The candidate files for name, in the order they are tried: a path (contains '/') as
// given; otherwise each search path joined with each spelling of the name ("m" ->
// "libm.so", "libm.so.N" found in the directory, highest version first), then the system
// library cache (/etc/ld.so.cache), the default directories, and last the bare name as
// dlopen itself resolves it. Empty for an empty name. Exposed for tests.
std::vector<std::string> library_candidates(const std::string& name,
                                            const std::vector<std::string>& search_paths);

// Loads the library named name (a path, a file name or a short name such as "libc", "m",
// "sqlite3", "libssl"), or the running process when name is null. A linker script
// ("/usr/lib/x86_64-linux-gnu/libc.so" is one) is followed to the library it names.
// Throws Error(LIBRARY_NOT_FOUND) whose message lists every path tried and why it failed.
std::unique_ptr<LoadedLibrary> open_library(const char* name,
                                            const std::vector<std::string>& search_paths);

// The default search paths: $JIFFI_LIBRARY_PATH, then $LD_LIBRARY_PATH (':'-separated).
std::vector<std::string> default_search_paths();

// Before fork(): takes the lock around dlopen/dlsym/dlclose (the outermost jiffi lock: a
// library's constructors may call anything).
void library_fork_prepare() noexcept;
// After fork(): releases it (made anew in the child, where its owner's thread id changed).
void library_fork_release(bool child) noexcept;
// Before fork(): takes the lock of the parsed ld.so.cache (a leaf).
void library_fork_prepare_leaf() noexcept;
// After fork(): releases it.
void library_fork_release_leaf() noexcept;

// One library of the system library cache: its soname ("libz.so.1") and its file.
struct LdCacheEntry {
    std::string soname;
    std::string path;
};

// The host-architecture entries (hwcap variants left out) of the ld.so.cache file at
// cache_file, in file order; empty when the file is missing, unreadable or malformed in any
// way. Exposed for tests.
std::vector<LdCacheEntry> read_ld_cache(const std::string& cache_file);

// The files the system library cache (cache_file, by default /etc/ld.so.cache) gives for
// name, in the order they are tried: the exact soname, then "lib<name>.so.N" highest
// version first, then "lib<name>.so". Exposed for tests.
std::vector<std::string> ld_cache_lookup(const std::string& name,
                                         const std::string& cache_file = "/etc/ld.so.cache");

// The input files a GNU ld linker script names in its GROUP and INPUT commands (AS_NEEDED
// lists flattened, comments skipped), in order, spelled as in the script. Exposed for tests.
std::vector<std::string> linker_script_inputs(const std::string& text);

}  // namespace jiffi::detail

// An open library of a context; the functions bound from it keep it loaded.
struct jiffi_library {
    jiffi_library(jiffi_context* c, std::shared_ptr<jiffi::detail::LoadedLibrary> l)
        : ctx_ref(c), ctx(c), lib(std::move(l)) {}

    jiffi::detail::ContextRef ctx_ref;
    jiffi_context* ctx = nullptr;
    std::shared_ptr<jiffi::detail::LoadedLibrary> lib;
};

namespace jiffi::detail {

// The handle of a new library object of ctx for the library named name (open_library, with
// the context's search paths).
jiffi_library* new_library(jiffi_context* ctx, const char* name);

}  // namespace jiffi::detail

// jiffi runtime: a context with the libraries opened by name (lib-open, lib-close) and the
// bindings shared_call made, and the library search paths. Declarations only (docs/design.md
// "The C++ API"), compiled in cxx/foreign.cpp.
#pragma once

#include "jiffi/jiffi.hpp"

namespace jiffi {

class SharedFunction;

// A library opened by a Runtime: a reference-counted handle, copies share the library,
// which stays open while any handle (or binding made from it) lives.
class JIFFI_CXX_API LibraryHandle {
public:
    LibraryHandle() noexcept = default;
    LibraryHandle(std::nullptr_t) noexcept {}
    explicit LibraryHandle(Library lib);
    LibraryHandle(const LibraryHandle& o) noexcept;
    LibraryHandle(LibraryHandle&& o) noexcept : box_(std::exchange(o.box_, nullptr)) {}
    LibraryHandle& operator=(LibraryHandle o) noexcept { return std::swap(box_, o.box_), *this; }
    ~LibraryHandle();
    // The library; nullptr for an empty handle.
    const Library* get() const noexcept;
    const Library* operator->() const noexcept { return get(); }
    explicit operator bool() const noexcept { return box_ != nullptr; }
    void reset() noexcept { *this = LibraryHandle(); }
    bool operator==(const LibraryHandle& o) const noexcept { return box_ == o.box_; }
    bool operator!=(const LibraryHandle& o) const noexcept { return box_ != o.box_; }

private:
    struct Box;
    Box* box_ = nullptr;
};

// A context plus the libraries opened by name and the bindings shared_call made, shared by
// every caller; thread-safe.
class JIFFI_CXX_API Runtime {
public:
    explicit Runtime(Backend backend = Backend::Auto);
    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;
    ~Runtime();
    Context& context();
    jiffi_context* get() const;
    // lib-open: the library of that name (path, file name, short name; "" the process),
    // opened once and shared.
    LibraryHandle open(std::string_view name);
    // lib-close: forgets the library and the bindings made from it; it is unloaded once
    // the last handle or binding holding it goes away.
    void close(const LibraryHandle& lib);
    // *library-search-paths*: where short library names are looked up.
    void set_search_paths(const StringList& paths);
    StringList search_paths() const;
    // The facts of a type name in C or keyword syntax (":int", "int", "unsigned-long").
    TypeDesc describe(std::string_view type_name);
    // A type name in C syntax: keywords ("unsigned-long", ":string") become C; C is kept.
    String c_type(std::string_view name);
    // The binding shared_call uses for symbol in library with these types, made once.
    SharedFunction cached(std::string_view library, std::string_view symbol, std::string_view ret,
                          const std::string_view* arg_types, size_t arg_count);
    SharedFunction cached(std::string_view library, std::string_view symbol, std::string_view ret, const StringList& arg_types);

private:
    struct Impl;
    Impl* impl_;
};

// The process's default runtime (made on first use, never destroyed: bindings may outlive
// static destructors of other translation units).
JIFFI_CXX_API Runtime& default_runtime();
// lib-open and lib-close (which resets the handle) on the default runtime.
JIFFI_CXX_API LibraryHandle lib_open(std::string_view name);
JIFFI_CXX_API void lib_close(LibraryHandle& lib);
// (setf *library-search-paths* ...) and its reading, on the default runtime.
JIFFI_CXX_API void set_library_search_paths(const StringList& paths);
JIFFI_CXX_API StringList library_search_paths();

}  // namespace jiffi

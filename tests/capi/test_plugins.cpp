// The core and its plugins: libjiffi.so links no LLVM, a process calling through libffi never
// maps it, and the JIT plugin is loaded on first need from the places docs/design.md names.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <cstdlib>
#include <string>

#include "jiffi/jiffi.h"

namespace {

// What command printed on stdout.
std::string output_of(const std::string& command) {
    std::string out;
    FILE* p = ::popen(command.c_str(), "r");
    REQUIRE(p);
    char buf[512];
    while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    ::pclose(p);
    return out;
}

}  // namespace

TEST_CASE("libjiffi.so needs no LLVM and no Clang library") {
    std::string dynamic = output_of("readelf -d '" JIFFI_CORE_LIBRARY "'");
    REQUIRE(dynamic.find("(NEEDED)") != std::string::npos);  // readelf ran and read the table
    CHECK(dynamic.find("libffi") != std::string::npos);
    CHECK_MESSAGE(dynamic.find("LLVM") == std::string::npos, dynamic);
    CHECK_MESSAGE(dynamic.find("clang") == std::string::npos, dynamic);
}

TEST_CASE("a process calling through libffi never maps libLLVM; one on the JIT does") {
    // The probe prints "llvm" when libLLVM is mapped once its one call returned.
    CHECK(output_of("'" JIFFI_STARTUP_PROBE "' libffi") == "");
    CHECK(output_of("'" JIFFI_STARTUP_PROBE "' jit") == "llvm\n");
}

TEST_CASE("a JIT context without its plugin fails naming the places tried, and a later bind retries") {
    const char* real = std::getenv("JIFFI_JIT_LIB");
    std::string saved = real ? real : "";
    ::setenv("JIFFI_JIT_LIB", "/nonexistent/libjiffi-jit.so", 1);
    jiffi_context* ctx = nullptr;
    REQUIRE(!jiffi_context_create(JIFFI_BACKEND_JIT, &ctx));
    jiffi_library* lib = nullptr;
    REQUIRE(!jiffi_library_open(ctx, "libc", &lib));
    jiffi_signature* sig = nullptr;
    REQUIRE(!jiffi_signature_parse(ctx, "int abs(int)", &sig));
    jiffi_function* fn = nullptr;
    jiffi_error* err = jiffi_function_bind(lib, "abs", sig, &fn);
    REQUIRE(err);
    CHECK(jiffi_error_code(err) == JIFFI_E_NOT_AVAILABLE);
    std::string message = jiffi_error_message(err);
    CHECK_MESSAGE(message.find("libjiffi-jit.so") != std::string::npos, message);
    CHECK_MESSAGE(message.find("/nonexistent/libjiffi-jit.so: ") != std::string::npos, message);
    jiffi_error_dispose(err);
    // Found beside libjiffi.so once the variable names nothing.
    if (saved.empty()) ::unsetenv("JIFFI_JIT_LIB");
    else ::setenv("JIFFI_JIT_LIB", saved.c_str(), 1);
    REQUIRE(!jiffi_function_bind(lib, "abs", sig, &fn));
    jiffi_slot a[1], r;
    a[0].i64 = -7;
    jiffi_function_call(fn, a, &r);
    CHECK(r.i64 == 7);
    jiffi_function_destroy(fn);
    jiffi_library_close(lib);
    jiffi_context_destroy(ctx);
}

TEST_CASE("a warm process whose stubs are all in the disk cache calls on the JIT without loading LLVM") {
    std::string tmpl = std::filesystem::temp_directory_path().string() + "/jiffi-warm-XXXXXX";
    REQUIRE(::mkdtemp(tmpl.data()));
    std::string run = "JIFFI_JIT_CACHE_DIR='" + tmpl + "' '" JIFFI_STARTUP_PROBE "' jit";
    // The first process compiles strlen's stub through the plugin and stores it; the second
    // maps it from the cache itself. On a JIT context the call has no libffi to fall back on:
    // the probe's check of strlen's result is made on the JIT's code.
    CHECK(output_of(run) == "llvm\n");
    CHECK(output_of(run + " && echo ok") == "ok\n");
    // A callback's thunk is cached too (keyed by where this program's thread records live).
    std::string run_cb = "JIFFI_JIT_CACHE_DIR='" + tmpl + "' '" JIFFI_STARTUP_PROBE "' jitcb";
    CHECK(output_of(run_cb) == "llvm\n");
    CHECK(output_of(run_cb + " && echo ok") == "ok\n");
    // On AUTO the stub comes in the background, from the cache those processes filled (one
    // spec, one stub, whatever the backend): no LLVM, and no wait for the plugin's first load.
    std::string run_auto = "JIFFI_JIT_CACHE_DIR='" + tmpl + "' '" JIFFI_STARTUP_PROBE "' autowait";
    CHECK(output_of(run_auto) == "jit\n");
    // With an empty cache the first AUTO process compiles it through the plugin.
    std::string cold = std::filesystem::temp_directory_path().string() + "/jiffi-cold-XXXXXX";
    REQUIRE(::mkdtemp(cold.data()));
    std::string run_cold = "JIFFI_JIT_CACHE_DIR='" + cold + "' '" JIFFI_STARTUP_PROBE "' autowait";
    CHECK(output_of(run_cold) == "jit\nllvm\n");
    CHECK(output_of(run_cold) == "jit\n");
    std::error_code ignored;
    std::filesystem::remove_all(cold, ignored);
    std::filesystem::remove_all(tmpl, ignored);
}

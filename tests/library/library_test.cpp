// Tests of library resolution, loading, symbol lookup and failures (runtime/library.cpp).
#include "runtime/library.hpp"

#include "base/error.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using jiffi::detail::Error;
using jiffi::detail::ErrorCode;
using jiffi::detail::LoadedLibrary;
using jiffi::detail::open_library;
using jiffi::test::TempDir;
using jiffi::test::write_file;
namespace fs = std::filesystem;

// A function of the test executable itself, exported by -rdynamic for the process-handle test.
extern "C" __attribute__((visibility("default"), used)) int jiffi_library_test_triple(int x) {
    return 3 * x;
}

namespace {

const std::vector<std::string> kNoPaths;

// The Error that fn throws, or nullopt when it throws none.
template <class Fn>
std::optional<Error> thrown(Fn&& fn) {
    try {
        fn();
    } catch (const Error& error) {
        return error;
    }
    return std::nullopt;
}

// The file name part of path.
std::string file_name(const std::string& path) { return fs::path(path).filename().string(); }

// symbol of lib cast to the function pointer type F.
template <class F>
F function(const LoadedLibrary& lib, const char* symbol) {
    return reinterpret_cast<F>(lib.symbol(symbol));
}

// The real file of libm, as resolved by the short name.
std::string real_libm() { return open_library("m", kNoPaths)->path(); }

// The real file of libz, as resolved by the short name.
std::string real_libz() { return open_library("z", kNoPaths)->path(); }

// A directory holding glibc's "libc.so" linker script, or "" when the host has none.
std::string libc_script_directory() {
    for (const char* dir :
         {"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib"}) {
        std::string script = std::string(dir) + "/libc.so";
        if (fs::is_regular_file(script) && jiffi::test::read_file(script).rfind("\177ELF", 0) != 0)
            return dir;
    }
    return "";
}

}  // namespace

TEST_CASE("short names resolve to the versioned library and its symbols") {
    struct Case {
        const char* name;
        const char* file;
        const char* symbol;
    };
    const Case cases[] = {
        {"libc", "libc.so.6", "strlen"},
        {"c", "libc.so.6", "strlen"},
        {"m", "libm.so.6", "cos"},
        {"libm", "libm.so.6", "cos"},
        {"sqlite3", "libsqlite3.so.0", "sqlite3_libversion"},
        {"libsqlite3", "libsqlite3.so.0", "sqlite3_libversion"},
        {"libssl", "libssl.so.3", "SSL_CTX_new"},
        {"ssl", "libssl.so.3", "SSL_CTX_new"},
        {"z", "libz.so.1", "zlibVersion"},
        {"libz", "libz.so.1", "zlibVersion"},
        {"crypto", "libcrypto.so.3", "OpenSSL_version_num"},
        {"libcrypto", "libcrypto.so.3", "OpenSSL_version_num"},
    };
    for (const Case& c : cases) {
        CAPTURE(c.name);
        auto lib = open_library(c.name, kNoPaths);
        CHECK(lib->requested() == c.name);
        CHECK(file_name(lib->path()) == c.file);
        CHECK(fs::path(lib->path()).is_absolute());
        CHECK(lib->symbol(c.symbol) != nullptr);
    }
}

TEST_CASE("functions found by symbol can be called") {
    auto libc = open_library("libc", kNoPaths);
    CHECK(function<std::size_t (*)(const char*)>(*libc, "strlen")("hello") == 5);

    auto libm = open_library("m", kNoPaths);
    CHECK(function<double (*)(double)>(*libm, "cos")(0.0) == 1.0);

    auto sqlite = open_library("sqlite3", kNoPaths);
    CHECK(std::strncmp(function<const char* (*)()>(*sqlite, "sqlite3_libversion")(), "3.", 2) == 0);

    auto z = open_library("z", kNoPaths);
    CHECK(function<const char* (*)()>(*z, "zlibVersion")()[0] == '1');

    auto crypto = open_library("crypto", kNoPaths);
    CHECK(function<unsigned long (*)()>(*crypto, "OpenSSL_version_num")() >= 0x30000000UL);

    auto ssl = open_library("libssl", kNoPaths);
    void* method = function<void* (*)()>(*ssl, "TLS_method")();
    REQUIRE(method != nullptr);
    void* ctx = function<void* (*)(void*)>(*ssl, "SSL_CTX_new")(method);
    CHECK(ctx != nullptr);
    function<void (*)(void*)>(*ssl, "SSL_CTX_free")(ctx);
}

TEST_CASE("a path, a file name and the process handle") {
    std::string libm = real_libm();

    SUBCASE("a path is loaded as given") {
        auto lib = open_library(libm.c_str(), kNoPaths);
        CHECK(lib->path() == libm);
        CHECK(function<double (*)(double)>(*lib, "cos")(0.0) == 1.0);
    }
    SUBCASE("a relative path is loaded as given") {
        std::string relative = fs::relative(libm, fs::current_path()).string();
        REQUIRE(relative.find('/') != std::string::npos);
        auto lib = open_library(relative.c_str(), kNoPaths);
        CHECK(lib->path() == relative);
        CHECK(lib->symbol("cos") != nullptr);
    }
    SUBCASE("a file name is resolved") {
        auto lib = open_library("libm.so.6", kNoPaths);
        CHECK(file_name(lib->path()) == "libm.so.6");
        CHECK(function<double (*)(double)>(*lib, "cos")(0.0) == 1.0);
    }
    SUBCASE("the unversioned file name is followed to the library") {
        auto lib = open_library("libz.so", kNoPaths);
        CHECK(lib->symbol("zlibVersion") != nullptr);
    }
    SUBCASE("the running process") {
        auto self = open_library(nullptr, kNoPaths);
        CHECK(self->path().empty());
        CHECK(self->requested().empty());
        CHECK(function<std::size_t (*)(const char*)>(*self, "strlen")("hello") == 5);
        CHECK(function<int (*)(int)>(*self, "jiffi_library_test_triple")(7) == 21);
    }
    SUBCASE("the same library opened twice") {
        auto first = open_library("m", kNoPaths);
        auto second = open_library("m", kNoPaths);
        CHECK(first->symbol("cos") == second->symbol("cos"));
        first.reset();
        CHECK(function<double (*)(double)>(*second, "cos")(0.0) == 1.0);
    }
}

TEST_CASE("glibc's own linker scripts are followed") {
    std::string dir = libc_script_directory();
    if (dir.empty()) return;
    SUBCASE("the script as a path") {
        auto lib = open_library((dir + "/libc.so").c_str(), kNoPaths);
        CHECK(file_name(lib->path()) == "libc.so.6");
        CHECK(function<std::size_t (*)(const char*)>(*lib, "strlen")("four") == 4);
    }
    SUBCASE("the script found through a search path") {
        auto lib = open_library("c", {dir});
        CHECK(file_name(lib->path()) == "libc.so.6");
        auto libm = open_library("m", {dir});
        CHECK(file_name(libm->path()) == "libm.so.6");
        CHECK(function<double (*)(double)>(*libm, "cos")(0.0) == 1.0);
    }
}

TEST_CASE("own linker scripts in a search path") {
    TempDir dir;
    std::string libm = real_libm();

    SUBCASE("a GROUP naming libm") {
        write_file(dir / "libfake.so",
                   "/* GNU ld script */\nOUTPUT_FORMAT(elf64-x86-64)\nGROUP ( " + libm + " )\n");
        auto lib = open_library("fake", {dir.path().string()});
        CHECK(lib->path() == libm);
        CHECK(function<double (*)(double)>(*lib, "cos")(0.0) == 1.0);
    }
    SUBCASE("INPUT with an archive, AS_NEEDED and comments") {
        write_file(dir / "libfake.so",
                   "/* first\n comment */ INPUT(/nonexistent/libjiffi_static.a,\n"
                   "  AS_NEEDED ( /* inner */ " +
                       libm + " ) ) /* tail */\n");
        auto lib = open_library("libfake", {dir.path().string()});
        CHECK(lib->path() == libm);
        CHECK(lib->symbol("cos") != nullptr);
    }
    SUBCASE("a missing first input falls through to the next") {
        write_file(dir / "libfake.so",
                   "GROUP ( /nonexistent/libjiffi_gone.so.1 \"" + libm + "\" )");
        auto lib = open_library("fake", {dir.path().string()});
        CHECK(lib->path() == libm);
    }
    SUBCASE("-l references are resolved") {
        write_file(dir / "libfake.so", "GROUP ( -lm )");
        auto lib = open_library("fake", {dir.path().string()});
        CHECK(file_name(lib->path()) == "libm.so.6");
        CHECK(lib->symbol("cos") != nullptr);
    }
    SUBCASE("a bare file name is looked for beside the script first") {
        fs::create_symlink(libm, dir.path() / "libjiffireal.so.7");
        write_file(dir / "libfake.so", "GROUP ( libjiffireal.so.7 )");
        auto lib = open_library("fake", {dir.path().string()});
        CHECK(lib->path() == dir / "libjiffireal.so.7");
        CHECK(lib->symbol("cos") != nullptr);
    }
    SUBCASE("a script as a path") {
        write_file(dir / "script.so", "INPUT(" + libm + ")");
        auto lib = open_library((dir / "script.so").c_str(), kNoPaths);
        CHECK(lib->path() == libm);
    }
    SUBCASE("a script naming itself fails cleanly") {
        write_file(dir / "libloop.so", "GROUP ( libloop.so " + dir / "libloop.so" + " )");
        auto error = thrown([&] { open_library("loop", {dir.path().string()}); });
        REQUIRE(error);
        CHECK(error->code() == ErrorCode::LIBRARY_NOT_FOUND);
        CHECK(error->message().find("linker script cycle") != std::string::npos);
    }
    SUBCASE("a script naming itself hundreds of times fails at once") {
        // Expanded without memory of the path, this took k^4 steps (k = 30: 47 s; 200: never).
        std::string group = "GROUP (";
        for (int i = 0; i < 200; ++i) group += " -lloop libloop.so " + dir / "libloop.so";
        write_file(dir / "libloop.so", group + " )");
        auto error = thrown([&] { open_library("loop", {dir.path().string()}); });
        REQUIRE(error);
        CHECK(error->code() == ErrorCode::LIBRARY_NOT_FOUND);
        CHECK(error->message().find("linker script cycle") != std::string::npos);
    }
    SUBCASE("a script reached twice is expanded once") {
        write_file(dir / "libtop.so", "GROUP ( liba.so libb.so )");
        write_file(dir / "liba.so", "GROUP ( libshared.so )");
        write_file(dir / "libb.so", "GROUP ( libshared.so )");
        write_file(dir / "libshared.so", "GROUP ( /nonexistent/libjiffi_leaf.so.1 )");
        auto error = thrown([&] { open_library("top", {dir.path().string()}); });
        REQUIRE(error);
        const std::string& m = error->message();
        CHECK(m.find("already tried in this load") != std::string::npos);
        // The leaf appears in the one expansion of libshared.so only.
        size_t first = m.find("libjiffi_leaf.so.1");
        REQUIRE(first != std::string::npos);
        CHECK(m.find("libjiffi_leaf.so.1", first + 1) == std::string::npos);
    }
    SUBCASE("a script that failed too deep is tried again nearer the top") {
        write_file(dir / "libtop.so", "GROUP ( liba.so libx.so )");
        write_file(dir / "liba.so", "GROUP ( libb.so )");
        write_file(dir / "libb.so", "GROUP ( libc2.so )");
        write_file(dir / "libc2.so", "GROUP ( libx.so )");  // libx.so is one level too deep here
        write_file(dir / "libx.so", "GROUP ( " + libm + " )");
        auto lib = open_library("top", {dir.path().string()});
        CHECK(lib->path() == libm);
    }
    SUBCASE("a wide tree of scripts is expanded once per file") {
        // Four levels, each naming the next 300 times: 300^4 expansions without the memory.
        for (int level = 0; level < 4; ++level) {
            std::string group = "GROUP (";
            for (int i = 0; i < 300; ++i) group += " libl" + std::to_string(level + 1) + ".so";
            write_file(dir / ("libl" + std::to_string(level) + ".so"), group + " )");
        }
        write_file(dir / "libl4.so", "GROUP ( /nonexistent/libjiffi_leaf.so.1 )");
        auto error = thrown([&] { open_library("l0", {dir.path().string()}); });
        REQUIRE(error);
        CHECK(error->code() == ErrorCode::LIBRARY_NOT_FOUND);
        CHECK(error->message().find("already tried in this load") != std::string::npos);
    }
    SUBCASE("a script naming only archives fails") {
        write_file(dir / "libfake.so", "GROUP ( /usr/lib/libjiffi_nothing.a )");
        auto error = thrown([&] { open_library("fake", {dir.path().string()}); });
        REQUIRE(error);
        CHECK(error->code() == ErrorCode::LIBRARY_NOT_FOUND);
        CHECK(error->message().find("static archive") != std::string::npos);
    }
}

TEST_CASE("search paths and versioned files") {
    TempDir dir;
    std::string libm = real_libm();
    std::string libz = real_libz();

    SUBCASE("a custom name is found by its short name") {
        fs::copy_file(libz, dir.path() / "libjiffitest.so.3");
        auto lib = open_library("jiffitest", {dir.path().string()});
        CHECK(lib->path() == dir / "libjiffitest.so.3");
        CHECK(function<const char* (*)()>(*lib, "zlibVersion")()[0] == '1');
        auto again = open_library("libjiffitest", {"/nonexistent-jiffi-dir", dir.path().string()});
        CHECK(again->path() == dir / "libjiffitest.so.3");
    }
    SUBCASE("the highest version wins") {
        fs::create_symlink(libz, dir.path() / "libjiffitest.so.2");
        fs::create_symlink(libm, dir.path() / "libjiffitest.so.10");
        fs::create_symlink(libz, dir.path() / "libjiffitest.so.9.9.9");
        write_file(dir / "libjiffitest.so.11.debug", "not a version");
        auto lib = open_library("jiffitest", {dir.path().string()});
        CHECK(lib->path() == dir / "libjiffitest.so.10");
        CHECK(lib->symbol("cos") != nullptr);

        auto candidates = jiffi::detail::library_candidates("jiffitest", {dir.path().string()});
        REQUIRE(candidates.size() >= 5);
        CHECK(candidates[0] == dir / "jiffitest");
        CHECK(candidates[1] == dir / "libjiffitest.so");
        CHECK(candidates[2] == dir / "libjiffitest.so.10");
        CHECK(candidates[3] == dir / "libjiffitest.so.9.9.9");
        CHECK(candidates[4] == dir / "libjiffitest.so.2");
        CHECK(candidates.back() == "jiffitest");
    }
    SUBCASE("the unversioned file comes before versioned ones") {
        fs::create_symlink(libz, dir.path() / "libjiffitest.so");
        fs::create_symlink(libm, dir.path() / "libjiffitest.so.1");
        auto lib = open_library("jiffitest", {dir.path().string()});
        CHECK(lib->path() == dir / "libjiffitest.so");
    }
    SUBCASE("a search path comes before the system") {
        fs::create_symlink(libm, dir.path() / "libz.so.1");
        auto lib = open_library("z", {dir.path().string()});
        CHECK(lib->path() == dir / "libz.so.1");
    }
    SUBCASE("a search path with a trailing slash") {
        fs::create_symlink(libm, dir.path() / "libjiffitest.so.1");
        auto lib = open_library("jiffitest", {dir.path().string() + "/"});
        CHECK(lib->path() == dir / "libjiffitest.so.1");
    }
}

TEST_CASE("library candidates") {
    using jiffi::detail::library_candidates;
    CHECK(library_candidates("/some/where/libx.so", {"/a"}) ==
          std::vector<std::string>{"/some/where/libx.so"});
    CHECK(library_candidates("", {"/a"}).empty());

    auto m = library_candidates("m", {"/nonexistent-jiffi", ""});
    REQUIRE(m.size() > 3);
    CHECK(m[0] == "/nonexistent-jiffi/m");
    CHECK(m[1] == "/nonexistent-jiffi/libm.so");
    CHECK(m.back() == "m");
    std::string libm = real_libm();
    CHECK(std::find(m.begin(), m.end(), libm) != m.end());
    CHECK(std::find(m.begin(), m.end(), "/usr/lib/libm.so") != m.end());

    auto file = library_candidates("libm.so.6", {"/x"});
    REQUIRE(file.size() > 2);
    CHECK(file[0] == "/x/libm.so.6");
    CHECK(file[1] != "/x/liblibm.so.6.so");
    CHECK(file.back() == "libm.so.6");
}

TEST_CASE("default search paths") {
    auto save = [](const char* name) -> std::optional<std::string> {
        const char* value = std::getenv(name);
        return value ? std::optional<std::string>(value) : std::nullopt;
    };
    auto restore = [](const char* name, const std::optional<std::string>& value) {
        if (value)
            setenv(name, value->c_str(), 1);
        else
            unsetenv(name);
    };
    auto jiffi_path = save("JIFFI_LIBRARY_PATH");
    auto ld_path = save("LD_LIBRARY_PATH");

    setenv("JIFFI_LIBRARY_PATH", "/a::/b:", 1);
    setenv("LD_LIBRARY_PATH", ":/c", 1);
    CHECK(jiffi::detail::default_search_paths() == std::vector<std::string>{"/a", "/b", "/c"});
    unsetenv("JIFFI_LIBRARY_PATH");
    setenv("LD_LIBRARY_PATH", "", 1);
    CHECK(jiffi::detail::default_search_paths().empty());
    setenv("LD_LIBRARY_PATH", "/only", 1);
    CHECK(jiffi::detail::default_search_paths() == std::vector<std::string>{"/only"});

    restore("JIFFI_LIBRARY_PATH", jiffi_path);
    restore("LD_LIBRARY_PATH", ld_path);
}

TEST_CASE("failures name what was asked and what was tried") {
    SUBCASE("an unknown library") {
        auto error = thrown([] { open_library("nosuchlib", {"/nonexistent-jiffi-dir"}); });
        REQUIRE(error);
        CHECK(error->code() == ErrorCode::LIBRARY_NOT_FOUND);
        const std::string& message = error->message();
        CHECK(message.rfind("cannot open library 'nosuchlib': tried ", 0) == 0);
        CHECK(message.find("/nonexistent-jiffi-dir/libnosuchlib.so (no such file)") !=
              std::string::npos);
        CHECK(message.find("/usr/lib/libnosuchlib.so (no such file)") != std::string::npos);
        CHECK(message.find("nosuchlib (") != std::string::npos);
    }
    SUBCASE("a missing path") {
        auto error = thrown([] { open_library("/nonexistent-jiffi/libx.so.1", kNoPaths); });
        REQUIRE(error);
        CHECK(error->code() == ErrorCode::LIBRARY_NOT_FOUND);
        CHECK(error->message() ==
              "cannot open library '/nonexistent-jiffi/libx.so.1': tried "
              "/nonexistent-jiffi/libx.so.1 (no such file)");
    }
    SUBCASE("a file that is no library") {
        TempDir dir;
        write_file(dir / "libtext.so", "just some text\n");
        write_file(dir / "libempty.so", "");
        write_file(dir / "libbad.so", std::string("\177ELF garbage\0\0\0", 16));
        for (const char* name : {"libtext.so", "libempty.so"}) {
            auto error = thrown([&] { open_library((dir / name).c_str(), kNoPaths); });
            REQUIRE(error);
            CHECK(error->code() == ErrorCode::LIBRARY_NOT_FOUND);
            CHECK(error->message().find("not an ELF file or linker script") != std::string::npos);
        }
        auto error = thrown([&] { open_library("bad", {dir.path().string()}); });
        REQUIRE(error);
        CHECK(error->message().find(dir / "libbad.so" + " (") != std::string::npos);
    }
    SUBCASE("a directory, a device and a FIFO") {
        TempDir dir;
        REQUIRE(mkfifo((dir / "libfifo.so").c_str(), 0600) == 0);
        auto error = thrown([&] { open_library(dir.path().c_str(), kNoPaths); });
        REQUIRE(error);
        CHECK(error->message().find("is a directory") != std::string::npos);
        error = thrown([] { open_library("/dev/null", kNoPaths); });
        REQUIRE(error);
        CHECK(error->message().find("not a regular file") != std::string::npos);
        error = thrown([&] { open_library("fifo", {dir.path().string()}); });
        REQUIRE(error);
        CHECK(error->message().find("libfifo.so (not a regular file)") != std::string::npos);
    }
    SUBCASE("an empty name") {
        auto error = thrown([] { open_library("", kNoPaths); });
        REQUIRE(error);
        CHECK(error->code() == ErrorCode::INVALID_ARGUMENT);
    }
    SUBCASE("odd names never crash") {
        std::string very_long(100000, 'x');
        std::string long_component(300, 'y');
        std::string deep;
        for (int i = 0; i < 500; ++i) deep += "../";
        const std::string names[] = {very_long,
                                     long_component,
                                     "\x01\x02 garbage \x7f\xff",
                                     ".",
                                     "..",
                                     "/",
                                     "lib",
                                     "lib.so",
                                     ".so",
                                     ".so.",
                                     "libm.so.",
                                     "libm.so.x",
                                     "-lm",
                                     "*",
                                     "%s%n",
                                     deep + "libm.so.6",
                                     "GROUP ( /x )"};
        for (const std::string& name : names) {
            auto error = thrown([&] {
                open_library(name.c_str(), {"", "/nonexistent", "relative/dir"});
            });
            REQUIRE(error);
            CHECK(error->code() == ErrorCode::LIBRARY_NOT_FOUND);
            CHECK(error->message().find('\x01') == std::string::npos);
        }
    }
    SUBCASE("an unknown symbol") {
        auto libc = open_library("libc", kNoPaths);
        auto error = thrown([&] { libc->symbol("jiffi_no_such_symbol"); });
        REQUIRE(error);
        CHECK(error->code() == ErrorCode::SYMBOL_NOT_FOUND);
        CHECK(error->message() ==
              "symbol 'jiffi_no_such_symbol' not found in library 'libc' (" + libc->path() + ")");

        auto self = open_library(nullptr, kNoPaths);
        error = thrown([&] { self->symbol("jiffi_no_such_symbol"); });
        REQUIRE(error);
        CHECK(error->message() == "symbol 'jiffi_no_such_symbol' not found in the running process");
    }
    SUBCASE("bad symbol names") {
        auto libc = open_library("c", kNoPaths);
        auto error = thrown([&] { libc->symbol(""); });
        REQUIRE(error);
        CHECK(error->code() == ErrorCode::INVALID_ARGUMENT);
        error = thrown([&] { libc->symbol(std::string("strlen\0x", 8)); });
        REQUIRE(error);
        CHECK(error->code() == ErrorCode::INVALID_ARGUMENT);
        error = thrown([&] { libc->symbol(std::string(100000, 's')); });
        REQUIRE(error);
        CHECK(error->code() == ErrorCode::SYMBOL_NOT_FOUND);
    }
}

TEST_CASE("concurrent opening, lookup and closing") {
    constexpr int kThreads = 8;
    constexpr int kIterations = 150;
    std::string libm = real_libm();
    std::atomic<int> failures{0};
    std::atomic<int> calls{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            const char* names[] = {"m", "libm.so.6", libm.c_str(), "libc", "z", "sqlite3"};
            for (int i = 0; i < kIterations; ++i) {
                try {
                    auto lib = open_library(names[(t + i) % 6], kNoPaths);
                    if (lib->path().empty()) ++failures;
                    if (file_name(lib->path()) == "libm.so.6") {
                        if (function<double (*)(double)>(*lib, "cos")(0.0) != 1.0) ++failures;
                        ++calls;
                    }
                    auto self = open_library(nullptr, kNoPaths);
                    if (function<std::size_t (*)(const char*)>(*self, "strlen")("abc") != 3)
                        ++failures;
                    auto missing =
                        thrown([&] { lib->symbol("jiffi_missing_" + std::to_string(t)); });
                    if (!missing || missing->message().find("jiffi_missing_" + std::to_string(t)) ==
                                        std::string::npos)
                        ++failures;
                    if (i % 25 == 0) {
                        auto error =
                            thrown([&] { open_library("jiffi-no-such-library", kNoPaths); });
                        if (!error || error->code() != ErrorCode::LIBRARY_NOT_FOUND) ++failures;
                    }
                } catch (...) {
                    ++failures;
                }
            }
        });
    }
    for (std::thread& thread : threads) thread.join();
    CHECK(failures.load() == 0);
    CHECK(calls.load() > 0);
}

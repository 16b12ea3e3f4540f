// defshared-with-errno and ForeignError: errno captured right after the call, on every backend.
#include <doctest/doctest.h>

#include <cerrno>
#include <climits>
#include <fcntl.h>
#include <string>

#include "jiffi/foreign.hpp"
#include "jiffi/runtime.hpp"

using namespace jiffi;

TEST_CASE("open of a missing file reports ENOENT with the function's name, on every backend") {
    for (Backend b : {Backend::Auto, Backend::Libffi, Backend::Jit}) {
        Runtime rt(b);
        SharedFunction open_fn = defshared_with_errno(rt, "open", "libc", "int",
                                                      {{"path", "string"}, {"flags", "int"}, {"mode", "int"}});
        CHECK(open_fn.captures_errno());
        try {
            open_fn("/no/such/dir/jiffi-missing-file", O_RDONLY, 0);
            FAIL("no error");
        } catch (const ForeignError& e) {
            CHECK(e.code() == ENOENT);
            CHECK(e.function() == "open");
            CHECK(static_cast<const Error&>(e).code() == Errc::FOREIGN);
            CHECK(std::string(e.what()).find("open: ") == 0);
            CHECK(std::string(e.what()).find("No such file or directory") != std::string::npos);
        }
        // A successful call returns normally.
        int fd = open_fn("/dev/null", O_RDONLY, 0).as_int();
        CHECK(fd >= 0);
        SharedFunction close_fn = defshared_with_errno(rt, "close", "libc", "int close(int)");
        CHECK(close_fn(fd).as_int() == 0);
        try {
            close_fn(fd);  // closed already
            FAIL("no error");
        } catch (const ForeignError& e) {
            CHECK(e.code() == EBADF);
            CHECK(e.function() == "close");
        }
    }
}

TEST_CASE("errno of a call that does not signal failure by its result, and NULL results") {
    SharedFunction strtol_fn = defshared("strtol", "libc", "long strtol(const char *, char **, int)");
    strtol_fn.with_errno([](const Value&) { return false; });
    errno = 0;
    Results r = strtol_fn.call_all("99999999999999999999999", nullptr, 10);
    CHECK(r.value.as_int() == LONG_MAX);
    CHECK(r.error_number == ERANGE);
    // The callee's errno, not a reset one: strtol leaves errno alone on success.
    Results kept = strtol_fn.call_all("12", nullptr, 10);
    CHECK(kept.error_number == ERANGE);
    errno = 0;  // nothing of jiffi's work between here and the callee sets it
    Results ok = strtol_fn.call_all("12", nullptr, 10);
    CHECK(ok.value.as_int() == 12);
    CHECK(ok.error_number == 0);

    SharedFunction fopen_fn = defshared_with_errno("fopen", "libc", "void *fopen(const char *, const char *)");
    CHECK_THROWS_AS(fopen_fn("/no/such/jiffi/file", "r"), ForeignError);
    try {
        fopen_fn("/", "w");  // a directory cannot be opened for writing
    } catch (const ForeignError& e) {
        CHECK(e.code() == EISDIR);
        CHECK(e.function() == "fopen");
    }
}

// The main job's demo: the Lisp FFI's examples done with jiffi's C++ API, printed as they run.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "jiffi/jiffi.hpp"

namespace {

// Prints one example: the Lisp form it mirrors and what jiffi returned.
template <class T>
void show(const char* form, const T& value) {
    std::printf("  %-62s => %s\n", form, std::to_string(value).c_str());
}
void show(const char* form, const std::string& value) {
    std::printf("  %-62s => %s\n", form, value.c_str());
}

}  // namespace

int main() {
    try {
        jiffi::Context ctx;
        std::printf("jiffi demo: C calls with signatures known only at run time\n\n");

        // (shared-call '("strlen" "libc") :unsigned-long '(:string) "hello")
        jiffi::Library libc = ctx.open("libc");
        std::printf("  libc resolved to %s\n", libc.path().c_str());
        auto strlen_fn = libc.bind("strlen", ctx.signature(":unsigned-long (:string)"));
        show("(shared-call '(\"strlen\" \"libc\") :unsigned-long '(:string) \"hello\")",
             strlen_fn.call<unsigned long>("hello"));

        // (defshared my-strlen "strlen" "libc" :unsigned-long (s :string))
        auto my_strlen = libc.bind("strlen", ctx.signature("size_t my_strlen(const char *s)"));
        show("(my-strlen \"world\")", my_strlen.call<size_t>("world"));

        // (shared-call '("getenv" "libc") :pointer '(:string) "PATH")
        auto getenv_fn = libc.bind("getenv", ctx.signature("char *getenv(const char *)"));
        const char* path = getenv_fn.call<const char*>("PATH");
        std::string shown = path ? std::string(path).substr(0, 40) + "..." : "NULL";
        show("(shared-call '(\"getenv\" \"libc\") :pointer '(:string) \"PATH\")", shown);

        // (define-c-struct timespec (sec :long) (nsec :long)) + nanosleep
        ctx.cdef("struct timespec { long tv_sec; long tv_nsec; };\n"
                 "int nanosleep(const struct timespec *, struct timespec *);");
        auto nanosleep_fn = libc.bind("nanosleep", ctx.signature("nanosleep"));
        struct timespec ts = {0, 5000000};
        auto t0 = std::chrono::steady_clock::now();
        int rc = nanosleep_fn.call<int>(&ts, nullptr);
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        show("(nanosleep {sec 0, nsec 5000000} NULL)", std::to_string(rc) + " after " +
                                                             std::to_string(ms).substr(0, 4) + " ms");

        // (shared-call '("write" "libc") :long '(:int :pointer :unsigned-long) 1 ptr n)
        auto write_fn = libc.bind("write", ctx.signature(":long (:int :pointer :unsigned-long)"));
        static const char line[] = "  (written to fd 1 by write through jiffi)\n";
        std::fflush(stdout);
        long n = write_fn.call<long>(1, line, sizeof(line) - 1);
        show("(shared-call '(\"write\" \"libc\") ... 1 ptr n)", n);

        // A variadic call: snprintf with three variadic arguments.
        auto snprintf_proto = ctx.signature("int snprintf(char *, size_t, const char *, ...)");
        auto snprintf_fn = libc.bind("snprintf", snprintf_proto.vararg("int, double, const char *"));
        char buf[64];
        snprintf_fn.call<int>(buf, sizeof buf, "%d|%.2f|%s", 42, 2.5, "vararg");
        show("(snprintf buf 64 \"%d|%.2f|%s\" 42 2.5 \"vararg\")", std::string(buf));

        // libm by short name.
        jiffi::Library libm = ctx.open("m");
        auto sqrt_fn = libm.bind("sqrt", ctx.signature("double sqrt(double)"));
        show("(shared-call '(\"sqrt\" \"m\") :double '(:double) 2.25d0)", sqrt_fn.call<double>(2.25));

        // Real libraries by short name: sqlite3, libssl, zlib.
        jiffi::Library sqlite = ctx.open("sqlite3");
        auto sqlite_version = sqlite.bind("sqlite3_libversion", ctx.signature("const char *(void)"));
        show("(shared-call '(\"sqlite3_libversion\" \"sqlite3\") :string '())",
             std::string(sqlite_version.call<const char*>()));
        jiffi::Library ssl = ctx.open("libssl");
        auto ssl_version = ssl.bind("OpenSSL_version", ctx.signature("const char *(int)"));
        show("(shared-call '(\"OpenSSL_version\" \"libssl\") :string '(:int) 0)",
             std::string(ssl_version.call<const char*>(0)));
        jiffi::Library z = ctx.open("z");
        auto zlib_version = z.bind("zlibVersion", ctx.signature("const char *zlibVersion(void)"));
        show("(shared-call '(\"zlibVersion\" \"z\") :string '())", std::string(zlib_version.call<const char*>()));

        std::printf("\n");
    } catch (const jiffi::Error& e) {
        std::fprintf(stderr, "jiffi demo failed: %s\n", e.what());
        return 1;
    }
    return 0;
}

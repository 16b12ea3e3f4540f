// define-c-struct-auto of a typedef that carries its own aligned attribute: the typedef's
// alignment, not its record's, as the compiler gives it.
#include <doctest/doctest.h>
#include <pthread.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "jiffi/jiffi.hpp"
#include "jiffi/structs.hpp"

namespace {

// A fresh, empty cache directory for one test.
std::string fresh_dir(const std::string& name) {
    std::string dir = std::string(JIFFI_DISCOVER_WORKDIR) + "/align-" + name + "-" + std::to_string(::getpid());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

}  // namespace

TEST_CASE("glibc's __pthread_unwind_buf_t (typedef struct {...} T __attribute__((__aligned__))) is 16-aligned") {
    static_assert(alignof(__pthread_unwind_buf_t) == 16);
    std::string cache = fresh_dir("pthread");
    jiffi::Context ctx;
    jiffi::LayoutRequest req;
    req.headers = {"pthread.h"};
    req.cache_dir = cache.c_str();
    jiffi::AutoRecord r = jiffi::define_c_struct_auto(ctx, "__pthread_unwind_buf_t", req);
    CHECK(r.type_name == "__pthread_unwind_buf_t");
    CHECK(r.size == sizeof(__pthread_unwind_buf_t));
    CHECK(r.align == alignof(__pthread_unwind_buf_t));
    // The context's typedef has the alignment too: a struct holding one is laid out by it.
    ctx.cdef("struct jiffi_holds_buf { char c; __pthread_unwind_buf_t buf; };");
    jiffi_type_detail d{};
    jiffi::detail_api::check(jiffi_type_describe(ctx.get(), "__pthread_unwind_buf_t", &d));
    CHECK(d.align == 16);
    jiffi::detail_api::check(jiffi_type_describe(ctx.get(), "struct jiffi_holds_buf", &d));
    CHECK(d.size == 16 + sizeof(__pthread_unwind_buf_t) + 8);  // 104 bytes padded to 112, at 16
    // From the cache: the same answer without Clang.
    jiffi::Context again;
    jiffi::AutoRecord c = jiffi::define_c_struct_auto(again, "__pthread_unwind_buf_t", req);
    CHECK(c.from_cache);
    CHECK(c.align == 16);
}

TEST_CASE("a local typedef with aligned(32) on an untagged struct") {
    std::string cache = fresh_dir("local");
    std::string header = cache + "/aligned_typedef.h";
    {
        FILE* f = std::fopen(header.c_str(), "w");
        REQUIRE(f);
        std::fputs("typedef struct { int a; char b; } jiffi_al32_t __attribute__((aligned(32)));\n", f);
        std::fclose(f);
    }
    jiffi::Context ctx;
    jiffi::LayoutRequest req;
    req.headers = {header};
    req.cache_dir = cache.c_str();
    jiffi::AutoRecord r = jiffi::define_c_struct_auto(ctx, "jiffi_al32_t", req);
    CHECK(r.size == 8);
    CHECK(r.align == 32);
}

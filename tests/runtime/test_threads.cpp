// Every entry point used from many threads at once on one context.
#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "jiffi/jiffi.h"

namespace {

extern "C" long jiffi_test_add2(long a, long b) { return a + b; }

}  // namespace

TEST_CASE("one context shared by 8 threads: cdef, parse, open, bind, call") {
    jiffi_context* ctx = nullptr;
    REQUIRE(jiffi_context_create(JIFFI_BACKEND_AUTO, &ctx) == nullptr);
    std::atomic<int> failures{0};
    std::atomic<long> calls{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            for (int round = 0; round < 40; ++round) {
                std::string tag = "s_" + std::to_string(t) + "_" + std::to_string(round);
                std::string decl = "struct " + tag + " { int a; double b; };";
                if (jiffi_error* e = jiffi_cdef(ctx, decl.c_str())) {
                    jiffi_error_dispose(e);
                    ++failures;
                }
                jiffi_signature* sig = nullptr;
                std::string text = "double (struct " + tag + " *, int)";
                if (jiffi_error* e = jiffi_signature_parse(ctx, text.c_str(), &sig)) {
                    jiffi_error_dispose(e);
                    ++failures;
                }
                jiffi_signature* shared = nullptr;
                if (jiffi_error* e = jiffi_signature_parse(ctx, "long (long, long)", &shared)) {
                    jiffi_error_dispose(e);
                    ++failures;
                    continue;
                }
                jiffi_library* libc = nullptr;
                if (jiffi_error* e = jiffi_library_open(ctx, "libc", &libc)) {
                    jiffi_error_dispose(e);
                    ++failures;
                    continue;
                }
                jiffi_signature* strlen_sig = nullptr;
                jiffi_function* strlen_fn = nullptr;
                jiffi_function* add = nullptr;
                if (jiffi_signature_parse(ctx, ":size (:string)", &strlen_sig) ||
                    jiffi_function_bind(libc, "strlen", strlen_sig, &strlen_fn) ||
                    jiffi_function_create(ctx, reinterpret_cast<void*>(&jiffi_test_add2), shared, &add)) {
                    ++failures;
                } else {
                    for (int i = 0; i < 250; ++i) {
                        jiffi_slot a[2], r;
                        a[0].ptr = const_cast<char*>(tag.c_str());
                        jiffi_function_call(strlen_fn, a, &r);
                        if (r.u64 != tag.size()) ++failures;
                        a[0].i64 = t;
                        a[1].i64 = i;
                        jiffi_function_invoker(add)(jiffi_function_address(add), a, &r);
                        if (r.i64 != t + i) ++failures;
                        calls += 2;
                    }
                }
                jiffi_function_destroy(strlen_fn);
                jiffi_function_destroy(add);
                jiffi_library_close(libc);
            }
        });
    }
    for (auto& th : threads) th.join();
    CHECK(failures.load() == 0);
    CHECK(calls.load() == 8L * 40 * 250 * 2);
    jiffi_context_destroy(ctx);
}

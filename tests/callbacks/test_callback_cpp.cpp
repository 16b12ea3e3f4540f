// The C++ callback API: make_callback from lambdas, exceptions through qsort, the error hook,
// defcallback and with_callback, type checks, and the handler state's lifetime.
#include <doctest/doctest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "jiffi/callback.hpp"

extern "C" int64_t cb_call_binop(int64_t (*f)(int64_t, int64_t), int64_t a, int64_t b);

namespace {

using Compare = int(const void*, const void*);
const char* const kCompare = "int (const void *, const void *)";

// libc's qsort as a jiffi function of ctx.
jiffi::Function bind_qsort(jiffi::Context& ctx, jiffi::Library& libc) {
    return libc.bind("qsort", ctx.signature("void qsort(void *, size_t, size_t, int (*)(const void *, const void *))"));
}

}  // namespace

TEST_CASE("make_callback wraps a capturing lambda; qsort sorts through it on every backend") {
    for (jiffi::Backend b : {jiffi::Backend::Jit, jiffi::Backend::Libffi, jiffi::Backend::Auto}) {
        jiffi::Context ctx(b);
        jiffi::Library libc = ctx.open("libc");
        jiffi::Function qsort_fn = bind_qsort(ctx, libc);
        int calls = 0;
        jiffi::Callback cmp = jiffi::make_callback<Compare>(ctx, kCompare, [&calls](const void* a, const void* b) {
            ++calls;
            int x = *static_cast<const int*>(a), y = *static_cast<const int*>(b);
            return (x > y) - (x < y);
        });
        std::vector<int> v{9, 3, 7, 1, 8};
        qsort_fn.call(static_cast<void*>(v.data()), v.size(), sizeof(int), cmp.code());
        CHECK(v == std::vector<int>{1, 3, 7, 8, 9});
        CHECK(calls > 0);
    }
}

TEST_CASE("an exception thrown by a handler is rethrown when the outer jiffi call returns") {
    for (jiffi::Backend b : {jiffi::Backend::Jit, jiffi::Backend::Libffi}) {
        jiffi::Context ctx(b);
        jiffi::Library libc = ctx.open("libc");
        jiffi::Function qsort_fn = bind_qsort(ctx, libc);
        int calls_after = 0;
        bool thrown = false;
        jiffi::Callback cmp = jiffi::make_callback<Compare>(ctx, kCompare, [&](const void* a, const void* b) {
            if (thrown) ++calls_after;
            int x = *static_cast<const int*>(a), y = *static_cast<const int*>(b);
            if (x == 13 || y == 13) {
                thrown = true;
                throw std::runtime_error("unlucky element");
            }
            return (x > y) - (x < y);
        });
        std::vector<int> v{5, 13, 2, 8, 1, 21, 3};
        CHECK_THROWS_WITH_AS(
            qsort_fn.call(static_cast<void*>(v.data()), v.size(), sizeof(int), cmp.code()), "unlucky element",
            std::runtime_error);
        CHECK(thrown);
        // The handler is not run again while its failure is pending.
        CHECK(calls_after == 0);
        // Nothing stays pending: the next call works.
        thrown = false;
        std::vector<int> w{3, 2, 1};
        qsort_fn.call(static_cast<void*>(w.data()), w.size(), sizeof(int), cmp.code());
        CHECK(w == std::vector<int>{1, 2, 3});
    }
}

namespace {
std::string hooked_message;
std::string hooked_signature;
}  // namespace

TEST_CASE("with no jiffi call running, a handler's exception goes to the error hook") {
    jiffi::Context ctx(jiffi::Backend::Jit);
    auto previous = jiffi::set_callback_error_hook([](std::exception_ptr e, const char* sig) {
        hooked_signature = sig;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& x) {
            hooked_message = x.what();
        }
    });
    jiffi::Callback cb = jiffi::make_callback<int64_t(int64_t, int64_t)>(
        ctx, "int64_t (int64_t, int64_t)", [](int64_t a, int64_t) -> int64_t {
            if (a < 0) throw std::invalid_argument("negative");
            return a;
        });
    CHECK(cb_call_binop(cb.as<int64_t(int64_t, int64_t)>(), 5, 0) == 5);
    // Called from C directly: the callback returns zero and the hook gets the exception.
    CHECK(cb_call_binop(cb.as<int64_t(int64_t, int64_t)>(), -1, 0) == 0);
    CHECK(hooked_message == "negative");
    CHECK(hooked_signature == "int64_t(int64_t, int64_t)");  // spelled as written
    jiffi::set_callback_error_hook(previous);
}

TEST_CASE("defcallback registers by name; with_callback scopes one") {
    jiffi::Context ctx(jiffi::Backend::Auto);
    struct Point {
        double x, y;
    };
    ctx.cdef("struct point { double x, y; };");
    auto* norm1 = jiffi::defcallback<double(Point)>(ctx, "norm1", "double (struct point)",
                                                    [](Point p) { return (p.x < 0 ? -p.x : p.x) + (p.y < 0 ? -p.y : p.y); });
    CHECK(norm1(Point{3, -4}) == 7);
    CHECK(reinterpret_cast<void*>(jiffi::callback<double(Point)>("norm1")) == reinterpret_cast<void*>(norm1));
    CHECK_THROWS_AS(jiffi::callback<double(Point)>("norm2"), jiffi::Error);
    CHECK(jiffi::CallbackRegistry::global().undefine("norm1"));
    CHECK_FALSE(jiffi::CallbackRegistry::global().undefine("norm1"));

    int64_t seen = jiffi::with_callback<int64_t(int64_t, int64_t)>(
        ctx, "int64_t (int64_t, int64_t)", [](int64_t a, int64_t b) { return a * b; },
        [](int64_t (*f)(int64_t, int64_t)) { return cb_call_binop(f, 6, 7); });
    CHECK(seen == 42);
}

TEST_CASE("make_callback checks the C++ handler type against the signature") {
    jiffi::Context ctx(jiffi::Backend::Auto);
    auto count = [&] { jiffi::make_callback<int(int)>(ctx, "int (int, int)", [](int a) { return a; }); };
    CHECK_THROWS_AS(count(), jiffi::Error);
    try {
        count();
    } catch (const jiffi::Error& e) {
        CHECK(e.code() == jiffi::Errc::ARG_COUNT);
    }
    try {
        jiffi::make_callback<int(double)>(ctx, "int (float)", [](double) { return 0; });
        FAIL("a double handler for a float argument was accepted");
    } catch (const jiffi::Error& e) {
        CHECK(e.code() == jiffi::Errc::ARG_TYPE);
        CHECK(std::string(e.what()).find("argument 1") != std::string::npos);
    }
}

TEST_CASE("a released callback's handler state lives until no call can reach it, then is freed") {
    for (jiffi::Backend b : {jiffi::Backend::Jit, jiffi::Backend::Libffi}) {
        jiffi::Context ctx(b);
        auto alive = std::make_shared<int>(0);
        std::weak_ptr<int> watch = alive;
        {
            jiffi::Callback cb = jiffi::make_callback<int64_t(int64_t, int64_t)>(
                ctx, "int64_t (int64_t, int64_t)", [alive](int64_t a, int64_t b) { return a + b + *alive; });
            alive.reset();
            CHECK(cb_call_binop(cb.as<int64_t(int64_t, int64_t)>(), 2, 3) == 5);
        }
        // Still quarantined right after its release.
        CHECK_FALSE(watch.expired());
        for (int i = 0; i < 3000; ++i)
            jiffi::make_callback<int64_t(int64_t, int64_t)>(ctx, "int64_t (int64_t, int64_t)",
                                                            [](int64_t a, int64_t) { return a; });
        CHECK(watch.expired());
    }
}

// The signature registry and with-foreign-batch over defshared bindings.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "jiffi/foreign.hpp"
#include "jiffi/registry.hpp"

TEST_CASE("register_signature names a signature; get_or_create_trampoline caches its invoker") {
    jiffi::Signature s = jiffi::register_signature("strlen", ":unsigned-long", {":string"});
    CHECK(s.arg_count() == 1);
    CHECK(jiffi::default_registry().signature("strlen").get() == s.get());
    CHECK_THROWS_AS(jiffi::default_registry().signature("strnlen"), jiffi::Error);

    jiffi_invoker inv = jiffi::get_or_create_trampoline(":unsigned-long", {":string"});
    REQUIRE(reinterpret_cast<void*>(inv) != nullptr);
    jiffi_slot arg, ret;
    arg.ptr = const_cast<char*>("hello");
    inv(reinterpret_cast<void*>(&::strlen), &arg, &ret);
    CHECK(ret.u64 == 5);
    CHECK(reinterpret_cast<void*>(jiffi::default_registry().trampoline("strlen")) == reinterpret_cast<void*>(inv));

    // Thread-safe: every thread gets the one cached invoker.
    std::vector<jiffi_invoker> seen(8);
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&seen, t] { seen[t] = jiffi::get_or_create_trampoline("double", {"double", "double"}); });
    for (auto& th : threads) th.join();
    for (jiffi_invoker x : seen) CHECK(reinterpret_cast<void*>(x) == reinterpret_cast<void*>(seen[0]));
    jiffi_slot args[2];
    args[0].f64 = 3;
    args[1].f64 = 4;
    seen[0](reinterpret_cast<void*>(static_cast<double (*)(double, double)>(&::hypot)), args, &ret);
    CHECK(ret.f64 == 5.0);
}

TEST_CASE("with_foreign_batch makes its calls as one compiled batch and returns every result") {
    auto my_strlen = jiffi::defshared("strlen", "libc", "unsigned-long", {{"s", "string"}});
    auto my_abs = jiffi::defshared("abs", "libc", "int", {{"n", "int"}});
    auto my_pow = jiffi::defshared("pow", "libm", "double", {{"x", "double"}, {"y", "double"}});
    jiffi::Value::Array r = jiffi::with_foreign_batch([&](jiffi::ForeignBatch& b) {
        b.add(my_strlen, "batch").add(my_abs, -12).add(my_pow, 2.0, 10.0);
    });
    REQUIRE(r.size() == 3);
    CHECK(r[0].as_int() == 5);
    CHECK(r[1].as_int() == 12);
    CHECK(r[2].as_double() == 1024.0);

    jiffi::ForeignBatch batch;
    batch.add(my_abs, -1).add(my_abs, -2).add(my_abs, -3);
    for (int round = 0; round < 3; ++round) {
        auto out = batch.run();
        CHECK(out[0].as_int() + out[1].as_int() + out[2].as_int() == 6);
    }
    CHECK(batch.compiled());
    // Arguments are checked when added, naming the function and argument.
    CHECK_THROWS_AS(batch.add(my_abs, "text"), jiffi::Error);
    CHECK_THROWS_AS(batch.add(my_pow, 1.0), jiffi::Error);
}

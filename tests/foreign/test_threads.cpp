// The default runtime's caches and struct field caches used from many threads at once.
#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "jiffi/foreign.hpp"
#include "jiffi/memory.hpp"
#include "jiffi/runtime.hpp"
#include "jiffi/structs.hpp"

using namespace jiffi;

TEST_CASE("shared_call, defshared, struct fields and pools from several threads") {
    Runtime rt;
    StructType pair = define_c_struct(rt, "tpair", {{"a", "int"}, {"b", "double"}});
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            SharedFunction labs_fn = defshared(rt, "labs", "libc", "long", {"long"});
            CStruct s(pair);
            for (int i = 0; i < 200; ++i) {
                std::string word(static_cast<size_t>(i % 17), 'x');
                if (shared_call<size_t>(rt, {"strlen", "libc"}, "unsigned-long", {"string"}, word) != word.size())
                    ++failures;
                if (labs_fn(-i - t).as_int() != i + t) ++failures;
                s["a"] = i;
                s["b"] = i * 0.5;
                if (s.get<int>("a") != i || s.get<double>("b") != i * 0.5) ++failures;
                with_pooled_memory<int>(50, [&](int* p) {
                    p[49] = i;
                    if (p[49] != i) ++failures;
                });
            }
        });
    }
    for (std::thread& th : threads) th.join();
    CHECK(failures.load() == 0);
}

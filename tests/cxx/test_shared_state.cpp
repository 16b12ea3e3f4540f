// Two shared objects built with hidden visibility, each linking libjiffi.so, see one C++ API
// state: the callback error hook, named callbacks, the default runtime and registry, the
// thread's memory pool, and the thread's callback state (an exception a handler made in one
// object throws is rethrown by a call made in the other).
#include <doctest/doctest.h>

#include <exception>

#include "jiffi/callback.hpp"

extern "C" {
jiffi::CallbackErrorHook dso_a_set_hook(jiffi::CallbackErrorHook hook);
void* dso_a_default_runtime();
void* dso_a_default_registry();
void* dso_a_thread_memory_pool();
void dso_a_define_triple();
void* dso_a_throwing_compare();
jiffi::CallbackErrorHook dso_b_current_hook();
void* dso_b_default_runtime();
void* dso_b_default_registry();
void* dso_b_thread_memory_pool();
void* dso_b_callback(const char* name);
int dso_b_qsort_rethrows(void* compare);
}

namespace {
void test_hook(std::exception_ptr, const char*) {}
// A hook as an address doctest can print.
void* address(jiffi::CallbackErrorHook hook) { return reinterpret_cast<void*>(hook); }
}  // namespace

TEST_CASE("a callback error hook set in one shared object is the hook of the other") {
    jiffi::CallbackErrorHook before = dso_a_set_hook(&test_hook);
    CHECK(address(dso_b_current_hook()) == address(&test_hook));
    dso_a_set_hook(before);
    CHECK(address(dso_b_current_hook()) == address(before));
}

TEST_CASE("a callback defined by name in one shared object is found by the other") {
    dso_a_define_triple();
    void* code = dso_b_callback("dso_a_triple");
    REQUIRE(code != nullptr);
    CHECK(reinterpret_cast<int (*)(int)>(code)(14) == 42);
}

TEST_CASE("the default runtime, registry and thread memory pool are one per process") {
    CHECK(dso_a_default_runtime() == dso_b_default_runtime());
    CHECK(dso_a_default_registry() == dso_b_default_registry());
    CHECK(dso_a_thread_memory_pool() == dso_b_thread_memory_pool());
}

TEST_CASE("a handler's exception from one shared object is rethrown by a call made in the other") {
    CHECK(dso_b_qsort_rethrows(dso_a_throwing_compare()) == 1);
}

// The C++ API from an installed jiffi: a call through shared_call.
#include <cstdio>
#include <exception>

#include "jiffi/foreign.hpp"

int main() {
    try {
        long n = jiffi::shared_call({"strlen", "libc"}, "unsigned-long", {"string"}, "hello").as_int();
        std::printf("jiffi %s strlen %ld\n", jiffi_version(), n);
        return n == 5 ? 0 : 1;
    } catch (const std::exception& e) {
        std::printf("error: %s\n", e.what());
        return 1;
    }
}

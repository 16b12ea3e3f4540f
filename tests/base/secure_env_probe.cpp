// Prints whether env_get sees JIFFI_PROBE: a setuid copy of this program must not.
#include <cstdio>

#include "base/secure_io.hpp"

int main() {
    const char* v = jiffi::detail::env_get("JIFFI_PROBE");
    std::printf("%s\n", v ? v : "(unset)");
    return 0;
}

// libFuzzer target: the GNU ld linker-script reader (GROUP and INPUT commands) of runtime/library.cpp.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "runtime/library.hpp"

// Reads the input's GROUP/INPUT file names: every name it yields is non-empty and shorter
// than the input. NUL bytes are fed too (the loader never passes them, but the reader must
// not depend on that).
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    for (const std::string& input : jiffi::detail::linker_script_inputs(text)) {
        if (input.empty() || input.size() > text.size()) {
            std::fprintf(stderr, "linker_script_inputs gave a %s name\n",
                         input.empty() ? "empty" : "too long a");
            std::abort();
        }
    }
    return 0;
}

// libFuzzer target: the GNU ld linker-script reader (GROUP and INPUT commands) of runtime/library.cpp.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "runtime/library.hpp"

// Reads the input's GROUP/INPUT file names as the loader does: only text without NUL bytes
// is read as a script (a NUL means a binary file), and every name it yields is non-empty
// and shorter than the input.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    if (text.find('\0') != std::string::npos) return 0;
    for (const std::string& input : jiffi::detail::linker_script_inputs(text)) {
        if (input.empty() || input.size() > text.size()) {
            std::fprintf(stderr, "linker_script_inputs gave a %s name\n",
                         input.empty() ? "empty" : "too long a");
            std::abort();
        }
    }
    return 0;
}

// libFuzzer target: the layout cache's entry reader (and the dump reader alone) on any bytes
// must return a dump or throw std::runtime_error; anything else (a crash, a hang, another
// exception, unbounded memory) is a finding. Seeds: tests/fuzz/corpus/layout_cache/.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "layout/layout_model.hpp"

using namespace jiffi::detail;

// Reads data as a whole cache entry, then as a bare jiffi-layout dump; rejections are fine.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    try {
        LayoutDump dump;
        read_layout_cache_entry(bytes, &dump);
    } catch (const std::runtime_error&) {
    }
    try {
        read_jiffi_json(bytes);
    } catch (const std::runtime_error&) {
    }
    return 0;
}

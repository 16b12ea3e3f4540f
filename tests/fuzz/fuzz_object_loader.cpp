// libFuzzer target: the core's loader of cached stub objects over arbitrary bytes (a damaged
// object must be refused with a reason, never followed; an accepted one is mapped and freed).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "jit/object_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    for (size_t count : {size_t(1), size_t(2)}) {
        std::string why;
        std::unique_ptr<jiffi::detail::LoadedObject> obj = jiffi::detail::ObjectLoader::load(bytes, count, why);
        if (!obj && why.empty()) __builtin_trap();  // a refusal always says why
        if (obj && obj->code().size() != count) __builtin_trap();
    }
    return 0;
}

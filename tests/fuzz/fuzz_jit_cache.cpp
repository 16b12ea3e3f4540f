// libFuzzer target: the JIT object cache's file reader over arbitrary bytes, as read and resealed.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "jit/object_cache.hpp"

using jiffi::detail::CachedObject;
using jiffi::detail::ObjectCache;

namespace {

// Parses input as a cache file for the seeds' environment and each of their keys; an
// accepted file must hold a non-empty object and keys within its own bytes.
void parse_all(std::string_view input) {
    static const std::string environment = "jiffi fuzz environment";
    static const std::string keys[] = {"k0", "k1"};
    std::string why;
    for (const std::string& key : keys) {
        std::optional<CachedObject> got = ObjectCache::parse(input, environment, key, &why);
        if (got && (got->object.empty() || got->keys.empty() || got->object.size() > input.size()))
            __builtin_trap();
    }
}

}  // namespace

// Parses data as it is, then with its last 32 bytes replaced by the digest of the rest, so
// that mutations also reach the fields the digest guards.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    parse_all(bytes);
    parse_all(ObjectCache::seal(bytes.substr(0, size >= 32 ? size - 32 : 0)));
    return 0;
}

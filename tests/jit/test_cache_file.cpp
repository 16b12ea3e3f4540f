// The JIT cache's file format as a pure function of bytes: what parse accepts, and the fuzz seeds.
#include <doctest/doctest.h>

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "jit/jit_engine.hpp"
#include "jit/object_cache.hpp"
#include "jit/stub_cache.hpp"

using namespace jiffi::detail;

namespace {

// The environment and key the fuzz target parses its inputs for (tests/fuzz/fuzz_jit_cache.cpp).
const std::string kFuzzEnvironment = "jiffi fuzz environment";
const std::string kFuzzKey = "k0";

// The bytes of the file at path.
std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// The fuzz seeds, by file name: valid-* parse for kFuzzKey, bad-* do not. The object of
// valid-stub is a real stub compiled by the JIT.
std::vector<std::pair<std::string, std::string>> fuzz_seeds() {
    StubSpec spec;
    spec.plan.triple = Target::host().triple;
    char tmpl[] = "/tmp/jiffi-fuzz-seed-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    std::string dir = tmpl;
    JitEngine::instance().set_cache_dir(dir);
    {
        StubCache cache;
        (void)cache.acquire(spec);
    }
    JitEngine::instance().set_cache_dir("");
    std::optional<CachedObject> stub = ObjectCache(dir, JitEngine::instance().cache_environment()).find(spec.key());
    std::filesystem::remove_all(dir);
    REQUIRE(stub);
    std::string object = stub->object;
    std::string one = ObjectCache::encode(kFuzzEnvironment, {kFuzzKey}, "tiny object");
    std::string two = ObjectCache::encode(kFuzzEnvironment, {"k1", kFuzzKey, "k2"}, "\x7f" "ELF fake");
    std::string flipped = one;
    flipped[flipped.size() / 2] ^= 0x01;
    return {
        {"valid-stub", ObjectCache::encode(kFuzzEnvironment, {kFuzzKey}, object)},
        {"valid-one", one},
        {"valid-three-keys", two},
        {"bad-truncated", one.substr(0, one.size() - 5)},
        {"bad-header-only", one.substr(0, 20)},
        {"bad-flipped-byte", flipped},
        {"bad-other-environment", ObjectCache::encode("another environment", {kFuzzKey}, "tiny object")},
        {"bad-other-key", ObjectCache::encode(kFuzzEnvironment, {"k9"}, "tiny object")},
        {"bad-empty-object", ObjectCache::encode(kFuzzEnvironment, {kFuzzKey}, "")},
        {"bad-huge-count", ObjectCache::seal(one.substr(0, 8 + 8 + kFuzzEnvironment.size()) +
                                             std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8))},
    };
}

}  // namespace

TEST_CASE("cache file: encode and parse round-trip for every key of the file") {
    std::string bytes = ObjectCache::encode("env P", {"a", "b"}, "OBJECT");
    for (const char* key : {"a", "b"}) {
        std::optional<CachedObject> got = ObjectCache::parse(bytes, "env P", key);
        REQUIRE(got);
        CHECK(got->object == "OBJECT");
        CHECK(got->keys == std::vector<std::string>{"a", "b"});
    }
    CHECK(ObjectCache::parse(bytes, "env P", "a")->id == ObjectCache::parse(bytes, "env P", "b")->id);
    CHECK(ObjectCache::parse(bytes, "env P", "a")->id !=
          ObjectCache::parse(ObjectCache::encode("env P", {"a", "b"}, "OBJECT2"), "env P", "a")->id);
}

TEST_CASE("cache file: another environment, another key, a damaged or an old-format file is rejected") {
    std::string bytes = ObjectCache::encode("env P", {"a"}, "OBJECT");
    std::string why;
    CHECK_FALSE(ObjectCache::parse(bytes, "env Q", "a", &why));
    CHECK(why.find("another environment") != std::string::npos);
    CHECK_FALSE(ObjectCache::parse(bytes, "env P", "b", &why));
    CHECK(why.find("does not hold") != std::string::npos);
    for (size_t n = 0; n < bytes.size(); ++n) {
        CHECK_FALSE(ObjectCache::parse(std::string_view(bytes).substr(0, n), "env P", "a"));
        std::string bad = bytes;
        bad[n] = static_cast<char>(bad[n] ^ 0x01);
        CHECK_FALSE(ObjectCache::parse(bad, "env P", "a", &why));
    }
    // Sealed again after a change, the content is checked field by field.
    std::string body = bytes.substr(0, bytes.size() - 32);
    CHECK(ObjectCache::parse(ObjectCache::seal(body), "env P", "a"));
    CHECK_FALSE(ObjectCache::parse(ObjectCache::seal(body + "x"), "env P", "a", &why));
    CHECK(why.find("object is malformed") != std::string::npos);
    // Version 1 of the format (magic JIFFIOC1) is not read.
    std::string old = body;
    old[7] = '1';
    CHECK_FALSE(ObjectCache::parse(ObjectCache::seal(old), "env P", "a", &why));
    CHECK(why.find("not a JIT cache file of this version") != std::string::npos);
}

TEST_CASE("cache file: the fuzz seeds are what their names say") {
    const char* write = std::getenv("JIFFI_WRITE_FUZZ_SEEDS");
    for (auto& [name, bytes] : fuzz_seeds()) {
        CAPTURE(name);
        // JIFFI_WRITE_FUZZ_SEEDS=1 rewrites the committed seeds from the current writer.
        if (write && *write) std::ofstream(JIFFI_FUZZ_CORPUS "/" + name, std::ios::binary) << bytes;
        std::string seed = read_bytes(JIFFI_FUZZ_CORPUS "/" + name);
        REQUIRE_FALSE(seed.empty());
        CHECK(seed.size() < 4096);
        bool valid = name.rfind("valid-", 0) == 0;
        CHECK(ObjectCache::parse(seed, kFuzzEnvironment, kFuzzKey).has_value() == valid);
    }
}

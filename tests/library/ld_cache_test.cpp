// Tests of the ld.so.cache reader: the system cache, synthetic caches and malformed files.
#include "runtime/library.hpp"

#include "temp_dir.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

using jiffi::detail::ld_cache_lookup;
using jiffi::detail::LdCacheEntry;
using jiffi::detail::read_ld_cache;
using jiffi::test::read_file;
using jiffi::test::TempDir;
using jiffi::test::write_file;
namespace fs = std::filesystem;

namespace {

constexpr const char* kSystemCache = "/etc/ld.so.cache";

// The cache flags of this process's libraries (FLAG_ELF_LIBC6 with the ABI bits), or 0 when
// the test does not know them.
#if defined(__x86_64__) && !defined(__ILP32__)
constexpr std::int32_t kHostFlags = 0x0303;
#elif defined(__aarch64__) && defined(__LP64__)
constexpr std::int32_t kHostFlags = 0x0a03;
#else
constexpr std::int32_t kHostFlags = 0;
#endif
// Flags of a library of another ABI (i386 libc6 on x86-64, x86-64 elsewhere).
constexpr std::int32_t kForeignFlags = kHostFlags == 0x0303 ? 0x0003 : 0x0303;

// One entry of a synthetic cache.
struct FakeEntry {
    std::int32_t flags;
    std::string soname;
    std::string path;
    std::uint64_t hwcap = 0;
};

// Appends the native-endian bytes of value to out.
template <class T>
void put(std::string& out, T value) {
    char bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));
    out.append(bytes, sizeof(T));
}

// Overwrites the native-endian bytes at offset of data with value.
template <class T>
void patch(std::string& data, std::size_t offset, T value) {
    std::memcpy(data.data() + offset, &value, sizeof(T));
}

// A new-format ("glibc-ld.so.cache1.1") table of entries, string offsets from its start.
std::string new_format(const std::vector<FakeEntry>& entries) {
    std::string strings;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> offsets;
    std::uint32_t strings_start = 48 + 24 * static_cast<std::uint32_t>(entries.size());
    for (const FakeEntry& entry : entries) {
        std::uint32_t key = strings_start + static_cast<std::uint32_t>(strings.size());
        strings += entry.soname + '\0';
        std::uint32_t value = strings_start + static_cast<std::uint32_t>(strings.size());
        strings += entry.path + '\0';
        offsets.emplace_back(key, value);
    }
    std::string out = "glibc-ld.so.cache1.1";
    put<std::uint32_t>(out, static_cast<std::uint32_t>(entries.size()));
    put<std::uint32_t>(out, static_cast<std::uint32_t>(strings.size()));
    put<std::uint8_t>(out, __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 2 : 3);
    out.append(3, '\0');
    put<std::uint32_t>(out, 0);
    out.append(12, '\0');
    for (std::size_t i = 0; i < entries.size(); ++i) {
        put<std::int32_t>(out, entries[i].flags);
        put<std::uint32_t>(out, offsets[i].first);
        put<std::uint32_t>(out, offsets[i].second);
        put<std::uint32_t>(out, 0);
        put<std::uint64_t>(out, entries[i].hwcap);
    }
    return out + strings;
}

// An old-format ("ld.so-1.7.0") file of entries, optionally followed by an embedded
// new-format table at the next 8-byte boundary, as ldconfig's compat format lays them out.
std::string old_format(const std::vector<FakeEntry>& entries, const std::string& embedded = "") {
    std::string out = "ld.so-1.7.0";
    out += '\0';
    put<std::uint32_t>(out, static_cast<std::uint32_t>(entries.size()));
    std::size_t table_end = out.size() + 12 * entries.size();
    std::string middle(((table_end + 7) / 8 * 8) - table_end, '\0');
    if (!embedded.empty()) middle += embedded;
    std::string strings;
    for (const FakeEntry& entry : entries) {
        put<std::int32_t>(out, entry.flags);
        put<std::uint32_t>(out, static_cast<std::uint32_t>(middle.size() + strings.size()));
        strings += entry.soname + '\0';
        put<std::uint32_t>(out, static_cast<std::uint32_t>(middle.size() + strings.size()));
        strings += entry.path + '\0';
    }
    return out + middle + strings;
}

// The entries of a synthetic cache for the "jiffi" library family.
std::vector<FakeEntry> jiffi_entries(const std::string& root) {
    return {
        {kHostFlags, "libjiffi.so.1", root + "/libjiffi.so.1"},
        {kForeignFlags, "libjiffi.so.1", "/foreign/libjiffi.so.1"},
        {kHostFlags, "libjiffi.so", root + "/libjiffi.so"},
        {kHostFlags, "libjiffi.so.2", root + "/hwcaps/libjiffi.so.2", (std::uint64_t{1} << 62) | 1},
        {kHostFlags, "libjiffi.so.2", root + "/libjiffi.so.2"},
        {kHostFlags, "libjiffiother.so.9", root + "/libjiffiother.so.9"},
    };
}

// The entries read_ld_cache returns for a file holding bytes.
std::vector<LdCacheEntry> parse_bytes(const TempDir& dir, const std::string& bytes) {
    std::string path = dir / "ld.so.cache";
    write_file(path, bytes);
    return read_ld_cache(path);
}

}  // namespace

TEST_CASE("the system library cache") {
    if (!fs::exists(kSystemCache)) return;
    auto entries = read_ld_cache(kSystemCache);
    REQUIRE(!entries.empty());
    bool has_libc = false;
    for (const LdCacheEntry& entry : entries) {
        CHECK(entry.path.front() == '/');
        CHECK(!entry.soname.empty());
        has_libc = has_libc || entry.soname == "libc.so.6";
#if defined(__x86_64__) && !defined(__ILP32__)
        CHECK(entry.path.find("/lib32/") == std::string::npos);
        CHECK(entry.path.find("/libx32/") == std::string::npos);
#endif
    }
    CHECK(has_libc);

    auto libz = ld_cache_lookup("libz.so.1");
    REQUIRE(!libz.empty());
    CHECK(fs::exists(libz.front()));
    CHECK(fs::path(libz.front()).filename() == "libz.so.1");

    auto z = ld_cache_lookup("z");
    REQUIRE(!z.empty());
    CHECK(fs::path(z.front()).filename() == "libz.so.1");
    CHECK(fs::path(ld_cache_lookup("libc").front()).filename() == "libc.so.6");
    CHECK(fs::path(ld_cache_lookup("m").front()).filename() == "libm.so.6");

    CHECK(ld_cache_lookup("jiffi-no-such-library").empty());
    CHECK(ld_cache_lookup("").empty());
    CHECK(ld_cache_lookup("/lib/libz.so.1").empty());
    CHECK(ld_cache_lookup("z", "/nonexistent/ld.so.cache").empty());

    TempDir dir;
    std::string copy = dir / "copy.cache";
    fs::copy_file(kSystemCache, copy);
    CHECK(ld_cache_lookup("z", copy) == z);
}

TEST_CASE("synthetic caches in the new, old and compat formats") {
    if (kHostFlags == 0) return;
    TempDir dir;
    const std::vector<std::string> expected_order{"/new/libjiffi.so.2", "/new/libjiffi.so.1",
                                                  "/new/libjiffi.so"};

    SUBCASE("new format") {
        std::string path = dir / "new.cache";
        write_file(path, new_format(jiffi_entries("/new")));
        auto entries = read_ld_cache(path);
        REQUIRE(entries.size() == 4);
        CHECK(entries[0].soname == "libjiffi.so.1");
        CHECK(entries[0].path == "/new/libjiffi.so.1");
        CHECK(entries[2].path == "/new/libjiffi.so.2");
        CHECK(ld_cache_lookup("jiffi", path) == expected_order);
        CHECK(ld_cache_lookup("libjiffi", path) == expected_order);
        CHECK(ld_cache_lookup("libjiffi.so.1", path) ==
              std::vector<std::string>{"/new/libjiffi.so.1"});
        CHECK(ld_cache_lookup("libjiffi.so", path) ==
              std::vector<std::string>{"/new/libjiffi.so", "/new/libjiffi.so.2",
                                       "/new/libjiffi.so.1"});
        CHECK(ld_cache_lookup("jiffiother", path) ==
              std::vector<std::string>{"/new/libjiffiother.so.9"});
    }
    SUBCASE("old format") {
        std::string path = dir / "old.cache";
        auto entries_in = jiffi_entries("/old");
        write_file(path, old_format(entries_in));
        auto entries = read_ld_cache(path);
        REQUIRE(entries.size() == 5);  // the old format has no hwcap field to skip by
        CHECK(entries[0].path == "/old/libjiffi.so.1");
        CHECK(ld_cache_lookup("libjiffi.so.1", path) ==
              std::vector<std::string>{"/old/libjiffi.so.1"});
    }
    SUBCASE("compat format reads the embedded new table") {
        std::string path = dir / "compat.cache";
        write_file(path, old_format(jiffi_entries("/old"), new_format(jiffi_entries("/new"))));
        CHECK(ld_cache_lookup("jiffi", path) == expected_order);
    }
    SUBCASE("compat format with a broken embedded table falls back to the old one") {
        std::string embedded = new_format(jiffi_entries("/new"));
        patch<std::uint32_t>(embedded, 24, 0xfffffff0u);
        std::string path = dir / "compat.cache";
        write_file(path, old_format(jiffi_entries("/old"), embedded));
        auto found = ld_cache_lookup("libjiffi.so.1", path);
        CHECK(found == std::vector<std::string>{"/old/libjiffi.so.1"});
    }
    SUBCASE("an empty cache") {
        CHECK(parse_bytes(dir, new_format({})).empty());
        CHECK(parse_bytes(dir, old_format({})).empty());
    }
}

TEST_CASE("malformed caches give no entries") {
    TempDir dir;
    CHECK(read_ld_cache(dir / "missing").empty());
    CHECK(read_ld_cache(dir.path().string()).empty());
    CHECK(read_ld_cache("/dev/null").empty());
    CHECK(parse_bytes(dir, "").empty());
    CHECK(parse_bytes(dir, "glibc-ld.so.cache1.1").empty());
    CHECK(parse_bytes(dir, "ld.so-1.7.0").empty());
    CHECK(parse_bytes(dir, std::string(4096, '\xff')).empty());
    CHECK(parse_bytes(dir, "glibc-ld.so.cache1.1" + std::string(4096, '\xff')).empty());
    CHECK(parse_bytes(dir, "ld.so-1.7.0" + std::string(4096, '\xff')).empty());

    if (kHostFlags != 0) {
        std::string good = new_format(jiffi_entries("/new"));
        REQUIRE(!parse_bytes(dir, good).empty());

        SUBCASE("every truncation of a synthetic cache") {
            for (std::size_t length = 0; length < good.size(); ++length) {
                CAPTURE(length);
                CHECK(parse_bytes(dir, good.substr(0, length)).empty());
            }
        }
        SUBCASE("corrupted fields") {
            struct Patch {
                std::size_t offset;
                std::uint32_t value;
            };
            const Patch patches[] = {
                {20, 0xffffffffu},      // nlibs
                {20, 0x0aaaaaabu},      // nlibs whose table size wraps 32 bits
                {24, 0xffffffffu},      // len_strings
                {32, 2},                // misaligned extension offset
                {32, 0xfffffff0u},      // extension offset past the end
                {48 + 4, 0xffffffffu},  // first key
                {48 + 8, 0x7fffffffu},  // first value
            };
            for (const Patch& p : patches) {
                CAPTURE(p.offset);
                std::string bad = good;
                patch<std::uint32_t>(bad, p.offset, p.value);
                CHECK(parse_bytes(dir, bad).empty());
            }
            std::string foreign_endian = good;
            foreign_endian[28] = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 3 : 2;
            CHECK(parse_bytes(dir, foreign_endian).empty());
            std::string invalid_endian = good;
            invalid_endian[28] = 1;
            CHECK(parse_bytes(dir, invalid_endian).empty());
            std::string unterminated = good;
            unterminated.back() = 'x';
            CHECK(parse_bytes(dir, unterminated).empty());
            std::string bad_old = old_format(jiffi_entries("/old"));
            patch<std::uint32_t>(bad_old, 12, 0xffffffffu);
            CHECK(parse_bytes(dir, bad_old).empty());
            bad_old = old_format(jiffi_entries("/old"));
            patch<std::uint32_t>(bad_old, 16 + 4, 0xfffffff0u);
            CHECK(parse_bytes(dir, bad_old).empty());
        }
    }

    if (fs::exists(kSystemCache)) {
        std::string real = read_file(kSystemCache);
        REQUIRE(real.size() > 1024);
        SUBCASE("truncated copies of the system cache") {
            std::vector<std::size_t> lengths;
            for (std::size_t n = 0; n < 512; ++n) lengths.push_back(n);
            for (std::size_t n = 512; n < real.size(); n += 211) lengths.push_back(n);
            for (std::size_t n = real.size() - 300; n < real.size(); ++n) lengths.push_back(n);
            for (std::size_t length : lengths) {
                CAPTURE(length);
                CHECK(parse_bytes(dir, real.substr(0, length)).empty());
            }
        }
        SUBCASE("randomly damaged copies of the system cache do not crash") {
            std::mt19937 random(12345);
            for (int round = 0; round < 300; ++round) {
                std::string damaged = real;
                int flips = 1 + static_cast<int>(random() % 8);
                for (int i = 0; i < flips; ++i) {
                    // Damage the header and entry table more often than the strings.
                    std::size_t span = (random() % 2) ? std::min<std::size_t>(damaged.size(), 4096)
                                                      : damaged.size();
                    damaged[random() % span] = static_cast<char>(random());
                }
                for (const LdCacheEntry& entry : parse_bytes(dir, damaged)) {
                    CHECK(entry.soname.size() < damaged.size());
                    CHECK(entry.path.size() < damaged.size());
                }
            }
        }
    }
}

TEST_CASE("equal versions keep the cache's order, highest version first") {
    if (kHostFlags == 0) return;
    TempDir dir;
    std::string root = dir.path();
    std::string path = dir / "ld.so.cache";
    // "1.0" and "01.00" are the same version; whichever the cache lists first is tried first.
    write_file(path, new_format({
                         {kHostFlags, "libjiffitie.so.01.00", root + "/a"},
                         {kHostFlags, "libjiffitie.so.3", root + "/b"},
                         {kHostFlags, "libjiffitie.so.1.0", root + "/c"},
                         {kHostFlags, "libjiffitie.so.1.00", root + "/d"},
                         {kHostFlags, "libjiffitie.so.2.9", root + "/e"},
                     }));
    std::vector<std::string> expected = {root + "/b", root + "/e", root + "/a", root + "/c",
                                         root + "/d"};
    CHECK(ld_cache_lookup("jiffitie", path) == expected);
}

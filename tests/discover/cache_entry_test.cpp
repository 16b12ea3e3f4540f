// The layout cache's reader on crafted bytes: every malformed dump or entry is rejected with
// an error naming its fault (a cache miss), never a crash, a hang or an out-of-memory.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include "layout/layout_model.hpp"
#include "crafted_dumps.hpp"

using namespace jiffi::detail;
using namespace jiffi::test;

namespace {

// The reader's error for text, or "" when it accepted it.
std::string json_error(const std::string& text) {
    try {
        read_jiffi_json(text);
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "";
}

// The cache entry reader's error for bytes, or "" when it accepted them.
std::string entry_error(const std::string& bytes) {
    try {
        LayoutDump d;
        read_layout_cache_entry(bytes, &d);
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("layout dump reader: the well-formed base dump is accepted as written") {
    LayoutDump d = read_jiffi_json(dump_json(kIntType + "," + kFzType, kFzRecord));
    REQUIRE(d.records.size() == 1);
    CHECK(d.records[0].size == 4);
    CHECK(d.records[0].fields[0].type == 0);
}

TEST_CASE("layout dump reader: each crafted dump is rejected naming its fault") {
    for (const CraftedDump& c : crafted_dumps()) {
        CAPTURE(c.name);
        std::string err = json_error(c.json);
        CHECK_MESSAGE(err.find(c.fault) != std::string::npos, err);
    }
}

TEST_CASE("layout dump reader: numbers are integers in range, nesting is bounded") {
    CHECK(json_error(dump_json("{\"id\":0,\"kind\":\"builtin\",\"name\":\"int\",\"complete\":true,\"size\":-4,\"align\":4}", ""))
              .find("not an unsigned integer") != std::string::npos);
    CHECK(json_error(dump_json("{\"id\":4294967296,\"kind\":\"builtin\",\"name\":\"int\"}", "")).find("larger than") !=
          std::string::npos);
    CHECK(json_error(dump_json("{\"id\":0,\"kind\":\"builtin\",\"name\":\"int\",\"complete\":true,\"size\":4,\"align\":4,"
                               "\"spelling\":\"\\uzzzz\"}", ""))
              .find("bad \\u escape") != std::string::npos);
    CHECK(json_error(std::string(100000, '[')).find("nesting too deep") != std::string::npos);
}

TEST_CASE("layout cache entry: written entries read back; bad lengths and counts are misses") {
    LayoutCacheEntry e;
    e.request = "jiffi-layout-request 1\ncwd /x\n4:--only\n";
    e.deps = {{"/usr/include/stdio.h", 123, -5, 0xfeedfacecafebeefull}, {"/a b/c.h", 0, 1700000000123456789, 1}};
    e.json = dump_json(kIntType + "," + kFzType, kFzRecord);
    std::string bytes = write_layout_cache_entry(e);
    LayoutDump d;
    LayoutCacheEntry back = read_layout_cache_entry(bytes, &d);
    CHECK(back.request == e.request);
    REQUIRE(back.deps.size() == 2);
    CHECK(back.deps[0].path == "/usr/include/stdio.h");
    CHECK(back.deps[0].mtime_ns == -5);
    CHECK(back.deps[0].hash == 0xfeedfacecafebeefull);
    CHECK(back.deps[1].path == "/a b/c.h");
    CHECK(back.deps[1].mtime_ns == 1700000000123456789);
    CHECK(d.records.at(0).tag == "fz");

    // A request length past the entry's end is a miss, not a 99999999999999-byte allocation.
    std::string head = std::string(kCacheMagic) + "\n";
    CHECK(entry_error(head + "99999999999999\nabc\n").find("longer than the entry") != std::string::npos);
    CHECK(entry_error(head + "999999999999999999999999\n").find("larger than") != std::string::npos);
    // A huge dependency count only runs out of lines.
    CHECK(entry_error(head + "0\n\ndeps 18446744073709551615\n1 2 3 /x\n").find("no dependency line") !=
          std::string::npos);
    CHECK(entry_error(head + "0\n\ndeps 1\n1 2 xyz /x\njson\n").find("not hexadecimal") != std::string::npos);
    CHECK(entry_error(head + "0\n\ndeps 1\n1 2 3\njson\n").find("no usable path") != std::string::npos);
    CHECK(entry_error(head + "0\n\ndeps 0\njson\n{}").find("not a jiffi-layout") != std::string::npos);
    CHECK(entry_error("jiffi-layout-cache 2\n").find("not a jiffi-layout-cache 1") != std::string::npos);
    CHECK(entry_error("").find("no header line") != std::string::npos);
}

// Crafted layout dumps for "struct fz { int a; }", each with one fault the cache's reader
// must reject: shared by the reader's unit tests and the runtime's cache tests.
#pragma once

#include <string>
#include <vector>

namespace jiffi::test {

// A jiffi-layout dump for an LP64 target holding the given types, records and typedefs.
inline std::string dump_json(const std::string& types, const std::string& records, const std::string& typedefs = "") {
    return "{\"format\":\"jiffi-layout\",\"version\":1,\"header\":{\"pointer_size\":8,\"long_size\":8,"
           "\"long_double_size\":16},\"types\":[" + types + "],\"records\":[" + records +
           "],\"enums\":[],\"typedefs\":[" + typedefs +
           "],\"functions\":[],\"variables\":[],\"macros\":[],\"skipped\":[]}";
}

// Type 0: int; type 1: struct fz of size and align; record fz with the given fields.
inline const std::string kIntType =
    "{\"id\":0,\"kind\":\"builtin\",\"name\":\"int\",\"spelling\":\"int\",\"complete\":true,\"size\":4,\"align\":4}";
inline std::string fz_type(int size = 4, int align = 4) {
    return "{\"id\":1,\"kind\":\"record\",\"spelling\":\"struct fz\",\"complete\":true,\"size\":" + std::to_string(size) +
           ",\"align\":" + std::to_string(align) + ",\"record\":0}";
}
inline std::string fz_record(const std::string& fields, int size = 4, int align = 4, const char* kind = "struct") {
    return std::string("{\"kind\":\"") + kind + "\",\"tag\":\"fz\",\"type\":1,\"complete\":true,\"size\":" +
           std::to_string(size) + ",\"align\":" + std::to_string(align) + ",\"fields\":[" + fields + "]}";
}
inline std::string field(const std::string& name, int type, const std::string& more = "") {
    return "{\"name\":\"" + name + "\",\"type\":" + std::to_string(type) + ",\"offset_bits\":0" + more + "}";
}
inline const std::string kFzType = fz_type();
inline const std::string kFzRecord = fz_record(field("a", 0));

// One crafted dump, a name for it, and a phrase of the error that must reject it.
struct CraftedDump {
    std::string name, json, fault;
};

// The crafted dumps: those of the cache's known faults first, then one per rule.
inline std::vector<CraftedDump> crafted_dumps() {
    const std::string base = kIntType + "," + kFzType;
    return {
        {"typedef-without-type-verbatim",
         "{\"format\":\"jiffi-layout\",\"version\":1,\"header\":{\"pointer_size\":8,\"long_size\":8},\"types\":[{\"id\":0,"
         "\"kind\":\"record\",\"record\":0},{\"id\":1,\"kind\":\"typedef\"}],\"records\":[{\"kind\":\"struct\",\"tag\":"
         "\"fz\",\"complete\":true,\"size\":4,\"align\":4,\"fields\":[{\"name\":\"a\",\"type\":1}]}],\"enums\":[],"
         "\"typedefs\":[],\"functions\":[],\"variables\":[],\"macros\":[],\"skipped\":[]}",
         "layout dump: "},
        {"typedef-without-type",
         dump_json(base + ",{\"id\":2,\"kind\":\"typedef\",\"name\":\"t\",\"complete\":true,\"size\":4,\"align\":4}",
                   fz_record(field("a", 2))),
         "names no type"},
        {"qualified-self",
         dump_json(base + ",{\"id\":2,\"kind\":\"qualified\",\"type\":2,\"const\":true,\"complete\":true,\"size\":4,\"align\":4}",
                   fz_record(field("a", 2))),
         "refers to itself"},
        {"anonymous-member-of-itself", dump_json(base, fz_record(field("", 1, ",\"anonymous\":true"))), "contains itself"},
        {"pointer-to-qualified-loop",
         dump_json(kIntType + "," + fz_type(8, 8) +
                       ",{\"id\":2,\"kind\":\"qualified\",\"type\":2,\"complete\":true,\"size\":4,\"align\":4},"
                       "{\"id\":3,\"kind\":\"pointer\",\"type\":2,\"complete\":true,\"size\":8,\"align\":8}",
                   fz_record(field("p", 3), 8, 8)),
         "refers to itself"},
        {"size-1-on-32-bytes",
         dump_json(kIntType + "," + fz_type(1, 1) +
                       ",{\"id\":2,\"kind\":\"array\",\"type\":0,\"count\":8,\"complete\":true,\"size\":32,\"align\":4}",
                   fz_record(field("a", 2), 1, 1)),
         "ends past the end of the record"},
        {"align-0", dump_json(kIntType + "," + fz_type(4, 0), fz_record(field("a", 0), 4, 0)), "not a power of two"},
        {"align-3", dump_json(kIntType + "," + fz_type(3, 3), fz_record(field("a", 0), 3, 3)), "not a power of two"},
        {"offset-2pow63-bits",
         dump_json(base, fz_record("{\"name\":\"a\",\"type\":0,\"offset_bits\":9223372036854775808}")),
         "starts past the end"},
        {"struct-containing-itself", dump_json(base, fz_record(field("self", 1))), "contains itself"},
        {"records-containing-each-other",
         dump_json(base + ",{\"id\":2,\"kind\":\"record\",\"spelling\":\"struct fy\",\"complete\":true,\"size\":4,"
                          "\"align\":4,\"record\":1}",
                   fz_record(field("y", 2)) +
                       ",{\"kind\":\"struct\",\"tag\":\"fy\",\"type\":2,\"complete\":true,\"size\":4,\"align\":4,"
                       "\"fields\":[" + field("z", 1) + "]}"),
         "contains itself"},
        {"bitfield-wider-than-type",
         dump_json(kIntType + "," + fz_type(8, 4), fz_record(field("a", 0, ",\"bitfield\":true,\"bit_width\":40"), 8, 4)),
         "wider than its type"},
        {"bitfield-past-the-end",
         dump_json(base, fz_record("{\"name\":\"a\",\"type\":0,\"offset_bits\":30,\"bitfield\":true,\"bit_width\":4}")),
         "ends past the end of the record"},
        {"member-type-out-of-range", dump_json(base, fz_record(field("a", 99))), "past the 2 types"},
        {"record-type-without-record",
         dump_json(base + ",{\"id\":2,\"kind\":\"record\",\"complete\":false,\"record\":5}", kFzRecord),
         "without its record"},
        {"array-size-mismatch",
         dump_json(kIntType + "," + fz_type(16, 4) +
                       ",{\"id\":2,\"kind\":\"array\",\"type\":0,\"count\":8,\"complete\":true,\"size\":16,\"align\":4}",
                   fz_record(field("a", 2), 16, 4)),
         "elements of"},
        {"union-member-not-at-0",
         dump_json(kIntType + "," + fz_type(8, 4),
                   fz_record(field("a", 0) + ",{\"name\":\"b\",\"type\":0,\"offset_bits\":32}", 8, 4, "union")),
         "not at offset 0"},
        {"size-not-multiple-of-align", dump_json(kIntType + "," + fz_type(6, 4), fz_record(field("a", 0), 6, 4)),
         "not a multiple"},
        {"member-of-incomplete-type",
         dump_json(base + ",{\"id\":2,\"kind\":\"builtin\",\"name\":\"void\",\"complete\":false}", fz_record(field("a", 2))),
         "has an incomplete type"},
        {"pointer-of-wrong-size",
         dump_json(kIntType + "," + fz_type(8, 8) + ",{\"id\":2,\"kind\":\"pointer\",\"type\":0,\"complete\":true,\"size\":4,\"align\":4}",
                   fz_record(field("p", 2), 8, 8)),
         "not the target's 8"},
        {"typedef-entry-without-canonical", dump_json(base, kFzRecord, "{\"name\":\"fz_t\",\"type\":1}"), "names no type"},
        {"access-through-a-later-record-with-a-bad-member",  // found by fuzz_layout_cache
         dump_json(base + ",{\"id\":2,\"kind\":\"record\",\"spelling\":\"struct fy\",\"complete\":true,\"size\":4,"
                          "\"align\":4,\"record\":1}",
                   "{\"kind\":\"struct\",\"tag\":\"fz\",\"type\":1,\"complete\":true,\"size\":4,\"align\":4,\"fields\":[" +
                       field("y", 2) + "],\"access\":[{\"name\":\"b\",\"path\":[0,0,0]}]},"
                       "{\"kind\":\"struct\",\"tag\":\"fy\",\"type\":2,\"complete\":true,\"size\":4,\"align\":4,"
                       "\"fields\":[" + field("b", 99) + "]}"),
         "past the 3 types"},
        {"member-type-not-a-number", dump_json(base, fz_record("{\"name\":\"a\",\"type\":\"0\"}")), "not a number"},
    };
}

}  // namespace jiffi::test

// jiffi's computed layouts (jiffi_cdef's rules) against the layouts Clang gives the discoverer,
// over the records of the layout tests' generator (hand-picked cases and seeded random ones).
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "../layout/c_emitter.hpp"
#include "../layout/layout_cases.hpp"
#include "layout/discover/discover.hpp"
#include "layout/record_layout.hpp"

namespace jiffi::detail::test {

namespace {

// Compares rec (jiffi's layout) with the dump's record r; appends differences to out.
void compare(const Record& rec, const LayoutDump& d, const DumpRecord& r, const std::string& where,
             std::vector<std::string>& out) {
    if (rec.size != r.size) out.push_back(where + ": size " + std::to_string(rec.size) + " vs clang " + std::to_string(r.size));
    if (rec.align != r.align)
        out.push_back(where + ": align " + std::to_string(rec.align) + " vs clang " + std::to_string(r.align));
    if (rec.fields.size() != r.fields.size()) {
        out.push_back(where + ": " + std::to_string(rec.fields.size()) + " fields vs clang " + std::to_string(r.fields.size()));
        return;
    }
    for (size_t k = 0; k < rec.fields.size(); ++k) {
        const Field& f = rec.fields[k];
        const DumpField& g = r.fields[k];
        std::string at = where + "." + (f.name.empty() ? "<" + std::to_string(k) + ">" : f.name);
        if (f.name != g.name) out.push_back(at + ": named '" + g.name + "' by clang");
        if (f.offset_bits != g.offset_bits)
            out.push_back(at + ": bit offset " + std::to_string(f.offset_bits) + " vs clang " + std::to_string(g.offset_bits));
        if (f.is_bitfield != g.bitfield || f.bit_width != g.bit_width) out.push_back(at + ": bit-field width differs");
        // Nested untagged records (anonymous members, unnamed struct members) are compared too.
        const DumpType* t = &d.types[g.type];
        while (t->kind == DumpTypeKind::Qualified || t->kind == DumpTypeKind::Typedef) t = &d.types[t->inner];
        if (f.type->is_record() && f.type->record->tag.empty() && t->kind == DumpTypeKind::Record)
            compare(*f.type->record, d, d.records[size_t(t->decl)], at, out);
    }
}

}  // namespace

TEST_CASE("differential: jiffi's computed layouts equal Clang's on the layout generator's records") {
    const char* seed_env = std::getenv("JIFFI_LAYOUT_SEED");
    uint64_t seed = seed_env && *seed_env ? std::strtoull(seed_env, nullptr, 0) : kDefaultSeed;
    TypeTable types(Target::host());
    install_record_layout(types);
    CaseSet set;
    add_hand_picked_cases(types, set);
    add_random_cases(types, set, seed, 400);
    CProgram prog = emit_c_program(types, set);

    std::string dir = JIFFI_DISCOVER_WORKDIR "/differential";
    std::filesystem::create_directories(dir);
    std::string header = dir + "/cases.h";
    std::ofstream(header) << prog.text;
    DiscoverOptions o;
    o.headers = {header};
    o.defines = {"JL_NO_ASSERTS"};
    LayoutDump dump = discover_layout(o);
    std::map<std::string, const DumpRecord*> by_tag;
    for (const DumpRecord& r : dump.records)
        if (!r.tag.empty()) by_tag[r.tag] = &r;

    size_t agree = 0, clang_differs = 0;
    std::vector<std::string> mismatches;
    for (const Subject& s : set.subjects) {
        auto it = by_tag.find(s.record->tag);
        REQUIRE_MESSAGE(it != by_tag.end(), "clang did not see " << s.record->tag);
        std::vector<std::string> diff;
        compare(*s.record, dump, *it->second, s.record->display_name(), diff);
        if (diff.empty()) {
            ++agree;
        } else if (s.gcc_only) {
            // The generator marks the cases where GCC and Clang lay out differently (jiffi
            // follows GCC): Clang may differ there, and only there.
            ++clang_differs;
        } else {
            for (const std::string& d : diff) mismatches.push_back(d + (s.note.empty() ? "" : " (" + s.note + ")"));
        }
    }
    for (const std::string& m : mismatches) MESSAGE("MISMATCH " << m);
    MESSAGE("differential: " << set.subjects.size() << " records (seed " << seed << "), " << agree
                             << " agree, " << clang_differs << " GCC-only cases where Clang differs, "
                             << mismatches.size() << " mismatches");
    CHECK(mismatches.empty());
    CHECK(agree + clang_differs == set.subjects.size());
    CHECK(agree > 300);
}

}  // namespace jiffi::detail::test

// Checks jiffi's record layouts against gcc and clang-19 on every target they can compile for.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "c_emitter.hpp"
#include "layout/record_layout.hpp"
#include "layout_cases.hpp"
#include "object_reader.hpp"

namespace jiffi::detail::test {

namespace {

namespace fs = std::filesystem;

// A C compiler invocation for one target.
struct Compiler {
    std::string name;       // "gcc", "clang-19"
    std::string path;       // found by CMake; "" or "...-NOTFOUND" when missing
    std::string flags;      // target selection
    bool runs_here = false; // its programs run on this machine (the probe is run)
    bool is_clang = false;
};

// What one compiler found for one target.
struct Outcome {
    std::vector<std::string> errors;       // hard failures (missing compiler, bad compile)
    std::vector<std::string> mismatches;   // model vs compiler, one line each
    size_t records = 0, fields = 0, bitfields = 0, asserts = 0, runtime_probes = 0;
    size_t divergences = 0;                // gcc_only facts where this Clang differs from GCC
};

// The seed of the random records: JIFFI_LAYOUT_SEED or the default.
uint64_t layout_seed() {
    const char* s = std::getenv("JIFFI_LAYOUT_SEED");
    return s && *s ? std::strtoull(s, nullptr, 0) : kDefaultSeed;
}

// How many random records to draw: JIFFI_LAYOUT_COUNT or 600.
int layout_count() {
    const char* s = std::getenv("JIFFI_LAYOUT_COUNT");
    return s && *s ? std::atoi(s) : 600;
}

// Where the generated files go: JIFFI_LAYOUT_WORKDIR or the build's layout-work folder.
std::string work_dir() {
    const char* s = std::getenv("JIFFI_LAYOUT_WORKDIR");
    return s && *s ? s : JIFFI_LAYOUT_WORKDIR;
}

// Runs a shell command with its output to log; returns its exit status.
int run(const std::string& cmd, const std::string& log) {
    int rc = std::system((cmd + " >'" + log + "' 2>&1").c_str());
    return rc == -1 ? -1 : WEXITSTATUS(rc);
}

// The whole text of a file.
std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// "first last count" of the set bits of an image (little-endian bit numbering).
std::string bit_summary(const std::vector<uint8_t>& bytes) {
    long first = -1, last = -1, count = 0;
    for (size_t i = 0; i < bytes.size() * 8; ++i)
        if ((bytes[i / 8] >> (i % 8)) & 1) {
            if (first < 0) first = long(i);
            last = long(i);
            ++count;
        }
    return std::to_string(first) + " " + std::to_string(last) + " " + std::to_string(count);
}

// The summary bit_summary gives for a probe that matches jiffi's layout.
std::string expected_bits(const BitProbe& p) {
    return std::to_string(p.first_bit) + " " + std::to_string(p.first_bit + p.width - 1) + " " +
           std::to_string(p.width);
}

// Compiles prog with cc, reads back the facts and bit-field images (and runs the probe where
// possible) and compares them with jiffi's layout.
Outcome check_with(const Compiler& cc, const CProgram& prog, const CaseSet& set,
                   const std::string& stem) {
    Outcome o;
    if (cc.path.empty() || cc.path.find("NOTFOUND") != std::string::npos || !fs::exists(cc.path)) {
        o.errors.push_back(cc.name + " not found (looked for it at configure time: '" + cc.path +
                           "'); scripts/setup.sh installs it");
        return o;
    }
    std::string c_file = stem + ".c", obj = stem + ".o", log = stem + ".log";
    std::ofstream(c_file) << prog.text;
    std::string base = "'" + cc.path + "' " + cc.flags + " -std=gnu11 -w -fno-common -c '" + c_file +
                       "' -o '" + obj + "'" + (cc.runs_here ? " -DJL_PROBE_MAIN" : "");
    std::vector<bool> failed_assert(prog.facts.size(), false);
    if (run(base, log) != 0) {
        // Which _Static_asserts failed: each message is "jl <fact index>".
        std::string text = slurp(log);
        std::regex msg("jl ([0-9]+)");
        bool any = false;
        for (auto it = std::sregex_iterator(text.begin(), text.end(), msg); it != std::sregex_iterator(); ++it) {
            size_t k = std::stoul((*it)[1]);
            if (k < failed_assert.size()) failed_assert[k] = any = true;
        }
        if (!any || run(base + " -DJL_NO_ASSERTS", log) != 0) {
            o.errors.push_back(cc.name + " failed to compile " + c_file + ":\n" + slurp(log).substr(0, 3000));
            return o;
        }
    }
    std::map<std::string, std::vector<uint8_t>> syms;
    try {
        syms = read_object_symbols(obj);
    } catch (const std::exception& e) {
        o.errors.push_back(cc.name + ": " + e.what());
        return o;
    }
    const std::vector<uint8_t>& facts = syms["jl_facts"];
    if (facts.size() != prog.facts.size() * 8) {
        o.errors.push_back(cc.name + ": jl_facts has " + std::to_string(facts.size()) + " bytes, expected " +
                           std::to_string(prog.facts.size() * 8));
        return o;
    }
    std::set<size_t> records;
    for (size_t k = 0; k < prog.facts.size(); ++k) {
        const Fact& f = prog.facts[k];
        uint64_t got = 0;
        for (int b = 0; b < 8; ++b) got |= uint64_t(facts[k * 8 + b]) << (8 * b);
        bool skip = cc.is_clang && set.subjects[f.subject].gcc_only;
        if (skip) {
            o.divergences += got != f.expected;
            continue;
        }
        records.insert(f.subject);
        o.fields += f.is_offset;
        ++o.asserts;
        if (got != f.expected || failed_assert[k])
            o.mismatches.push_back(f.label + ": jiffi " + std::to_string(f.expected) + ", " + cc.name + " " +
                                   std::to_string(got) + (failed_assert[k] ? " (_Static_assert failed)" : ""));
    }
    for (size_t k = 0; k < prog.probes.size(); ++k) {
        const BitProbe& p = prog.probes[k];
        std::string got = bit_summary(syms["jl_img_" + std::to_string(k)]);
        if (cc.is_clang && set.subjects[p.subject].gcc_only) {
            o.divergences += got != expected_bits(p);
            continue;
        }
        ++o.bitfields;
        if (got != expected_bits(p))
            o.mismatches.push_back("bit-field " + p.label + " (initializer): jiffi bits [first last count] " +
                                   expected_bits(p) + ", " + cc.name + " " + got);
    }
    if (cc.runs_here) {
        std::string exe = stem + ".exe", out = stem + ".probe";
        if (run("'" + cc.path + "' '" + obj + "' -o '" + exe + "'", log) != 0 || run("'" + exe + "'", out) != 0) {
            o.errors.push_back(cc.name + ": the bit-field probe did not build or run:\n" + slurp(log).substr(0, 2000));
            return o;
        }
        std::istringstream lines(slurp(out));
        std::string line;
        while (std::getline(lines, line)) {
            std::istringstream ls(line);
            size_t k;
            std::string first, last, count;
            ls >> k >> first >> last >> count;
            if (k >= prog.probes.size()) continue;
            const BitProbe& p = prog.probes[k];
            if (cc.is_clang && set.subjects[p.subject].gcc_only) continue;
            ++o.runtime_probes;
            std::string got = first + " " + last + " " + count;
            if (got != expected_bits(p))
                o.mismatches.push_back("bit-field " + p.label + " (stored at run time): jiffi bits " +
                                       expected_bits(p) + ", " + cc.name + " " + got);
        }
    }
    o.records = records.size();
    return o;
}

// Lays out the hand-picked and random cases for triple and checks them with each compiler.
void check_target(const std::string& triple, const std::vector<Compiler>& compilers) {
    uint64_t seed = layout_seed();
    int count = layout_count();
    TypeTable types(Target::from_triple(triple));
    install_record_layout(types);
    CaseSet set;
    add_hand_picked_cases(types, set);
    add_random_cases(types, set, seed, count);
    CProgram prog = emit_c_program(types, set);

    fs::path dir = work_dir();
    fs::create_directories(dir);
    std::vector<Outcome> outcomes(compilers.size());
    std::vector<std::thread> threads;
    for (size_t i = 0; i < compilers.size(); ++i)
        threads.emplace_back([&, i] {
            outcomes[i] = check_with(compilers[i], prog, set, (dir / (triple + "." + compilers[i].name)).string());
        });
    for (std::thread& t : threads) t.join();

    for (size_t i = 0; i < compilers.size(); ++i) {
        const Outcome& o = outcomes[i];
        std::ostringstream msg;
        msg << triple << " / " << compilers[i].name << " (seed " << seed << ", " << set.subjects.size()
            << " records defined): checked " << o.records << " records, " << o.asserts
            << " sizeof/_Alignof/offsetof facts of which " << o.fields << " field offsets, " << o.bitfields
            << " bit-fields by initializer";
        if (compilers[i].runs_here) msg << ", " << o.runtime_probes << " bit-fields by a run-time store";
        if (compilers[i].is_clang) msg << "; " << o.divergences << " known GCC/Clang divergences skipped";
        MESSAGE(msg.str());
        for (const std::string& e : o.errors) FAIL_CHECK(e);
        std::string detail;
        for (size_t k = 0; k < o.mismatches.size() && k < 40; ++k) detail += o.mismatches[k] + "\n";
        INFO("files in ", dir.string(), "; reproduce with JIFFI_LAYOUT_SEED=", seed, " JIFFI_LAYOUT_COUNT=", count);
        CHECK_MESSAGE(o.mismatches.empty(), o.mismatches.size(), " mismatches:\n", detail);
        if (o.errors.empty()) {
            CHECK(o.records > size_t(count) / 2);
            CHECK(o.bitfields > 0);
        }
    }
}

}  // namespace

TEST_CASE("record layouts match gcc and clang-19 on x86_64-linux-gnu") {
    // This machine is the x86-64 host: both compilers' probes run here.
    bool host = Target::host().triple == "x86_64-linux-gnu";
    check_target("x86_64-linux-gnu", {{"gcc", JIFFI_TEST_GCC, "", host, false},
                                       {"clang-19", JIFFI_TEST_CLANG, "--target=x86_64-linux-gnu", host, true}});
}

TEST_CASE("record layouts match clang-19 and the cross gcc on aarch64-linux-gnu") {
    std::string cross = JIFFI_TEST_AARCH64_GCC;
    REQUIRE_MESSAGE((cross.find("NOTFOUND") == std::string::npos && !cross.empty()),
                    "aarch64-linux-gnu-gcc not found (scripts/setup.sh installs gcc-aarch64-linux-gnu)");
    std::vector<Compiler> compilers = {{"clang-19", JIFFI_TEST_CLANG, "--target=aarch64-linux-gnu", false, true},
                                       {"aarch64-linux-gnu-gcc", cross, "", false, false}};
    check_target("aarch64-linux-gnu", compilers);
}

TEST_CASE("record layouts match clang-19 on arm64-apple-macos") {
    check_target("arm64-apple-macos", {{"clang-19", JIFFI_TEST_CLANG, "--target=arm64-apple-macos", false, true}});
}

}  // namespace jiffi::detail::test

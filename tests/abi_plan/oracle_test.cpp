// The Clang oracle: generated prototypes lowered by jiffi's classifiers and by clang-19 agree.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "abi/call_plan.hpp"
#include "ir_text.hpp"
#include "layout/record_layout.hpp"
#include "marshal/cparse.hpp"
#include "base/error.hpp"
#include "plan_gen.hpp"

namespace jiffi::detail::test {

namespace {

// The seed and case count of the generated prototypes (JIFFI_PLAN_SEED, JIFFI_PLAN_CASES).
uint64_t env_number(const char* name, uint64_t fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::strtoull(v, nullptr, 0) : fallback;
}

// Compiles c_text for triple with clang-19 and returns the LLVM IR module text.
std::string clang_ir(const std::string& triple, const std::string& c_text) {
    namespace fs = std::filesystem;
    fs::path dir = JIFFI_PLAN_WORKDIR;
    fs::create_directories(dir);
    fs::path src = dir / ("oracle-" + triple + ".c"), out = dir / ("oracle-" + triple + ".ll");
    std::ofstream(src) << c_text;
    std::string cmd = std::string(JIFFI_TEST_CLANG) + " -S -emit-llvm -O0 -w --target=" + triple +
                      " -o '" + out.string() + "' '" + src.string() + "' 2> '" + (dir / "clang.err").string() + "'";
    REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, "clang-19 failed: " << cmd);
    std::ifstream in(out);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Where jiffi deliberately differs from clang-19, with the reason; false if not an exception.
// True if decls declare an unnamed bitfield of nonzero width ("int :3;").
bool has_unnamed_bitfield(const std::string& decls) {
    for (size_t p = decls.find(" :"); p != std::string::npos; p = decls.find(" :", p + 2)) {
        size_t q = p + 2;
        while (q < decls.size() && decls[q] == ' ') ++q;
        if (q < decls.size() && decls[q] >= '1' && decls[q] <= '9') return true;
    }
    return false;
}

bool is_exception(const std::string& triple, const std::string& clang, const std::string& ours,
                  const GenCase& c) {
    if (triple != "x86_64-linux-gnu") return false;
    // LLVM issue 123935: clang-19 passes an __int128 that no longer fits in the GPRs as a
    // plain i128, which LLVM 19 puts on the stack while also burning r9, so the next
    // integer goes on the stack where GCC (and the psABI) use r9. jiffi passes it byval,
    // which puts the same bytes on the stack and leaves r9 free, as GCC does.
    if (clang == "i128 noundef" && ours == "ptr noundef byval(16) align 16") return true;
    // An unnamed bitfield of nonzero width makes the eightbytes it touches INTEGER for GCC
    // and padding for clang-19 (float data beside it goes to an SSE register, an eightbyte
    // holding only it is not passed at all). jiffi follows GCC, the arbiter; the ABI call
    // suite checks these records against gcc-built fixtures.
    return has_unnamed_bitfield(c.decls);
}

// The tallies of one target's run.
struct Tally {
    size_t prototypes = 0, variadic_calls = 0, params = 0, exceptions = 0;
    std::vector<std::string> failures;
};

// Compares our lowering (ret, params) with clang's; records mismatches in tally.
void compare(const std::string& triple, const GenCase& c, const char* where, const CallPlan& plan,
             const IrFunction& clang, size_t our_count, Tally& tally) {
    std::vector<std::string> ours = plan.llvm_params();
    ours.resize(std::min(ours.size(), our_count));
    std::string problem;
    if (clang.ret != plan.llvm_return())
        problem = "return: clang '" + clang.ret + "', jiffi '" + plan.llvm_return() + "'";
    std::vector<std::string> mine;
    for (const std::string& p : ours) mine.push_back(normalize_param(p, {}, false));
    if (problem.empty() && mine.size() != clang.params.size())
        problem = "parameter count: clang " + std::to_string(clang.params.size()) + ", jiffi " +
                  std::to_string(mine.size());
    for (size_t i = 0; problem.empty() && i < mine.size(); ++i) {
        ++tally.params;
        if (mine[i] == clang.params[i]) continue;
        if (is_exception(triple, clang.params[i], mine[i], c)) {
            ++tally.exceptions;
            continue;
        }
        problem = "parameter " + std::to_string(i + 1) + ": clang '" + clang.params[i] +
                  "', jiffi '" + mine[i] + "'";
    }
    if (problem.empty() && plan.variadic) {
        if (!clang.variadic) problem = "clang's function type is not variadic";
        for (size_t i = 0; problem.empty() && i < clang.fixed_types.size(); ++i) {
            size_t pos = 0;
            std::string t = i < mine.size() ? parse_ir_type(mine[i], pos, {}).text() : "?";
            if (t != clang.fixed_types[i]) problem = "fixed parameter " + std::to_string(i + 1) + " type";
        }
        if (problem.empty() && !clang.fixed_types.empty() &&
            clang.fixed_types.size() != plan.llvm_fixed_param_count())
            problem = "fixed parameter count";
    }
    if (!problem.empty() && is_exception(triple, "", "", c)) {
        ++tally.exceptions;
        return;
    }
    if (!problem.empty())
        tally.failures.push_back(std::string(where) + " " + c.fn + ": " + problem + "\n  C: " + c.what +
                                 "\n" + plan.describe());
}

// Runs every case on triple: jiffi parses and classifies, clang compiles, both compared.
Tally run_target(const std::string& triple, const std::vector<GenCase>& cases) {
    Tally tally;
    TypeTable types(Target::from_triple(triple));
    install_record_layout(types);
    Declarations decls;
    std::vector<bool> parsed(cases.size(), false);
    for (size_t i = 0; i < cases.size(); ++i) {
        try {
            parse_declarations(types, decls, cases[i].decls);
            parsed[i] = true;
        } catch (const Error& e) {
            tally.failures.push_back("jiffi cannot parse " + cases[i].fn + ": " + e.message() +
                                     "\n" + cases[i].decls);
        }
    }
    IrModule ir = IrModule::parse(clang_ir(triple, c_file(cases)));
    const Classifier& cls = classifier_for(types.target());
    for (size_t i = 0; i < cases.size(); ++i) {
        if (!parsed[i]) continue;
        const GenCase& c = cases[i];
        ++tally.prototypes;
        try {
            const FunctionDecl& fd = decls.functions.at(c.fn);
            CallSignature sig = make_call_signature(types, fd.type, c.fn);
            CallPlan plan = cls.classify(types, sig);
            auto d = ir.declares.find(c.fn);
            if (d == ir.declares.end()) {
                tally.failures.push_back("clang declared no " + c.fn);
                continue;
            }
            compare(triple, c, "declare", plan, d->second, plan.llvm_fixed_param_count(), tally);
            if (!c.variadic) continue;
            std::vector<const Type*> extra;
            for (const std::string& e : c.extra) extra.push_back(parse_type_name(types, decls, e));
            CallSignature vs = make_vararg_signature(types, sig, extra);
            CallPlan vplan = cls.classify(types, vs);
            CHECK(vplan.variadic);
            CHECK(vplan.fixed_count == sig.call_args.size());
            auto k = ir.calls.find(c.fn);
            if (k == ir.calls.end()) {
                tally.failures.push_back("clang made no call of " + c.fn);
                continue;
            }
            ++tally.variadic_calls;
            compare(triple, c, "call", vplan, k->second, SIZE_MAX, tally);
        } catch (const Error& e) {
            tally.failures.push_back(c.fn + ": jiffi error " + e.message() + "\n  C: " + c.what);
        }
    }
    return tally;
}

}  // namespace

TEST_CASE("classifiers agree with clang-19 on generated prototypes and the traps") {
    const uint64_t seed = env_number("JIFFI_PLAN_SEED", 20250301);
    const size_t count = env_number("JIFFI_PLAN_CASES", 2000);
    struct Run { const char* triple; bool aarch64; };
    for (const Run& r : {Run{"x86_64-linux-gnu", false}, Run{"aarch64-linux-gnu", true},
                         Run{"arm64-apple-macos", true}}) {
        CAPTURE(r.triple);
        std::vector<GenCase> cases = trap_cases();
        GenOptions opt;
        opt.aarch64 = r.aarch64;
        for (GenCase& c : generate_cases(seed, count, opt, "g")) cases.push_back(std::move(c));
        Tally t = run_target(r.triple, cases);
        std::printf("abi_plan oracle %s (seed %llu): %zu prototypes, %zu variadic calls, %zu parameters "
                    "compared, %zu exceptions, %zu mismatches\n",
                    r.triple, (unsigned long long)seed, t.prototypes, t.variadic_calls, t.params,
                    t.exceptions, t.failures.size());
        for (size_t i = 0; i < t.failures.size() && i < 15; ++i) std::printf("%s\n", t.failures[i].c_str());
        CHECK(t.failures.empty());
        CHECK(t.prototypes >= count);
        if (std::string(r.triple) == "x86_64-linux-gnu") CHECK(t.exceptions > 0);
    }
}

}  // namespace jiffi::detail::test

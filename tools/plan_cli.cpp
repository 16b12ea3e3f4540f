// The `jiffi plan` subcommand: prints how a C signature is passed on a target (CallPlan and IR).
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "abi/call_plan.hpp"
#include "layout/record_layout.hpp"
#include "marshal/cparse.hpp"
#include "base/error.hpp"

namespace {

const char* kPlanUsage =
    "usage: jiffi plan [--target TRIPLE] [--cdef DECLARATIONS]... [--vararg TYPES] PROTOTYPE\n"
    "  Prints the calling-convention plan of PROTOTYPE on TRIPLE (x86_64-linux-gnu,\n"
    "  aarch64-linux-gnu, arm64-apple-macos; default: this host) and the LLVM function type\n"
    "  Clang would give it. --cdef declares structs, unions, enums and typedefs first;\n"
    "  --vararg gives the types of a variadic call's extra arguments (\"double, int\").\n"
    "  example: jiffi plan --target aarch64-linux-gnu --cdef 'struct v { float x, y; };'\n"
    "           'struct v scale(struct v, float)'\n";

}  // namespace

// Runs `jiffi plan` on the arguments after "plan"; returns the exit status (0, 1 error, 2 usage).
int run_plan(int argc, char** argv) {
    using namespace jiffi::detail;
    std::string triple, vararg;
    bool have_vararg = false;
    std::vector<std::string> cdefs;
    int i = 0;
    for (; i < argc && std::strncmp(argv[i], "--", 2) == 0; ++i) {
        std::string opt = argv[i];
        if (opt == "--help") {
            std::fputs(kPlanUsage, stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            std::fprintf(stderr, "jiffi plan: %s needs a value\n%s", opt.c_str(), kPlanUsage);
            return 2;
        }
        const char* val = argv[++i];
        if (opt == "--target") triple = val;
        else if (opt == "--cdef") cdefs.push_back(val);
        else if (opt == "--vararg") {
            vararg = val;
            have_vararg = true;
        } else {
            std::fprintf(stderr, "jiffi plan: unknown option %s\n%s", opt.c_str(), kPlanUsage);
            return 2;
        }
    }
    if (argc - i != 1) {
        std::fputs(kPlanUsage, stderr);
        return 2;
    }
    try {
        TypeTable types(triple.empty() ? Target::host() : Target::from_triple(triple));
        install_record_layout(types);
        Declarations decls;
        add_builtin_typedefs(types, decls);
        for (const std::string& c : cdefs) parse_declarations(types, decls, c);
        ParsedSignature ps = parse_signature(types, decls, argv[i]);
        CallSignature sig = make_call_signature(types, ps.function, ps.name, &ps.ret_spelling,
                                                &ps.param_spellings);
        if (have_vararg) {
            std::vector<const Type*> extra;
            std::vector<std::string> spellings;
            for (SpelledType& t : parse_spelled_type_list(types, decls, vararg)) {
                extra.push_back(t.type);
                spellings.push_back(t.spelling.str());
            }
            sig = make_vararg_signature(types, sig, extra, &spellings);
        }
        CallPlan plan = classifier_for(types.target()).classify(types, sig);
        std::printf("%s\n%s", sig.text.c_str(), plan.describe().c_str());
        return 0;
    } catch (const Error& e) {
        std::fprintf(stderr, "jiffi plan: %s\n", e.message().c_str());
        return 1;
    }
}

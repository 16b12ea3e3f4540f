// jiffi-layout's command line, shared by the CLI and the runtime's dlopen entry point.
#include <cstdlib>
#include <cstring>

#include "layout/discover/discover.hpp"

namespace jiffi::detail {

const char* layout_usage() {
    return "usage: jiffi-layout [--target T] [-I DIR] [-D NAME[=V]] [--only NAME]...\n"
           "                    [--format jiffi|c2ffi] [--snippet TEXT] [--compact] [-o FILE] HEADER...\n"
           "Dumps the types, records, enums, typedefs, functions, variables and macros that the\n"
           "C headers declare, as Clang lays them out for the target, as JSON.\n"
           "exit codes: 0 ok, 1 usage, 2 header missing or not compiling, 3 unknown --only name,\n"
           "            4 output not writable, 5 internal error\n";
}

int run_layout_command(const std::vector<std::string>& args, std::string& out, std::string& output_path,
                       std::string& err) {
    DiscoverOptions o;
    std::string format = "jiffi";
    bool pretty = true;
    o.arguments = args;
    // The value of option opt at args[i] (attached as "-Ifoo"/"--x=v" or the next argument).
    auto value = [&](size_t& i, const std::string& opt, std::string& v) {
        const std::string& a = args[i];
        if (a.size() > opt.size()) {
            v = a.substr(opt.size() + (a[opt.size()] == '=' ? 1 : 0));
            return true;
        }
        if (i + 1 >= args.size()) {
            err = "jiffi-layout: option '" + opt + "' needs a value\n" + layout_usage();
            return false;
        }
        v = args[++i];
        return true;
    };
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        std::string v;
        auto is = [&](const char* opt) {
            size_t n = std::strlen(opt);
            if (a.compare(0, n, opt) != 0) return false;
            // "-I" and "-D" take attached values; long options only with "=".
            return a.size() == n || opt[1] != '-' || a[n] == '=';
        };
        if (a == "-h" || a == "--help") {
            out = layout_usage();
            return kExitOk;
        } else if (is("--target")) {
            if (!value(i, "--target", o.target)) return kExitUsage;
        } else if (is("-I")) {
            if (!value(i, "-I", v)) return kExitUsage;
            o.include_dirs.push_back(v);
        } else if (is("-D")) {
            if (!value(i, "-D", v)) return kExitUsage;
            o.defines.push_back(v);
        } else if (is("--only")) {
            if (!value(i, "--only", v)) return kExitUsage;
            o.only.push_back(v);
        } else if (is("--format")) {
            if (!value(i, "--format", format)) return kExitUsage;
            if (format != "jiffi" && format != "c2ffi") {
                err = "jiffi-layout: unknown format '" + format + "' (jiffi or c2ffi)";
                return kExitUsage;
            }
        } else if (is("--snippet")) {
            if (!value(i, "--snippet", o.snippet)) return kExitUsage;
        } else if (is("--resource-dir")) {
            if (!value(i, "--resource-dir", o.resource_dir)) return kExitUsage;
        } else if (a == "-o") {
            if (!value(i, "-o", output_path)) return kExitUsage;
        } else if (a == "--compact") {
            pretty = false;
        } else if (!a.empty() && a[0] == '-') {
            err = "jiffi-layout: unknown option '" + a + "'\n" + layout_usage();
            return kExitUsage;
        } else {
            o.headers.push_back(a);
        }
    }
    if (o.headers.empty() && o.snippet.empty()) {
        err = std::string("jiffi-layout: no header given\n") + layout_usage();
        return kExitUsage;
    }
    try {
        LayoutDump dump = discover_layout(o);
        out = format == "c2ffi" ? write_c2ffi_json(dump) : write_jiffi_json(dump, pretty);
        return kExitOk;
    } catch (const DiscoverError& e) {
        std::string what;
        for (const std::string& h : o.headers) what += (what.empty() ? "" : ", ") + h;
        err = "jiffi-layout: " + (what.empty() ? std::string("snippet") : what) + ": " + e.what();
        return e.exit_code();
    } catch (const std::exception& e) {
        err = std::string("jiffi-layout: internal error: ") + e.what();
        return kExitInternal;
    }
}

}  // namespace jiffi::detail

namespace {

char* copy_out(const std::string& s) {
    char* p = static_cast<char*>(std::malloc(s.size() + 1));
    if (p) std::memcpy(p, s.c_str(), s.size() + 1);
    return p;
}

}  // namespace

extern "C" int jiffi_discover_run(int argc, const char* const* argv, char** out, char** err) {
    std::string o, path, e;
    int rc;
    try {
        std::vector<std::string> args(argv, argv + argc);
        rc = jiffi::detail::run_layout_command(args, o, path, e);
    } catch (const std::exception& ex) {
        e = std::string("jiffi-discover: internal error: ") + ex.what();
        rc = jiffi::detail::kExitInternal;
    }
    if (out) *out = copy_out(o);
    if (err) *err = copy_out(e);
    return rc;
}

extern "C" void jiffi_discover_free(char* p) { std::free(p); }

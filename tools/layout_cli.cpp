// jiffi-layout: dumps the layouts and declarations of C headers as JSON (see layout_usage).
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "layout/discover/discover.hpp"

using namespace jiffi::detail;

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    std::string out, path, err;
    int rc = run_layout_command(args, out, path, err);
    if (rc != kExitOk) {
        std::fprintf(stderr, "%s\n", err.c_str());
        return rc;
    }
    if (path.empty() || path == "-") {
        std::fwrite(out.data(), 1, out.size(), stdout);
        return std::fflush(stdout) == 0 ? kExitOk : kExitOutput;
    }
    std::ofstream f(path, std::ios::binary);
    f.write(out.data(), std::streamsize(out.size()));
    f.close();
    if (!f) {
        std::fprintf(stderr, "jiffi-layout: cannot write '%s'\n", path.c_str());
        return kExitOutput;
    }
    return kExitOk;
}

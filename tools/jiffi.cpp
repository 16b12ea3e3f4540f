// The jiffi command line: call C functions from the shell.
#include <cstdio>
#include <cstring>

#include "cli_call.hpp"

int run_plan(int argc, char** argv);  // tools/plan_cli.cpp
int run_stats(int argc, char** argv);  // tools/stats_cli.cpp

namespace {

const char* kUsage =
    "usage: jiffi call [--backend auto|libffi|jit] [--cdef DECLARATIONS]... \n"
    "                  [--vararg TYPES] [--symbol NAME] LIBRARY PROTOTYPE [ARG]...\n"
    "  Calls PROTOTYPE's function from LIBRARY (a path, file or short name such as libc;\n"
    "  '-' for the running process) with ARGs converted by the parameter types, and prints\n"
    "  the result. A variadic prototype takes its variadic types from --vararg, or infers\n"
    "  them from the ARGs (integer -> int or long, decimal -> double, else const char *).\n"
    "  --symbol names the function when PROTOTYPE does not (\":int (:int)\", \"int (int)\").\n"
    "  ARG syntax by parameter type: an integer is decimal, 0x hex or 0 octal, and must lie in\n"
    "  the C type's range; a float or double is a decimal (a float must not exceed FLT_MAX);\n"
    "  a char pointer is the text itself (NULL for a null pointer); any other pointer is an\n"
    "  address when written NULL, 0 or an integer (0x7f00...), else the text as a C string.\n"
    "  example: jiffi call libc 'size_t strlen(const char *)' hello   # prints 5\n"
    "       jiffi plan [--target T] [--cdef DECLS]... [--vararg TYPES] PROTOTYPE\n"
    "  Prints how PROTOTYPE is passed on target T (default: the host) and its LLVM type.\n"
    "       jiffi stats [--calls N] [CALL OPTIONS] LIBRARY PROTOTYPE [ARG]...\n"
    "  Calls the function N times on an AUTO context and prints the tiering counters.\n"
    "exit status: 0 success, 1 a jiffi error (message on stderr), 2 usage error\n";

// Runs `jiffi call`: binds the prototype, calls it once and prints the result.
int run_call(int argc, char** argv) {
    jiffi::cli::BoundCall call;
    int status = jiffi::cli::bind_from_args(argc, argv, kUsage, {}, nullptr, call);
    if (status >= 0) return status;
    std::fflush(stdout);
    jiffi_function_call(call.fn, call.args.data(), call.ret.data());
    jiffi::cli::print_result(call.ret_info, call.ret, "");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc >= 2 && !std::strcmp(argv[1], "call")) return run_call(argc - 2, argv + 2);
    if (argc >= 2 && !std::strcmp(argv[1], "plan")) return run_plan(argc - 2, argv + 2);
    if (argc >= 2 && !std::strcmp(argv[1], "stats")) return run_stats(argc - 2, argv + 2);
    if (argc >= 2 && (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "help"))) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    std::fputs(kUsage, stderr);
    return 2;
}

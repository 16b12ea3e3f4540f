// Start-up cost: a whole process making one call of strlen, directly and through libjiffi.so
// on each backend, run repeatedly; wall time per process (minimum and median), and whether
// libLLVM was mapped by the time the call returned.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

extern char** environ;

namespace {

struct Run {
    double min_ms = 0, median_ms = 0;
    bool llvm = false;
    bool ok = true;
};

// Runs program with arg reps times; its stdout goes to a pipe read for "llvm".
Run measure(const char* program, const char* arg, int reps) {
    std::vector<double> ms;
    Run out;
    for (int i = 0; i < reps; ++i) {
        int fds[2];
        if (pipe(fds) != 0) return Run{0, 0, false, false};
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
        posix_spawn_file_actions_addclose(&fa, fds[0]);
        char* argv[] = {const_cast<char*>(program), const_cast<char*>(arg), nullptr};
        auto start = std::chrono::steady_clock::now();
        pid_t pid = 0;
        int rc = posix_spawn(&pid, program, &fa, nullptr, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        close(fds[1]);
        int status = 0;
        if (rc != 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) out.ok = false;
        auto end = std::chrono::steady_clock::now();
        char buf[64];
        ssize_t n = read(fds[0], buf, sizeof buf - 1);
        close(fds[0]);
        if (n > 0 && std::string(buf, size_t(n)).find("llvm") != std::string::npos) out.llvm = true;
        ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
    }
    std::sort(ms.begin(), ms.end());
    out.min_ms = ms.front();
    out.median_ms = ms[ms.size() / 2];
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    int reps = argc > 1 ? std::max(5, std::atoi(argv[1])) : 21;
    Run direct = measure(JIFFI_STARTUP_DIRECT, "", reps);
    std::printf("start-up (a process making one strlen call; wall ms per process, %d runs, min / median)\n", reps);
    std::printf("  %-34s %7.2f / %7.2f\n", "direct C call, no jiffi", direct.min_ms, direct.median_ms);
    for (const char* backend : {"libffi", "auto", "jit"}) {
        Run r = measure(JIFFI_STARTUP_JIFFI, backend, reps);
        std::string label = std::string("libjiffi.so, ") + backend + " context";
        if (!r.ok) {
            std::printf("  %-34s failed\n", label.c_str());
            continue;
        }
        std::printf("  %-34s %7.2f / %7.2f  (+%.2f / +%.2f ms; libLLVM %s when the call returned)\n", label.c_str(),
                    r.min_ms, r.median_ms, r.min_ms - direct.min_ms, r.median_ms - direct.median_ms,
                    r.llvm ? "mapped" : "not mapped");
    }
    // A JIT context whose stub is in the disk cache: the core maps it, LLVM stays unloaded.
    char dir[] = "/tmp/jiffi-bench-startup-XXXXXX";
    if (mkdtemp(dir)) {
        setenv("JIFFI_JIT_CACHE_DIR", dir, 1);
        measure(JIFFI_STARTUP_JIFFI, "jit", 1);  // warms the cache
        Run r = measure(JIFFI_STARTUP_JIFFI, "jit", reps);
        unsetenv("JIFFI_JIT_CACHE_DIR");
        std::printf("  %-34s %7.2f / %7.2f  (+%.2f / +%.2f ms; libLLVM %s when the call returned)\n",
                    "libjiffi.so, jit context, cached", r.min_ms, r.median_ms, r.min_ms - direct.min_ms,
                    r.median_ms - direct.median_ms, r.llvm ? "mapped" : "not mapped");
        std::string cleanup = std::string("rm -rf '") + dir + "'";
        if (std::system(cleanup.c_str()) != 0) std::printf("  (could not remove %s)\n", dir);
    }
    return 0;
}

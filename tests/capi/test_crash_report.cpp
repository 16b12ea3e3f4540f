// Crash reports: a child process faults inside foreign code (or a callback's handler) on each
// backend; its stderr must name the function, library and signature, and it must die by SIGSEGV.
#include <doctest/doctest.h>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

extern char** environ;

namespace {

// What a run of the crash child gave: its stderr and its wait status.
struct ChildRun {
    std::string err;
    int status = 0;
};

// Runs crash_child with backend and mode (and extra environment entries), collecting stderr.
ChildRun run_child(const char* backend, const char* mode, std::vector<std::string> extra_env = {}) {
    std::vector<std::string> env;
    std::string asan_options = "ASAN_OPTIONS=";
    for (char** e = environ; *e; ++e) {
        if (!std::strncmp(*e, "ASAN_OPTIONS=", 13))
            asan_options += std::string(*e + 13) + ":";
        else if (std::strncmp(*e, "JIFFI_CRASH_REPORT=", 19))
            env.push_back(*e);
    }
    // Sanitizers would take the signals themselves: the child's own handlers must see them.
    env.push_back(asan_options + "handle_segv=0:handle_sigbus=0:handle_sigill=0:handle_sigfpe=0");
    for (std::string& s : extra_env) env.push_back(std::move(s));
    std::vector<char*> envp;
    for (std::string& s : env) envp.push_back(s.data());
    envp.push_back(nullptr);
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    std::string path = JIFFI_CRASH_CHILD;
    std::vector<char*> argv = {path.data(), const_cast<char*>(backend), const_cast<char*>(mode), nullptr};
    pid_t pid = 0;
    int rc = posix_spawn(&pid, path.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    REQUIRE(rc == 0);
    ChildRun run;
    char buf[4096];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) != 0;) {
        if (n < 0) {
            if (errno == EINTR) continue;
            break;
        }
        run.err.append(buf, static_cast<size_t>(n));
    }
    close(fds[0]);
    REQUIRE(waitpid(pid, &run.status, 0) == pid);
    return run;
}

bool died_by(const ChildRun& r, int sig) { return WIFSIGNALED(r.status) && WTERMSIG(r.status) == sig; }

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("a fault in a foreign function is reported with its symbol, library and signature") {
    for (std::string backend : {"jit", "libffi", "auto"}) {
        CAPTURE(backend);
        ChildRun r = run_child(backend.c_str(), "callee");
        CAPTURE(r.err);
        CHECK(died_by(r, SIGSEGV));
        CHECK(has(r.err, "jiffi: crash report: SIGSEGV (fault address 0x0"));
        CHECK(has(r.err, "foreign function 'jiffi_crash_read'"));
        CHECK(has(r.err, std::string("of ") + JIFFI_CRASH_FIXTURE));
        CHECK(has(r.err, "signature 'int jiffi_crash_read(const int *)'"));
        CHECK(has(r.err, "the fault is in the callee"));
        CHECK(!has(r.err, "survived"));
    }
}

TEST_CASE("a fault inside a callback's handler is reported as such") {
    for (std::string backend : {"jit", "libffi", "auto"}) {
        CAPTURE(backend);
        ChildRun r = run_child(backend.c_str(), "callback");
        CAPTURE(r.err);
        CHECK(died_by(r, SIGSEGV));
        CHECK(has(r.err, "foreign function 'jiffi_crash_call'"));
        CHECK(has(r.err, "the fault is inside the handler of callback 'int(int)'"));
        CHECK(has(r.err, "which the callee called"));
    }
}

TEST_CASE("a fault in a function a callback's handler called is in that callee") {
    ChildRun r = run_child("jit", "nested");
    CAPTURE(r.err);
    CHECK(died_by(r, SIGSEGV));
    CHECK(has(r.err, "foreign function 'jiffi_crash_read'"));
    CHECK(has(r.err, "the fault is in the callee"));
}

TEST_CASE("a function bound and called before the install is reported too") {
    for (std::string backend : {"jit", "libffi"}) {
        CAPTURE(backend);
        ChildRun r = run_child(backend.c_str(), "early");
        CAPTURE(r.err);
        CHECK(died_by(r, SIGSEGV));
        CHECK(has(r.err, "foreign function 'jiffi_crash_read'"));
        CHECK(has(r.err, "the fault is in the callee"));
    }
}

TEST_CASE("JIFFI_CRASH_REPORT=1 installs the report at the first context creation") {
    ChildRun on = run_child("auto", "env", {"JIFFI_CRASH_REPORT=1"});
    CAPTURE(on.err);
    CHECK(died_by(on, SIGSEGV));
    CHECK(has(on.err, "foreign function 'jiffi_crash_read'"));
    ChildRun off = run_child("auto", "env");
    CAPTURE(off.err);
    CHECK(died_by(off, SIGSEGV));
    CHECK(!has(off.err, "crash report"));
}

TEST_CASE("the report chains to the handler installed before it") {
    ChildRun r = run_child("libffi", "chain");
    CAPTURE(r.err);
    CHECK(has(r.err, "foreign function 'jiffi_crash_read'"));
    CHECK(has(r.err, "the previous handler ran"));
    CHECK(r.err.find("crash report") < r.err.find("previous handler"));
    CHECK((WIFEXITED(r.status) && WEXITSTATUS(r.status) == 42));
}

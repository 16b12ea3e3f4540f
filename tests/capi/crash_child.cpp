// A program that faults inside foreign code on purpose, run by test_crash_report: argv[1] is
// the backend (auto, jit, libffi), argv[2] what to do (callee, callback, env, chain, nested,
// early: the function is bound before the report is installed).
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "jiffi/jiffi.h"

namespace {

// Ends the program with a message when err is an error.
void must(jiffi_error* err, const char* what) {
    if (!err) return;
    std::fprintf(stderr, "crash_child: %s: %s\n", what, jiffi_error_message(err));
    std::exit(3);
}

// A handler that faults: a NULL read inside a callback's handler (a real fault, not a
// sanitizer report, in sanitizer builds too).
__attribute__((no_sanitize("undefined", "address"))) void faulting_handler(void*, const jiffi_slot* args, void* ret) {
    volatile int* p = nullptr;
    *static_cast<int*>(ret) = *p + static_cast<int>(args[0].i64);
}

jiffi_function* g_read = nullptr;

// A handler that calls the faulting function through jiffi: the fault is in that callee.
void calling_handler(void*, const jiffi_slot*, void* ret) {
    jiffi_slot a[1];
    a[0].ptr = nullptr;
    jiffi_function_call(g_read, a, ret);
}

// The handler installed before jiffi's in chain mode: proves it is called after the report.
void previous_handler(int) {
    const char msg[] = "crash_child: the previous handler ran\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
    _exit(42);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) return 2;
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    jiffi_backend backend = !std::strcmp(argv[1], "jit")      ? JIFFI_BACKEND_JIT
                            : !std::strcmp(argv[1], "libffi") ? JIFFI_BACKEND_LIBFFI
                                                              : JIFFI_BACKEND_AUTO;
    const char* mode = argv[2];
    if (!std::strcmp(mode, "chain")) signal(SIGSEGV, previous_handler);
    jiffi_context* ctx = nullptr;
    must(jiffi_context_create(backend, &ctx), "context");
    bool early = !std::strcmp(mode, "early");
    if (std::strcmp(mode, "env") != 0 && !early) must(jiffi_crash_report_install(), "install");
    jiffi_library* lib = nullptr;
    must(jiffi_library_open(ctx, JIFFI_CRASH_FIXTURE, &lib), "library");
    jiffi_signature* read_sig = nullptr;
    must(jiffi_signature_parse(ctx, "int jiffi_crash_read(const int *)", &read_sig), "read signature");
    must(jiffi_function_bind(lib, "jiffi_crash_read", read_sig, &g_read), "bind read");
    if (early) {
        jiffi_slot a[1];
        int x = 20;
        a[0].ptr = &x;
        jiffi_slot got;  // an int return is written as a whole slot
        got.i64 = 0;
        jiffi_function_call(g_read, a, &got);  // a call on the fast path, before the install
        if (got.i64 != 20) return 4;
        must(jiffi_crash_report_install(), "install");
    }
    jiffi_slot ret;
    ret.i64 = 0;
    if (!std::strcmp(mode, "callback") || !std::strcmp(mode, "nested")) {
        jiffi_signature* cb_sig = nullptr;
        must(jiffi_signature_parse(ctx, "int (int)", &cb_sig), "callback signature");
        jiffi_callback* cb = nullptr;
        jiffi_handler h = !std::strcmp(mode, "callback") ? faulting_handler : calling_handler;
        must(jiffi_callback_create(ctx, cb_sig, h, nullptr, &cb), "callback");
        jiffi_signature* call_sig = nullptr;
        must(jiffi_signature_parse(ctx, "int jiffi_crash_call(int (*)(int), int)", &call_sig), "call signature");
        jiffi_function* call = nullptr;
        must(jiffi_function_bind(lib, "jiffi_crash_call", call_sig, &call), "bind call");
        jiffi_slot a[2];
        a[0].ptr = jiffi_callback_code(cb);
        a[1].i64 = 5;
        jiffi_function_call(call, a, &ret);
    } else {
        jiffi_slot a[1];
        a[0].ptr = nullptr;
        jiffi_function_call(g_read, a, &ret);
    }
    std::fprintf(stderr, "crash_child: survived the fault (%lld)\n", static_cast<long long>(ret.i64));
    return 0;
}

/* C code that calls callbacks: from its own threads, with a misaligned stack, in loops. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

typedef int64_t (*binop_fn)(int64_t, int64_t);

/* Calls f(a, b) from C. */
int64_t cb_call_binop(binop_fn f, int64_t a, int64_t b) { return f(a, b); }

struct cb_thread_job {
    binop_fn f;
    int64_t id;
    long calls;
    long wrong;
};

static void *cb_thread_main(void *p) {
    struct cb_thread_job *job = p;
    for (long i = 0; i < job->calls; ++i) {
        int64_t a = i * 7 + job->id, b = job->id * 1000003;
        if (job->f(a, b) != a * 3 + b) job->wrong++;
    }
    return NULL;
}

/* Calls f(a, b), expecting a * 3 + b, calls times from each of threads C threads; returns
   the number of wrong results, or -1 if a thread could not be started. */
long cb_run_threads(binop_fn f, int threads, long calls) {
    pthread_t tid[64];
    struct cb_thread_job jobs[64];
    if (threads > 64) return -1;
    for (int t = 0; t < threads; ++t) {
        jobs[t] = (struct cb_thread_job){f, t, calls, 0};
        if (pthread_create(&tid[t], NULL, cb_thread_main, &jobs[t]) != 0) return -1;
    }
    long wrong = 0;
    for (int t = 0; t < threads; ++t) {
        pthread_join(tid[t], NULL);
        wrong += jobs[t].wrong;
    }
    return wrong;
}

/* Calls f(a, b) with the stack pointer 8 bytes off the 16-byte alignment the ABI promises. */
int64_t cb_call_misaligned(binop_fn f, int64_t a, int64_t b) {
#if defined(__x86_64__)
    int64_t r;
    __asm__ volatile(
        "sub $8, %%rsp\n\t"
        "call *%%rax\n\t"
        "add $8, %%rsp\n\t"
        : "=a"(r), "+D"(a), "+S"(b)
        : "a"(f)
        : "rcx", "rdx", "r8", "r9", "r10", "r11", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5",
          "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15",
          "memory", "cc");
    return r;
#else
    return f(a, b);
#endif
}

/* Sums f(i, i) for i in [0, n): the loop of the invocation benchmark. */
int64_t cb_sum_loop(binop_fn f, long n) {
    int64_t s = 0;
    for (long i = 0; i < n; ++i) s += f(i, i);
    return s;
}

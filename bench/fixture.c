/* The C functions the benchmarks call, compiled -O2 into their own shared library. */
#include <stdint.h>

struct vec2f { float x, y; };
struct vec3d { double x, y, z; };

int64_t bench_add3(int64_t a, int64_t b, int64_t c) { return a + b + c; }

double bench_fma(double a, double b, double c) { return a * b + c; }

struct vec2f bench_vec2_add(struct vec2f a, struct vec2f b) {
    struct vec2f r = { a.x + b.x, a.y + b.y };
    return r;
}

struct vec3d bench_vec3_scale(struct vec3d v, double k) {
    struct vec3d r = { v.x * k, v.y * k, v.z * k };
    return r;
}

double bench_mixed10(int a, double b, long c, float d, char e, double f, unsigned g,
                     const void *h, short i, double j) {
    return a + b + (double)c + d + e + f + g + (h ? 1.0 : 0.0) + i + j;
}

/* A variadic sink: any call site of it is a valid C call (it reads none of its varargs). */
long bench_sink(int n, ...) { return n; }

/* Callbacks: the plain C function, the C handler doing the same work through slots, and the
   C loop that calls either through a function pointer. */
typedef union bench_slot { int64_t i64; double f64; void *ptr; } bench_slot;

int64_t bench_cb_add(int64_t a, int64_t b) { return a + b; }

void bench_cb_handler(void *user, const bench_slot *args, void *ret) {
    (void)user;
    ((bench_slot *)ret)->i64 = args[0].i64 + args[1].i64;
}

int64_t bench_cb_loop(int64_t (*f)(int64_t, int64_t), long n) {
    int64_t s = 0;
    for (long i = 0; i < n; ++i) s += f(i, i);
    return s;
}

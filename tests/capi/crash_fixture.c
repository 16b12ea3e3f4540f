/* A library for the lifetime and crash report tests; some of its functions fault on purpose. */

/* Reads *p: a NULL p faults (SIGSEGV) inside this library. */
int jiffi_crash_read(const int *p) { return *(const volatile int *)p; }

/* Calls cb(x) and adds one: a fault in cb is one inside a callback's handler. */
int jiffi_crash_call(int (*cb)(int), int x) { return cb(x) + 1; }

/* Doubles x: a function that never faults. */
int jiffi_crash_twice(int x) { return 2 * x; }

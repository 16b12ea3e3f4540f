// No page is ever writable and executable at once: /proc/self/maps scanned from a second
// thread while every backend makes functions and callbacks of distinct signatures.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "jiffi/jiffi.h"

namespace {

// Fails the test with the error's message when err is not null.
void ok(jiffi_error* err) {
    if (!err) return;
    std::string msg = jiffi_error_message(err);
    jiffi_error_dispose(err);
    FAIL(msg);
}

// The lines of /proc/self/maps whose permissions are both writable and executable.
std::vector<std::string> wx_mappings() {
    std::vector<std::string> found;
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line)) {
        std::istringstream fields(line);
        std::string range, perms;
        fields >> range >> perms;
        if (perms.size() >= 3 && perms[1] == 'w' && perms[2] == 'x') found.push_back(line);
    }
    return found;
}

// Scans the process's mappings over and over on its own thread until stopped, keeping every
// writable-and-executable mapping it saw.
class MapsScanner {
public:
    MapsScanner() : thread_([this] { run(); }) {}
    ~MapsScanner() { stop(); }
    // Stops the scanner after one last scan; returns what it saw.
    const std::vector<std::string>& stop() {
        if (thread_.joinable()) {
            stop_.store(true);
            thread_.join();
        }
        return seen_;
    }
    long scans() const { return scans_.load(); }

private:
    void run() {
        do {
            keep(wx_mappings());
            scans_.fetch_add(1);
            // A breath between scans, so that the scanner does not starve the backends.
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        } while (!stop_.load());
        keep(wx_mappings());
    }
    // Adds the mappings not seen yet (the first 16).
    void keep(const std::vector<std::string>& lines) {
        for (const std::string& line : lines)
            if (seen_.size() < 16 && std::find(seen_.begin(), seen_.end(), line) == seen_.end()) seen_.push_back(line);
    }

    std::atomic<bool> stop_{false};
    std::atomic<long> scans_{0};
    std::vector<std::string> seen_;
    std::thread thread_;
};

const char* const kTypes[] = {"int", "long", "double", "float", "short", "unsigned char", "void *", "unsigned"};
constexpr int kTypeCount = 8;

// Signature number i of a family of distinct ones: a return type and one to four arguments.
std::string signature_text(int i) {
    std::string text = std::string(kTypes[i % kTypeCount]) + " (";
    int rest = i / kTypeCount + 1;  // at least one argument digit
    bool first = true;
    while (rest > 0) {
        if (!first) text += ", ";
        text += kTypes[rest % kTypeCount];
        rest /= kTypeCount;
        first = false;
    }
    return text + ")";
}

// Returns the sum of its arguments: what the test's functions and callbacks compute.
int64_t add2(int64_t a, int64_t b) { return a + b; }

// The handler of the long (long, long) callbacks: the sum of its arguments plus user_data.
void add_handler(void* user, const jiffi_slot* args, void* ret) {
    static_cast<jiffi_slot*>(ret)->i64 = args[0].i64 + args[1].i64 + reinterpret_cast<intptr_t>(user);
}

// Returns zero: the handler of the distinct signatures' callbacks, never called.
void zero_handler(void*, const jiffi_slot*, void* ret) {
    if (ret) static_cast<jiffi_slot*>(ret)->u64 = 0;
}

// Makes functions and callbacks of the count distinct signatures from number first on a
// context of backend b, and calls a long (long, long) function through its invokers and
// callbacks through their code.
void exercise(jiffi_backend b, int first, int count) {
    jiffi_context* ctx = nullptr;
    ok(jiffi_context_create(b, &ctx));
    std::vector<jiffi_function*> fns;
    std::vector<jiffi_callback*> cbs;
    for (int i = first; i < first + count; ++i) {
        jiffi_signature* sig = nullptr;
        std::string text = signature_text(i);
        ok(jiffi_signature_parse(ctx, text.c_str(), &sig));
        jiffi_function* fn = nullptr;
        ok(jiffi_function_create(ctx, reinterpret_cast<void*>(&add2), sig, &fn));
        REQUIRE(reinterpret_cast<void*>(jiffi_function_invoker(fn)) != nullptr);
        fns.push_back(fn);
        jiffi_callback* cb = nullptr;
        ok(jiffi_callback_create(ctx, sig, zero_handler, nullptr, &cb));
        REQUIRE(jiffi_callback_code(cb) != nullptr);
        cbs.push_back(cb);
    }
    jiffi_signature* binop = nullptr;
    ok(jiffi_signature_parse(ctx, "long (long, long)", &binop));
    jiffi_function* add = nullptr;
    ok(jiffi_function_create(ctx, reinterpret_cast<void*>(&add2), binop, &add));
    jiffi_invoker inv = jiffi_function_invoker(add);
    jiffi_invoker sig_inv = nullptr;
    ok(jiffi_signature_invoker(binop, &sig_inv));
    for (int64_t k = 0; k < 64; ++k) {
        jiffi_slot args[2], ret;
        args[0].i64 = k;
        args[1].i64 = -3 * k + 7;
        ret.i64 = 0;
        inv(reinterpret_cast<void*>(&add2), args, &ret);
        CHECK(ret.i64 == -2 * k + 7);
        ret.i64 = 0;
        sig_inv(reinterpret_cast<void*>(&add2), args, &ret);
        CHECK(ret.i64 == -2 * k + 7);
        jiffi_callback* cb = nullptr;
        ok(jiffi_callback_create(ctx, binop, add_handler, reinterpret_cast<void*>(static_cast<intptr_t>(k)), &cb));
        auto code = reinterpret_cast<int64_t (*)(int64_t, int64_t)>(jiffi_callback_code(cb));
        CHECK(code(k, 100) == 2 * k + 100);
        jiffi_callback_release(cb);
    }
    jiffi_function_destroy(add);
    for (jiffi_callback* cb : cbs) jiffi_callback_release(cb);
    for (jiffi_function* fn : fns) jiffi_function_destroy(fn);
    jiffi_context_destroy(ctx);
}

}  // namespace

TEST_CASE("no mapping is writable and executable while any backend makes functions and callbacks") {
    // libffi makes 3000. JIT and AUTO compile each new signature's stub and thunk alone when
    // asked one by one (about 2 ms of CPU a pair), so they make 300 each, AUTO on signatures
    // the JIT has not compiled yet: every compile maps and protects its pages the same way.
    CHECK(signature_text(0) != signature_text(1));
    MapsScanner scanner;
    struct Run {
        jiffi_backend backend;
        int first, count;
    };
    const Run runs[] = {{JIFFI_BACKEND_JIT, 0, 300}, {JIFFI_BACKEND_LIBFFI, 0, 3000}, {JIFFI_BACKEND_AUTO, 300, 300}};
    for (const Run& r : runs) {
        CAPTURE(static_cast<int>(r.backend));
        exercise(r.backend, r.first, r.count);
    }
    const std::vector<std::string>& seen = scanner.stop();
    std::string report;
    for (const std::string& line : seen) report += line + "\n";
    INFO("writable and executable mappings seen:\n" << report);
    CHECK(scanner.scans() > 1);
    CHECK(seen.empty());
}

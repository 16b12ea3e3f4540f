// The ABI call suite: every generated case called through jiffi and compared with the C compiler's call.
#include <doctest/doctest.h>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "abi_suite.h"
#include "jiffi/jiffi.h"

namespace {

constexpr unsigned char kPattern[2] = {0xA5, 0x5A};  // return storage fill, per call path
constexpr size_t kCanary = 64;                      // bytes past the return checked untouched
constexpr int kMaxReported = 40;                    // detailed failure reports per backend

const char* const kKindNames[] = {
#define ABI_KIND_NAME(id, text) text,
    ABI_KIND_LIST(ABI_KIND_NAME)
#undef ABI_KIND_NAME
};

const char* const kClassNames[] = {"void", "sint", "uint", "float", "double", "pointer", "memory"};

// A backend the suite runs against, as named in JIFFI_ABI_BACKENDS.
struct BackendSpec {
    std::string name;
    jiffi_backend backend;
};

// Owns a jiffi_error and gives its code and message.
struct ErrorHolder {
    jiffi_error* err = nullptr;
    ~ErrorHolder() { jiffi_error_dispose(err); }
    // The JIFFI_E_* code, 0 for no error.
    int code() const { return jiffi_error_code(err); }
    // The error's message, "" for no error.
    std::string message() const { return err ? jiffi_error_message(err) : ""; }
    // The code's name, number and the message, for reports.
    std::string describe() const {
        if (!err) return "no error";
        return std::string(jiffi_error_code_name(code())) + " (" + std::to_string(code()) + "): " + message();
    }
};

// The backends named by JIFFI_ABI_BACKENDS (default: libffi, jit and auto).
std::vector<BackendSpec> backends_from_env() {
    const char* env = std::getenv("JIFFI_ABI_BACKENDS");
    std::string list = env && *env ? env : "libffi,jit,auto";
    std::vector<BackendSpec> out;
    std::stringstream ss(list);
    for (std::string name; std::getline(ss, name, ',');) {
        if (name == "libffi")
            out.push_back({name, JIFFI_BACKEND_LIBFFI});
        else if (name == "jit")
            out.push_back({name, JIFFI_BACKEND_JIT});
        else if (name == "auto")
            out.push_back({name, JIFFI_BACKEND_AUTO});
        else if (!name.empty())
            FAIL_CHECK("JIFFI_ABI_BACKENDS names an unknown backend '" << name << "' (libffi, jit, auto)");
    }
    return out;
}

// The single case JIFFI_ABI_ONLY selects, or -1 for all.
int only_case() {
    const char* env = std::getenv("JIFFI_ABI_ONLY");
    return env && *env ? std::atoi(env) : -1;
}

// Memory aligned for any return type of the suite (over-aligned structs included).
struct AlignedBuffer {
    // Allocates at least n zeroed bytes aligned to 64.
    explicit AlignedBuffer(size_t n) : size((n + 63) / 64 * 64) {
        data = static_cast<unsigned char*>(std::aligned_alloc(64, size));
        std::memset(data, 0, size);
    }
    ~AlignedBuffer() { std::free(data); }
    AlignedBuffer(const AlignedBuffer&) = delete;
    AlignedBuffer& operator=(const AlignedBuffer&) = delete;
    size_t size;
    unsigned char* data;
};

// What the C compiler's call of a case gave: its return (slot or bytes) and checksum.
struct Expected {
    std::unique_ptr<AlignedBuffer> ret;
    uint64_t checksum = 0;
    std::vector<uint64_t> trace;  // the running checksum after each argument
};

// Per-backend tallies.
struct Counts {
    int called = 0;          // cases bound and called
    int matched = 0;         // called cases whose both call paths matched C
    int refused = 0;         // libffi-must-refuse cases refused as expected
    int refused_defect = 0;  // refused to avoid a known defect of the installed libffi
    int failed = 0;          // cases with any failure
    std::map<std::string, int> by_stage;  // failures by stage
};

// Hex of n bytes at p.
std::string hex(const void* p, size_t n) {
    std::string s;
    char b[4];
    for (size_t i = 0; i < n; ++i) {
        std::snprintf(b, sizeof b, "%02x", static_cast<const unsigned char*>(p)[i]);
        s += b;
    }
    return s;
}

// The x87 tag word: 0xffff while the x87 register stack is empty, as the psABI requires between
// calls; a backend that leaves a value there (a long double return it did not pop) breaks every
// later long double computation of the process. 0xffff on other architectures.
uint16_t x87_tag_word() {
#if defined(__x86_64__)
    struct {
        uint16_t control, pad0, status, pad1, tag, pad2;
        uint32_t rest[4];
    } env;
    __asm__ volatile("fnstenv %0\n\tfldenv %0" : "=m"(env));
    return env.tag;
#else
    return 0xffff;
#endif
}

// Empties the x87 register stack (and restores its default control word) after a failure.
void x87_reset() {
#if defined(__x86_64__)
    __asm__ volatile("fninit");
#endif
}

// While alive, names the running case on stderr if a call crashes, then lets doctest report it.
class CrashNote {
public:
    // Installs the note's handler for the fatal signals, keeping the previous handlers.
    CrashNote() {
        struct sigaction sa {};
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < kSignals.size(); ++i) sigaction(kSignals[i], &sa, &saved_[i]);
    }
    ~CrashNote() { restore(); }
    CrashNote(const CrashNote&) = delete;
    CrashNote& operator=(const CrashNote&) = delete;

    // Records the case about to run.
    static void set(const char* backend, int index, const char* prototype) {
        int n = std::snprintf(note_, sizeof note_,
                              "[abi] CRASH backend=%s case=%d: %s\n"
                              "      reproduce: JIFFI_ABI_ONLY=%d JIFFI_ABI_BACKENDS=%s ./tests/abi/test_abi\n",
                              backend, index, prototype, index, backend);
        length_ = n < 0 ? 0 : std::min(static_cast<size_t>(n), sizeof note_ - 1);
    }

private:
    static constexpr std::array<int, 4> kSignals = {SIGSEGV, SIGBUS, SIGILL, SIGFPE};

    // Writes the note and restores the previous handlers; the fault then recurs and reaches them.
    static void on_signal(int) {
        ssize_t ignored = write(2, note_, length_);
        (void)ignored;
        restore();
    }

    // Reinstates the handlers that were there before.
    static void restore() {
        for (size_t i = 0; i < kSignals.size(); ++i) sigaction(kSignals[i], &saved_[i], nullptr);
    }

    static inline char note_[1024];
    static inline size_t length_ = 0;
    static inline struct sigaction saved_[4];
};

// Runs the suite's cases against one backend and reports every mismatch.
class Runner {
public:
    // A runner of suite's cases against the C compiler's results in expected.
    Runner(const abi_suite* suite, const std::vector<Expected>& expected, size_t buffer_size, bool jit_available)
        : suite_(suite), expected_(expected), buf_(buffer_size), jit_available_(jit_available) {}

    // Runs every selected case on backend spec in context ctx with the fixture library lib.
    Counts run(const BackendSpec& spec, jiffi_context* ctx, jiffi_library* lib, int only) {
        spec_ = &spec;
        ctx_ = ctx;
        lib_ = lib;
        counts_ = Counts{};
        reported_ = 0;
        CrashNote note;
        for (int i = 0; i < suite_->count; ++i) {
            if (only >= 0 && i != only) continue;
            CrashNote::set(spec.name.c_str(), i, suite_->cases[i]->prototype);
            run_case(*suite_->cases[i]);
        }
        if (reported_ > kMaxReported)
            std::printf("[abi] ... %d more failure reports on backend %s not shown\n", reported_ - kMaxReported,
                        spec.name.c_str());
        return counts_;
    }

private:
    // Reports a failure of case c at stage, naming the module it most likely comes from.
    void fail(const abi_case& c, const std::string& stage, const std::string& detail) {
        ++counts_.by_stage[stage];
        if (case_failed_) {
            if (reported_ <= kMaxReported) std::printf("      also (stage=%s): %s\n", stage.c_str(), detail.c_str());
            return;
        }
        case_failed_ = true;
        ++counts_.failed;
        if (++reported_ > kMaxReported) return;
        std::printf("[abi] FAIL backend=%s case=%d (%s) stage=%s, likely in %s\n", spec_->name.c_str(), c.index,
                    c.mode, stage.c_str(), module_hint(stage));
        std::printf("      %s\n", detail.c_str());
        std::printf("      prototype: %s\n", c.prototype);
        if (c.varargs) std::printf("      varargs:   %s\n", c.varargs);
        if (*c.decls) std::printf("      declarations:\n%s", indent(c.decls).c_str());
        std::printf("      reproduce: JIFFI_ABI_ONLY=%d JIFFI_ABI_BACKENDS=%s ./tests/abi/test_abi "
                    "(suite seed %" PRIu64 ", %d cases: cmake -DJIFFI_ABI_SEED=%" PRIu64
                    " -DJIFFI_ABI_CASES=%d); C source: grep -n 'case %d ' %s/abi_cases_*.c\n",
                    c.index, spec_->name.c_str(), suite_->seed, suite_->count, suite_->seed, suite_->count,
                    c.index, JIFFI_ABI_GEN_DIR);
        std::fflush(stdout);
    }

    // The module a failure at stage most likely comes from.
    const char* module_hint(const std::string& stage) const {
        if (stage == "cdef" || stage == "signature_parse" || stage == "signature_vararg")
            return "the declaration parser (marshal/cparse.cpp, marshal/signature.cpp)";
        if (stage == "layout") return "the record layout (layout/record_layout.cpp)";
        if (stage == "type_info") return "the slot classes (marshal/signature.cpp, marshal/type.cpp)";
        if (stage == "library_symbol") return "the library loader (runtime/library.cpp)";
        if (spec_->backend == JIFFI_BACKEND_LIBFFI) return "the libffi backend (runtime/ffi_backend.cpp) or libffi";
        return "the backend the context chose";
    }

    // Text indented for a failure report.
    static std::string indent(const std::string& text) {
        std::string out;
        std::stringstream ss(text);
        for (std::string line; std::getline(ss, line);) out += "        " + line + "\n";
        return out;
    }

    // Declares, parses, checks, binds and calls case c; tallies the outcome.
    void run_case(const abi_case& c) {
        case_failed_ = false;
        ErrorHolder e;
        if (*c.decls && (e.err = jiffi_cdef(ctx_, c.decls)))
            return fail(c, "cdef", "jiffi_cdef failed: " + e.describe());
        jiffi_signature* proto = nullptr;
        if ((e.err = jiffi_signature_parse(ctx_, c.prototype, &proto)))
            return fail(c, "signature_parse", "jiffi_signature_parse failed: " + e.describe());
        if (!check_prototype(c, proto)) return;
        jiffi_signature* sig = proto;
        if (c.varargs && (e.err = jiffi_signature_vararg(ctx_, proto, c.varargs, &sig)))
            return fail(c, "signature_vararg", "jiffi_signature_vararg(\"" + std::string(c.varargs) +
                                                   "\") failed: " + e.describe());
        if (!check_types(c, sig)) return;

        void* address = nullptr;
        if ((e.err = jiffi_library_symbol(lib_, c.symbol, &address)))
            return fail(c, "library_symbol", "jiffi_library_symbol failed: " + e.describe());
        jiffi_function* fn = nullptr;
        e.err = jiffi_function_bind(lib_, c.symbol, sig, &fn);
        bool must_refuse = c.refuse && spec_->backend == JIFFI_BACKEND_LIBFFI;
        bool may_refuse = c.refuse && spec_->backend == JIFFI_BACKEND_AUTO && !jit_available_;
        if (must_refuse || (may_refuse && e.err)) {
            jiffi_function_destroy(fn);
            return check_refusal(c, sig, address, e);
        }
        // libffi builds with the register-copy bug of libffi pull request 848 must refuse
        // the records it would corrupt; counted apart and bounded below.
        bool libffi_path = spec_->backend == JIFFI_BACKEND_LIBFFI ||
                           (spec_->backend == JIFFI_BACKEND_AUTO && !jit_available_);
        if (e.err && libffi_path && jiffi_error_code(e.err) == JIFFI_E_UNSUPPORTED &&
            std::string(jiffi_error_message(e.err)).find("libffi pull request 848") != std::string::npos) {
            ++counts_.refused_defect;
            return;
        }
        if (e.err) return fail(c, "function_bind", "jiffi_function_bind failed: " + e.describe());
        std::unique_ptr<jiffi_function, void (*)(jiffi_function*)> owned(fn, jiffi_function_destroy);
        if (jiffi_function_address(fn) != address)
            return fail(c, "function_bind", "jiffi_function_address differs from jiffi_library_symbol's address");
        ++counts_.called;
        std::vector<jiffi_slot> slots = make_slots(c);
        for (int path = 0; path < 2; ++path) call_and_compare(c, fn, slots, path);
        if (!case_failed_) ++counts_.matched;
    }

    // Checks what jiffi says about the variadic-ness, name and fixed arguments of the prototype.
    bool check_prototype(const abi_case& c, const jiffi_signature* proto) {
        bool variadic = c.varargs != nullptr;
        if ((jiffi_signature_is_variadic(proto) != 0) != variadic) {
            fail(c, "signature_parse", std::string("jiffi_signature_is_variadic says ") +
                                           (variadic ? "not variadic" : "variadic"));
            return false;
        }
        if (std::strcmp(jiffi_signature_name(proto), c.symbol) != 0) {
            fail(c, "signature_parse", std::string("jiffi_signature_name gives '") + jiffi_signature_name(proto) +
                                           "', the prototype names '" + c.symbol + "'");
            return false;
        }
        if (jiffi_signature_arg_count(proto) != static_cast<size_t>(c.fixed_count)) {
            fail(c, "signature_parse", "the prototype has " + std::to_string(c.fixed_count) +
                                           " fixed arguments, jiffi_signature_arg_count gives " +
                                           std::to_string(jiffi_signature_arg_count(proto)));
            return false;
        }
        return true;
    }

    // Checks jiffi's class, size and alignment of the return and every argument against C's.
    bool check_types(const abi_case& c, const jiffi_signature* sig) {
        if (jiffi_signature_arg_count(sig) != static_cast<size_t>(c.arg_count)) {
            fail(c, "signature_vararg", "the call has " + std::to_string(c.arg_count) +
                                            " arguments, jiffi_signature_arg_count gives " +
                                            std::to_string(jiffi_signature_arg_count(sig)));
            return false;
        }
        for (long i = -1; i < c.arg_count; ++i) {
            const abi_type& t = c.types[i + 1];
            jiffi_type_info info{};
            ErrorHolder e;
            std::string what = i < 0 ? "the return type" : "argument " + std::to_string(i);
            what += " '" + std::string(t.spelling) + "'";
            if ((e.err = jiffi_signature_type_info(sig, i, &info))) {
                fail(c, "type_info", "jiffi_signature_type_info(" + std::to_string(i) + ") failed: " + e.describe());
                return false;
            }
            if (info.size != t.size || info.align != t.align) {
                fail(c, t.kind >= ABI_K_STRUCT ? "layout" : "type_info",
                     what + ": jiffi gives size " + std::to_string(info.size) + " align " +
                         std::to_string(info.align) + ", the C compiler " + std::to_string(t.size) + " and " +
                         std::to_string(t.align));
                return false;
            }
            if (static_cast<int>(info.value_class) != t.value_class) {
                fail(c, "type_info", what + ": jiffi gives slot class " + class_name(info.value_class) +
                                         ", C_API.md's rules give " + class_name(t.value_class));
                return false;
            }
        }
        return true;
    }

    // The name of slot class k.
    static std::string class_name(int k) {
        return k >= 0 && k <= ABI_MEMORY ? kClassNames[k] : "class " + std::to_string(k);
    }

    // Checks that the backend refused case c (bind and create) naming one of its hard types.
    void check_refusal(const abi_case& c, const jiffi_signature* sig, void* address, const ErrorHolder& bind_err) {
        ErrorHolder create_err;
        jiffi_function* fn = nullptr;
        create_err.err = jiffi_function_create(ctx_, address, sig, &fn);
        jiffi_function_destroy(fn);
        const ErrorHolder* errs[2] = {&bind_err, &create_err};
        const char* calls[2] = {"jiffi_function_bind", "jiffi_function_create"};
        for (int k = 0; k < 2; ++k) {
            const ErrorHolder& e = *errs[k];
            if (!e.err) {
                fail(c, "refusal", std::string(calls[k]) + " succeeded where libffi must refuse (" + c.refuse + ")");
                return;
            }
            if (e.code() != JIFFI_E_UNSUPPORTED) {
                fail(c, "refusal", std::string(calls[k]) + " failed with " + e.describe() +
                                       ", expected JIFFI_E_UNSUPPORTED");
                return;
            }
            if (!names_one_of(e.message(), c.refuse)) {
                fail(c, "refusal", std::string(calls[k]) + "'s message does not name the offending type (one of " +
                                       c.refuse + "): " + e.message());
                return;
            }
        }
        ++counts_.refused;
    }

    // True if message contains one of the '|'-separated names.
    static bool names_one_of(const std::string& message, const std::string& names) {
        std::stringstream ss(names);
        for (std::string name; std::getline(ss, name, '|');)
            if (!name.empty() && message.find(name) != std::string::npos) return true;
        return false;
    }

    // The argument slots of case c by C_API.md's rules, from the values the fixture stores.
    static std::vector<jiffi_slot> make_slots(const abi_case& c) {
        std::vector<jiffi_slot> slots(static_cast<size_t>(c.arg_count) + 1);
        for (int i = 0; i < c.arg_count; ++i) {
            const abi_type& t = c.types[i + 1];
            const void* v = c.args[i];
            jiffi_slot& s = slots[static_cast<size_t>(i)];
            s.u64 = 0xdeadbeefdeadbeefULL;  // bits the callee must not see
            switch (t.value_class) {
            case ABI_SINT: s.i64 = sign_extend(v, t.size); break;
            case ABI_UINT: s.u64 = zero_extend(v, t.size); break;
            case ABI_FLOAT: std::memcpy(&s.f32, v, sizeof(float)); break;
            case ABI_DOUBLE: std::memcpy(&s.f64, v, sizeof(double)); break;
            case ABI_POINTER: std::memcpy(&s.ptr, v, sizeof(void*)); break;
            default: s.ptr = const_cast<void*>(v); break;
            }
        }
        return slots;
    }

    // The signed integer of size bytes at p, sign-extended.
    static int64_t sign_extend(const void* p, size_t size) {
        switch (size) {
        case 1: { int8_t v; std::memcpy(&v, p, 1); return v; }
        case 2: { int16_t v; std::memcpy(&v, p, 2); return v; }
        case 4: { int32_t v; std::memcpy(&v, p, 4); return v; }
        default: { int64_t v; std::memcpy(&v, p, 8); return v; }
        }
    }

    // The unsigned integer of size bytes at p, zero-extended.
    static uint64_t zero_extend(const void* p, size_t size) {
        uint64_t v = 0;
        std::memcpy(&v, p, size < 8 ? size : 8);
        return v;
    }

    // Calls fn by path 0 (jiffi_function_call) or 1 (the invoker) and compares with C.
    void call_and_compare(const abi_case& c, jiffi_function* fn, const std::vector<jiffi_slot>& slots, int path) {
        const char* path_name = path == 0 ? "jiffi_function_call" : "jiffi_function_invoker";
        const abi_type& rt = c.types[0];
        const Expected& want = expected_[static_cast<size_t>(c.index)];
        std::memset(buf_.data, kPattern[path], buf_.size);
        *suite_->checksum = 0x0badc0de0badc0deULL;
        *suite_->last_case = -1;
        std::fill(suite_->trace, suite_->trace + suite_->trace_size, 0);
        // A void return may pass NULL: the first path does, the second checks nothing is written.
        void* ret = rt.value_class == ABI_VOID && path == 0 ? nullptr : buf_.data;
        if (path == 0)
            jiffi_function_call(fn, slots.data(), ret);
        else
            jiffi_function_invoker(fn)(jiffi_function_address(fn), slots.data(), ret);

        std::string where = std::string(path_name) + ": ";
        uint16_t tag = x87_tag_word();
        if (tag != 0xffff) {
            x87_reset();
            char msg[96];
            std::snprintf(msg, sizeof msg, "the call left the x87 register stack non-empty (tag word 0x%04x)", tag);
            fail(c, "x87-stack", where + msg);
        }
        if (*suite_->last_case != c.index)
            return fail(c, "call", where + "the fixture function was not called (last case " +
                                       std::to_string(*suite_->last_case) + ")");
        if (*suite_->checksum != want.checksum) {
            char msg[160];
            std::snprintf(msg, sizeof msg, "argument checksum 0x%016" PRIx64 ", C's call gives 0x%016" PRIx64,
                          *suite_->checksum, want.checksum);
            std::string first;
            for (size_t i = 0; i < want.trace.size(); ++i)
                if (suite_->trace[i] != want.trace[i]) {
                    first = "; the first argument received wrong is argument " + std::to_string(i) + " '" +
                            c.types[i + 1].spelling + "'";
                    break;
                }
            return fail(c, "arguments", where + msg + first);
        }
        size_t used = 0;
        bool ok = true;
        std::string got_text, want_text;
        switch (rt.value_class) {
        case ABI_VOID: used = 0; break;
        case ABI_FLOAT:
            used = 8;  // the slot; only f32 is defined
            ok = std::memcmp(buf_.data, want.ret->data, sizeof(float)) == 0;
            got_text = hex(buf_.data, 4);
            want_text = hex(want.ret->data, 4);
            break;
        case ABI_SINT:
        case ABI_UINT:
        case ABI_DOUBLE:
        case ABI_POINTER:
            used = 8;
            ok = std::memcmp(buf_.data, want.ret->data, 8) == 0;
            got_text = slot_text(rt, buf_.data);
            want_text = slot_text(rt, want.ret->data);
            break;
        default:
            used = rt.size;
            ok = c.equal(buf_.data, want.ret->data) != 0;
            got_text = hex(buf_.data, rt.size);
            want_text = hex(want.ret->data, rt.size);
            break;
        }
        if (rt.kind == ABI_K_BOOL && reinterpret_cast<const jiffi_slot*>(buf_.data)->u64 > 1)
            return fail(c, "return", where + "a _Bool return must widen to 0 or 1, the slot holds " + got_text);
        if (!ok)
            return fail(c, "return", where + "return '" + rt.spelling + "' (" + class_name(rt.value_class) +
                                         ") is " + got_text + ", C's call gives " + want_text);
        for (size_t i = used; i < used + kCanary && i < buf_.size; ++i)
            if (buf_.data[i] != kPattern[path])
                return fail(c, "return", where + "byte " + std::to_string(i) + " past the " +
                                             std::to_string(used) + "-byte return storage of '" + rt.spelling +
                                             "' was overwritten");
    }

    // A scalar slot as its widened value, for failure reports ("i64 -5 (0xff..fb)").
    static std::string slot_text(const abi_type& t, const void* p) {
        jiffi_slot s;
        std::memcpy(&s, p, sizeof s);
        char b[96];
        switch (t.value_class) {
        case ABI_SINT: std::snprintf(b, sizeof b, "i64 %" PRId64 " (0x%016" PRIx64 ")", s.i64, s.u64); break;
        case ABI_UINT: std::snprintf(b, sizeof b, "u64 %" PRIu64 " (0x%016" PRIx64 ")", s.u64, s.u64); break;
        case ABI_DOUBLE: std::snprintf(b, sizeof b, "f64 %a", s.f64); break;
        default: std::snprintf(b, sizeof b, "ptr %p", s.ptr); break;
        }
        return b;
    }

    const abi_suite* suite_;
    const std::vector<Expected>& expected_;
    AlignedBuffer buf_;
    bool jit_available_;
    const BackendSpec* spec_ = nullptr;
    jiffi_context* ctx_ = nullptr;
    jiffi_library* lib_ = nullptr;
    Counts counts_;
    int reported_ = 0;
    bool case_failed_ = false;
};

// Prints which kinds the suite covers, counted from the C compiler's metadata.
void print_coverage(const abi_suite* suite) {
    std::vector<int> as_ret(ABI_K_COUNT), as_arg(ABI_K_COUNT), as_vararg(ABI_K_COUNT);
    int buckets[4] = {0, 0, 0, 0};  // struct/union sizes: <=8, 9-16, 17-24, >24
    int variadic = 0, refused = 0, int_spill = 0, fp_spill = 0, max_args = 0;
    for (int i = 0; i < suite->count; ++i) {
        const abi_case& c = *suite->cases[i];
        variadic += c.varargs != nullptr;
        refused += c.refuse != nullptr;
        max_args = std::max(max_args, c.arg_count);
        ++as_ret[c.types[0].kind];
        int ints = 0, fps = 0;
        for (int a = 0; a < c.arg_count; ++a) {
            const abi_type& t = c.types[a + 1];
            ++(a < c.fixed_count ? as_arg : as_vararg)[t.kind];
            if (t.kind >= ABI_K_STRUCT) ++buckets[t.size <= 8 ? 0 : t.size <= 16 ? 1 : t.size <= 24 ? 2 : 3];
            if (t.value_class == ABI_SINT || t.value_class == ABI_UINT || t.value_class == ABI_POINTER) ++ints;
            if (t.value_class == ABI_FLOAT || t.value_class == ABI_DOUBLE) ++fps;
        }
        int_spill += ints > 6;
        fp_spill += fps > 8;
    }
    std::printf("[abi] suite: seed %" PRIu64 ", %d cases (%d variadic, %d libffi-must-refuse), up to %d arguments; "
                "%d cases with >6 integer and %d with >8 floating-point scalar arguments\n",
                suite->seed, suite->count, variadic, refused, max_args, int_spill, fp_spill);
    std::printf("[abi] struct/union arguments by size: %d <= 8 bytes, %d of 9-16, %d of 17-24, %d > 24\n",
                buckets[0], buckets[1], buckets[2], buckets[3]);
    std::printf("[abi] %-22s %8s %8s %8s\n", "kind", "return", "fixed", "vararg");
    for (int k = 0; k < ABI_K_COUNT; ++k)
        std::printf("[abi] %-22s %8d %8d %8d\n", kKindNames[k], as_ret[k], as_arg[k], as_vararg[k]);
}

// Prints how many scalar returns exercise the slot widening (negative small signed values,
// small unsigned values with their top bit set, _Bool values), from the C compiler's results.
void print_widening(const abi_suite* suite, const std::vector<Expected>& expected) {
    int negative = 0, top_bit = 0, bools[2] = {0, 0};
    for (int i = 0; i < suite->count; ++i) {
        const abi_type& t = suite->cases[i]->types[0];
        jiffi_slot s;
        std::memcpy(&s, expected[static_cast<size_t>(i)].ret->data, sizeof s);
        if (t.value_class == ABI_SINT && t.size < 8 && s.i64 < 0) ++negative;
        if (t.value_class == ABI_UINT && t.size < 8 && t.kind != ABI_K_BOOL && (s.u64 >> (t.size * 8 - 1)) == 1)
            ++top_bit;
        if (t.kind == ABI_K_BOOL) ++bools[s.u64 != 0];
    }
    std::printf("[abi] return widening: %d negative returns of signed types under 8 bytes, %d returns of "
                "unsigned types under 8 bytes with the top bit set, _Bool returns %d false and %d true\n",
                negative, top_bit, bools[0], bools[1]);
}

}  // namespace

TEST_CASE("ABI call suite: generated C calls through every backend match the C compiler's") {
    std::vector<BackendSpec> backends = backends_from_env();
    int only = only_case();
    auto start = std::chrono::steady_clock::now();

    jiffi_context* probe = nullptr;
    ErrorHolder jit_err;
    jit_err.err = jiffi_context_create(JIFFI_BACKEND_JIT, &probe);
    bool jit_available = jit_err.err == nullptr;
    jiffi_context_destroy(probe);

    const abi_suite* suite = nullptr;
    std::vector<Expected> expected;
    std::unique_ptr<Runner> runner;
    bool any_ran = false;

    for (const BackendSpec& spec : backends) {
        jiffi_context* ctx = nullptr;
        ErrorHolder e;
        e.err = jiffi_context_create(spec.backend, &ctx);
        if (e.err && e.code() == JIFFI_E_NOT_AVAILABLE) {
            std::printf("[abi] backend %s: skipped (%s)\n", spec.name.c_str(), e.message().c_str());
            continue;
        }
        REQUIRE_MESSAGE(e.err == nullptr, "jiffi_context_create(" << spec.name << ") failed: " << e.describe());
        std::unique_ptr<jiffi_context, void (*)(jiffi_context*)> owned_ctx(ctx, jiffi_context_destroy);

        jiffi_library* lib = nullptr;
        e.err = jiffi_library_open(ctx, JIFFI_ABI_FIXTURE, &lib);
        REQUIRE_MESSAGE(e.err == nullptr, "jiffi_library_open(\"" JIFFI_ABI_FIXTURE "\") failed: " << e.describe());
        std::unique_ptr<jiffi_library, void (*)(jiffi_library*)> owned_lib(lib, jiffi_library_close);
        void* get = nullptr;
        e.err = jiffi_library_symbol(lib, "abi_suite_get", &get);
        REQUIRE_MESSAGE(e.err == nullptr, "jiffi_library_symbol(abi_suite_get) failed: " << e.describe());
        const abi_suite* s = reinterpret_cast<abi_suite_get_fn>(get)();

        if (!suite) {
            // The first backend loads the suite and computes the C compiler's results once.
            suite = s;
            REQUIRE(suite->count > 0);
            REQUIRE_MESSAGE(only < suite->count, "JIFFI_ABI_ONLY=" << only << " but the suite has " << suite->count
                                                                    << " cases");
            print_coverage(suite);
            size_t max_size = 8;
            for (int i = 0; i < suite->count; ++i) max_size = std::max(max_size, suite->cases[i]->types[0].size);
            expected.resize(static_cast<size_t>(suite->count));
            for (int i = 0; i < suite->count; ++i) {
                const abi_case& c = *suite->cases[i];
                REQUIRE(c.index == i);
                expected[static_cast<size_t>(i)].ret = std::make_unique<AlignedBuffer>(max_size);
                *suite->last_case = -1;
                c.reference(expected[static_cast<size_t>(i)].ret->data);
                REQUIRE_MESSAGE(*suite->last_case == i, "the reference caller of case " << i << " did not call it");
                REQUIRE(c.arg_count <= suite->trace_size);
                expected[static_cast<size_t>(i)].checksum = *suite->checksum;
                expected[static_cast<size_t>(i)].trace.assign(suite->trace, suite->trace + c.arg_count);
            }
            print_widening(suite, expected);
            runner = std::make_unique<Runner>(suite, expected, max_size + kCanary, jit_available);
        }
        // Every context must load the one instance whose globals hold the checksums.
        REQUIRE_MESSAGE(s == suite, "backend " << spec.name << " loaded a second copy of the fixture library");

        Counts counts = runner->run(spec, ctx, lib, only);
        any_ran = true;
        int selected = only >= 0 ? 1 : suite->count;
        std::printf("[abi] backend %s: %d cases: %d called, %d matched, %d refused as expected, "
                    "%d refused for a libffi defect, %d failed\n",
                    spec.name.c_str(), selected, counts.called, counts.matched, counts.refused,
                    counts.refused_defect, counts.failed);
        // A defect refusal is rare (one register position); many would mean a broken check.
        CHECK_MESSAGE(counts.refused_defect * 50 <= selected,
                      "backend " << spec.name << ": too many refusals for a libffi defect");
        for (const auto& [stage, n] : counts.by_stage)
            std::printf("[abi]   failed checks at stage %-16s %d\n", stage.c_str(), n);
        CHECK_MESSAGE(counts.failed == 0, "backend " << spec.name << ": " << counts.failed
                                                     << " cases failed (reports above)");
        CHECK_MESSAGE(counts.called + counts.refused + counts.refused_defect + counts.failed >= selected,
                      "backend " << spec.name << ": cases neither called nor refused");
        if (counts.failed == 0) CHECK(counts.called + counts.refused + counts.refused_defect == selected);
    }
    CHECK_MESSAGE(any_ran, "no backend of JIFFI_ABI_BACKENDS could run");
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("[abi] done in %.2f s\n", seconds);
}

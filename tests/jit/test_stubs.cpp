// JIT stubs from hand-made x86-64 plans: calls, slot rules, the cache, batches, release, threads.
#include <doctest/doctest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "jit/jit_engine.hpp"
#include "jit/stub_cache.hpp"

using namespace jiffi::detail;

namespace {

extern "C" {
__attribute__((noinline)) long jt_add3(long a, long b, long c) { return a + b + c; }
__attribute__((noinline)) double jt_fma(double a, double b, double c) { return a * b + c; }
__attribute__((noinline)) size_t jt_strlen(const char* s) { return std::strlen(s); }
__attribute__((noinline)) float jt_halve(float x) { return x / 2; }
__attribute__((noinline)) int jt_wide_int(int x) { return x; }
__attribute__((noinline)) int jt_take_schar(signed char c, unsigned short u) { return c * 100000 + u; }
struct F2 { float a, b; };
__attribute__((noinline)) F2 jt_swap(F2 v) { return {v.b, v.a}; }
struct F3 { float a, b, c; };
__attribute__((noinline)) float jt_sum3(F3 v) { return v.a + v.b + v.c; }
struct L3 { long a, b, c; };
__attribute__((noinline)) L3 jt_l3(L3 v, long k) { return {v.a * k, v.b * k, v.c * k}; }
__attribute__((noinline)) __int128 jt_mul128(__int128 a, __int128 b) { return a * b; }
__attribute__((noinline)) long double jt_ld(long double a, long double b) { return a * b; }
__attribute__((noinline)) int jt_sum_va(int n, ...) {
    va_list ap;
    va_start(ap, n);
    double s = 0;
    for (int i = 0; i < n; ++i) s += va_arg(ap, double);
    va_end(ap);
    return static_cast<int>(s);
}
}

// A plan value builder for x86-64 System V as Clang lowers these prototypes.
IrType int_ty(uint32_t bits) {
    IrType t;
    t.kind = IrType::Kind::Int;
    t.bits = bits;
    return t;
}
IrType kind_ty(IrType::Kind k) {
    IrType t;
    t.kind = k;
    return t;
}
IrType vec_ty(IrType elem, uint32_t n) {
    IrType t;
    t.kind = IrType::Kind::Vector;
    t.count = n;
    t.elems = {elem};
    return t;
}
IrType struct_ty(std::vector<IrType> members) {
    IrType t;
    t.kind = IrType::Kind::Struct;
    t.elems = std::move(members);
    return t;
}

ArgPlan direct(IrType t, uint64_t size, bool flatten = false) {
    ArgPlan a;
    a.kind = PassKind::Direct;
    a.type = std::move(t);
    a.size = size;
    a.flatten = flatten;
    return a;
}
ArgPlan extend(uint32_t bits, bool sign) {
    ArgPlan a = direct(int_ty(bits), bits / 8);
    a.kind = PassKind::Extend;
    a.sign = sign;
    return a;
}
ArgPlan indirect(uint64_t size, uint32_t align, bool byval) {
    ArgPlan a;
    a.kind = PassKind::Indirect;
    a.size = size;
    a.align = align;
    a.byval = byval;
    return a;
}
SlotInfo slot(ValueClass c, uint64_t size, uint32_t align) { return {c, size, align}; }

// A spec from a return and arguments, each with its slot shape.
StubSpec spec(std::pair<ArgPlan, SlotInfo> ret, std::vector<std::pair<ArgPlan, SlotInfo>> args,
              size_t fixed = SIZE_MAX) {
    StubSpec s;
    s.plan.triple = Target::host().triple;
    s.plan.ret = ret.first;
    s.ret = ret.second;
    for (auto& [a, sl] : args) {
        s.plan.args.push_back(a);
        s.args.push_back(sl);
    }
    s.plan.variadic = fixed != SIZE_MAX;
    s.plan.fixed_count = s.plan.variadic ? fixed : args.size();
    return s;
}

const SlotInfo kI64 = slot(ValueClass::SInt, 8, 8);
const SlotInfo kF64 = slot(ValueClass::Double, 8, 8);
const SlotInfo kPtr = slot(ValueClass::Pointer, 8, 8);

StubSpec add3_spec() {
    ArgPlan i64 = direct(int_ty(64), 8);
    return spec({i64, kI64}, {{i64, kI64}, {i64, kI64}, {i64, kI64}});
}
StubSpec fma_spec() {
    ArgPlan d = direct(kind_ty(IrType::Kind::Double), 8);
    return spec({d, kF64}, {{d, kF64}, {d, kF64}, {d, kF64}});
}

// The stub's address as a data pointer (doctest prints those).
const void* addr(const StubRef& r) { return reinterpret_cast<const void*>(r.code()); }

// True when the mapping holding address is readable and executable but not writable.
bool mapped_rx(const void* address) {
    std::ifstream maps("/proc/self/maps");
    auto a = reinterpret_cast<uintptr_t>(address);
    for (std::string line; std::getline(maps, line);) {
        std::istringstream in(line);
        uintptr_t lo = 0, hi = 0;
        char dash = 0;
        std::string perms;
        in >> std::hex >> lo >> dash >> hi >> perms;
        if (a >= lo && a < hi) return perms.substr(0, 3) == "r-x";
    }
    return false;
}

// The number of mappings both writable and executable.
int wx_mappings() {
    std::ifstream maps("/proc/self/maps");
    int n = 0;
    for (std::string line; std::getline(maps, line);) {
        std::istringstream in(line);
        std::string range, perms;
        in >> range >> perms;
        if (perms.size() >= 3 && perms[1] == 'w' && perms[2] == 'x') ++n;
    }
    return n;
}

}  // namespace

TEST_CASE("stub: int64 add3 and double fma") {
    StubCache cache;
    StubRef add3 = cache.acquire(add3_spec());
    jiffi_slot args[3];
    args[0].i64 = 1;
    args[1].i64 = -20;
    args[2].i64 = 300;
    jiffi_slot ret;
    ret.u64 = 0xdeadbeef;
    add3.code()(reinterpret_cast<void*>(&jt_add3), args, &ret);
    CHECK(ret.i64 == 281);

    StubRef fma = cache.acquire(fma_spec());
    args[0].f64 = 1.5;
    args[1].f64 = 4;
    args[2].f64 = 0.25;
    fma.code()(reinterpret_cast<void*>(&jt_fma), args, &ret);
    CHECK(ret.f64 == 6.25);
}

// The number of instructions in ir whose text contains what (" load ", " call ").
size_t count_of(const std::string& ir, const std::string& what) {
    size_t n = 0;
    for (size_t at = ir.find(what); at != std::string::npos; at = ir.find(what, at + 1)) ++n;
    return n;
}

TEST_CASE("stub: add3's optimized IR is three loads, a call and a store, in one block") {
    std::string ir = JitEngine::instance().stub_ir(add3_spec());
    CHECK(count_of(ir, " load ") == 3);
    CHECK(count_of(ir, " call ") == 1);
    CHECK(count_of(ir, "store ") == 1);
    CHECK(count_of(ir, "memcpy") == 0);
    CHECK(count_of(ir, " br ") == 0);
}

TEST_CASE("stub: pointers, float returns with zero upper bytes, extension both ways") {
    StubCache cache;
    StubRef len = cache.acquire(spec({direct(int_ty(64), 8), slot(ValueClass::UInt, 8, 8)},
                                     {{direct(kind_ty(IrType::Kind::Ptr), 8), kPtr}}));
    jiffi_slot a[2];
    a[0].ptr = const_cast<char*>("hello");
    jiffi_slot r;
    len.code()(reinterpret_cast<void*>(&jt_strlen), a, &r);
    CHECK(r.u64 == 5);

    ArgPlan f = direct(kind_ty(IrType::Kind::Float), 4);
    SlotInfo fs = slot(ValueClass::Float, 4, 4);
    StubRef halve = cache.acquire(spec({f, fs}, {{f, fs}}));
    a[0].u64 = 0;
    a[0].f32 = 5.0f;
    r.u64 = ~uint64_t(0);
    halve.code()(reinterpret_cast<void*>(&jt_halve), a, &r);
    CHECK(r.f32 == 2.5f);
    CHECK((r.u64 >> 32) == 0);

    // The callee leaves 0x1ff in eax; a signed char return is its low byte, sign-extended.
    StubRef narrow = cache.acquire(spec({extend(8, true), slot(ValueClass::SInt, 1, 1)},
                                        {{direct(int_ty(32), 4), slot(ValueClass::SInt, 4, 4)}}));
    a[0].i64 = 0x1ff;
    narrow.code()(reinterpret_cast<void*>(&jt_wide_int), a, &r);
    CHECK(r.i64 == -1);
    StubRef unarrow = cache.acquire(spec({extend(8, false), slot(ValueClass::UInt, 1, 1)},
                                         {{direct(int_ty(32), 4), slot(ValueClass::SInt, 4, 4)}}));
    unarrow.code()(reinterpret_cast<void*>(&jt_wide_int), a, &r);
    CHECK(r.u64 == 0xff);

    StubRef take = cache.acquire(spec({direct(int_ty(32), 4), slot(ValueClass::SInt, 4, 4)},
                                      {{extend(8, true), slot(ValueClass::SInt, 1, 1)},
                                       {extend(16, false), slot(ValueClass::UInt, 2, 2)}}));
    a[0].i64 = -5;
    a[1].u64 = 65535;
    take.code()(reinterpret_cast<void*>(&jt_take_schar), a, &r);
    CHECK(r.i64 == -5 * 100000 + 65535);
}

TEST_CASE("stub: a struct of two floats travels as <2 x float> both ways") {
    StubCache cache;
    ArgPlan v = direct(vec_ty(kind_ty(IrType::Kind::Float), 2), 8);
    SlotInfo mem = slot(ValueClass::Memory, 8, 4);
    StubRef swap = cache.acquire(spec({v, mem}, {{v, mem}}));
    F2 in{1.25f, -3.5f};
    jiffi_slot a[1];
    a[0].ptr = &in;
    unsigned char out[16];
    std::memset(out, 0xaa, sizeof out);
    swap.code()(reinterpret_cast<void*>(&jt_swap), a, out);
    F2 got;
    std::memcpy(&got, out, sizeof got);
    CHECK(got.a == -3.5f);
    CHECK(got.b == 1.25f);
    CHECK(out[8] == 0xaa);  // exactly sizeof(F2) bytes written
}

TEST_CASE("stub: a 12-byte struct is coerced through a zeroed temporary, never read past its end") {
    StubCache cache;
    ArgPlan coerced = direct(struct_ty({vec_ty(kind_ty(IrType::Kind::Float), 2), kind_ty(IrType::Kind::Float)}),
                             12, true);
    ArgPlan f = direct(kind_ty(IrType::Kind::Float), 4);
    StubRef sum = cache.acquire(spec({f, slot(ValueClass::Float, 4, 4)}, {{coerced, slot(ValueClass::Memory, 12, 4)}}));
    // The struct ends at a page whose successor is inaccessible.
    long page = sysconf(_SC_PAGESIZE);
    auto* mem = static_cast<unsigned char*>(
        mmap(nullptr, static_cast<size_t>(2 * page), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    REQUIRE(mem != MAP_FAILED);
    REQUIRE(mprotect(mem + page, static_cast<size_t>(page), PROT_NONE) == 0);
    F3 value{1, 2, 4.5f};
    unsigned char* at = mem + page - sizeof(F3);
    std::memcpy(at, &value, sizeof value);
    jiffi_slot a[1];
    a[0].ptr = at;
    jiffi_slot r;
    sum.code()(reinterpret_cast<void*>(&jt_sum3), a, &r);
    CHECK(r.f32 == 7.5f);
    munmap(mem, static_cast<size_t>(2 * page));
}

TEST_CASE("stub: sret and byval for a 24-byte struct; __int128; long double") {
    StubCache cache;
    SlotInfo l3 = slot(ValueClass::Memory, 24, 8);
    StubRef scale = cache.acquire(spec({indirect(24, 8, false), l3}, {{indirect(24, 8, true), l3}, {direct(int_ty(64), 8), kI64}}));
    L3 in{1, -2, 3};
    jiffi_slot a[2];
    a[0].ptr = &in;
    a[1].i64 = 7;
    L3 out{};
    scale.code()(reinterpret_cast<void*>(&jt_l3), a, &out);
    CHECK(out.a == 7);
    CHECK(out.b == -14);
    CHECK(out.c == 21);
    CHECK(in.b == -2);

    SlotInfo m128 = slot(ValueClass::Memory, 16, 16);
    ArgPlan i128 = direct(int_ty(128), 16);
    StubRef mul = cache.acquire(spec({i128, m128}, {{i128, m128}, {i128, m128}}));
    alignas(16) __int128 x = static_cast<__int128>(1) << 70, y = -3;
    a[0].ptr = &x;
    a[1].ptr = &y;
    alignas(16) __int128 prod = 0;
    mul.code()(reinterpret_cast<void*>(&jt_mul128), a, &prod);
    CHECK(prod == -(static_cast<__int128>(3) << 70));

    ArgPlan fp80 = direct(kind_ty(IrType::Kind::X86Fp80), 16);
    StubRef ld = cache.acquire(spec({fp80, m128}, {{fp80, m128}, {fp80, m128}}));
    alignas(16) long double p = 1.5L, q = 1.0L / 3, res = 0;
    a[0].ptr = &p;
    a[1].ptr = &q;
    ld.code()(reinterpret_cast<void*>(&jt_ld), a, &res);
    CHECK(res == p * q);
}

TEST_CASE("stub: varargs go through a variadic type; a float slot is promoted to double") {
    StubCache cache;
    ArgPlan i32 = direct(int_ty(32), 4);
    SlotInfo si = slot(ValueClass::SInt, 4, 4);
    ArgPlan d = direct(kind_ty(IrType::Kind::Double), 8);
    StubRef sum = cache.acquire(spec({i32, si}, {{i32, si}, {d, kF64}, {d, slot(ValueClass::Float, 4, 4)}, {d, kF64}}, 1));
    jiffi_slot a[4];
    a[0].i64 = 3;
    a[1].f64 = 10.5;
    a[2].u64 = 0;
    a[2].f32 = 20.25f;
    a[3].f64 = 0.25;
    jiffi_slot r;
    sum.code()(reinterpret_cast<void*>(&jt_sum_va), a, &r);
    CHECK(r.i64 == 31);

    // snprintf(char*, size_t, const char*, ...) with an int and a string.
    ArgPlan p = direct(kind_ty(IrType::Kind::Ptr), 8);
    StubRef print = cache.acquire(spec({i32, si}, {{p, kPtr}, {direct(int_ty(64), 8), slot(ValueClass::UInt, 8, 8)}, {p, kPtr}, {i32, si}, {p, kPtr}}, 3));
    char buf[32];
    a[0].ptr = buf;
    a[1].u64 = sizeof buf;
    a[2].ptr = const_cast<char*>("%d-%s");
    a[3].i64 = 42;
    jiffi_slot a5[5];
    std::memcpy(a5, a, sizeof a);
    a5[4].ptr = const_cast<char*>("x");
    print.code()(reinterpret_cast<void*>(&std::snprintf), a5, &r);
    CHECK(r.i64 == 4);
    CHECK(std::string(buf) == "42-x");
}

TEST_CASE("stub cache: one stub per plan, shared; distinct plans get distinct stubs") {
    StubCache cache;
    StubRef a = cache.acquire(add3_spec());
    StubRef b = cache.acquire(add3_spec());
    StubRef c = cache.acquire(fma_spec());
    CHECK(addr(a) == addr(b));
    CHECK(addr(a) != addr(c));
    CHECK(cache.size() == 2);
    CHECK(mapped_rx(reinterpret_cast<const void*>(a.code())));
    CHECK(wx_mappings() == 0);
}

TEST_CASE("stub cache: a batch compiles as one module; release frees the code") {
    StubCache cache;
    JitEngine& engine = JitEngine::instance();
    std::vector<StubSpec> specs;
    for (uint32_t n = 0; n < 20; ++n) {
        ArgPlan i64 = direct(int_ty(64), 8);
        std::vector<std::pair<ArgPlan, SlotInfo>> args(n, {i64, kI64});
        specs.push_back(spec({i64, kI64}, args));
    }
    std::vector<const StubSpec*> ptrs;
    for (auto& s : specs) ptrs.push_back(&s);
    JitEngineStats before = engine.stats();
    std::vector<StubRef> refs = cache.acquire_batch(ptrs);
    JitEngineStats after = engine.stats();
    CHECK(after.modules_compiled == before.modules_compiled + 1);
    CHECK(after.stubs_compiled == before.stubs_compiled + 20);
    CHECK(after.live_blocks == before.live_blocks + 1);
    for (auto& r : refs) REQUIRE(r.ok());
    jiffi_slot args[3];
    args[0].i64 = 2;
    args[1].i64 = 3;
    args[2].i64 = 4;
    jiffi_slot ret;
    refs[3].code()(reinterpret_cast<void*>(&jt_add3), args, &ret);
    CHECK(ret.i64 == 9);
    // A second batch of cached specs compiles nothing.
    std::vector<StubRef> again = cache.acquire_batch(ptrs);
    CHECK(engine.stats().modules_compiled == after.modules_compiled);
    CHECK(addr(again[5]) == addr(refs[5]));

    // The module lives until every stub of it is released.
    refs.clear();
    CHECK(engine.stats().live_blocks == after.live_blocks);
    again.pop_back();
    CHECK(engine.stats().live_blocks == after.live_blocks);
    again.clear();
    CHECK(engine.stats().live_blocks == before.live_blocks);
    CHECK(cache.size() == 0);

    // Compiling again after release works.
    StubRef add3 = cache.acquire(add3_spec());
    refs.clear();
    add3.code()(reinterpret_cast<void*>(&jt_add3), args, &ret);
    CHECK(ret.i64 == 9);
}

TEST_CASE("stub cache: a large batch is built on two threads, as two modules, all of it callable") {
    StubCache cache;
    JitEngine& engine = JitEngine::instance();
    ArgPlan i64 = direct(int_ty(64), 8);
    std::vector<StubSpec> specs;
    for (uint32_t n = 0; n < 64; ++n) {
        std::vector<std::pair<ArgPlan, SlotInfo>> args(n + 3, {i64, kI64});
        specs.push_back(spec({i64, kI64}, args));
    }
    specs[50].args[1] = slot(ValueClass::Double, 8, 8);  // refused, in the second half
    std::vector<const StubSpec*> ptrs;
    for (auto& s : specs) ptrs.push_back(&s);
    JitEngineStats before = engine.stats();
    std::vector<StubRef> refs = cache.acquire_batch(ptrs);
    JitEngineStats after = engine.stats();
    bool two_threads = std::thread::hardware_concurrency() > 1;
    CHECK(after.modules_compiled == before.modules_compiled + (two_threads ? 2 : 1));
    CHECK(after.stubs_compiled == before.stubs_compiled + 63);
    REQUIRE_FALSE(refs[50].ok());
    CHECK(refs[50].error()->code() == ErrorCode::UNSUPPORTED);
    // Every stub passes its first three slots where add3 reads them (the rest are extra
    // arguments, which the caller of a System V function may pass and removes itself).
    std::vector<jiffi_slot> args(80);
    for (size_t i = 0; i < args.size(); ++i) args[i].i64 = static_cast<int64_t>(i * 10 + 1);
    int wrong = 0;
    for (size_t k = 0; k < refs.size(); ++k) {
        if (k == 50) continue;
        REQUIRE(refs[k].ok());
        jiffi_slot ret{};
        refs[k].code()(reinterpret_cast<void*>(&jt_add3), args.data(), &ret);
        wrong += ret.i64 != 1 + 11 + 21;
    }
    CHECK(wrong == 0);
    CHECK(wx_mappings() == 0);
}

TEST_CASE("stub cache: an unsupported plan is refused with the reason, the rest of a batch compiles") {
    StubCache cache;
    StubSpec bad = add3_spec();
    bad.args[1] = slot(ValueClass::Double, 8, 8);  // a double slot cannot be passed as i64
    StubSpec good = fma_spec();
    std::vector<StubRef> refs = cache.acquire_batch({&bad, &good});
    REQUIRE_FALSE(refs[0].ok());
    CHECK(refs[0].error()->code() == ErrorCode::UNSUPPORTED);
    CHECK(std::string(refs[0].error()->message()).find("argument 2") != std::string::npos);
    CHECK(refs[1].ok());
    CHECK_THROWS_AS(cache.acquire(bad), Error);

    StubSpec foreign = add3_spec();
    foreign.plan.triple = "aarch64-linux-gnu";
    try {
        cache.acquire(foreign);
        FAIL("a foreign target's plan compiled");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::UNSUPPORTED);
        CHECK(e.message().find("aarch64-linux-gnu") != std::string::npos);
    }
    CHECK(cache.size() == 1);
}

TEST_CASE("stub cache: 8 threads acquiring the same and different plans compile each once") {
    StubCache cache;
    JitEngine& engine = JitEngine::instance();
    uint64_t before = engine.stats().stubs_compiled;
    std::atomic<int> wrong{0};
    std::atomic<int> waiting{8};
    std::atomic<int> finishing{8};
    std::vector<jiffi_invoker> same_code(8);
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            ArgPlan i64 = direct(int_ty(64), 8);
            std::vector<std::pair<ArgPlan, SlotInfo>> args(static_cast<size_t>(t + 30), {i64, kI64});
            StubSpec own_spec = spec({i64, kI64}, args);
            // Start together so that the shared plan is wanted by all threads at once.
            --waiting;
            while (waiting > 0) std::this_thread::yield();
            StubRef keep_same = cache.acquire(add3_spec());
            StubRef keep_own = cache.acquire(own_spec);
            same_code[static_cast<size_t>(t)] = keep_same.code();
            for (int round = 0; round < 20; ++round) {
                StubRef same = cache.acquire(add3_spec());
                StubRef own = cache.acquire(own_spec);
                if (same.code() != keep_same.code() || own.code() != keep_own.code()) ++wrong;
                jiffi_slot a[3];
                a[0].i64 = t;
                a[1].i64 = round;
                a[2].i64 = 1;
                jiffi_slot r;
                same.code()(reinterpret_cast<void*>(&jt_add3), a, &r);
                if (r.i64 != t + round + 1) ++wrong;
            }
            // No thread lets its references go before all have taken theirs.
            --finishing;
            while (finishing > 0) std::this_thread::yield();
        });
    }
    for (auto& th : threads) th.join();
    CHECK(wrong == 0);
    for (jiffi_invoker c : same_code) CHECK(reinterpret_cast<void*>(c) == reinterpret_cast<void*>(same_code[0]));
    // The shared plan once and each thread's own plan once.
    CHECK(engine.stats().stubs_compiled - before == 9);
    CHECK(cache.size() == 0);
}

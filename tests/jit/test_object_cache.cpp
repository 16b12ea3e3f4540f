// The disk cache of stub objects: file validation, and a second process that compiles nothing.
#include <doctest/doctest.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "jit/jit_engine.hpp"
#include "jit/object_cache.hpp"
#include "jit/stub_cache.hpp"

using namespace jiffi::detail;

namespace {

// A fresh directory under the temporary directory, removed with its files at scope exit.
struct TempDir {
    std::string path;
    TempDir() {
        const char* base = std::getenv("TMPDIR");
        std::string tmpl = std::string(base && *base ? base : "/tmp") + "/jiffi-objcache-XXXXXX";
        REQUIRE(mkdtemp(tmpl.data()) != nullptr);
        path = tmpl;
    }
    ~TempDir() {
        for (const std::string& f : files()) ::unlink((path + "/" + f).c_str());
        ::rmdir(path.c_str());
    }
    // The names of the files in the directory, hidden ones included.
    std::vector<std::string> files() const {
        std::vector<std::string> out;
        if (DIR* d = ::opendir(path.c_str())) {
            while (dirent* e = ::readdir(d))
                if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") out.push_back(e->d_name);
            ::closedir(d);
        }
        return out;
    }
};

// The bytes of the file at path.
std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// Replaces the file at path with bytes.
void spit(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
}

// What one run of the probe printed: its result lines and its counters.
struct ProbeRun {
    int status = -1;
    std::string results;  // every line but the counters
    std::map<std::string, unsigned long long> stats;
};

// Runs the probe process binding its signatures with the cache in dir ("-": from env).
ProbeRun run_probe(const std::string& dir, const std::string& env = "") {
    std::string command = env + " '" JIFFI_JIT_PROBE "' cache '" + dir + "'";
    ProbeRun run;
    FILE* out = ::popen(command.c_str(), "r");
    REQUIRE(out != nullptr);
    char line[512];
    while (std::fgets(line, sizeof line, out)) {
        std::string text(line);
        if (text.rfind("stats ", 0) != 0) {
            run.results += text;
            continue;
        }
        std::istringstream in(text.substr(6));
        for (std::string field; in >> field;) {
            size_t eq = field.find('=');
            run.stats[field.substr(0, eq)] = std::stoull(field.substr(eq + 1));
        }
    }
    run.status = ::pclose(out);
    return run;
}

// A spec of n int64 arguments returning int64 (x86-64 and AArch64 pass them alike).
StubSpec int64_spec(size_t n) {
    StubSpec s;
    s.plan.triple = Target::host().triple;
    ArgPlan i64;
    i64.kind = PassKind::Direct;
    i64.type.kind = IrType::Kind::Int;
    i64.type.bits = 64;
    i64.size = 8;
    SlotInfo slot{ValueClass::SInt, 8, 8};
    s.plan.ret = i64;
    s.ret = slot;
    s.plan.args.assign(n, i64);
    s.args.assign(n, slot);
    s.plan.fixed_count = n;
    return s;
}

extern "C" __attribute__((noinline)) long oc_sum4(long a, long b, long c, long d) { return a + b + c + d; }

}  // namespace

TEST_CASE("object cache: files round-trip; truncated, altered, foreign and missing files are misses") {
    TempDir dir;
    ObjectCache cache(dir.path + "/sub/dir", "env A");
    CHECK_FALSE(cache.find("k1"));
    cache.store({"k1", "k2"}, "OBJECT BYTES");
    auto a = cache.find("k1");
    auto b = cache.find("k2");
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->object == "OBJECT BYTES");
    CHECK(a->keys == std::vector<std::string>{"k1", "k2"});
    CHECK(a->id == b->id);
    CHECK_FALSE(cache.find("k3"));
    // One file written, linked under both names.
    struct stat st {};
    REQUIRE(::stat(cache.path_of("k1").c_str(), &st) == 0);
    CHECK(st.st_nlink == 2);

    // Another environment neither sees these files nor accepts them under its names.
    ObjectCache other(dir.path + "/sub/dir", "env B");
    CHECK_FALSE(other.find("k1"));
    std::string good = slurp(cache.path_of("k1"));
    spit(other.path_of("k1"), good);
    CHECK_FALSE(other.find("k1"));

    // Every truncation and every single altered byte is rejected.
    for (size_t n = 0; n < good.size(); ++n) {
        spit(cache.path_of("k2"), good.substr(0, n));
        CHECK_FALSE(cache.find("k2"));
        std::string bad = good;
        bad[n] = static_cast<char>(bad[n] ^ 0x20);
        spit(cache.path_of("k2"), bad);
        CHECK_FALSE(cache.find("k2"));
    }
    // A directory where a file should be, and a path that is a file, are harmless.
    ::unlink(cache.path_of("k2").c_str());
    REQUIRE(::mkdir(cache.path_of("k2").c_str(), 0755) == 0);
    CHECK_FALSE(cache.find("k2"));
    ::rmdir(cache.path_of("k2").c_str());
    CHECK_THROWS_AS(ObjectCache(cache.path_of("k1"), "env A"), Error);
    ::unlink(cache.path_of("k1").c_str());
    ::unlink(other.path_of("k1").c_str());
    ::rmdir((dir.path + "/sub/dir").c_str());
    ::rmdir((dir.path + "/sub").c_str());
}

TEST_CASE("object cache: the engine loads cached stubs, and recompiles over an object that does not link") {
    TempDir dir;
    JitEngine& engine = JitEngine::instance();
    engine.set_cache_dir(dir.path);
    StubSpec four = int64_spec(4), five = int64_spec(5), six = int64_spec(6);
    jiffi_slot args[4];
    for (int i = 0; i < 4; ++i) args[i].i64 = i + 1;
    jiffi_slot ret;
    {
        StubCache cache;
        JitEngineStats before = engine.stats();
        std::vector<StubRef> refs = cache.acquire_batch({&four, &five});
        JitEngineStats after = engine.stats();
        CHECK(after.cache_misses - before.cache_misses == 2);
        CHECK(after.cache_hits == before.cache_hits);
        CHECK(after.stubs_compiled - before.stubs_compiled == 2);
        refs[0].code()(reinterpret_cast<void*>(&oc_sum4), args, &ret);
        CHECK(ret.i64 == 10);
    }
    {
        // Cached stubs are loaded, not compiled, whatever batch asks for them.
        StubCache cache;
        JitEngineStats before = engine.stats();
        std::vector<StubRef> refs = cache.acquire_batch({&six, &four});
        StubRef again = cache.acquire(five);
        JitEngineStats after = engine.stats();
        CHECK(after.cache_hits - before.cache_hits == 2);
        CHECK(after.cache_misses - before.cache_misses == 1);
        CHECK(after.stubs_compiled - before.stubs_compiled == 1);
        // four and five come from one object, linked once.
        CHECK(after.live_blocks - before.live_blocks == 2);
        ret.i64 = 0;
        refs[1].code()(reinterpret_cast<void*>(&oc_sum4), args, &ret);
        CHECK(ret.i64 == 10);
    }
    {
        // A file that passes every check but holds no object is recompiled and rewritten.
        ObjectCache raw(dir.path, engine.cache_environment());
        raw.store({four.key()}, "not an object file");
        StubCache cache;
        JitEngineStats before = engine.stats();
        StubRef ref = cache.acquire(four);
        JitEngineStats after = engine.stats();
        CHECK(after.cache_misses - before.cache_misses == 1);
        CHECK(after.stubs_compiled - before.stubs_compiled == 1);
        ret.i64 = 0;
        ref.code()(reinterpret_cast<void*>(&oc_sum4), args, &ret);
        CHECK(ret.i64 == 10);
        auto rewritten = raw.find(four.key());
        REQUIRE(rewritten);
        CHECK(rewritten->object.substr(0, 4) == "\x7f" "ELF");
    }
    engine.set_cache_dir("");
    {
        // Off again: nothing is looked up.
        StubCache cache;
        JitEngineStats before = engine.stats();
        StubRef ref = cache.acquire(four);
        JitEngineStats after = engine.stats();
        CHECK(after.cache_misses == before.cache_misses);
        CHECK(after.cache_hits == before.cache_hits);
    }
}

TEST_CASE("object cache: a second process binding the same signatures compiles nothing") {
    TempDir dir;
    ProbeRun first = run_probe(dir.path);
    REQUIRE(first.status == 0);
    CHECK(first.stats["compiled"] == 7);
    CHECK(first.stats["misses"] == 7);
    CHECK(first.stats["hits"] == 0);
    CHECK(first.results.find("add3 321\n") != std::string::npos);
    CHECK(first.results.find("scale 5 -10 15\n") != std::string::npos);

    // The second run (cache from the environment variable) loads every stub.
    ProbeRun second = run_probe("-", "JIFFI_JIT_CACHE_DIR='" + dir.path + "'");
    REQUIRE(second.status == 0);
    CHECK(second.stats["compiled"] == 0);
    CHECK(second.stats["hits"] == 7);
    CHECK(second.stats["misses"] == 0);
    CHECK(second.results == first.results);

    // A corrupted file is ignored, its stub compiled again and the file rewritten.
    std::vector<std::string> files;
    for (const std::string& f : dir.files())
        if (f.size() > 6 && f.substr(f.size() - 6) == ".jstub") files.push_back(f);
    CHECK(files.size() == 7);
    for (const std::string& f : dir.files()) CHECK(f.rfind(".tmp-", 0) != 0);
    REQUIRE(!files.empty());
    std::string victim = dir.path + "/" + files[0];
    std::string bytes = slurp(victim);
    spit(victim, bytes.substr(0, bytes.size() / 2));
    ProbeRun third = run_probe(dir.path);
    REQUIRE(third.status == 0);
    CHECK(third.stats["compiled"] == 1);
    CHECK(third.stats["misses"] == 1);
    CHECK(third.stats["hits"] == 6);
    CHECK(third.results == first.results);
    CHECK(slurp(victim) == bytes);
    ProbeRun fourth = run_probe(dir.path);
    CHECK(fourth.stats["compiled"] == 0);
    CHECK(fourth.results == first.results);
}

TEST_CASE("the disk cache stays under its bound, dropping the least recently used stubs") {
    TempDir dir;
    constexpr uint64_t kMax = 64 * 1024;
    ObjectCache cache(dir.path, "env bound", kMax);
    std::string object(2000, 'x');
    // Stored first, then hit again and again: recently used, so it is kept.
    cache.store({"k-kept"}, object);
    for (int i = 0; i < 200; ++i) {
        cache.store({"k" + std::to_string(i)}, object);
        (void)cache.find("k-kept");
    }
    CHECK(cache.disk_bytes() <= kMax);
    CHECK(cache.disk_bytes() > kMax / 2);
    CHECK(cache.find("k-kept").has_value());
    CHECK(cache.find("k199").has_value());
    CHECK_FALSE(cache.find("k0").has_value());
}

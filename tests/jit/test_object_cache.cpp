// The disk cache of stub objects: file validation, trust in its directory and files, and a
// second process that compiles nothing.
#include <doctest/doctest.h>

#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <sstream>
#include <string>
#include <vector>

#include "jit/jit_engine.hpp"
#include "jit/object_cache.hpp"
#include "jit/object_loader.hpp"
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
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
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

namespace {

// The uid and gid of "nobody", the other user that plants files (the tests run as root).
constexpr uid_t kNobody = 65534;

// The permission bits of the file at path, not following a final link (-1 if missing).
int mode_of(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 07777) : -1;
}

// Collects what the process writes to stderr while it lives (log_once's output).
struct StderrCapture {
    std::string file;
    int saved = -1;
    explicit StderrCapture(const std::string& dir) : file(dir + "/stderr.txt") {
        std::fflush(stderr);
        saved = ::dup(2);
        int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        REQUIRE(fd >= 0);
        ::dup2(fd, 2);
        ::close(fd);
    }
    // What was written so far.
    std::string text() {
        std::fflush(stderr);
        return slurp(file);
    }
    ~StderrCapture() {
        std::fflush(stderr);
        ::dup2(saved, 2);
        ::close(saved);
    }
};

// How many times needle occurs in haystack.
size_t count_of(const std::string& haystack, const std::string& needle) {
    size_t n = 0;
    for (size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
    return n;
}

// The 64-bit FNV-1a hash of bytes: the checksum of the previous file format, which anyone
// who replaces a file's code can recompute.
uint64_t fnv1a(std::string_view bytes) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : bytes) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    return h;
}

}  // namespace

TEST_CASE("object cache: a stub file planted by another user is not loaded; the stub is compiled") {
    TempDir own, planted;
    JitEngine& engine = JitEngine::instance();
    // The forged code: a real stub of the same arguments that never writes the result.
    StubSpec four = int64_spec(4), silent = int64_spec(4);
    silent.plan.ret = ArgPlan{};
    silent.ret = SlotInfo{};
    REQUIRE(silent.key() != four.key());
    engine.set_cache_dir(own.path);
    {
        StubCache cache;
        (void)cache.acquire(silent);
    }
    std::optional<CachedObject> forged = ObjectCache(own.path, engine.cache_environment()).find(silent.key());
    REQUIRE(forged);
    ObjectCache(planted.path, engine.cache_environment()).store({four.key()}, forged->object);
    std::string victim = ObjectCache(planted.path, engine.cache_environment()).path_of(four.key());
    engine.set_cache_dir(planted.path);
    jiffi_slot args[4];
    for (int i = 0; i < 4; ++i) args[i].i64 = i + 1;
    jiffi_slot ret;
    {
        // The forged file as its owner wrote it is loaded: the test sees the planted code run.
        StubCache cache;
        StubRef ref = cache.acquire(four);
        ret.i64 = -1;
        ref.code()(reinterpret_cast<void*>(&oc_sum4), args, &ret);
        REQUIRE(ret.i64 == -1);
    }
    // The same file owned by nobody (mode 0666 in a 0777 directory would be refused too).
    REQUIRE(::chown(victim.c_str(), kNobody, kNobody) == 0);
    engine.set_cache_dir("");
    engine.set_cache_dir(planted.path);
    {
        StubCache cache;
        JitEngineStats before = engine.stats();
        StubRef ref = cache.acquire(four);
        JitEngineStats after = engine.stats();
        CHECK(after.cache_hits == before.cache_hits);
        CHECK(after.stubs_compiled - before.stubs_compiled == 1);
        ret.i64 = -1;
        ref.code()(reinterpret_cast<void*>(&oc_sum4), args, &ret);
        CHECK(ret.i64 == 10);
    }
    // The compiled stub replaced the planted file with the process's own.
    struct stat st {};
    REQUIRE(::lstat(victim.c_str(), &st) == 0);
    CHECK(st.st_uid == ::geteuid());
    CHECK((st.st_mode & 07777) == 0600);
    engine.set_cache_dir("");
}

TEST_CASE("object cache: files writable by group or others are ignored and named once in JIFFI_LOG") {
    TempDir dir;
    ::setenv("JIFFI_LOG", "cache", 1);
    ObjectCache cache(dir.path, "env mode");
    cache.store({"k1"}, "OBJECT BYTES");
    REQUIRE(cache.find("k1"));
    std::string file = cache.path_of("k1");
    {
        StderrCapture err(dir.path);
        REQUIRE(::chmod(file.c_str(), 0666) == 0);
        CHECK_FALSE(cache.find("k1"));
        CHECK_FALSE(cache.find("k1"));
        REQUIRE(::chmod(file.c_str(), 0620) == 0);
        CHECK_FALSE(cache.find("k1"));
        std::string text = err.text();
        CHECK(count_of(text, "jiffi: ") == 2);
        std::string name = file.substr(dir.path.size() + 1);
        CHECK(count_of(text, "jiffi: JIT cache '" + dir.path + "': ignoring file '" + name +
                                 "' is writable by group or others (mode 0666)") == 1);
        CHECK(count_of(text, "(mode 0620)") == 1);
    }
    // Readable by others but writable only by the owner is the owner's file.
    REQUIRE(::chmod(file.c_str(), 0644) == 0);
    CHECK(cache.find("k1"));
    ::unsetenv("JIFFI_LOG");
}

TEST_CASE("object cache: a symbolic link at a file's name is followed neither to read nor to write") {
    TempDir dir, outside;
    ObjectCache elsewhere(outside.path, "env link");
    elsewhere.store({"k1"}, "OUTSIDE OBJECT");
    std::string target = elsewhere.path_of("k1");
    std::string before = slurp(target);
    ObjectCache cache(dir.path, "env link");
    std::string name = cache.path_of("k1");
    REQUIRE(::symlink(target.c_str(), name.c_str()) == 0);
    // The target is a fit file of the same environment and key: only the link is refused.
    CHECK_FALSE(cache.find("k1"));
    cache.store({"k1"}, "INSIDE OBJECT");
    CHECK(slurp(target) == before);
    REQUIRE(elsewhere.find("k1"));
    CHECK(elsewhere.find("k1")->object == "OUTSIDE OBJECT");
    struct stat st {};
    REQUIRE(::lstat(name.c_str(), &st) == 0);
    CHECK(S_ISREG(st.st_mode));
    REQUIRE(cache.find("k1"));
    CHECK(cache.find("k1")->object == "INSIDE OBJECT");
}

TEST_CASE("object cache: a directory writable by others or owned by another user is not used at all") {
    TempDir base;
    std::string open_dir = base.path + "/open", foreign = base.path + "/foreign";
    REQUIRE(::mkdir(open_dir.c_str(), 0700) == 0);
    REQUIRE(::chmod(open_dir.c_str(), 0777) == 0);
    REQUIRE(::mkdir(foreign.c_str(), 0700) == 0);
    REQUIRE(::chown(foreign.c_str(), kNobody, kNobody) == 0);
    for (const std::string& dir : {open_dir, foreign}) {
        CAPTURE(dir);
        // Asked for by name, it is an error naming the directory.
        try {
            ObjectCache cache(dir, "env dir");
            FAIL("the untrusted directory was accepted");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::INVALID_ARGUMENT);
            CHECK(e.message().find("'" + dir + "'") != std::string::npos);
        }
        CHECK_THROWS_AS(JitEngine::instance().set_cache_dir(dir), Error);
        // Named by JIFFI_JIT_CACHE_DIR, it is said once and every stub is compiled.
        ProbeRun run = run_probe("-", "JIFFI_LOG=cache JIFFI_JIT_CACHE_DIR='" + dir + "' 2>&1");
        CHECK(run.status == 0);
        CHECK(run.stats["compiled"] == 7);
        CHECK(run.stats["hits"] == 0);
        CHECK(run.results.find("add3 321\n") != std::string::npos);
        CHECK(count_of(run.results, "jiffi: JIFFI_JIT_CACHE_DIR: ") == 1);
        CHECK(count_of(run.results, "'" + dir + "'") == 1);
        std::vector<std::string> left;
        for (const auto& e : std::filesystem::directory_iterator(dir)) left.push_back(e.path().string());
        CHECK(left.empty());
    }
}

TEST_CASE("object cache: a file whose code was replaced and its old checksum recomputed is rejected") {
    TempDir dir;
    ObjectCache cache(dir.path, "env attack");
    cache.store({"k1"}, "GENUINE OBJECT CODE");
    std::string file = cache.path_of("k1");
    std::string bytes = slurp(file);
    size_t code = bytes.find("GENUINE");
    REQUIRE(code != std::string::npos);
    // The same length of other code, and the previous format's trailing FNV-1a over the rest.
    bytes.replace(code, 7, "PLANTED");
    uint64_t sum = fnv1a(std::string_view(bytes).substr(0, bytes.size() - sizeof sum));
    std::memcpy(bytes.data() + bytes.size() - sizeof sum, &sum, sizeof sum);
    spit(file, bytes);
    // The file stays a fit one of the process's own: only its content is wrong.
    REQUIRE(::chmod(file.c_str(), 0600) == 0);
    CHECK_FALSE(cache.find("k1"));
}

TEST_CASE("object cache: directories are created 0700 and files 0600 whatever the umask") {
    TempDir base;
    mode_t saved = ::umask(0);
    std::string dir = base.path + "/a/b";
    {
        ObjectCache cache(dir, "env modes");
        cache.store({"k1", "k2"}, "OBJECT BYTES");
        CHECK(mode_of(base.path + "/a") == 0700);
        CHECK(mode_of(dir) == 0700);
        CHECK(mode_of(cache.path_of("k1")) == 0600);
        CHECK(mode_of(cache.path_of("k2")) == 0600);
    }
    ::umask(saved);
}

// ---- Cached stubs mapped by the core itself (jit/object_loader.cpp) ----

namespace {

// Throws when its first argument is 13, else returns the sum of its arguments.
__attribute__((noinline)) long oc_throw4(long a, long b, long c, long d) {
    if (a == 13) throw std::runtime_error("thrown through a stub");
    return a + b + c + d;
}

// The object bytes of key's cache file in dir.
std::string cached_object(const std::string& dir, const std::string& key) {
    std::optional<CachedObject> obj = ObjectCache(dir, JitEngine::instance().cache_environment()).find(key);
    REQUIRE(obj);
    return obj->object;
}

}  // namespace

TEST_CASE("object loader: a cached stub is mapped by the core, and a C++ exception passes through it") {
    TempDir dir;
    set_jit_cache_dir(dir.path);
    StubSpec four = int64_spec(4);
    jiffi_slot args[4];
    for (int i = 0; i < 4; ++i) args[i].i64 = i + 1;
    jiffi_slot ret;
    {
        StubCache cache;
        StubRef ref = cache.acquire(four);  // compiled by the plugin and stored
    }
    StubCache cache;
    uint64_t hits = core_cache_hits();
    uint64_t mapped = ObjectLoader::live();
    StubRef ref = cache.acquire(four);
    CHECK(core_cache_hits() - hits == 1);
    CHECK(ObjectLoader::live() - mapped == 1);
    ret.i64 = 0;
    ref.code()(reinterpret_cast<void*>(&oc_throw4), args, &ret);
    CHECK(ret.i64 == 10);
    args[0].i64 = 13;
    std::string caught;
    try {
        ref.code()(reinterpret_cast<void*>(&oc_throw4), args, &ret);
    } catch (const std::runtime_error& e) {
        caught = e.what();
    }
    CHECK(caught == "thrown through a stub");
    ref.reset();
    CHECK(ObjectLoader::live() == mapped);  // unmapped with its last reference
    set_jit_cache_dir("");
}

TEST_CASE("object loader: a damaged object is refused with its reason, never followed") {
    TempDir dir;
    set_jit_cache_dir(dir.path);
    StubSpec four = int64_spec(4);
    {
        StubCache cache;
        StubRef ref = cache.acquire(four);
    }
    set_jit_cache_dir("");
    const std::string good = cached_object(dir.path, four.key());
    std::string why;
    REQUIRE(ObjectLoader::load(good, 1, why));
    Elf64_Ehdr eh;
    std::memcpy(&eh, good.data(), sizeof eh);
    // The first relocation's place in the file.
    uint64_t rela = 0;
    for (size_t i = 0; i < eh.e_shnum; ++i) {
        Elf64_Shdr sh;
        std::memcpy(&sh, good.data() + eh.e_shoff + i * sizeof sh, sizeof sh);
        if (sh.sh_type == SHT_RELA && sh.sh_size) rela = sh.sh_offset;
    }
    REQUIRE(rela);
    auto patched = [&](uint64_t at, const void* bytes, size_t n) {
        std::string s = good;
        std::memcpy(s.data() + at, bytes, n);
        return s;
    };
    uint16_t arm = EM_AARCH64;
    uint64_t far = uint64_t(1) << 40;
    uint64_t bad_type = ELF64_R_INFO(2, 0xfe), bad_symbol = ELF64_R_INFO(0x7fffff, R_X86_64_PC32);
    uint64_t far_table = uint64_t(1) << 40;
    struct Case {
        std::string bytes;
        size_t count;
        const char* reason;
    } cases[] = {
        {good.substr(0, 100), 1, "outside the object"},
        {patched(offsetof(Elf64_Ehdr, e_machine), &arm, 2), 1, "not a relocatable x86-64 ELF object"},
        {patched(offsetof(Elf64_Ehdr, e_shoff), &far_table, 8), 1, "outside the object"},
        {patched(rela + offsetof(Elf64_Rela, r_offset), &far, 8), 1, "relocation lies outside its section"},
        {patched(rela + offsetof(Elf64_Rela, r_info), &bad_type, 8), 1, "relocation type 254 is not supported"},
        {patched(rela + offsetof(Elf64_Rela, r_info), &bad_symbol, 8), 1, "names a symbol that does not exist"},
        {good, 2, "no stub 's1'"},
    };
    for (const Case& c : cases) {
        CAPTURE(c.reason);
        why.clear();
        CHECK_FALSE(ObjectLoader::load(c.bytes, c.count, why));
        CHECK_MESSAGE(why.find(c.reason) != std::string::npos, why);
    }
}

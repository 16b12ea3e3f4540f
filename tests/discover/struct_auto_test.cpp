// define-c-struct-auto through the C and C++ APIs: layouts match the compiler, records work in
// signatures and by-value calls, the disk cache serves later runs without Clang, bad input.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "crafted_dumps.hpp"
#include "fixture_records.h"
#include "jiffi/jiffi.hpp"
#include "jiffi/structs.hpp"

namespace fs = std::filesystem;

namespace {

// A fresh, empty cache directory for one test.
std::string fresh_dir(const std::string& name) {
    std::string dir = std::string(JIFFI_DISCOVER_WORKDIR) + "/auto-" + name + "-" + std::to_string(::getpid());
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

// Runs a command; returns its exit status and output.
int run(const std::string& cmd, std::string& out) {
    out.clear();
    FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    int rc = ::pclose(p);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

}  // namespace

TEST_CASE("define-c-struct-auto: struct stat from <sys/stat.h> as the compiler lays it out, usable in a call") {
    std::string cache = fresh_dir("stat");
    jiffi::Context ctx;
    jiffi::LayoutRequest req;
    req.headers = {"sys/stat.h"};
    req.cache_dir = cache.c_str();
    jiffi::AutoRecord st = jiffi::define_c_struct_auto(ctx, "stat", req);
    CHECK(st.type_name == "struct stat");
    CHECK(st.size == sizeof(struct stat));
    CHECK(st.align == alignof(struct stat));
    CHECK_FALSE(st.from_cache);
    CHECK(st.member("st_mode").offset == offsetof(struct stat, st_mode));
    CHECK(st.member("st_size").offset == offsetof(struct stat, st_size));
    CHECK(st.member("st_mtim").offset == offsetof(struct stat, st_mtim));
    CHECK(st.member("st_mtim").size == sizeof(struct timespec));

    // The record is the context's "struct stat": signatures take it, and a real call fills it.
    jiffi::Signature sig = ctx.signature("int stat(const char *, struct stat *)");
    CHECK(sig.arg_count() == 2);
    jiffi::Library self = ctx.open("");
    jiffi::Function fn = self.bind("stat", sig);
    alignas(16) unsigned char buf[sizeof(struct stat)] = {};
    CHECK(fn.call<int>("/", static_cast<void*>(buf)) == 0);
    unsigned mode = 0;
    std::memcpy(&mode, buf + st.member("st_mode").offset, sizeof mode);
    CHECK(S_ISDIR(mode));
    // "struct timespec" came with it, complete.
    CHECK(ctx.signature("struct timespec f(void)").type_info(-1).size == sizeof(struct timespec));
    // Field access by path (the foreign surface's jiffi_record_field) sees the same record.
    jiffi_field_info fi{};
    jiffi_error* err = jiffi_record_field(ctx.get(), "struct stat", "st_mtim.tv_nsec", &fi);
    REQUIRE_MESSAGE(err == nullptr, (err ? jiffi_error_message(err) : ""));
    CHECK(fi.offset == offsetof(struct stat, st_mtim) + offsetof(struct timespec, tv_nsec));
    CHECK(fi.type.size == sizeof(long));
}

TEST_CASE("define-c-struct-auto: a typedef'd record returned by value (div_t div(int, int))") {
    std::string cache = fresh_dir("div");
    jiffi::Context ctx;
    jiffi::LayoutRequest req;
    req.headers = {"stdlib.h"};
    req.cache_dir = cache.c_str();
    jiffi::AutoRecord d = jiffi::define_c_struct_auto(ctx, "div_t", req);
    CHECK(d.type_name == "div_t");
    CHECK(d.size == sizeof(div_t));
    jiffi::Function div_fn = ctx.open("").bind("div", ctx.signature("div_t div(int, int)"));
    div_t r = div_fn.call<div_t>(47, 5);
    CHECK(r.quot == 9);
    CHECK(r.rem == 2);
    CHECK(d.member("rem").offset == offsetof(div_t, rem));
}

TEST_CASE("define-c-struct-auto: bit-fields, #pragma pack, anonymous members, aligned, flexible arrays") {
    std::string cache = fresh_dir("fixture");
    jiffi::Context ctx;
    jiffi::LayoutRequest req;
    req.headers = {JIFFI_DISCOVER_FIXTURE};
    req.cache_dir = cache.c_str();
    jiffi::AutoRecord b = jiffi::define_c_struct_auto(ctx, "struct jd_bits", req);
    CHECK(b.size == sizeof(jd_bits));
    CHECK(b.align == alignof(jd_bits));
    // Each bit-field's bits, found by setting it to all ones in a zeroed object.
    auto probe = [](auto set, const jiffi::AutoMember& m) {
        jd_bits x;
        std::memset(&x, 0, sizeof x);
        set(x);
        const unsigned char* p = reinterpret_cast<const unsigned char*>(&x);
        long first = -1, count = 0;
        for (size_t i = 0; i < sizeof x * 8; ++i)
            if ((p[i / 8] >> (i % 8)) & 1) {
                if (first < 0) first = long(i);
                ++count;
            }
        CHECK(m.is_bitfield);
        CHECK(uint64_t(first) == m.bit_offset);
        CHECK(unsigned(count) == m.bit_width);
    };
    probe([](jd_bits& x) { x.a = 7; }, b.member("a"));
    probe([](jd_bits& x) { x.b = 127; }, b.member("b"));
    probe([](jd_bits& x) { x.c = -1; }, b.member("c"));
    probe([](jd_bits& x) { x.d = (uint64_t(1) << 40) - 1; }, b.member("d"));
    probe([](jd_bits& x) { x.e = 1; }, b.member("e"));
    CHECK(b.member("f").offset == offsetof(jd_bits, f));

    jiffi::AutoRecord p = jiffi::define_c_struct_auto(ctx, "jd_packed2", req);
    CHECK(p.size == sizeof(jd_packed2));
    CHECK(p.align == 2);
    CHECK(p.member("b").offset == offsetof(jd_packed2, b));

    jiffi::AutoRecord a = jiffi::define_c_struct_auto(ctx, "jd_anon_t", req);
    CHECK(a.type_name == "jd_anon_t");
    CHECK(a.size == sizeof(jd_anon_t));
    CHECK(a.member("d").offset == offsetof(jd_anon_t, d));
    CHECK(a.member("c2").offset == offsetof(jd_anon_t, c2));
    CHECK(a.member("named").offset == offsetof(jd_anon_t, named));
    CHECK(ctx.signature("int f(jd_anon_t *)").arg_count() == 1);
    jiffi_field_info fi{};
    REQUIRE(jiffi_record_field(ctx.get(), "jd_anon_t", "named.s2", &fi) == nullptr);
    CHECK(fi.offset == offsetof(jd_anon_t, named.s2));
    jiffi_field_info bits{};
    REQUIRE(jiffi_record_field(ctx.get(), "struct jd_bits", "d", &bits) == nullptr);
    CHECK(bits.is_bitfield);
    CHECK(bits.bit_offset == b.member("d").bit_offset);
    CHECK(bits.bit_width == 40);

    jiffi::AutoRecord al = jiffi::define_c_struct_auto(ctx, "jd_aligned", req);
    CHECK(al.align == 32);
    CHECK(al.size == 32);
    jiffi::AutoRecord fl = jiffi::define_c_struct_auto(ctx, "jd_flex", req);
    CHECK(fl.size == sizeof(jd_flex));
    CHECK(fl.member("items").offset == offsetof(jd_flex, items));

    // A small struct by value through a signature: sizes agree with C.
    jiffi::define_c_struct_auto(ctx, "jd_vec2", req);
    jiffi_type_info info = ctx.signature("struct jd_vec2 f(struct jd_vec2)").type_info(0);
    CHECK(info.size == sizeof(jd_vec2));
    CHECK(info.value_class == JIFFI_CLASS_MEMORY);
}

TEST_CASE("define-c-struct-auto: the snippet form checks its members against the header") {
    std::string cache = fresh_dir("snippet");
    jiffi::Context ctx;
    jiffi::LayoutRequest req;
    req.cache_dir = cache.c_str();
    jiffi::AutoRecord st = jiffi::define_c_struct_auto_snippet(
        ctx, "#include <sys/stat.h>\nstruct stat { dev_t st_dev; ino_t st_ino; /* ... */ };", req);
    CHECK(st.type_name == "struct stat");
    CHECK(st.size == sizeof(struct stat));
    CHECK(st.member("st_ino").offset == offsetof(struct stat, st_ino));

    // A member the header lacks, or types differently, is an error naming it.
    jiffi::Context other;
    try {
        jiffi::define_c_struct_auto_snippet(other, "#include <sys/stat.h>\nstruct stat { dev_t st_nope; };", req);
        FAIL("a missing member was accepted");
    } catch (const jiffi::Error& e) {
        CHECK(e.code() == jiffi::Errc::PARSE);
        CHECK(std::string(e.what()).find("st_nope") != std::string::npos);
    }
    try {
        jiffi::define_c_struct_auto_snippet(other, "#include <sys/stat.h>\nstruct stat { char st_dev; };", req);
        FAIL("a member of the wrong type was accepted");
    } catch (const jiffi::Error& e) {
        CHECK(std::string(e.what()).find("st_dev") != std::string::npos);
        CHECK(std::string(e.what()).find("char") != std::string::npos);
    }
    // A snippet no header defines is laid out by Clang on its own.
    jiffi::AutoRecord pt = jiffi::define_c_struct_auto_snippet(other, "struct jd_point { int x; double y; };", req);
    CHECK(pt.size == 16);
    CHECK(pt.member("y").offset == 8);
}

TEST_CASE("define-c-struct-auto: the disk cache serves a second run without Clang") {
    std::string cache = fresh_dir("cache");
    std::string header_dir = cache + "/headers";
    fs::create_directories(header_dir);
    std::string header = header_dir + "/jd_cache.h";
    std::ofstream(header) << "struct jd_cached { int a; long b; };\n";
    jiffi::LayoutRequest req;
    req.headers = {header};
    req.cache_dir = cache.c_str();
    {
        jiffi::Context ctx;
        CHECK_FALSE(jiffi::define_c_struct_auto(ctx, "jd_cached", req).from_cache);
    }
    jiffi_layout_stats before{};
    jiffi_layout_cache_stats(&before);
    {
        jiffi::Context ctx;
        jiffi::AutoRecord r = jiffi::define_c_struct_auto(ctx, "jd_cached", req);
        CHECK(r.from_cache);
        CHECK(r.size == 16);
    }
    jiffi_layout_stats after{};
    jiffi_layout_cache_stats(&after);
    CHECK(after.cache_hits == before.cache_hits + 1);
    CHECK(after.cache_misses == before.cache_misses);
    CHECK(after.discoverer_loads <= 1);

    // Another process with no discoverer at all: the cache answers; without it, a clear error.
    std::string out;
    std::string env = "JIFFI_DISCOVER_LIB=/nonexistent/libjiffi-discover.so JIFFI_LAYOUT_CACHE_DIR='" + cache + "' ";
    CHECK_MESSAGE(run(env + "'" JIFFI_AUTO_PROBE "' '" + header + "' jd_cached", out) == 0, out);
    CHECK_MESSAGE(out.find("size 16 cached 1 loads 0 clang-mapped 0") != std::string::npos, out);
    std::string empty = fresh_dir("empty");
    env = "JIFFI_DISCOVER_LIB=/nonexistent/libjiffi-discover.so JIFFI_LAYOUT_CACHE_DIR='" + empty + "' ";
    CHECK_MESSAGE(run(env + "'" JIFFI_AUTO_PROBE "' '" + header + "' jd_cached", out) == 2, out);
    CHECK_MESSAGE(out.find("/nonexistent/libjiffi-discover.so") != std::string::npos, out);

    // Changing the header's content invalidates the entry.
    std::ofstream(header) << "struct jd_cached { char a; };\n";
    {
        jiffi::Context ctx;
        jiffi::AutoRecord r = jiffi::define_c_struct_auto(ctx, "jd_cached", req);
        CHECK_FALSE(r.from_cache);
        CHECK(r.size == 1);
    }
}

TEST_CASE("define-c-struct-auto: bad input gives clear errors") {
    std::string cache = fresh_dir("bad");
    jiffi::Context ctx;
    jiffi::LayoutRequest req;
    req.cache_dir = cache.c_str();
    req.headers = {"jiffi_no_such_header.h"};
    try {
        jiffi::define_c_struct_auto(ctx, "x", req);
        FAIL("a missing header was accepted");
    } catch (const jiffi::Error& e) {
        CHECK(e.code() == jiffi::Errc::PARSE);
        CHECK(std::string(e.what()).find("'jiffi_no_such_header.h' file not found") != std::string::npos);
    }
    req.headers = {"stdio.h"};
    try {
        jiffi::define_c_struct_auto(ctx, "jd_no_such_record", req);
        FAIL("an unknown name was accepted");
    } catch (const jiffi::Error& e) {
        CHECK(e.code() == jiffi::Errc::UNKNOWN_TYPE);
        CHECK(std::string(e.what()).find("jd_no_such_record") != std::string::npos);
    }
    // A record the context already defines differently.
    ctx.cdef("struct timeval { int only; };");
    req.headers = {"sys/time.h"};
    try {
        jiffi::define_c_struct_auto(ctx, "struct timeval", req);
        FAIL("a conflicting definition was accepted");
    } catch (const jiffi::Error& e) {
        CHECK(e.code() == jiffi::Errc::REDEFINITION);
    }
    jiffi_auto_record out;
    jiffi_error* err = jiffi_layout_discover(ctx.get(), nullptr, &out);
    REQUIRE(err != nullptr);
    CHECK(jiffi_error_code(err) == JIFFI_E_INVALID_ARGUMENT);
    CHECK(std::string(jiffi_error_message(err)).find("req") != std::string::npos);
    jiffi_error_dispose(err);
    jiffi_layout_request r{};
    r.name = "stat";
    err = jiffi_layout_discover(ctx.get(), &r, &out);
    REQUIRE(err != nullptr);
    CHECK(std::string(jiffi_error_message(err)).find("no header") != std::string::npos);
    jiffi_error_dispose(err);
}

namespace {

// The whole content of path.
std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

// Replaces the file at path by one holding text (mode 0600).
void put(const std::string& path, const std::string& text) {
    fs::remove(path);
    std::ofstream(path, std::ios::binary) << text;
    fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
}

// The one cache entry (*.layout) in dir, "" when there is none.
std::string only_entry(const std::string& dir) {
    std::string found;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".layout") found = e.path().string();
    return found;
}

#ifdef __SANITIZE_ADDRESS__
constexpr const char* kAddressLimit = "";
#else
constexpr const char* kAddressLimit = "ulimit -v 3000000; ";
#endif

// A cache directory holding a header with "struct fz { int a; }" and, after a first run of
// the probe (a miss), its entry.
struct FzCache {
    std::string dir, header, entry, good, cmd;
    explicit FzCache(const std::string& name) {
        dir = fresh_dir(name);
        fs::create_directories(dir + "/headers");
        header = dir + "/headers/fz.h";
        std::ofstream(header) << "struct fz { int a; };\n";
        // Bounded in time and memory, so the faults this guards against fail the test quickly.
        // AddressSanitizer reserves terabytes of shadow address space: no address-space limit there.
        cmd = std::string(kAddressLimit) + "JIFFI_LOG=cache JIFFI_LAYOUT_CACHE_DIR='" + dir + "' timeout 60 '" JIFFI_AUTO_PROBE
              "' '" + header + "' fz";
        std::string out;
        REQUIRE_MESSAGE(run(cmd, out) == 0, out);
        entry = only_entry(dir);
        REQUIRE(!entry.empty());
        good = slurp(entry);
    }
};

}  // namespace

TEST_CASE("define-c-struct-auto: a crafted cache entry is a miss, never a crash or a hang") {
    FzCache c("crafted");
    std::string out;
    REQUIRE(run(c.cmd, out) == 0);
    CHECK_MESSAGE(out.find("size 4 cached 1") != std::string::npos, out);
    size_t json_at = c.good.find("\njson\n");
    REQUIRE(json_at != std::string::npos);
    for (const jiffi::test::CraftedDump& d : jiffi::test::crafted_dumps()) {
        CAPTURE(d.name);
        put(c.entry, c.good.substr(0, json_at + 6) + d.json);
        CHECK_MESSAGE(run(c.cmd, out) == 0, out);
        CHECK_MESSAGE(out.find("size 4 cached 0") != std::string::npos, out);
        CHECK_MESSAGE(out.find("jiffi: layout cache: ignoring '" + c.entry + "'") != std::string::npos, out);
    }
}

TEST_CASE("define-c-struct-auto: a dependency that is a FIFO or a device is never opened") {
    FzCache c("deps");
    std::string fifo = c.dir + "/headers/fifo.h";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    size_t deps_at = c.good.find("\ndeps ");
    REQUIRE(deps_at != std::string::npos);
    size_t eol = c.good.find('\n', deps_at + 1);
    unsigned long n = std::stoul(c.good.substr(deps_at + 6, eol - deps_at - 6));
    for (const std::string& dep : {fifo, std::string("/dev/zero")}) {
        CAPTURE(dep);
        // The extra file's recorded size (0) matches, its time does not: it would be hashed.
        put(c.entry, c.good.substr(0, deps_at) + "\ndeps " + std::to_string(n + 1) + "\n0 0 0 " + dep +
                         c.good.substr(eol));
        std::string out;
        CHECK_MESSAGE(run(c.cmd, out) == 0, out);
        CHECK_MESSAGE(out.find("size 4 cached 0") != std::string::npos, out);
    }
}

TEST_CASE("define-c-struct-auto: cache files and directories not the user's own are ignored") {
    FzCache c("owners");
    std::string out;
    // A symbolic link in place of the entry, even to a good copy, is not followed.
    std::string copy = c.dir + "/headers/copy.layout";
    put(copy, c.good);
    fs::remove(c.entry);
    fs::create_symlink(copy, c.entry);
    CHECK_MESSAGE(run(c.cmd, out) == 0, out);
    CHECK_MESSAGE(out.find("size 4 cached 0") != std::string::npos, out);
    CHECK_MESSAGE(out.find("is a symbolic link") != std::string::npos, out);
    CHECK_FALSE(fs::is_symlink(c.entry));  // replaced by a private file of its own
    CHECK(slurp(copy) == c.good);

    // An entry writable by others.
    put(c.entry, c.good);
    fs::permissions(c.entry, fs::perms::others_write, fs::perm_options::add);
    CHECK_MESSAGE(run(c.cmd, out) == 0, out);
    CHECK_MESSAGE(out.find("size 4 cached 0") != std::string::npos, out);
    CHECK_MESSAGE(out.find("writable by group or others") != std::string::npos, out);

    // A directory writable by others: neither read nor written.
    put(c.entry, c.good);
    fs::permissions(c.dir, fs::perms::all);
    CHECK_MESSAGE(run(c.cmd, out) == 0, out);
    CHECK_MESSAGE(out.find("size 4 cached 0") != std::string::npos, out);
    CHECK_MESSAGE(out.find("layout cache: off: directory '" + c.dir + "'") != std::string::npos, out);
    fs::permissions(c.dir, fs::perms::owner_all);

    if (::geteuid() == 0) {
        // Another user's entry, then another user's directory (both made by root here).
        put(c.entry, c.good);
        REQUIRE(::chown(c.entry.c_str(), 65534, 65534) == 0);
        CHECK_MESSAGE(run(c.cmd, out) == 0, out);
        CHECK_MESSAGE(out.find("size 4 cached 0") != std::string::npos, out);
        CHECK_MESSAGE(out.find("owned by uid 65534") != std::string::npos, out);
        put(c.entry, c.good);
        REQUIRE(::chown(c.dir.c_str(), 65534, 65534) == 0);
        struct stat before {};
        ::stat(c.entry.c_str(), &before);
        CHECK_MESSAGE(run(c.cmd, out) == 0, out);
        CHECK_MESSAGE(out.find("size 4 cached 0") != std::string::npos, out);
        CHECK_MESSAGE(out.find("owned by uid 65534") != std::string::npos, out);
        struct stat after {};
        ::stat(c.entry.c_str(), &after);
        CHECK(after.st_ino == before.st_ino);  // not rewritten either
        REQUIRE(::chown(c.dir.c_str(), ::geteuid(), ::getegid()) == 0);
    }
    CHECK_MESSAGE(run(c.cmd, out) == 0, out);
    CHECK_MESSAGE(out.find("size 4 cached 1") != std::string::npos, out);
}

TEST_CASE("define-c-struct-auto: a planted link at a temporary name is never followed") {
    std::string cache = fresh_dir("tmplink");
    std::string header = cache + "/fz.h";
    std::ofstream(header) << "struct fz { int a; };\n";
    jiffi::LayoutRequest req;
    req.headers = {header};
    req.cache_dir = cache.c_str();
    {
        jiffi::Context ctx;
        CHECK_FALSE(jiffi::define_c_struct_auto(ctx, "fz", req).from_cache);
    }
    std::string entry = only_entry(cache);
    REQUIRE(!entry.empty());
    fs::remove(entry);
    std::string victim = std::string(JIFFI_DISCOVER_WORKDIR) + "/victim-" + std::to_string(::getpid());
    put(victim, "precious\n");
    // The names a writer could pick: the old one beside the entry and base/'s first ones.
    fs::create_symlink(victim, entry + ".tmp" + std::to_string(::getpid()));
    for (int k = 0; k < 4; ++k)
        fs::create_symlink(victim, cache + "/.tmp-" + std::to_string(::getpid()) + "-" + std::to_string(k));
    {
        jiffi::Context ctx;
        CHECK_FALSE(jiffi::define_c_struct_auto(ctx, "fz", req).from_cache);
    }
    CHECK(slurp(victim) == "precious\n");
    if (fs::exists(entry)) CHECK_FALSE(fs::is_symlink(entry));
}

TEST_CASE("define-c-struct-auto: the discoverer is loaded only from absolute, trusted places") {
    std::string cache = fresh_dir("planted");
    std::string header = cache + "/fz.h";
    std::ofstream(header) << "struct fz { int a; };\n";
    // The working directory holds a planted libjiffi-discover.so that leaves a marker.
    std::string work = cache + "/cwd";
    fs::create_directories(work);
    fs::copy_file(JIFFI_PLANTED_DISCOVER, work + "/libjiffi-discover.so");
    std::string marker = work + "/planted-marker";
    std::string probe_dir = fs::path(JIFFI_AUTO_PROBE_STATIC).parent_path().string();
    std::string probe_name = fs::path(JIFFI_AUTO_PROBE_STATIC).filename().string();
    // Started by name through PATH, so its argv[0] has no directory in it.
    std::string cmd = "cd '" + work + "' && JIFFI_LAYOUT_CACHE_DIR='" + cache + "' PATH='" + probe_dir + "':\"$PATH\" ";
    std::string out;
    CHECK_MESSAGE(run(cmd + "env -u JIFFI_DISCOVER_LIB " + probe_name + " '" + header + "' fz", out) == 2, out);
    CHECK_FALSE_MESSAGE(fs::exists(marker), out);
    CHECK_MESSAGE(out.find("tried:") != std::string::npos, out);
    CHECK_MESSAGE(out.find(probe_dir + "/libjiffi-discover.so") != std::string::npos, out);
    CHECK_MESSAGE(out.find(JIFFI_DISCOVER_INSTALL_DIR "/libjiffi-discover.so") != std::string::npos, out);
    // A relative $JIFFI_DISCOVER_LIB is an error naming it, not a search of the directory.
    CHECK_MESSAGE(run(cmd + "JIFFI_DISCOVER_LIB=libjiffi-discover.so " + probe_name + " '" + header + "' fz", out) == 2, out);
    CHECK_FALSE_MESSAGE(fs::exists(marker), out);
    CHECK_MESSAGE(out.find("JIFFI_DISCOVER_LIB='libjiffi-discover.so' is not an absolute path") != std::string::npos, out);
    CHECK_MESSAGE(run(cmd + "JIFFI_DISCOVER_LIB=./libjiffi-discover.so " + probe_name + " '" + header + "' fz", out) == 2, out);
    CHECK_FALSE_MESSAGE(fs::exists(marker), out);
    // A program on the shared libjiffi.so finds the discoverer beside it, without the variable.
    CHECK(run("cd '" + work + "' && JIFFI_LAYOUT_CACHE_DIR='" + cache + "' env -u JIFFI_DISCOVER_LIB '" JIFFI_AUTO_PROBE
              "' '" + header + "' fz", out) == 0);
    CHECK_MESSAGE(out.find("size 4 cached 0 loads 1") != std::string::npos, out);
    CHECK_FALSE(fs::exists(marker));
}

TEST_CASE("define-c-struct-auto: a dump nested deeper than the bound fails cleanly, not by exhausting the stack") {
    // struct fz { struct fz1 *p; }, struct fz1 { struct fz2 *p; }, ... 50000 records long:
    // well-formed, but its materialization would recurse once per record.
    const int n = 50000;
    std::string types = jiffi::test::kIntType, records;
    for (int i = 0; i < n; ++i) {
        std::string tag = i ? "fz" + std::to_string(i) : "fz";
        types += ",{\"id\":" + std::to_string(1 + 2 * i) + ",\"kind\":\"record\",\"spelling\":\"struct " + tag +
                 "\",\"complete\":true,\"size\":8,\"align\":8,\"record\":" + std::to_string(i) + "}";
        types += ",{\"id\":" + std::to_string(2 + 2 * i) + ",\"kind\":\"pointer\",\"type\":" +
                 std::to_string(i + 1 < n ? 3 + 2 * i : 0) + ",\"complete\":true,\"size\":8,\"align\":8}";
        records += std::string(i ? "," : "") + "{\"kind\":\"struct\",\"tag\":\"" + tag + "\",\"type\":" +
                   std::to_string(1 + 2 * i) + ",\"complete\":true,\"size\":8,\"align\":8,\"fields\":[" +
                   jiffi::test::field("p", 2 + 2 * i) + "]}";
    }
    FzCache c("deep");
    size_t json_at = c.good.find("\njson\n");
    REQUIRE(json_at != std::string::npos);
    put(c.entry, c.good.substr(0, json_at + 6) + jiffi::test::dump_json(types, records));
    std::string out;
    CHECK_MESSAGE(run(c.cmd, out) == 2, out);
    CHECK_MESSAGE(out.find("is nested more than 2000 types deep") != std::string::npos, out.substr(0, 2000));
}

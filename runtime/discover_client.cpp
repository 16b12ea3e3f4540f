// define-c-struct-auto: records discovered from C headers, cached on disk, registered in a
// context. Clang is reached only on a cache miss, by dlopen of libjiffi-discover.so.
//
// Cache: one file per request under the cache directory, named by a hash of the request
// (record name, headers, snippet, -I, -D, target triple, working directory). It holds the
// request, every file Clang read with its size, modification time and content hash, and the
// discoverer's JSON dump. An entry is used only if every file still has its content (a file
// whose size or time changed is hashed again), so a hit needs no Clang at all. The cache is
// hostile input: its directory and files must be the user's own, and an entry is parsed and
// checked in full (read_layout_cache_entry) before use; anything else is a miss
// (docs/security.md, "Layout cache and discoverer loading").
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "jiffi/jiffi.h"

#include "base/hash.hpp"
#include "base/plugin_loader.hpp"
#include "base/secure_io.hpp"
#include "layout/layout_model.hpp"
#include "base/error.hpp"
#include "base/messages.hpp"
#include "runtime/discover_client.hpp"
#include "runtime/boundary.hpp"
#include "runtime/context.hpp"
#include "runtime/fork.hpp"

using namespace jiffi::detail;

namespace {

std::atomic<uint64_t> g_hits{0}, g_misses{0}, g_loads{0};

std::string hex64(uint64_t v) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

// The largest cache entry and the largest header file read; anything larger is not used.
constexpr size_t kMaxEntryBytes = size_t(64) << 20;
constexpr size_t kMaxDependencyBytes = size_t(256) << 20;

// Fills size and mtime of the regular file at path; false when it is missing or is not a
// regular file (a FIFO, a device, a directory), which is then never opened.
bool stat_file(const std::string& path, uint64_t& size, int64_t& mtime_ns) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
    size = uint64_t(st.st_size);
    mtime_ns = int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    return true;
}

// Reads the regular file at path (a header Clang read: anyone's, so not read_private_file)
// when it has at most kMaxDependencyBytes; opened without blocking and checked again after
// opening, so a FIFO or device swapped in is never read; false otherwise.
bool read_dependency(const std::string& path, std::string& out) {
    int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return false;
    struct stat st;
    bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && uint64_t(st.st_size) <= kMaxDependencyBytes;
    if (ok) {
        out.assign(size_t(st.st_size) + 1, '\0');  // one byte more notices a growing file
        size_t done = 0;
        while (done < out.size()) {
            ssize_t n = ::read(fd, out.data() + done, out.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            done += size_t(n);
        }
        ok = done == size_t(st.st_size);
        out.resize(done);
    }
    ::close(fd);
    return ok;
}

// True when the file still has the content recorded.
bool dependency_current(const CacheDependency& d) {
    uint64_t size;
    int64_t mtime;
    if (!stat_file(d.path, size, mtime) || size != d.size) return false;
    if (mtime == d.mtime_ns) return true;
    std::string content;
    return read_dependency(d.path, content) && blake3_64(content) == d.hash;
}

// Fills size and mtime of the cache file at path when it is one the cache may trust: a
// regular file (not a link), owned by this user, not writable by group or others.
bool stat_private_file(const std::string& path, uint64_t& size, int64_t& mtime_ns) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid() ||
        (st.st_mode & (S_IWGRP | S_IWOTH)))
        return false;
    size = uint64_t(st.st_size);
    mtime_ns = int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    return true;
}

// The directory of the layout cache: req's, $JIFFI_LAYOUT_CACHE_DIR, $XDG_CACHE_HOME/jiffi/
// layout or ~/.cache/jiffi/layout; "" when caching is off.
std::string cache_dir(const jiffi_layout_request& req) {
    if (req.cache_dir) return req.cache_dir;
    if (const char* e = env_get("JIFFI_LAYOUT_CACHE_DIR")) return e;
    if (const char* x = env_get("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/jiffi/layout";
    if (const char* h = env_get("HOME"); h && *h) return std::string(h) + "/.cache/jiffi/layout";
    return "";
}

// The strings of a counted array of a request, checked for NULLs.
std::vector<std::string> strings(const char* const* items, size_t count, const char* what) {
    std::vector<std::string> out;
    if (count && !items) fail(ErrorCode::INVALID_ARGUMENT, std::string("jiffi_layout_discover: ") + what + " is NULL");
    for (size_t i = 0; i < count; ++i) {
        if (!items[i])
            fail(ErrorCode::INVALID_ARGUMENT,
                 std::string("jiffi_layout_discover: ") + what + "[" + std::to_string(i) + "] is NULL");
        out.emplace_back(items[i]);
    }
    return out;
}

// A request made canonical: what the discoverer is asked and what the cache is keyed by.
struct Request {
    std::string name;     // as given, or "struct T" of a snippet
    std::string only;     // the --only name
    std::vector<std::string> argv;
    std::string key_text;
};

Request make_request(const jiffi_layout_request& r, const std::string& triple) {
    Request q;
    std::string snippet = r.snippet ? r.snippet : "";
    SnippetRecord sr = find_snippet_record(snippet);
    if (r.name && *r.name) {
        q.name = r.name;
    } else if (!sr.tag.empty()) {
        q.name = std::string(sr.is_union ? "union " : "struct ") + sr.tag;
    } else {
        fail(ErrorCode::INVALID_ARGUMENT,
             "jiffi_layout_discover: no record name and no \"struct T { ... };\" in the snippet");
    }
    q.only = q.name;
    std::vector<std::string> headers = strings(r.headers, r.header_count, "headers");
    std::vector<std::string> dirs = strings(r.include_dirs, r.include_dir_count, "include_dirs");
    std::vector<std::string> defs = strings(r.defines, r.define_count, "defines");
    if (headers.empty() && snippet.empty())
        fail(ErrorCode::INVALID_ARGUMENT, "jiffi_layout_discover: '" + q.name + "': no header and no snippet given");
    q.argv = {"--compact", "--target", triple, "--only", q.only};
    for (const std::string& d : dirs) q.argv.insert(q.argv.end(), {"-I", d});
    for (const std::string& d : defs) q.argv.insert(q.argv.end(), {"-D", d});
    if (!snippet.empty()) q.argv.insert(q.argv.end(), {"--snippet", snippet});
    for (const std::string& h : headers) {
        if (!h.empty() && h[0] == '-')
            fail(ErrorCode::INVALID_ARGUMENT, "jiffi_layout_discover: bad header name '" + h + "'");
        q.argv.push_back(h);
    }
    char cwd[4096];
    q.key_text = "jiffi-layout-request 1\ncwd " + std::string(getcwd(cwd, sizeof cwd) ? cwd : "") + "\n";
    for (const std::string& a : q.argv) q.key_text += std::to_string(a.size()) + ":" + a + "\n";
    return q;
}

// Reads the cache entry in file when it answers q and every dependency is current; a file
// that is missing, not the user's own, malformed or stale is a miss (the untrusted or
// malformed ones named once through JIFFI_LOG=cache).
std::shared_ptr<const LayoutDump> cache_read(const std::string& file, const Request& q,
                                             std::vector<CacheDependency>& deps) {
    std::string text, why;
    FileRead r = read_private_file(file, kMaxEntryBytes, text, &why);
    if (r == FileRead::Missing) return nullptr;
    if (r != FileRead::Ok) {
        log_once("cache", "layout cache: ignoring " + why);
        return nullptr;
    }
    auto dump = std::make_shared<LayoutDump>();
    LayoutCacheEntry entry;
    try {
        entry = read_layout_cache_entry(text, dump.get());
    } catch (const std::exception& e) {
        log_once("cache", messages::layout_cache_ignoring(file, e.what()));
        return nullptr;  // a damaged entry is replaced
    }
    if (entry.request != q.key_text) return nullptr;
    for (const CacheDependency& d : entry.deps)
        if (!dependency_current(d)) return nullptr;
    deps = std::move(entry.deps);
    return dump;
}

// Parsed cache entries kept in memory, each valid while its file is unchanged on disk (and
// its dependencies are current, which every lookup checks).
struct MemoEntry {
    uint64_t size = 0;
    int64_t mtime_ns = 0;
    std::string key_text;
    std::vector<CacheDependency> deps;
    std::shared_ptr<const LayoutDump> dump;
};
std::mutex g_memo_mu;
std::map<std::string, MemoEntry> g_memo;

// True when dir may hold the cache: owned by this user and not writable by group or others
// (else the reason is named once through JIFFI_LOG=cache); create makes it 0700 if missing.
bool cache_dir_usable(const std::string& dir, bool create) {
    struct stat st;
    if (!create && ::stat(dir.c_str(), &st) != 0 && errno == ENOENT) return false;
    std::optional<std::string> why = create ? make_private_dir(dir) : untrusted_dir_reason(dir);
    if (!why) return true;
    log_once("cache", "layout cache: off: " + *why);
    return false;
}

// The dump the cache holds for q in file, or null on a miss.
std::shared_ptr<const LayoutDump> cache_lookup(const std::string& dir, const std::string& file, const Request& q) {
    if (!cache_dir_usable(dir, false)) return nullptr;
    uint64_t size;
    int64_t mtime;
    if (!stat_private_file(file, size, mtime)) {
        std::lock_guard<std::mutex> lock(g_memo_mu);
        g_memo.erase(file);
    } else {
        std::lock_guard<std::mutex> lock(g_memo_mu);
        auto it = g_memo.find(file);
        if (it != g_memo.end() && it->second.size == size && it->second.mtime_ns == mtime &&
            it->second.key_text == q.key_text) {
            for (const CacheDependency& d : it->second.deps)
                if (!dependency_current(d)) return nullptr;
            return it->second.dump;
        }
    }
    std::vector<CacheDependency> deps;
    std::shared_ptr<const LayoutDump> dump = cache_read(file, q, deps);
    if (!dump || !stat_private_file(file, size, mtime)) return dump;
    std::lock_guard<std::mutex> lock(g_memo_mu);
    g_memo[file] = {size, mtime, q.key_text, std::move(deps), dump};
    return dump;
}

// Writes a cache entry (write_private_file: a new 0600 file renamed into place, never
// through a planted link) in a private directory; failures only lose the cache.
void cache_store(const std::string& dir, const std::string& file, const Request& q, const std::string& json,
                 const LayoutDump& dump) {
    LayoutCacheEntry entry;
    entry.request = q.key_text;
    entry.json = json;
    for (const std::string& path : dump.header.dependencies) {
        CacheDependency d;
        d.path = path;
        std::string content;
        if (path.empty() || path.find('\n') != std::string::npos || !stat_file(path, d.size, d.mtime_ns) ||
            !read_dependency(path, content))
            return;
        d.hash = blake3_64(content);
        entry.deps.push_back(std::move(d));
    }
    if (!cache_dir_usable(dir, true)) return;
    if (!write_private_file(file, write_layout_cache_entry(entry)))
        log_once("cache", "layout cache: cannot write '" + file + "': " + std::strerror(errno));
}

using RunFn = int (*)(int, const char* const*, char**, char**);
using FreeFn = void (*)(char*);

// The discoverer, loaded once per process (and never unloaded: Clang's globals stay).
struct Discoverer {
    RunFn run = nullptr;
    FreeFn free = nullptr;
};

// Guards loading the discoverer plugin.
std::mutex g_discoverer_mu;

const Discoverer& load_discoverer() {
    static Discoverer d;
    std::lock_guard<std::mutex> lock(g_discoverer_mu);
    if (d.run) return d;
    std::string why;
    LoadedPlugin p = load_plugin("libjiffi-discover.so", "JIFFI_DISCOVER_LIB", "jiffi_discover_run", why);
    if (!p.handle)
        fail(ErrorCode::NOT_AVAILABLE,
             "layout discovery needs libjiffi-discover.so (set JIFFI_DISCOVER_LIB to its absolute path); " + why);
    auto run = reinterpret_cast<RunFn>(::dlsym(p.handle, "jiffi_discover_run"));
    auto free_fn = reinterpret_cast<FreeFn>(::dlsym(p.handle, "jiffi_discover_free"));
    if (!free_fn) fail(ErrorCode::NOT_AVAILABLE, p.path + ": no jiffi_discover_free in it");
    g_loads.fetch_add(1);
    d.run = run;
    d.free = free_fn;
    return d;
}
// Runs the discoverer on q; returns its JSON or throws its error.
std::string run_discoverer(const Request& q) {
    const Discoverer& d = load_discoverer();
    std::vector<const char*> argv;
    for (const std::string& a : q.argv) argv.push_back(a.c_str());
    char* out = nullptr;
    char* err = nullptr;
    int rc = d.run(int(argv.size()), argv.data(), &out, &err);
    std::string json = out ? out : "", message = err ? err : "";
    d.free(out);
    d.free(err);
    if (rc == 0) return json;
    ErrorCode code = rc == 2 ? ErrorCode::PARSE : rc == 3 ? ErrorCode::UNKNOWN_TYPE
                     : rc == 1 ? ErrorCode::INVALID_ARGUMENT : ErrorCode::INTERNAL;
    fail(code, messages::auto_record_request(q.name) + message);
}

// The jiffi prim of a builtin spelled as Clang spells it.
bool builtin_prim(const std::string& name, Prim& p) {
    static const std::pair<const char*, Prim> table[] = {
        {"void", Prim::Void}, {"_Bool", Prim::Bool}, {"bool", Prim::Bool}, {"char", Prim::Char},
        {"signed char", Prim::SChar}, {"unsigned char", Prim::UChar}, {"short", Prim::Short},
        {"unsigned short", Prim::UShort}, {"int", Prim::Int}, {"unsigned int", Prim::UInt},
        {"long", Prim::Long}, {"unsigned long", Prim::ULong}, {"long long", Prim::LongLong},
        {"unsigned long long", Prim::ULongLong}, {"__int128", Prim::Int128},
        {"unsigned __int128", Prim::UInt128}, {"float", Prim::Float}, {"double", Prim::Double},
        {"long double", Prim::LongDouble}, {"_Complex float", Prim::ComplexFloat},
        {"_Complex double", Prim::ComplexDouble}, {"_Complex long double", Prim::ComplexLongDouble},
    };
    for (const auto& [n, v] : table)
        if (name == n) {
            p = v;
            return true;
        }
    return false;
}

// Why the dump's builtin types differ in size or alignment from the context's target (a
// dump for another target, or a forged one), or nullopt when every one jiffi knows agrees.
std::optional<std::string> builtins_differ(const TypeTable& types, const LayoutDump& d) {
    for (const DumpType& t : d.types) {
        Prim p;
        if (t.kind != DumpTypeKind::Builtin || !t.complete || !builtin_prim(t.name, p)) continue;
        const Type* jt = types.prim(p);
        if (!types.is_complete(jt) || types.size_of(jt) != t.size || types.align_of(jt) != t.align)
            return "the dump's '" + t.name + "' has size " + std::to_string(t.size) + " and alignment " +
                   std::to_string(t.align) + ", not the target's";
    }
    return std::nullopt;
}

// Builds a dump's records as jiffi types in a context and registers the named ones.
class Materializer {
public:
    Materializer(jiffi_context& ctx, const LayoutDump& d)
        : ctx_(ctx), types_(ctx.types), d_(d), records_(d.records.size()), enums_(d.enums.size()),
          memo_(d.types.size()) {}

    // The record named name ("struct T", "union T", "T" as a typedef or tag) and the name
    // signatures give it.
    Record* requested(const std::string& name, std::string& type_name) {
        std::string kw, n = name;
        for (const char* k : {"struct ", "union "})
            if (name.rfind(k, 0) == 0) {
                kw = std::string(k, std::strlen(k) - 1);
                n = name.substr(kw.size() + 1);
            }
        if (kw.empty())
            for (const DumpTypedef& t : d_.typedefs) {
                if (t.name != n) continue;
                const DumpType& c = d_.types[t.canonical];
                if (c.kind != DumpTypeKind::Record)
                    fail(ErrorCode::INVALID_TYPE,
                         messages::auto_record_type(n) + "is a typedef of '" + c.spelling + "', not of a struct or union");
                type_name = n;
                const DumpType& own = d_.types[t.type];  // the typedef node: Clang's alignment of the typedef
                return typedef_record(n, size_t(c.decl), own.complete ? uint32_t(own.align) : 0);
            }
        for (size_t i = 0; i < d_.records.size(); ++i) {
            const DumpRecord& r = d_.records[i];
            if (r.tag == n && (kw.empty() || kw == (r.is_union ? "union" : "struct"))) {
                if (!r.complete) fail(ErrorCode::INCOMPLETE_TYPE, "define-c-struct-auto: the headers declare " + r.display() + " but do not define it");
                type_name = r.display();
                return record(i);
            }
        }
        fail(ErrorCode::UNKNOWN_TYPE, "define-c-struct-auto: the headers define no struct, union or typedef named '" + name + "'");
    }

private:
    // The record signature text names: a new or existing record of the context.
    Record* context_record(const std::string& type_text) {
        const jiffi_signature* s = ctx_.parse_signature(("void (" + type_text + " *)").c_str());
        const Type* p = s->sig.args.at(0);
        if (!p->is_pointer() || p->inner->kind != TypeKind::Record)
            fail(ErrorCode::INVALID_TYPE, messages::auto_record_type(type_text) + "names no struct or union in the context");
        return p->inner->record;
    }

    // The record of typedef name (registering the typedef, with its own alignment align when
    // that is not the record's, when the context lacks it).
    Record* typedef_record(const std::string& name, size_t i, uint32_t align) {
        const DumpRecord& r = d_.records[i];
        if (!r.complete) fail(ErrorCode::INCOMPLETE_TYPE, messages::auto_record_type(name) + "names an incomplete " + r.display());
        Record* existing = nullptr;
        try {
            existing = context_record(name);
        } catch (const Error& e) {
            if (e.code() != ErrorCode::UNKNOWN_TYPE && e.code() != ErrorCode::PARSE) throw;
        }
        if (existing) {
            records_[i] = existing;
            if (existing->complete) return same_layout(*existing, r) ? existing : mismatch(name);
            fill(*existing, r);
            return existing;
        }
        std::string attr = align && align != r.align ? " __attribute__((aligned(" + std::to_string(align) + ")))" : "";
        if (!r.tag.empty()) {
            Record* rec = record(i);
            ctx_.cdef(("typedef " + r.display() + " " + name + attr + ";").c_str());
            return rec;
        }
        // An untagged record named by the typedef: made by cdef, then given Clang's layout.
        ctx_.cdef(("typedef " + std::string(r.is_union ? "union" : "struct") + " { char jiffi_placeholder_; } " + name +
                   attr + ";").c_str());
        Record* rec = context_record(name);
        records_[i] = rec;
        rec->complete = false;
        fill(*rec, r);
        return rec;
    }

    [[noreturn]] Record* mismatch(const std::string& what) {
        fail(ErrorCode::REDEFINITION, messages::auto_record_type(what) + "is already defined in this context with another layout");
    }

    // True when rec (already complete) has the dump record's layout.
    bool same_layout(const Record& rec, const DumpRecord& r) const {
        if (rec.size != r.size || rec.align != r.align || rec.fields.size() != r.fields.size() ||
            rec.is_union != r.is_union)
            return false;
        for (size_t k = 0; k < r.fields.size(); ++k) {
            const Field& f = rec.fields[k];
            const DumpField& g = r.fields[k];
            if (f.name != g.name || f.offset_bits != g.offset_bits || f.is_bitfield != g.bitfield ||
                f.bit_width != g.bit_width)
                return false;
        }
        return true;
    }

    // The context's record for dump record i, complete with Clang's layout.
    Record* record(size_t i) {
        if (records_[i]) return records_[i];
        const DumpRecord& r = d_.records[i];
        Record* rec;
        if (!r.tag.empty()) {
            std::string text = r.display();
            ctx_.cdef((text + ";").c_str());
            rec = context_record(text);
        } else {
            rec = types_.new_record("", r.is_union);
        }
        records_[i] = rec;
        if (!r.complete) return rec;
        if (rec->complete) {
            if (!same_layout(*rec, r)) mismatch(r.display());
            return rec;
        }
        fill(*rec, r);
        return rec;
    }

    // Gives rec the dump record's fields and layout and marks it complete.
    void fill(Record& rec, const DumpRecord& r) {
        std::vector<Field> fields;
        for (const DumpField& g : r.fields) {
            Field f;
            f.name = g.name;
            f.offset_bits = g.offset_bits;
            f.is_bitfield = g.bitfield;
            f.bit_width = g.bit_width;
            f.anonymous = g.anonymous;
            try {
                f.type = type(g.type);
            } catch (const Error& e) {
                if (too_deep_) throw;  // named once, not once per level
                fail(e.code(), "define-c-struct-auto: member '" + (g.name.empty() ? std::string("<unnamed>") : g.name) +
                                   "' of " + r.display() + ": " + e.message());
            }
            fields.push_back(std::move(f));
        }
        rec.fields = std::move(fields);
        rec.size = r.size;
        rec.align = uint32_t(r.align);
        rec.packed = r.packed;
        rec.pack = r.pack;
        rec.align_attr = r.align_attr;
        rec.complete = true;
    }

    // The jiffi type of dump type id; throws INVALID_TYPE for types jiffi has no form of.
    const Type* type(uint32_t id) {
        if (memo_[id]) return memo_[id];
        // The recursion follows members and pointees: bounded so a long chain cannot exhaust
        // the stack.
        struct Depth {
            int& n;
            explicit Depth(int& d) : n(++d) {}
            ~Depth() { --n; }
        } depth(depth_);
        if (depth_ > kMaxDepth) {
            too_deep_ = true;
            fail(ErrorCode::INVALID_TYPE, "define-c-struct-auto: type '" + d_.types[id].spelling + "' is nested more than " +
                                              std::to_string(kMaxDepth) + " types deep");
        }
        const DumpType& t = d_.types[id];
        const Type* out = nullptr;
        switch (t.kind) {
        case DumpTypeKind::Builtin: {
            Prim p;
            if (!builtin_prim(t.name, p)) fail(ErrorCode::INVALID_TYPE, "type '" + t.spelling + "' has no jiffi equivalent");
            out = types_.prim(p);
            break;
        }
        case DumpTypeKind::Qualified: out = type(t.inner); break;
        case DumpTypeKind::Pointer: {
            uint32_t pid = t.inner;
            uint8_t quals = 0;
            while (d_.types[pid].kind == DumpTypeKind::Qualified) {
                const DumpType& q = d_.types[pid];
                quals |= (q.is_const ? Q_CONST : 0) | (q.is_volatile ? Q_VOLATILE : 0) | (q.is_restrict ? Q_RESTRICT : 0);
                pid = q.inner;
            }
            const Type* pointee;
            try {
                pointee = type(pid);
            } catch (const Error&) {
                // A pointer to a type jiffi cannot describe is still a pointer: to void
                // (but a dump nested too deeply fails as a whole).
                if (too_deep_) throw;
                pointee = types_.prim(Prim::Void);
            }
            out = types_.pointer(pointee, quals);
            break;
        }
        case DumpTypeKind::Array:
            out = t.flexible ? types_.flexible_array(type(t.inner)) : types_.array(type(t.inner), t.count);
            break;
        case DumpTypeKind::Record: out = record(size_t(t.decl))->type; break;
        case DumpTypeKind::Enum: out = enumeration(size_t(t.decl)); break;
        case DumpTypeKind::Typedef: {
            const Type* base = type(t.inner);
            // aligned(N) on a typedef: Clang's alignment of the typedef differs from its type's.
            if (t.complete && types_.is_complete(base) && types_.align_of(base) != t.align)
                base = types_.aligned(base, uint32_t(t.align));
            out = base;
            break;
        }
        case DumpTypeKind::Function: {
            std::vector<const Type*> params;
            for (uint32_t p : t.params) params.push_back(type(p));
            out = types_.function(type(t.inner), std::move(params), t.variadic);
            break;
        }
        default: fail(ErrorCode::INVALID_TYPE, "type '" + t.spelling + "' has no jiffi equivalent");
        }
        memo_[id] = out;
        return out;
    }

    // The jiffi enum of dump enum i (not registered by tag: records only need its type).
    const Type* enumeration(size_t i) {
        if (enums_[i]) return enums_[i];
        const DumpEnum& e = d_.enums[i];
        Enum* en = types_.new_enum(e.tag);
        Prim p = Prim::UInt;
        if (e.underlying != kNoType && !builtin_prim(d_.types[e.underlying].name, p))
            fail(ErrorCode::INVALID_TYPE, "enum '" + e.tag + "' has an underlying type jiffi does not know");
        en->underlying = p;
        for (const DumpEnumerator& v : e.values) en->values.push_back({v.name, int64_t(v.bits)});
        en->complete = e.complete;
        return enums_[i] = en->type;
    }

    jiffi_context& ctx_;
    TypeTable& types_;
    const LayoutDump& d_;
    std::vector<Record*> records_;
    std::vector<const Type*> enums_;
    std::vector<const Type*> memo_;
    static constexpr int kMaxDepth = 2000;
    int depth_ = 0;
    bool too_deep_ = false;  // the depth bound was hit: the whole dump fails
};

// Serializes materialization: records are filled outside the context's own lock.
std::mutex g_materialize_mu;

// Counts the named members of rec, anonymous members' fields flattened.
void flatten(const Record& rec, uint64_t base, std::vector<std::pair<const Field*, uint64_t>>& out) {
    for (const Field& f : rec.fields) {
        if (f.anonymous && f.type->is_record()) flatten(*f.type->record, base + f.offset_bits, out);
        else if (!f.name.empty()) out.emplace_back(&f, base + f.offset_bits);
    }
}


}  // namespace

void jiffi::detail::discover_fork_prepare_outer() noexcept {
    g_materialize_mu.lock();
    g_discoverer_mu.lock();
}

void jiffi::detail::discover_fork_prepare_leaf() noexcept { g_memo_mu.lock(); }

void jiffi::detail::discover_fork_release_leaf() noexcept { g_memo_mu.unlock(); }

void jiffi::detail::discover_fork_release_outer() noexcept {
    g_discoverer_mu.unlock();
    g_materialize_mu.unlock();
}

void jiffi::detail::layout_discover(jiffi_context* ctx, const jiffi_layout_request& req, jiffi_auto_record& out) {
    std::memset(&out, 0, sizeof out);
    Request q = make_request(req, ctx->types.target().triple);
    std::string dir = cache_dir(req);
    std::string file = dir.empty() ? "" : dir + "/" + hex64(blake3_64(q.key_text)) + ".layout";
    std::shared_ptr<const LayoutDump> cached = file.empty() ? nullptr : cache_lookup(dir, file, q);
    if (cached) {
        if (auto why = builtins_differ(ctx->types, *cached)) {
            log_once("cache", messages::layout_cache_ignoring(file, *why));
            cached = nullptr;
        }
    }
    bool hit = cached != nullptr;
    LayoutDump fresh;
    if (!hit) {
        std::string json = run_discoverer(q);
        try {
            fresh = read_jiffi_json(json);
        } catch (const std::exception& e) {
            fail(ErrorCode::INTERNAL, messages::auto_record_request(q.name) + "unreadable dump: " + e.what());
        }
        if (!file.empty()) cache_store(dir, file, q, json, fresh);
    }
    const LayoutDump& dump = hit ? *cached : fresh;
    (hit ? g_hits : g_misses).fetch_add(1);
    if (dump.header.pointer_size != 8 || dump.header.long_size != 8)
        fail(ErrorCode::INVALID_ARGUMENT, messages::auto_record_request(q.name) + "the dump is for " +
                                              dump.header.triple + ", not an LP64 target");
    if (!hit)
        if (auto why = builtins_differ(ctx->types, dump))
            fail(ErrorCode::INVALID_ARGUMENT, messages::auto_record_request(q.name) + *why);
    std::lock_guard<std::mutex> lock(g_materialize_mu);
    Materializer m(*ctx, dump);
    std::string type_name;
    Record* rec = m.requested(q.name, type_name);
    std::vector<std::pair<const Field*, uint64_t>> members;
    flatten(*rec, 0, members);
    copy_out(type_name, out.type_name, sizeof out.type_name);
    out.size = rec->size;
    // The alignment of the name requested: a typedef's own (aligned attribute) or the record's.
    const jiffi_signature* named = ctx->parse_signature(("void (" + type_name + " *)").c_str());
    out.align = ctx->types.align_of(named->sig.args.at(0)->inner);
    out.member_count = members.size();
    out.from_cache = hit ? 1 : 0;
}

void jiffi::detail::layout_member(jiffi_context* ctx, const char* type_name, size_t index, jiffi_auto_member& out) {
    const jiffi_signature* s = ctx->parse_signature(("void (" + std::string(type_name) + " *)").c_str());
    const Type* p = s->sig.args.at(0);
    if (!p->inner->is_record() || !p->inner->record->complete)
        fail(ErrorCode::INVALID_TYPE, "jiffi_layout_member: '" + std::string(type_name) + "' is not a complete struct or union");
    std::lock_guard<std::mutex> lock(g_materialize_mu);
    std::vector<std::pair<const Field*, uint64_t>> members;
    flatten(*p->inner->record, 0, members);
    if (index >= members.size())
        fail(ErrorCode::INVALID_ARGUMENT, "jiffi_layout_member: index " + std::to_string(index) + " past the " +
                                              std::to_string(members.size()) + " members of '" + type_name + "'");
    const Field& f = *members[index].first;
    std::memset(&out, 0, sizeof out);
    copy_out(f.name, out.name, sizeof out.name);
    out.bit_offset = members[index].second;
    out.offset = size_t(out.bit_offset / 8);
    out.is_bitfield = f.is_bitfield ? 1 : 0;
    out.bit_width = f.bit_width;
    out.size = f.is_bitfield || !ctx->types.is_complete(f.type) ? 0 : size_t(ctx->types.size_of(f.type));
}

jiffi_layout_stats jiffi::detail::layout_cache_stats() noexcept {
    jiffi_layout_stats s{};
    s.cache_hits = g_hits.load();
    s.cache_misses = g_misses.load();
    s.discoverer_loads = g_loads.load();
    return s;
}

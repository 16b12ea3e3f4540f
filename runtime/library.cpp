// Shared library resolution (search paths, ld.so.cache, linker scripts), loading and symbol lookup.
#include "runtime/library.hpp"

#include "base/secure_io.hpp"

#include "base/error.hpp"
#include "runtime/handles.hpp"

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <optional>
#include <set>
#include <string_view>
#include <system_error>
#include <unordered_set>
#include <utility>

namespace jiffi::detail {

namespace {

// Longest library name accepted (PATH_MAX); longer ones cannot name a file.
constexpr std::size_t kMaxNameLength = 4096;
// Deepest chain of linker scripts followed (real ones nest once at most).
constexpr int kMaxScriptDepth = 4;
// Largest file read as a linker script.
constexpr std::size_t kMaxScriptBytes = 1 << 20;
// Largest ld.so.cache read.
constexpr std::size_t kMaxCacheBytes = std::size_t{64} << 20;
// Longest failure reason kept for one linker script before it is cut short.
constexpr std::size_t kMaxScriptReason = 4096;
// The first bytes of every ELF file.
constexpr std::string_view kElfMagic = "\177ELF";
// The system library cache written by ldconfig.
constexpr const char* kSystemCache = "/etc/ld.so.cache";

// glibc's ld.so.cache layouts (sysdeps/generic/dl-cache.h): the old "ld.so-1.7.0" header is
// 16 bytes with 12-byte entries {int32 flags; uint32 key, value}, string offsets counted from
// the end of the entries; the new "glibc-ld.so.cache1.1" header is 48 bytes with 24-byte
// entries {int32 flags; uint32 key, value, osversion; uint64 hwcap}, string offsets counted
// from the start of the new header, which follows the old table (8-aligned) in a compat file.
constexpr std::string_view kOldCacheMagic = "ld.so-1.7.0";
constexpr std::string_view kNewCacheMagic = "glibc-ld.so.cache1.1";
constexpr std::uint64_t kOldHeaderSize = 16;
constexpr std::uint64_t kOldEntrySize = 12;
constexpr std::uint64_t kNewHeaderSize = 48;
constexpr std::uint64_t kNewEntrySize = 24;
constexpr std::uint64_t kNewCacheAlign = 8;
// The magic number of the new format's extension directory ((uint32_t) -358342284).
constexpr std::uint32_t kCacheExtensionMagic = 0xEAA42174u;
// Endianness recorded in the low two bits of the new header's flags byte.
constexpr std::uint8_t kCacheEndianMask = 3;
constexpr std::uint8_t kCacheEndianUnset = 0;
constexpr std::uint8_t kCacheEndianNative = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 2 : 3;

// Serializes every dlopen/dlsym/dlclose with the dlerror call that reads its result.
std::recursive_mutex& dl_mutex() {
    static std::recursive_mutex mutex;
    return mutex;
}

// Whether an ld.so.cache entry's flags describe a library of this process's ABI, the check
// glibc's dynamic linker makes (_dl_cache_check_flags, FLAG_* of ldconfig.h).
bool host_cache_flags(std::int32_t flags) {
    [[maybe_unused]] constexpr std::int32_t elf = 0x0001;
    constexpr std::int32_t libc6 = 0x0003;
#if defined(__x86_64__) && defined(__ILP32__)
    return flags == (0x0800 | libc6);
#elif defined(__x86_64__)
    return flags == (0x0300 | libc6);
#elif defined(__aarch64__) && defined(__LP64__)
    return flags == (0x0a00 | libc6);
#elif defined(__arm__) && defined(__ARM_PCS_VFP)
    return flags == (0x0900 | libc6) || flags == libc6;
#elif defined(__arm__)
    return flags == (0x0b00 | libc6) || flags == libc6;
#elif defined(__powerpc64__)
    return flags == (0x0500 | libc6);
#elif defined(__s390x__)
    return flags == (0x0400 | libc6);
#elif defined(__sparc__) && defined(__arch64__)
    return flags == (0x0100 | libc6);
#elif defined(__riscv) && __riscv_xlen == 64 && defined(__riscv_float_abi_double)
    return flags == (0x1000 | libc6);
#elif defined(__riscv) && __riscv_xlen == 64
    return flags == (0x0f00 | libc6);
#else
    return flags == elf || flags == libc6;
#endif
}

// The Debian/Ubuntu multiarch directory name of this process's ABI, or null if unknown.
const char* multiarch_triplet() {
#if defined(__x86_64__) && defined(__ILP32__)
    return "x86_64-linux-gnux32";
#elif defined(__x86_64__)
    return "x86_64-linux-gnu";
#elif defined(__i386__)
    return "i386-linux-gnu";
#elif defined(__aarch64__) && defined(__AARCH64EB__)
    return "aarch64_be-linux-gnu";
#elif defined(__aarch64__)
    return "aarch64-linux-gnu";
#elif defined(__arm__) && defined(__ARM_PCS_VFP)
    return "arm-linux-gnueabihf";
#elif defined(__arm__)
    return "arm-linux-gnueabi";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return "powerpc64le-linux-gnu";
#elif defined(__powerpc64__)
    return "powerpc64-linux-gnu";
#elif defined(__s390x__)
    return "s390x-linux-gnu";
#elif defined(__riscv) && __riscv_xlen == 64
    return "riscv64-linux-gnu";
#elif defined(__loongarch64)
    return "loongarch64-linux-gnu";
#else
    return nullptr;
#endif
}

// The directories searched after the library cache, in order.
const std::vector<std::string>& default_directories() {
    static const std::vector<std::string> dirs = [] {
        std::vector<std::string> out;
        if (const char* triplet = multiarch_triplet()) {
            out.push_back(std::string("/lib/") + triplet);
            out.push_back(std::string("/usr/lib/") + triplet);
        }
        for (const char* dir : {"/lib64", "/usr/lib64", "/lib", "/usr/lib", "/usr/local/lib"})
            out.emplace_back(dir);
        return out;
    }();
    return dirs;
}

// dir and file joined with exactly one '/'.
std::string join_path(const std::string& dir, const std::string& file) {
    if (dir.empty() || dir.back() == '/') return dir + file;
    return dir + '/' + file;
}

// The directory part of path ("." when it has none).
std::string directory_of(const std::string& path) {
    std::size_t slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

// text with control bytes written as \xNN so that a message stays one readable line.
std::string printable(std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) {
            out += "\\x";
            out += hex[byte >> 4];
            out += hex[byte & 15];
        } else {
            out += c;
        }
    }
    return out;
}

// The reason an open or stat failed with errno err, as shown in messages.
std::string errno_reason(int err) {
    if (err == ENOENT || err == ENOTDIR) return "no such file";
    return std::generic_category().message(err);
}

// The numeric components of a version suffix such as "1.2.13"; nullopt unless every
// component is a decimal number of at most 18 digits.
std::optional<std::vector<std::uint64_t>> parse_version(std::string_view text) {
    std::vector<std::uint64_t> parts;
    std::size_t start = 0;
    while (true) {
        std::size_t dot = text.find('.', start);
        std::string_view part =
            text.substr(start, dot == std::string_view::npos ? text.npos : dot - start);
        if (part.empty() || part.size() > 18) return std::nullopt;
        std::uint64_t value = 0;
        for (char c : part) {
            if (c < '0' || c > '9') return std::nullopt;
            value = value * 10 + static_cast<std::uint64_t>(c - '0');
        }
        parts.push_back(value);
        if (dot == std::string_view::npos) return parts;
        start = dot + 1;
    }
}

// Of names, those spelled prefix + version, highest version first (ties keep their order).
std::vector<std::string> by_version(const std::vector<std::string>& names,
                                    const std::string& prefix) {
    std::vector<std::pair<std::vector<std::uint64_t>, std::string>> found;
    for (const std::string& name : names) {
        if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
        if (auto version = parse_version(std::string_view(name).substr(prefix.size())))
            found.emplace_back(std::move(*version), name);
    }
    // std::sort over (version, position) keeps ties in order like std::stable_sort, whose
    // libstdc++ 12 implementation clang-19 warns about (deprecated get_temporary_buffer).
    std::vector<std::size_t> order(found.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return found[a].first != found[b].first ? found[a].first > found[b].first : a < b;
    });
    std::vector<std::string> out;
    out.reserve(found.size());
    for (std::size_t i : order) out.push_back(std::move(found[i].second));
    return out;
}

// The spellings of a library name that are looked for in a directory or the cache.
struct NameForms {
    std::string exact;             // the name as given ("m", "libm.so.6")
    std::string unversioned;       // "libm.so" for a short name, else ""
    std::string versioned_prefix;  // "libm.so." when versions are searched, else ""
};

// The spellings of name: a file name ("libm.so.6", "libz.so") or a short name ("m", "libm").
NameForms name_forms(const std::string& name) {
    NameForms forms;
    forms.exact = name;
    auto ends_with = [&](std::string_view suffix) {
        return name.size() >= suffix.size() &&
               name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    if (ends_with(".so")) {
        forms.versioned_prefix = name + '.';
    } else if (name.find(".so.") == std::string::npos) {
        std::string stem =
            (name.size() > 3 && name.compare(0, 3, "lib") == 0) ? name : "lib" + name;
        forms.unversioned = stem + ".so";
        forms.versioned_prefix = stem + ".so.";
    }
    return forms;
}

// The names of the entries of dir (empty when it cannot be read).
std::vector<std::string> directory_entries(const std::string& dir) {
    std::vector<std::string> names;
    DIR* stream = opendir(dir.c_str());
    if (!stream) return names;
    while (const dirent* entry = readdir(stream)) names.emplace_back(entry->d_name);
    closedir(stream);
    return names;
}

// An open file descriptor, closed when destroyed.
class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

// Reads up to limit bytes from fd into out; false on a read error.
bool read_up_to(int fd, std::size_t limit, std::string& out) {
    out.clear();
    char buffer[65536];
    while (out.size() < limit) {
        std::size_t want = std::min(sizeof buffer, limit - out.size());
        ssize_t got = read(fd, buffer, want);
        if (got < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        if (got == 0) break;
        out.append(buffer, static_cast<std::size_t>(got));
    }
    return true;
}

// Opens path for reading without blocking on FIFOs or devices; fd -1 and errno on failure.
int open_for_reading(const std::string& path) {
    return open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
}

// The whole regular file at path if it is at most limit bytes.
std::optional<std::string> read_small_file(const std::string& path, std::size_t limit) {
    Fd fd(open_for_reading(path));
    if (fd.get() < 0) return std::nullopt;
    struct stat st {};
    if (fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    if (st.st_size < 0 || static_cast<std::uint64_t>(st.st_size) > limit) return std::nullopt;
    std::string data;
    if (!read_up_to(fd.get(), limit, data)) return std::nullopt;
    return data;
}

// Bounds-checked reads of the bytes of an ld.so.cache file.
class CacheBytes {
public:
    explicit CacheBytes(std::string_view data) : data_(data) {}
    std::uint64_t size() const { return data_.size(); }

    // Whether the n bytes at offset lie inside the file.
    bool holds(std::uint64_t offset, std::uint64_t n) const {
        return offset <= data_.size() && n <= data_.size() - offset;
    }
    // Whether the bytes at offset spell text.
    bool matches(std::uint64_t offset, std::string_view text) const {
        return holds(offset, text.size()) && data_.compare(offset, text.size(), text) == 0;
    }
    // The native-endian unsigned integer of type T at offset, or nullopt past the end.
    template <class T>
    std::optional<T> read(std::uint64_t offset) const {
        if (!holds(offset, sizeof(T))) return std::nullopt;
        T value;
        std::memcpy(&value, data_.data() + offset, sizeof(T));
        return value;
    }
    // The NUL-terminated string at offset (a view into the bytes), or nullopt when it runs
    // past the end.
    std::optional<std::string_view> string_at(std::uint64_t offset) const {
        if (offset >= data_.size()) return std::nullopt;
        std::size_t end = data_.find('\0', offset);
        if (end == std::string_view::npos) return std::nullopt;
        return data_.substr(offset, end - offset);
    }

private:
    std::string_view data_;
};

// Checks the new format's optional extension directory lies wholly inside the file.
bool cache_extensions_valid(const CacheBytes& bytes, std::uint32_t offset) {
    if (offset == 0) return true;
    if (offset % 4 != 0) return false;
    auto magic = bytes.read<std::uint32_t>(offset);
    auto count = bytes.read<std::uint32_t>(offset + 4);
    if (!magic || !count || *magic != kCacheExtensionMagic) return false;
    std::uint64_t sections = std::uint64_t{offset} + 8;
    if (!bytes.holds(sections, std::uint64_t{*count} * 16)) return false;
    for (std::uint64_t i = 0; i < *count; ++i) {
        auto section_offset = bytes.read<std::uint32_t>(sections + i * 16 + 8);
        auto section_size = bytes.read<std::uint32_t>(sections + i * 16 + 12);
        if (!section_offset || !section_size || !bytes.holds(*section_offset, *section_size))
            return false;
    }
    return true;
}

// One host entry of an ld.so.cache file, its strings viewing the file's bytes.
struct CacheEntryView {
    std::string_view soname;
    std::string_view path;
};
using CacheEntryViews = std::vector<CacheEntryView>;

// The host entries of a new-format table whose header is at base; nullopt if malformed.
std::optional<CacheEntryViews> parse_new_cache(const CacheBytes& bytes, std::uint64_t base) {
    if (!bytes.holds(base, kNewHeaderSize) || !bytes.matches(base, kNewCacheMagic))
        return std::nullopt;
    auto nlibs = bytes.read<std::uint32_t>(base + 20);
    auto len_strings = bytes.read<std::uint32_t>(base + 24);
    auto flags = bytes.read<std::uint8_t>(base + 28);
    auto extension_offset = bytes.read<std::uint32_t>(base + 32);
    if (!nlibs || !len_strings || !flags || !extension_offset) return std::nullopt;
    std::uint8_t endian = *flags & kCacheEndianMask;
    if (endian != kCacheEndianUnset && endian != kCacheEndianNative) return std::nullopt;
    std::uint64_t entries = base + kNewHeaderSize;
    std::uint64_t entries_size = std::uint64_t{*nlibs} * kNewEntrySize;
    if (!bytes.holds(entries, entries_size) || !bytes.holds(entries + entries_size, *len_strings))
        return std::nullopt;
    if (!cache_extensions_valid(bytes, *extension_offset)) return std::nullopt;
    CacheEntryViews out;
    out.reserve(*nlibs);
    for (std::uint64_t i = 0; i < *nlibs; ++i) {
        std::uint64_t at = entries + i * kNewEntrySize;
        auto entry_flags = bytes.read<std::int32_t>(at);
        auto key = bytes.read<std::uint32_t>(at + 4);
        auto value = bytes.read<std::uint32_t>(at + 8);
        auto hwcap = bytes.read<std::uint64_t>(at + 16);
        if (!entry_flags || !key || !value || !hwcap) return std::nullopt;
        auto soname = bytes.string_at(base + *key);
        auto path = bytes.string_at(base + *value);
        if (!soname || !path) return std::nullopt;
        // Entries with hwcaps (glibc-hwcaps subdirectories, legacy hwcap bits) need CPU
        // features to be checked; their plain counterpart is always listed as well.
        if (host_cache_flags(*entry_flags) && *hwcap == 0 && !soname->empty() && !path->empty())
            out.push_back({*soname, *path});
    }
    return out;
}

// The host entries of an old-format file, or of the new table embedded after it.
std::optional<CacheEntryViews> parse_old_cache(const CacheBytes& bytes) {
    auto nlibs = bytes.read<std::uint32_t>(kOldCacheMagic.size() + 1);
    if (!nlibs) return std::nullopt;
    std::uint64_t strings = kOldHeaderSize + std::uint64_t{*nlibs} * kOldEntrySize;
    if (!bytes.holds(0, strings)) return std::nullopt;
    std::uint64_t embedded = (strings + kNewCacheAlign - 1) / kNewCacheAlign * kNewCacheAlign;
    if (bytes.matches(embedded, kNewCacheMagic)) {
        if (auto entries = parse_new_cache(bytes, embedded)) return entries;
    }
    CacheEntryViews out;
    out.reserve(*nlibs);
    for (std::uint64_t i = 0; i < *nlibs; ++i) {
        std::uint64_t at = kOldHeaderSize + i * kOldEntrySize;
        auto entry_flags = bytes.read<std::int32_t>(at);
        auto key = bytes.read<std::uint32_t>(at + 4);
        auto value = bytes.read<std::uint32_t>(at + 8);
        if (!entry_flags || !key || !value) return std::nullopt;
        auto soname = bytes.string_at(strings + *key);
        auto path = bytes.string_at(strings + *value);
        if (!soname || !path) return std::nullopt;
        if (host_cache_flags(*entry_flags) && !soname->empty() && !path->empty())
            out.push_back({*soname, *path});
    }
    return out;
}

// The host entries of the ld.so.cache bytes data, viewing them; empty when malformed.
CacheEntryViews parse_ld_cache(std::string_view data) {
    CacheBytes bytes(data);
    std::optional<CacheEntryViews> entries;
    if (bytes.matches(0, kOldCacheMagic))
        entries = parse_old_cache(bytes);
    else if (bytes.matches(0, kNewCacheMagic))
        entries = parse_new_cache(bytes, 0);
    return entries ? std::move(*entries) : CacheEntryViews{};
}

// A cache file's bytes and its host entries viewing them (no string per entry is made).
struct ParsedCache {
    std::string bytes;
    CacheEntryViews entries;
};

// The parsed cache file at path; no entries when it is missing, unreadable or malformed.
std::shared_ptr<const ParsedCache> parse_cache_file(const std::string& path) {
    auto parsed = std::make_shared<ParsedCache>();
    if (auto data = read_small_file(path, kMaxCacheBytes)) {
        parsed->bytes = std::move(*data);
        parsed->entries = parse_ld_cache(parsed->bytes);
    }
    return parsed;
}

// The parsed /etc/ld.so.cache and the file state it was read in.
struct LdCacheMemo {
    std::mutex mutex;
    bool valid = false;
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    struct timespec mtime {};
    std::shared_ptr<const ParsedCache> cache;
};

LdCacheMemo& ld_cache_memo() {
    static LdCacheMemo memo;
    return memo;
}

// The parsed /etc/ld.so.cache, re-read whenever the file changes.
std::shared_ptr<const ParsedCache> system_cache() {
    LdCacheMemo& memo = ld_cache_memo();
    struct stat st {};
    if (stat(kSystemCache, &st) != 0) return std::make_shared<const ParsedCache>();
    std::lock_guard lock(memo.mutex);
    if (memo.valid && memo.dev == st.st_dev && memo.ino == st.st_ino && memo.size == st.st_size &&
        memo.mtime.tv_sec == st.st_mtim.tv_sec && memo.mtime.tv_nsec == st.st_mtim.tv_nsec)
        return memo.cache;
    memo.cache = parse_cache_file(kSystemCache);
    memo.valid = true;
    memo.dev = st.st_dev;
    memo.ino = st.st_ino;
    memo.size = st.st_size;
    memo.mtime = st.st_mtim;
    return memo.cache;
}

// The cache entries' paths for name in lookup order (see ld_cache_lookup). Only the entries
// whose soname could match are copied, so a lookup costs one pass over the views.
std::vector<std::string> cache_paths(const CacheEntryViews& entries, const std::string& name) {
    std::vector<std::string> out;
    if (name.empty() || name.find('/') != std::string::npos) return out;
    NameForms forms = name_forms(name);
    std::unordered_set<std::string_view> seen;
    auto add_soname = [&](std::string_view soname) {
        for (const CacheEntryView& entry : entries)
            if (entry.soname == soname && seen.insert(entry.path).second) out.emplace_back(entry.path);
    };
    add_soname(forms.exact);
    if (!forms.versioned_prefix.empty()) {
        std::vector<std::string> sonames;
        std::unordered_set<std::string_view> distinct;
        std::string_view prefix = forms.versioned_prefix;
        for (const CacheEntryView& entry : entries)
            if (entry.soname.substr(0, prefix.size()) == prefix && distinct.insert(entry.soname).second)
                sonames.emplace_back(entry.soname);
        for (const std::string& soname : by_version(sonames, forms.versioned_prefix))
            add_soname(soname);
    }
    if (!forms.unversioned.empty()) add_soname(forms.unversioned);
    return out;
}

// How a candidate is opened: a file checked and loaded, or a bare name given to dlopen.
enum class CandidateKind { File, Bare };

// Calls visit(path, kind) on each candidate for name in order until it returns true;
// returns whether one did.
template <class Visit>
bool for_each_candidate(const std::string& name, const std::vector<std::string>& search_paths,
                        Visit&& visit) {
    if (name.find('/') != std::string::npos) return visit(name, CandidateKind::File);
    NameForms forms = name_forms(name);
    std::unordered_set<std::string> seen;
    auto offer = [&](const std::string& path, CandidateKind kind) {
        return seen.insert(path).second && visit(path, kind);
    };
    auto search_directory = [&](const std::string& dir) {
        if (offer(join_path(dir, forms.exact), CandidateKind::File)) return true;
        if (!forms.unversioned.empty() &&
            offer(join_path(dir, forms.unversioned), CandidateKind::File))
            return true;
        if (forms.versioned_prefix.empty()) return false;
        for (const std::string& file : by_version(directory_entries(dir), forms.versioned_prefix))
            if (offer(join_path(dir, file), CandidateKind::File)) return true;
        return false;
    };
    for (const std::string& dir : search_paths)
        if (!dir.empty() && search_directory(dir)) return true;
    for (const std::string& path : ld_cache_lookup(name))
        if (offer(path, CandidateKind::File)) return true;
    for (const std::string& dir : default_directories())
        if (search_directory(dir)) return true;
    return offer(name, CandidateKind::Bare);
}

// A candidate that was tried and the reason it failed.
struct Attempt {
    std::string path;
    std::string reason;
};

// "path (reason), ..." for a list of failed attempts.
std::string format_attempts(const std::vector<Attempt>& attempts) {
    std::string out;
    for (const Attempt& attempt : attempts) {
        if (!out.empty()) out += ", ";
        out += printable(attempt.path) + " (" + printable(attempt.reason) + ")";
    }
    return out.empty() ? "nothing" : out;
}

// A library handle and the file it came from.
struct Loaded {
    void* handle;
    std::string path;
};

// dlopen(path, RTLD_NOW | RTLD_LOCAL); on failure null with the dlerror text in reason.
void* dlopen_checked(const char* path, std::string& reason) {
    std::lock_guard lock(dl_mutex());
    dlerror();
    void* handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char* error = dlerror();
        reason = error ? error : "dlopen failed";
    }
    return handle;
}

// The file the dynamic linker loaded for handle, or fallback when it does not say.
std::string loaded_path(void* handle, const std::string& fallback) {
    std::lock_guard lock(dl_mutex());
    link_map* map = nullptr;
    if (dlinfo(handle, RTLD_DI_LINKMAP, &map) == 0 && map && map->l_name && map->l_name[0] != '\0')
        return map->l_name;
    dlerror();
    return fallback;
}

// The files one load has opened, by device and inode: the linker scripts being expanded
// (the current path, to detect cycles) and the files that failed, with the least script
// depth they failed at (deeper tries fail the same way, so each file is tried once per depth
// at most). Names a script input looked up in vain, with their search paths, likewise.
struct LoadVisits {
    std::set<std::pair<dev_t, ino_t>> on_path;
    std::map<std::pair<dev_t, ino_t>, int> failed;
    std::map<std::string, int> failed_names;

    // True when key failed at depth or less deep before.
    template <class Map, class Key>
    static bool failed_before(const Map& m, const Key& key, int depth) {
        auto it = m.find(key);
        return it != m.end() && it->second <= depth;
    }
    // Records that key failed at depth.
    template <class Map, class Key>
    static void record_failure(Map& m, const Key& key, int depth) {
        auto [it, added] = m.emplace(key, depth);
        if (!added) it->second = std::min(it->second, depth);
    }
};

// Resolves and loads library names and files, following linker scripts.
class Loader {
public:
    Loader(std::vector<std::string> search_paths, LoadVisits& visits)
        : search_paths_(std::move(search_paths)), visits_(visits) {}

    // Loads name (a path, file name or short name); on failure appends each try to attempts.
    std::optional<Loaded> load_name(const std::string& name, int depth,
                                    std::vector<Attempt>& attempts) {
        std::optional<Loaded> result;
        for_each_candidate(name, search_paths_, [&](const std::string& path, CandidateKind kind) {
            std::string reason;
            if (kind == CandidateKind::Bare) {
                if (void* handle = dlopen_checked(path.c_str(), reason)) {
                    result = Loaded{handle, loaded_path(handle, path)};
                    return true;
                }
            } else if ((result = load_file(path, depth, reason))) {
                return true;
            }
            attempts.push_back({path, std::move(reason)});
            return false;
        });
        return result;
    }

private:
    // Loads the shared object or linker script at path; on failure says why in reason.
    std::optional<Loaded> load_file(const std::string& path, int depth, std::string& reason) {
        std::string head;
        std::pair<dev_t, ino_t> key{};
        {
            Fd fd(open_for_reading(path));
            if (fd.get() < 0) {
                reason = errno_reason(errno);
                return std::nullopt;
            }
            struct stat st {};
            if (fstat(fd.get(), &st) != 0) {
                reason = errno_reason(errno);
                return std::nullopt;
            }
            if (S_ISDIR(st.st_mode)) {
                reason = "is a directory";
                return std::nullopt;
            }
            if (!S_ISREG(st.st_mode)) {
                reason = "not a regular file";
                return std::nullopt;
            }
            key = {st.st_dev, st.st_ino};
            if (visits_.on_path.count(key)) {
                reason = "linker script cycle: this script is already being expanded";
                return std::nullopt;
            }
            if (LoadVisits::failed_before(visits_.failed, key, depth)) {
                reason = "already tried in this load";
                return std::nullopt;
            }
            if (!read_up_to(fd.get(), 4, head)) {
                reason = errno_reason(errno);
                return std::nullopt;
            }
            if (head != kElfMagic) {
                std::string rest;
                if (!read_up_to(fd.get(), kMaxScriptBytes, rest)) {
                    reason = errno_reason(errno);
                    return std::nullopt;
                }
                head += rest;
            }
        }
        if (head == kElfMagic) {
            if (void* handle = dlopen_checked(path.c_str(), reason)) return Loaded{handle, path};
            LoadVisits::record_failure(visits_.failed, key, depth);
            return std::nullopt;
        }
        visits_.on_path.insert(key);
        std::optional<Loaded> loaded = load_script(path, head, depth, reason);
        visits_.on_path.erase(key);
        if (!loaded) LoadVisits::record_failure(visits_.failed, key, depth);
        return loaded;
    }

    // Loads the first shared object the linker script text (read from path) names.
    std::optional<Loaded> load_script(const std::string& path, const std::string& text, int depth,
                                      std::string& reason) {
        std::vector<std::string> inputs;
        if (text.find('\0') == std::string::npos) inputs = linker_script_inputs(text);
        if (inputs.empty()) {
            reason = "not an ELF file or linker script";
            return std::nullopt;
        }
        if (depth >= kMaxScriptDepth) {
            reason = "linker scripts nested too deeply";
            return std::nullopt;
        }
        std::string dir = directory_of(path);
        std::vector<Attempt> tried;
        for (const std::string& input : inputs) {
            if (auto loaded = load_script_input(input, dir, depth + 1, tried)) return loaded;
        }
        reason = "linker script: " + format_attempts(tried);
        if (reason.size() > kMaxScriptReason) reason = reason.substr(0, kMaxScriptReason) + "...";
        return std::nullopt;
    }

    // Loads one input of a linker script in dir: "-lname", "-l:file", a path or a file name.
    std::optional<Loaded> load_script_input(const std::string& input, const std::string& dir,
                                            int depth, std::vector<Attempt>& tried) {
        auto is_archive = [](const std::string& file) {
            return file.size() >= 2 && file.compare(file.size() - 2, 2, ".a") == 0;
        };
        std::string name = input;
        bool library_reference = name.size() > 2 && name.compare(0, 2, "-l") == 0;
        if (library_reference) {
            name.erase(0, name[2] == ':' ? 3 : 2);
        } else if (!name.empty() && name[0] == '=') {
            name.erase(0, 1);
        }
        if (name.empty() || is_archive(name)) {
            tried.push_back({input, name.empty() ? "empty name" : "static archive skipped"});
            return std::nullopt;
        }
        if (name[0] == '/' || (!library_reference && name.find('/') != std::string::npos)) {
            std::string path = name[0] == '/' ? name : join_path(dir, name);
            std::string reason;
            if (auto loaded = load_file(path, depth, reason)) return loaded;
            tried.push_back({path, std::move(reason)});
            return std::nullopt;
        }
        std::vector<std::string> paths{dir};
        paths.insert(paths.end(), search_paths_.begin(), search_paths_.end());
        // The same name in the same search paths fails the same way: looked up once per load.
        std::string key = name;
        for (const std::string& p : paths) key += '\0' + p;
        if (LoadVisits::failed_before(visits_.failed_names, key, depth)) {
            tried.push_back({input, "already tried in this load"});
            return std::nullopt;
        }
        Loader nested(std::move(paths), visits_);
        std::vector<Attempt> nested_attempts;
        if (auto loaded = nested.load_name(name, depth, nested_attempts)) return loaded;
        LoadVisits::record_failure(visits_.failed_names, key, depth);
        tried.push_back({input, "tried " + format_attempts(nested_attempts)});
        return std::nullopt;
    }

    std::vector<std::string> search_paths_;
    LoadVisits& visits_;
};

// "library 'name' (path)", or "the running process", for messages.
std::string describe_library(const std::string& requested, const std::string& path) {
    if (requested.empty() && path.empty()) return "the running process";
    return "library '" + printable(requested) + "' (" + printable(path) + ")";
}

}  // namespace

LoadedLibrary::LoadedLibrary(void* handle, std::string path, std::string requested)
    : handle_(handle), path_(std::move(path)), requested_(std::move(requested)) {}

// The process handle from dlopen(NULL) is closed like any other: dlclose only drops the
// reference that dlopen took and never unloads the main program, so no special case is needed.
LoadedLibrary::~LoadedLibrary() {
    if (!handle_) return;
    std::lock_guard lock(dl_mutex());
    dlclose(handle_);
    dlerror();
}

void* LoadedLibrary::symbol(const std::string& name) const {
    if (name.empty()) fail(ErrorCode::INVALID_ARGUMENT, "symbol name is empty");
    if (name.find('\0') != std::string::npos)
        fail(ErrorCode::INVALID_ARGUMENT,
             "symbol name '" + printable(name) + "' contains a NUL byte");
    {
        std::lock_guard lock(dl_mutex());
        dlerror();
        void* address = dlsym(handle_, name.c_str());
        // A null address without an error is a symbol whose value is null.
        if (address || !dlerror()) return address;
    }
    fail(ErrorCode::SYMBOL_NOT_FOUND,
         "symbol '" + printable(name) + "' not found in " + describe_library(requested_, path_));
}

std::vector<std::string> library_candidates(const std::string& name,
                                            const std::vector<std::string>& search_paths) {
    std::vector<std::string> out;
    if (name.empty() || name.find('\0') != std::string::npos) return out;
    for_each_candidate(name, search_paths, [&](const std::string& path, CandidateKind) {
        out.push_back(path);
        return false;
    });
    return out;
}

std::unique_ptr<LoadedLibrary> open_library(const char* name,
                                            const std::vector<std::string>& search_paths) {
    std::optional<Loaded> loaded;
    std::string requested;
    if (!name) {
        std::string reason;
        void* handle = dlopen_checked(nullptr, reason);
        if (!handle)
            fail(ErrorCode::LIBRARY_NOT_FOUND, "cannot open the running process: " + reason);
        loaded = Loaded{handle, ""};
    } else {
        requested = name;
        if (requested.empty()) fail(ErrorCode::INVALID_ARGUMENT, "library name is empty");
        if (requested.size() > kMaxNameLength)
            fail(ErrorCode::LIBRARY_NOT_FOUND,
                 "cannot open library '" + printable(requested.substr(0, 64)) +
                     "...': name too long (" + std::to_string(requested.size()) + " bytes)");
        LoadVisits visits;
        Loader loader(search_paths, visits);
        std::vector<Attempt> attempts;
        loaded = loader.load_name(requested, 0, attempts);
        if (!loaded)
            fail(ErrorCode::LIBRARY_NOT_FOUND, "cannot open library '" + printable(requested) +
                                                   "': tried " + format_attempts(attempts));
    }
    try {
        return std::make_unique<LoadedLibrary>(loaded->handle, std::move(loaded->path),
                                               std::move(requested));
    } catch (...) {
        std::lock_guard lock(dl_mutex());
        dlclose(loaded->handle);
        throw;
    }
}

void library_fork_prepare() noexcept { dl_mutex().lock(); }

void library_fork_release(bool child) noexcept {
    // A recursive mutex names its owner by thread id, which differs in the child: unlocking
    // there would fail, so the child makes it anew, unlocked.
    if (child) new (&dl_mutex()) std::recursive_mutex();
    else dl_mutex().unlock();
}

void library_fork_prepare_leaf() noexcept { ld_cache_memo().mutex.lock(); }

void library_fork_release_leaf() noexcept { ld_cache_memo().mutex.unlock(); }

std::vector<std::string> default_search_paths() {
    std::vector<std::string> out;
    for (const char* variable : {"JIFFI_LIBRARY_PATH", "LD_LIBRARY_PATH"}) {
        const char* value = env_get(variable);
        if (!value) continue;
        std::string_view rest(value);
        while (true) {
            std::size_t colon = rest.find(':');
            std::string_view entry = rest.substr(0, colon);
            if (!entry.empty()) out.emplace_back(entry);
            if (colon == std::string_view::npos) break;
            rest.remove_prefix(colon + 1);
        }
    }
    return out;
}

std::vector<LdCacheEntry> read_ld_cache(const std::string& cache_file) {
    std::shared_ptr<const ParsedCache> parsed = parse_cache_file(cache_file);
    std::vector<LdCacheEntry> out;
    out.reserve(parsed->entries.size());
    for (const CacheEntryView& e : parsed->entries) out.push_back({std::string(e.soname), std::string(e.path)});
    return out;
}

std::vector<std::string> ld_cache_lookup(const std::string& name, const std::string& cache_file) {
    if (cache_file == kSystemCache) return cache_paths(system_cache()->entries, name);
    return cache_paths(parse_cache_file(cache_file)->entries, name);
}

std::vector<std::string> linker_script_inputs(const std::string& text) {
    struct Token {
        std::string text;
        bool quoted;
    };
    std::vector<Token> tokens;
    std::size_t i = 0;
    while (i < text.size()) {
        char c = text[i];
        if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
            std::size_t end = text.find("*/", i + 2);
            i = end == std::string::npos ? text.size() : end + 2;
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == '\0') {
            // A NUL separates like white space (a word must never stop on one without advancing).
            ++i;
        } else if (c == '(' || c == ')' || c == ',' || c == ';') {
            tokens.push_back({std::string(1, c), false});
            ++i;
        } else if (c == '"') {
            std::size_t end = text.find('"', i + 1);
            if (end == std::string::npos) end = text.size();
            tokens.push_back({text.substr(i + 1, end - i - 1), true});
            i = end + 1;
        } else {
            std::size_t start = i;
            while (i < text.size() && !std::strchr(" \t\n\r\f\v(),;\"", text[i]) &&
                   !(text[i] == '/' && i + 1 < text.size() && text[i + 1] == '*'))
                ++i;
            tokens.push_back({text.substr(start, i - start), false});
        }
    }
    auto is = [&](std::size_t at, const char* word) {
        return at < tokens.size() && !tokens[at].quoted && tokens[at].text == word;
    };
    std::vector<std::string> inputs;
    for (std::size_t at = 0; at < tokens.size(); ++at) {
        if (!(is(at, "GROUP") || is(at, "INPUT")) || !is(at + 1, "(")) continue;
        int depth = 1;
        for (at += 2; at < tokens.size() && depth > 0; ++at) {
            if (is(at, "("))
                ++depth;
            else if (is(at, ")"))
                --depth;
            else if (!is(at, ",") && !is(at, ";") && !is(at, "AS_NEEDED") &&
                     !tokens[at].text.empty())
                inputs.push_back(tokens[at].text);
        }
        --at;
    }
    return inputs;
}

}  // namespace jiffi::detail

jiffi_library* jiffi::detail::new_library(jiffi_context* ctx, const char* name) {
    std::shared_ptr<LoadedLibrary> loaded = open_library(name, ctx->search_paths());
    HandlePool<jiffi_library>& pool = HandlePool<jiffi_library>::instance();
    return as_handle<jiffi_library>(pool.publish(pool.make(ctx, std::move(loaded))));
}

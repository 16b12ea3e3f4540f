// The on-disk stub object cache: file format, validation, atomic stores through hard links.
#include "jit/object_cache.hpp"

#include "base/secure_io.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "marshal/error.hpp"

namespace jiffi::detail {

namespace {

// A file starts with these bytes; the digit is the file format's version.
constexpr char kMagic[8] = {'J', 'I', 'F', 'F', 'I', 'O', 'C', '1'};
// Files larger than this are not ours (a module of thousands of stubs is far smaller).
constexpr uint64_t kMaxFile = uint64_t(256) << 20;

// The 64-bit FNV-1a hash of bytes, continuing from h.
uint64_t fnv1a(std::string_view bytes, uint64_t h = 0xcbf29ce484222325ull) {
    for (unsigned char c : bytes) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    return h;
}

// Appends v's bytes to out in the host's order (the cache is for the host only).
template <class T>
void put(std::string& out, T v) {
    out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

// Appends a length-prefixed string to out.
void put_string(std::string& out, std::string_view s) {
    put(out, static_cast<uint64_t>(s.size()));
    out.append(s);
}

// A bounds-checked reader of a file's bytes; every read fails softly past the end.
class Reader {
public:
    explicit Reader(std::string_view bytes) : bytes_(bytes) {}

    // Reads a T into v; false past the end.
    template <class T>
    bool get(T& v) {
        if (bytes_.size() - at_ < sizeof v) return false;
        std::memcpy(&v, bytes_.data() + at_, sizeof v);
        at_ += sizeof v;
        return true;
    }

    // Reads a length-prefixed string into s; false past the end.
    bool get_string(std::string& s) {
        uint64_t n = 0;
        if (!get(n) || n > bytes_.size() - at_) return false;
        s.assign(bytes_.data() + at_, n);
        at_ += n;
        return true;
    }

    size_t offset() const { return at_; }

private:
    std::string_view bytes_;
    size_t at_ = 0;
};

// The whole content of the file at path, or nothing when it cannot be read or is too big.
std::optional<std::string> read_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::optional<std::string> out;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) <= kMaxFile) {
        std::string bytes(static_cast<size_t>(st.st_size), '\0');
        size_t done = 0;
        while (done < bytes.size()) {
            ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            done += static_cast<size_t>(n);
        }
        if (done == bytes.size()) out = std::move(bytes);
    }
    ::close(fd);
    return out;
}

// Writes bytes to a new file at path; false (and no file) on failure.
bool write_new_file(const std::string& path, std::string_view bytes) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return false;
    size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += static_cast<size_t>(n);
    }
    bool ok = ::close(fd) == 0 && done == bytes.size();
    if (!ok) ::unlink(path.c_str());
    return ok;
}

// A file name in dir no other writer (thread or process) uses at the same time.
std::string temporary_name(const std::string& dir) {
    static std::atomic<uint64_t> counter{0};
    return dir + "/.tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
}

// Makes dir and its missing parents; true when dir is a directory afterwards.
bool make_directories(const std::string& dir) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) return S_ISDIR(st.st_mode);
    size_t slash = dir.find_last_of('/');
    if (slash != std::string::npos && slash > 0 && !make_directories(dir.substr(0, slash))) return false;
    return ::mkdir(dir.c_str(), 0755) == 0 || errno == EEXIST;
}

}  // namespace

uint64_t ObjectCache::default_max_bytes() {
    const char* mb = env_get("JIFFI_JIT_CACHE_MAX_MB");
    char* end = nullptr;
    unsigned long long v = mb && *mb ? std::strtoull(mb, &end, 10) : 0;
    return (v && end && !*end ? v : 256ull) << 20;
}

ObjectCache::ObjectCache(std::string dir, std::string environment, uint64_t max_bytes)
    : dir_(std::move(dir)), environment_(std::move(environment)), max_bytes_(max_bytes) {
    while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
    if (dir_.empty()) fail(ErrorCode::INVALID_ARGUMENT, "the JIT cache directory is an empty path");
    if (!make_directories(dir_))
        fail(ErrorCode::INVALID_ARGUMENT, "the JIT cache directory '" + dir_ +
                                              "' is not a directory and cannot be created: " +
                                              std::strerror(errno));
}

std::string ObjectCache::path_of(const std::string& key) const {
    uint64_t h = fnv1a(key, fnv1a(environment_ + '\0'));
    char name[24];
    std::snprintf(name, sizeof name, "%016llx", static_cast<unsigned long long>(h));
    return dir_ + "/" + name + ".jstub";
}

std::optional<CachedObject> ObjectCache::find(const std::string& key) const {
    std::optional<std::string> bytes = read_file(path_of(key));
    if (!bytes || bytes->size() < sizeof kMagic + sizeof(uint64_t)) return std::nullopt;
    std::string_view all(*bytes);
    if (all.substr(0, sizeof kMagic) != std::string_view(kMagic, sizeof kMagic)) return std::nullopt;
    // The checksum covers everything before it: a torn or altered file is never trusted.
    std::string_view body = all.substr(0, all.size() - sizeof(uint64_t));
    uint64_t sum = 0;
    std::memcpy(&sum, all.data() + body.size(), sizeof sum);
    if (fnv1a(body) != sum) return std::nullopt;
    Reader in(body.substr(sizeof kMagic));
    std::string environment;
    uint64_t count = 0;
    if (!in.get_string(environment) || environment != environment_ || !in.get(count)) return std::nullopt;
    CachedObject out;
    out.id = sum;
    bool found = false;
    for (uint64_t i = 0; i < count; ++i) {
        std::string k;
        if (!in.get_string(k)) return std::nullopt;
        found = found || k == key;
        out.keys.push_back(std::move(k));
    }
    if (!found || !in.get_string(out.object)) return std::nullopt;
    if (sizeof kMagic + in.offset() != body.size() || out.object.empty()) return std::nullopt;
    // A hit makes the file recently used, so trimming removes it last.
    ::utimensat(AT_FDCWD, path_of(key).c_str(), nullptr, 0);
    return out;
}

void ObjectCache::store(const std::vector<std::string>& keys, std::string_view object) const {
    if (keys.empty()) return;
    std::string bytes(kMagic, sizeof kMagic);
    put_string(bytes, environment_);
    put(bytes, static_cast<uint64_t>(keys.size()));
    for (const std::string& k : keys) put_string(bytes, k);
    put_string(bytes, object);
    put(bytes, fnv1a(bytes));
    std::string tmp = temporary_name(dir_);
    if (!write_new_file(tmp, bytes)) return;
    for (const std::string& k : keys) {
        // Each key's name is replaced atomically by a new link to the one written file;
        // where hard links are not supported, by a copy.
        std::string link = temporary_name(dir_);
        if (::link(tmp.c_str(), link.c_str()) != 0 && !write_new_file(link, bytes)) continue;
        if (::rename(link.c_str(), path_of(k).c_str()) != 0) ::unlink(link.c_str());
    }
    ::unlink(tmp.c_str());
    // The directory is scanned only once enough was written to possibly cross the bound
    // (and at the first store, for what earlier processes left).
    uint64_t before = written_.fetch_add(bytes.size());
    if (before == 0 || before + bytes.size() >= max_bytes_ / 8) {
        written_.store(1);
        trim();
    }
}

namespace {

// A stub file of the directory: its name, inode, size and modification time.
struct StubFile {
    std::string path;
    ino_t inode;
    uint64_t size;
    struct timespec mtime;
};

// The stub files (*.jstub) of dir.
std::vector<StubFile> list_stub_files(const std::string& dir) {
    std::vector<StubFile> out;
    DIR* d = ::opendir(dir.c_str());
    if (!d) return out;
    while (struct dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name.size() < 7 || name.compare(name.size() - 6, 6, ".jstub") != 0) continue;
        struct stat st {};
        std::string path = dir + "/" + name;
        if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
        out.push_back({path, st.st_ino, static_cast<uint64_t>(st.st_size), st.st_mtim});
    }
    ::closedir(d);
    return out;
}

// Bytes of files, each inode counted once.
uint64_t unique_bytes(const std::vector<StubFile>& files) {
    std::unordered_map<ino_t, uint64_t> sizes;
    for (const StubFile& f : files) sizes[f.inode] = f.size;
    uint64_t total = 0;
    for (auto& [inode, size] : sizes) total += size;
    return total;
}

}  // namespace

uint64_t ObjectCache::disk_bytes() const { return unique_bytes(list_stub_files(dir_)); }

void ObjectCache::trim() const {
    std::vector<StubFile> files = list_stub_files(dir_);
    uint64_t total = unique_bytes(files);
    if (total <= max_bytes_) return;
    std::sort(files.begin(), files.end(), [](const StubFile& a, const StubFile& b) {
        return a.mtime.tv_sec != b.mtime.tv_sec ? a.mtime.tv_sec < b.mtime.tv_sec : a.mtime.tv_nsec < b.mtime.tv_nsec;
    });
    // An inode's space comes back when its last name goes.
    std::unordered_map<ino_t, int> names;
    for (const StubFile& f : files) names[f.inode] += 1;
    uint64_t target = max_bytes_ / 4 * 3;
    for (const StubFile& f : files) {
        if (total <= target) break;
        if (::unlink(f.path.c_str()) != 0) continue;
        if (--names[f.inode] == 0) total -= f.size;
    }
}

}  // namespace jiffi::detail

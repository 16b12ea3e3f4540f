// The on-disk stub object cache: file format, validation, private stores through hard links.
#include "jit/object_cache.hpp"

#include "base/hash.hpp"
#include "base/secure_io.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>


#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "base/error.hpp"

namespace jiffi::detail {

namespace {

// A file starts with these bytes; the digit is the file format's version (2: BLAKE3).
constexpr char kMagic[8] = {'J', 'I', 'F', 'F', 'I', 'O', 'C', '2'};
// Files larger than this are not ours (a module of thousands of stubs is far smaller).
constexpr uint64_t kMaxFile = uint64_t(256) << 20;

using Digest = std::array<uint8_t, 32>;

// The digest that ends a file (BLAKE3, 256 bits: SHA-256 here costs four times as much), over
// every byte before it; the one place naming the hash.
Digest content_hash(std::string_view bytes) { return blake3(bytes); }

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

    bool at_end() const { return at_ == bytes_.size(); }

private:
    std::string_view bytes_;
    size_t at_ = 0;
};

// A file name in the cache directory no other writer (thread or process) uses at the same time.
std::string temporary_name() {
    static std::atomic<uint64_t> counter{0};
    return ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
}

// Records why in *out (when given) and returns nothing, for parse's rejections.
std::optional<CachedObject> reject(std::string* out, const char* why) {
    if (out) *out = why;
    return std::nullopt;
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
    std::string why;
    dir_fd_ = open_private_dir(dir_, why);
    if (dir_fd_ < 0) fail(ErrorCode::INVALID_ARGUMENT, "the JIT cache directory is not used: " + why);
}

ObjectCache::~ObjectCache() { ::close(dir_fd_); }

std::string ObjectCache::name_of(const std::string& key) const {
    uint64_t h = blake3_64(environment_ + '\0' + key);
    char name[24];
    std::snprintf(name, sizeof name, "%016llx", static_cast<unsigned long long>(h));
    return std::string(name) + ".jstub";
}

std::string ObjectCache::path_of(const std::string& key) const { return dir_ + "/" + name_of(key); }

std::string ObjectCache::encode(const std::string& environment, const std::vector<std::string>& keys,
                                std::string_view object) {
    std::string bytes(kMagic, sizeof kMagic);
    put_string(bytes, environment);
    put(bytes, static_cast<uint64_t>(keys.size()));
    for (const std::string& k : keys) put_string(bytes, k);
    put_string(bytes, object);
    return seal(bytes);
}

std::string ObjectCache::seal(std::string_view body) {
    Digest digest = content_hash(body);
    std::string bytes(body);
    bytes.append(reinterpret_cast<const char*>(digest.data()), digest.size());
    return bytes;
}

std::optional<CachedObject> ObjectCache::parse(std::string_view bytes, const std::string& environment,
                                               const std::string& key, std::string* why) {
    if (bytes.size() > kMaxFile) return reject(why, "it is larger than any cache file");
    if (bytes.size() < sizeof kMagic + sizeof(Digest) ||
        bytes.substr(0, sizeof kMagic) != std::string_view(kMagic, sizeof kMagic))
        return reject(why, "it is not a JIT cache file of this version");
    // The digest covers everything before it and is checked before any field is read: a
    // torn or altered file is never trusted.
    std::string_view body = bytes.substr(0, bytes.size() - sizeof(Digest));
    Digest digest = content_hash(body);
    if (std::memcmp(digest.data(), bytes.data() + body.size(), digest.size()) != 0)
        return reject(why, "its BLAKE3 digest does not match its content (truncated or altered)");
    Reader in(body.substr(sizeof kMagic));
    std::string file_environment;
    uint64_t count = 0;
    if (!in.get_string(file_environment) || !in.get(count)) return reject(why, "its header is malformed");
    if (file_environment != environment) return reject(why, "it was compiled for another environment");
    CachedObject out;
    std::memcpy(&out.id, digest.data(), sizeof out.id);
    bool found = false;
    // Each key takes at least its length's 8 bytes, so count is bounded by the file's size.
    for (uint64_t i = 0; i < count; ++i) {
        std::string k;
        if (!in.get_string(k)) return reject(why, "its key list is malformed");
        found = found || k == key;
        out.keys.push_back(std::move(k));
    }
    if (!in.get_string(out.object) || !in.at_end() || out.object.empty())
        return reject(why, "its object is malformed");
    if (!found) return reject(why, "it does not hold the stub it is named for");
    return out;
}

std::optional<CachedObject> ObjectCache::find(const std::string& key) const {
    std::string name = name_of(key);
    std::string bytes, why;
    FileRead read = read_private_file_at(dir_fd_, name, kMaxFile, bytes, &why);
    if (read == FileRead::Missing) return std::nullopt;
    if (read != FileRead::Ok) {
        log_once("cache", "JIT cache '" + dir_ + "': ignoring " + why);
        return std::nullopt;
    }
    std::optional<CachedObject> out = parse(bytes, environment_, key, &why);
    if (!out) {
        log_once("cache", "JIT cache '" + dir_ + "': ignoring '" + name + "': " + why);
        return std::nullopt;
    }
    // A hit makes the file recently used, so trimming removes it last.
    ::utimensat(dir_fd_, name.c_str(), nullptr, AT_SYMLINK_NOFOLLOW);
    return out;
}

bool ObjectCache::write_new(const std::string& name, std::string_view bytes) const {
    int fd = ::openat(dir_fd_, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return false;
    size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += static_cast<size_t>(n);
    }
    bool ok = ::close(fd) == 0 && done == bytes.size();
    if (!ok) ::unlinkat(dir_fd_, name.c_str(), 0);
    return ok;
}

void ObjectCache::store(const std::vector<std::string>& keys, std::string_view object) const {
    if (keys.empty()) return;
    std::string bytes = encode(environment_, keys, object);
    std::string tmp = temporary_name();
    if (!write_new(tmp, bytes)) return;
    for (const std::string& k : keys) {
        // Each key's name is replaced atomically by a new link to the one written file
        // (rename replaces a planted symbolic link itself, never its target); where hard
        // links are not supported, by a copy written the same way.
        std::string link = temporary_name();
        if (::linkat(dir_fd_, tmp.c_str(), dir_fd_, link.c_str(), 0) != 0 && !write_new(link, bytes)) continue;
        if (::renameat(dir_fd_, link.c_str(), dir_fd_, name_of(k).c_str()) != 0)
            ::unlinkat(dir_fd_, link.c_str(), 0);
    }
    ::unlinkat(dir_fd_, tmp.c_str(), 0);
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
    std::string name;
    ino_t inode;
    uint64_t size;
    struct timespec mtime;
};

// The stub files (*.jstub, regular files, links not followed) of the open directory dir_fd.
std::vector<StubFile> list_stub_files(int dir_fd) {
    std::vector<StubFile> out;
    // A descriptor of its own: readdir moves the offset it shares with its duplicates.
    int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return out;
    DIR* d = ::fdopendir(fd);
    if (!d) {
        ::close(fd);
        return out;
    }
    while (struct dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name.size() < 7 || name.compare(name.size() - 6, 6, ".jstub") != 0) continue;
        struct stat st {};
        if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) continue;
        out.push_back({name, st.st_ino, static_cast<uint64_t>(st.st_size), st.st_mtim});
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

uint64_t ObjectCache::disk_bytes() const { return unique_bytes(list_stub_files(dir_fd_)); }

void ObjectCache::trim() const {
    std::vector<StubFile> files = list_stub_files(dir_fd_);
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
        if (::unlinkat(dir_fd_, f.name.c_str(), 0) != 0) continue;
        if (--names[f.inode] == 0) total -= f.size;
    }
}

}  // namespace jiffi::detail

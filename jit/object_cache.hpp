// The on-disk cache of compiled stub objects: one file name per stub key, files shared by hard links.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jiffi::detail {

// One cached object file: the native object of a module and the spec keys of its stubs.
struct CachedObject {
    uint64_t id = 0;                // the start of the file's digest: equal ids, the same object
    std::vector<std::string> keys;  // stub i of the object (symbol "s<i>") is keys[i]'s
    std::string object;             // the relocatable object file's bytes
};

// A directory of stub objects for one compilation environment (stub format, LLVM version,
// target, CPU and features). The object of a module is written once and hard-linked under
// the name of each of its stubs' keys, so any later batch finds each stub by its own key,
// whatever batch it was compiled in. The directory is trusted only when it is owned by the
// effective user and not writable by group or others (it is created 0700), and so is each
// file (written 0600 with O_CREAT|O_EXCL|O_NOFOLLOW under a temporary name, then linked and
// renamed into place); the directory is opened once and every file reached through that
// descriptor. A file that is untrusted, a symbolic link, truncated, altered (its BLAKE3
// digest over header and code differs), or from another environment or key is ignored (named once
// in JIFFI_LOG=cache) and its stub compiled as if it were absent. The directory holds at
// most one file name per stub key and environment; a file's space is freed when its last
// name is replaced. The directory is kept under max_bytes: when a store takes it over, the
// least recently used stub files (by modification time, refreshed on every hit) are removed
// until it is under three quarters of it. Thread-safe. See docs/security.md.
class ObjectCache {
public:
    // The default bound: $JIFFI_JIT_CACHE_MAX_MB megabytes when set, else 256 MB.
    static uint64_t default_max_bytes();

    // A cache in dir (created 0700 if missing) for objects compiled in environment; throws
    // Error(INVALID_ARGUMENT) naming dir when it cannot be made, is not a directory, is not
    // the effective user's or is writable by group or others.
    ObjectCache(std::string dir, std::string environment, uint64_t max_bytes = default_max_bytes());
    ~ObjectCache();
    ObjectCache(const ObjectCache&) = delete;
    ObjectCache& operator=(const ObjectCache&) = delete;

    // The bytes of a cache file holding object, whose stub i is keys[i]'s, for environment.
    static std::string encode(const std::string& environment, const std::vector<std::string>& keys,
                              std::string_view object);

    // The bytes of a cache file whose content before the digest is body: body and its
    // digest (the fuzzer seals mutated content with it to reach the fields behind the digest).
    static std::string seal(std::string_view body);

    // The object a cache file's bytes hold when they are a whole, unaltered file of this
    // format for environment whose keys include key; else nothing, with the reason in why
    // when given. A pure function of its arguments, for the fuzzer.
    static std::optional<CachedObject> parse(std::string_view bytes, const std::string& environment,
                                             const std::string& key, std::string* why = nullptr);

    // The cached object holding key's stub, or nothing (missing, untrusted or invalid file).
    std::optional<CachedObject> find(const std::string& key) const;

    // Stores object, whose stub i is keys[i]'s, under each key; failures are ignored (a
    // cache that cannot be written only costs recompilation).
    void store(const std::vector<std::string>& keys, std::string_view object) const;

    // The path of key's file.
    std::string path_of(const std::string& key) const;

    const std::string& dir() const { return dir_; }

    // Bytes the directory's stub files hold (each file counted once, however many names).
    uint64_t disk_bytes() const;

private:
    // The name of key's file in the directory.
    std::string name_of(const std::string& key) const;
    // Writes bytes to the new file name in the directory (0600, never through a link);
    // false (and no file) on failure.
    bool write_new(const std::string& name, std::string_view bytes) const;
    // Removes least recently used files until the directory is under 3/4 of max_bytes_.
    void trim() const;

    std::string dir_;
    std::string environment_;
    uint64_t max_bytes_;
    int dir_fd_ = -1;  // the directory, checked when opened; every file is reached through it
    mutable std::atomic<uint64_t> written_{0};  // bytes stored since the last trim check
};

}  // namespace jiffi::detail

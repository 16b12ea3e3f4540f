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
    uint64_t id = 0;                // the file's checksum: equal ids, the same object
    std::vector<std::string> keys;  // stub i of the object (symbol "s<i>") is keys[i]'s
    std::string object;             // the relocatable object file's bytes
};

// A directory of stub objects for one compilation environment (stub format, LLVM version,
// target, CPU and features). The object of a module is written once and hard-linked under
// the name of each of its stubs' keys, so any later batch finds each stub by its own key,
// whatever batch it was compiled in. A file is replaced atomically (written under a
// temporary name, then renamed); a file that is truncated, corrupt or from another
// environment is ignored. The directory holds at most one file name per stub key and
// environment; a file's space is freed when its last name is replaced. The directory is
// kept under max_bytes: when a store takes it over, the least recently used stub files
// (by modification time, refreshed on every hit) are removed until it is under three
// quarters of it. Thread-safe.
class ObjectCache {
public:
    // The default bound: $JIFFI_JIT_CACHE_MAX_MB megabytes when set, else 256 MB.
    static uint64_t default_max_bytes();

    // A cache in dir (created if missing) for objects compiled in environment; throws
    // Error(INVALID_ARGUMENT) when dir cannot be made or is not a directory.
    ObjectCache(std::string dir, std::string environment, uint64_t max_bytes = default_max_bytes());

    // The cached object holding key's stub, or nothing (missing or invalid file).
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
    // Removes least recently used files until the directory is under 3/4 of max_bytes_.
    void trim() const;

    std::string dir_;
    std::string environment_;
    uint64_t max_bytes_;
    mutable std::atomic<uint64_t> written_{0};  // bytes stored since the last trim check
};

}  // namespace jiffi::detail

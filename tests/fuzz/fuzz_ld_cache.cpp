// libFuzzer target: the ld.so.cache reader of runtime/library.cpp (old, new and compat formats)
// and the lookups made over what it read.
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "base/secure_io.hpp"
#include "runtime/library.hpp"

namespace {

// The file the input is written to, made once per process in $TMPDIR (or /tmp) and removed at exit.
const std::string& cache_file() {
    static const std::string path = [] {
        const char* dir = jiffi::detail::env_get("TMPDIR");
        std::string templ = std::string(dir && *dir ? dir : "/tmp") + "/jiffi-fuzz-ldcache-XXXXXX";
        int fd = mkstemp(templ.data());
        if (fd < 0) {
            std::perror("mkstemp");
            std::abort();
        }
        close(fd);
        std::atexit([] { unlink(cache_file().c_str()); });
        return templ;
    }();
    return path;
}

// Replaces the cache file's contents with the size bytes at data.
void write_cache(const uint8_t* data, size_t size) {
    int fd = open(cache_file().c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0) {
        std::perror("open");
        std::abort();
    }
    for (size_t done = 0; done < size;) {
        ssize_t n = write(fd, data + done, size - done);
        if (n <= 0) {
            std::perror("write");
            std::abort();
        }
        done += static_cast<size_t>(n);
    }
    close(fd);
}

}  // namespace

// Writes the input as an ld.so.cache file, reads its entries (each must have a soname and a
// path) and looks up library names the way the loader does (exact soname, versions, plain).
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    write_cache(data, size);
    for (const jiffi::detail::LdCacheEntry& entry : jiffi::detail::read_ld_cache(cache_file())) {
        if (entry.soname.empty() || entry.path.empty()) {
            std::fprintf(stderr, "read_ld_cache gave an entry without a soname or path\n");
            std::abort();
        }
    }
    for (const char* name : {"c", "libz.so.1", "m", "libssl", "ffi", "libc.so.6"})
        jiffi::detail::ld_cache_lookup(name, cache_file());
    return 0;
}

// Environment variables, private directories and private files read as hostile input.
#include "base/secure_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>

namespace jiffi::detail {

const char* env_get(const char* name) noexcept { return ::secure_getenv(name); }

bool env_on(const char* var) noexcept {
    const char* v = env_get(var);
    return v && *v && std::strcmp(v, "0") != 0;
}

bool env_lists(const char* var, std::string_view item) noexcept {
    const char* v = env_get(var);
    if (!v) return false;
    std::string_view rest(v);
    while (true) {
        size_t comma = rest.find(',');
        std::string_view word = rest.substr(0, comma);
        if (word == item || word == "all") return true;
        if (comma == std::string_view::npos) return false;
        rest.remove_prefix(comma + 1);
    }
}

namespace {

// Why a file or directory with status st, named by what, is not the effective user's own.
std::optional<std::string> ownership_problem(const struct stat& st, const std::string& what) {
    if (st.st_uid != ::geteuid())
        return what + " is owned by uid " + std::to_string(st.st_uid) + ", not by this process's uid " +
               std::to_string(::geteuid());
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        return what + " is writable by group or others (mode " + mode + ")";
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string> untrusted_dir_reason(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        return "directory '" + path + "' cannot be used: " + std::strerror(errno);
    if (!S_ISDIR(st.st_mode)) return "'" + path + "' is not a directory";
    return ownership_problem(st, "directory '" + path + "'");
}

std::optional<std::string> make_private_dir(const std::string& dir) {
    if (dir.empty()) return std::string("the cache directory is an empty path");
    // Each missing component is made 0700; existing ones are left as they are.
    for (size_t p = 1; p <= dir.size(); ++p) {
        if (p != dir.size() && dir[p] != '/') continue;
        std::string part = dir.substr(0, p);
        if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST && p == dir.size())
            return "directory '" + dir + "' cannot be created: " + std::strerror(errno);
    }
    return untrusted_dir_reason(dir);
}

FileRead read_private_file(const std::string& path, size_t max_bytes, std::string& out,
                           std::string* why) {
    return read_private_file_at(AT_FDCWD, path, max_bytes, out, why);
}

FileRead read_private_file_at(int dir_fd, const std::string& path, size_t max_bytes, std::string& out,
                              std::string* why) {
    auto said = [&](FileRead r, std::string text) {
        if (why) *why = std::move(text);
        return r;
    };
    int fd = ::openat(dir_fd, path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return said(FileRead::Missing, "'" + path + "' does not exist");
        if (errno == ELOOP) return said(FileRead::Untrusted, "'" + path + "' is a symbolic link");
        return said(FileRead::Failed, "'" + path + "' cannot be opened: " + std::strerror(errno));
    }
    struct stat st {};
    FileRead result = FileRead::Ok;
    std::string reason;
    if (::fstat(fd, &st) != 0) {
        result = FileRead::Failed;
        reason = "'" + path + "' cannot be examined: " + std::strerror(errno);
    } else if (!S_ISREG(st.st_mode)) {
        result = FileRead::Untrusted;
        reason = "'" + path + "' is not a regular file";
    } else if (auto problem = ownership_problem(st, "file '" + path + "'")) {
        result = FileRead::Untrusted;
        reason = *problem;
    } else if (static_cast<uint64_t>(st.st_size) > max_bytes) {
        result = FileRead::TooLarge;
        reason = "'" + path + "' has " + std::to_string(st.st_size) + " bytes, more than the " +
                 std::to_string(max_bytes) + " allowed";
    } else {
        // The file may grow while it is read: one byte past the bound is read to notice.
        out.assign(static_cast<size_t>(st.st_size) + 1, '\0');
        size_t done = 0;
        while (done < out.size()) {
            ssize_t n = ::read(fd, out.data() + done, out.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            done += static_cast<size_t>(n);
        }
        if (done > static_cast<size_t>(st.st_size)) {
            result = FileRead::Failed;
            reason = "'" + path + "' changed while it was read";
        }
        out.resize(done);
    }
    ::close(fd);
    if (result != FileRead::Ok) {
        out.clear();
        return said(result, reason);
    }
    return FileRead::Ok;
}

int open_private_dir(const std::string& dir, std::string& why) {
    if (std::optional<std::string> problem = make_private_dir(dir)) {
        why = *problem;
        return -1;
    }
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        why = "directory '" + dir + "' cannot be opened: " + std::strerror(errno);
        return -1;
    }
    // The path was checked before it was opened: the opened directory is checked again.
    struct stat st {};
    std::optional<std::string> problem;
    if (::fstat(fd, &st) != 0)
        problem = "directory '" + dir + "' cannot be examined: " + std::strerror(errno);
    else if (!S_ISDIR(st.st_mode))
        problem = "'" + dir + "' is not a directory";
    else
        problem = ownership_problem(st, "directory '" + dir + "'");
    if (problem) {
        ::close(fd);
        why = *problem;
        return -1;
    }
    return fd;
}

std::string temporary_name_beside(const std::string& path) {
    static std::atomic<uint64_t> counter{0};
    size_t slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? std::string(".") : path.substr(0, slash);
    return dir + "/.tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
}

bool write_private_file(const std::string& path, std::string_view bytes) {
    std::string tmp = temporary_name_beside(path);
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return false;
    size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += static_cast<size_t>(n);
    }
    bool ok = ::close(fd) == 0 && done == bytes.size() && ::rename(tmp.c_str(), path.c_str()) == 0;
    if (!ok) ::unlink(tmp.c_str());
    return ok;
}

namespace {

// Guards log_once's set of lines printed.
std::mutex log_mu;

}  // namespace

void log_once(std::string_view category, const std::string& line) {
    if (!env_lists("JIFFI_LOG", category)) return;
    std::lock_guard<std::mutex> lock(log_mu);
    static std::set<std::string>* seen = new std::set<std::string>();  // lives past exit
    if (!seen->insert(line).second) return;
    std::fprintf(stderr, "jiffi: %s\n", line.c_str());
}

void log_fork_prepare() noexcept { log_mu.lock(); }

void log_fork_release() noexcept { log_mu.unlock(); }

}  // namespace jiffi::detail

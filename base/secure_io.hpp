// Reading what is outside the user's control: environment variables, cache directories and
// cache files, each trusted only under the rules of docs/security.md.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace jiffi::detail {

// The value of an environment variable, or nullptr when it is unset or the process runs
// setuid or setgid (secure_getenv): a privileged process never honours JIFFI_*, HOME, ...
const char* env_get(const char* name) noexcept;

// True when env_get(var) is set to something other than "" or "0".
bool env_on(const char* var) noexcept;

// True when the comma-separated list in env_get(var) names item or "all".
bool env_lists(const char* var, std::string_view item) noexcept;

// Why the directory at path may not hold trusted files: it is missing, not a directory
// (a symbolic link counts as one only when its target is), not owned by the effective
// user, or writable by group or others; nullopt when it is fit.
std::optional<std::string> untrusted_dir_reason(const std::string& path);

// Makes dir (and its missing parents) with mode 0700 where missing, then checks it with
// untrusted_dir_reason; nullopt when dir is fit for a private cache, else the reason.
std::optional<std::string> make_private_dir(const std::string& dir);

// What read_private_file found.
enum class FileRead { Ok, Missing, Untrusted, TooLarge, Failed };

// Reads the whole file at path into out, only when it is a regular file (opened without
// following a final symbolic link and without blocking on a FIFO), owned by the effective
// user, not writable by group or others, and at most max_bytes long. why, when given,
// receives the reason of any result but Ok.
FileRead read_private_file(const std::string& path, size_t max_bytes, std::string& out,
                           std::string* why = nullptr);

// read_private_file for the file name relative to the open directory dir_fd (AT_FDCWD: the
// working directory), so a directory checked once cannot be swapped for another under it.
FileRead read_private_file_at(int dir_fd, const std::string& name, size_t max_bytes, std::string& out,
                              std::string* why = nullptr);

// Makes dir as make_private_dir does, then opens it and checks the opened directory itself
// (owner, mode), so later *at() calls on the descriptor reach the directory that was checked.
// Returns the descriptor (O_CLOEXEC, the caller closes it), or -1 with the reason in why.
int open_private_dir(const std::string& dir, std::string& why);

// Writes bytes as the file at path: into a new temporary file beside it (O_CREAT|O_EXCL|
// O_NOFOLLOW, mode 0600), then renamed into place, so readers see the old file or the
// whole new one and a planted symbolic link is never followed. False (and nothing left
// behind) on failure.
bool write_private_file(const std::string& path, std::string_view bytes);

// A name beside path that no other writer (thread or process) uses at the same time.
std::string temporary_name_beside(const std::string& path);

// Prints "jiffi: <line>" to stderr when JIFFI_LOG lists category (or "all"), once per
// distinct line per process, so a bad cache file is named once, not at every lookup.
void log_once(std::string_view category, const std::string& line);
// Before fork(): takes log_once's lock (a leaf: nothing is taken under it).
void log_fork_prepare() noexcept;
// After fork(): releases it (in the parent and the child alike).
void log_fork_release() noexcept;

}  // namespace jiffi::detail

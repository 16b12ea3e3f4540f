// Loading jiffi's plugins (the JIT, the layout discoverer): only from places the user or the
// installation controls, never from the current directory or a build path.
#pragma once

#include <string>
#include <vector>

namespace jiffi::detail {

// A plugin loaded by load_plugin: its dlopen handle (never closed) and absolute path.
struct LoadedPlugin {
    void* handle = nullptr;
    std::string path;
};

// The places a plugin file (e.g. "libjiffi-jit.so") is looked for, in order, each absolute:
// $env_var alone when it is set and not empty (read by secure_getenv); else beside the running
// jiffi library (or, linked statically, beside the program), in a "jiffi" directory there, and
// in the installed private library directory. An env_var naming a relative path gives no
// place, and says so in skipped; so do places that cannot be known.
std::vector<std::string> plugin_paths(const char* file, const char* env_var, std::string& skipped);

// Loads the first of plugin_paths that dlopen accepts and that defines symbol. On failure the
// handle is null and why names every place tried and what went wrong there.
LoadedPlugin load_plugin(const char* file, const char* env_var, const char* symbol, std::string& why);

}  // namespace jiffi::detail

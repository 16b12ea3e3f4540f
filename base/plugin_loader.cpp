// Plugin search and loading (docs/security.md "Plugins").
#include "base/plugin_loader.hpp"

#include <dlfcn.h>
#include <link.h>
#include <unistd.h>

#include "base/secure_io.hpp"

#ifndef JIFFI_PLUGIN_INSTALL_DIR
#define JIFFI_PLUGIN_INSTALL_DIR ""
#endif

namespace jiffi::detail {

namespace {

// The path of the object holding this code: the shared libjiffi.so as the dynamic loader
// mapped it, or for the main program (a static embedder) the kernel's /proc/self/exe, never
// argv[0]; "" when unknown.
std::string running_image_path() {
    Dl_info info{};
    struct link_map* map = nullptr;
    if (!::dladdr1(reinterpret_cast<void*>(&running_image_path), &info, reinterpret_cast<void**>(&map),
                   RTLD_DL_LINKMAP) ||
        !map)
        return "";
    if (map->l_name && map->l_name[0]) return map->l_name;
    char buf[4096];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, size_t(n)) : std::string();
}

}  // namespace

std::vector<std::string> plugin_paths(const char* file, const char* env_var, std::string& skipped) {
    if (const char* e = env_get(env_var); e && *e) {
        if (e[0] == '/') return {e};
        skipped += "\n  (" + std::string(env_var) + "='" + e + "' is not an absolute path; plugins are loaded only from one)";
        return {};
    }
    std::vector<std::string> paths;
    std::string self = running_image_path();
    if (self.empty()) {
        skipped += "\n  (beside the jiffi library: its path is unknown)";
    } else if (self[0] != '/') {
        skipped += "\n  (beside the jiffi library: its path '" + self + "' is not absolute)";
    } else {
        std::string dir = self.substr(0, self.rfind('/'));
        paths.push_back(dir + "/" + file);
        paths.push_back(dir + "/jiffi/" + file);
    }
    std::string installed = JIFFI_PLUGIN_INSTALL_DIR;
    if (!installed.empty() && installed[0] == '/') {
        std::string p = installed + "/" + file;
        bool seen = false;
        for (const std::string& q : paths) seen = seen || q == p;
        if (!seen) paths.push_back(p);
    }
    return paths;
}

LoadedPlugin load_plugin(const char* file, const char* env_var, const char* symbol, std::string& why) {
    std::string tried;
    for (const std::string& path : plugin_paths(file, env_var, tried)) {
        void* h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
        if (!h) {
            const char* e = ::dlerror();
            std::string what = e ? e : "cannot load";
            tried += "\n  " + (what.rfind(path, 0) == 0 ? what : path + ": " + what);
            continue;
        }
        if (!::dlsym(h, symbol)) {
            tried += "\n  " + path + ": no " + symbol + " in it";
            ::dlclose(h);
            continue;
        }
        return LoadedPlugin{h, path};
    }
    why = "tried:" + (tried.empty() ? std::string("\n  (nowhere)") : tried);
    return LoadedPlugin{};
}

}  // namespace jiffi::detail

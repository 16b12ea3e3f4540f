// Maps a cached stub object (a relocatable ELF file the JIT plugin wrote) into this process
// without LLVM: its code into read+execute pages, its unwind tables registered
// (docs/design.md "Cached stubs without LLVM").
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jiffi/jiffi.h"

namespace jiffi::detail {

// The code of one mapped object; unmapped (and its unwind tables deregistered) when it goes.
class LoadedObject {
public:
    LoadedObject();
    ~LoadedObject();
    LoadedObject(const LoadedObject&) = delete;
    LoadedObject& operator=(const LoadedObject&) = delete;

    // The stubs "s0".."s<count-1>" of the object, by index.
    const std::vector<jiffi_invoker>& code() const { return code_; }

private:
    friend class ObjectLoader;
    void* base_ = nullptr;
    size_t size_ = 0;
    void* eh_frame_ = nullptr;  // registered with the unwinder, or null
    std::vector<jiffi_invoker> code_;
};

class ObjectLoader {
public:
    // True when this host's objects can be mapped here (x86-64 ELF).
    static bool supported();
    // Maps elf (a relocatable object of this host's machine whose stubs are named "s0"..
    // "s<count-1>"), resolving undefined symbols in the process. Null, with the reason in
    // why, when elf is malformed, needs what this loader does not do (a relocation type it
    // does not know, a symbol the process lacks), or cannot be mapped. Every offset, index
    // and size is checked against the bytes, so a damaged object is refused, not followed.
    static std::unique_ptr<LoadedObject> load(std::string_view elf, size_t count, std::string& why);
    // The objects mapped and not yet unmapped.
    static uint64_t live() noexcept;
};

}  // namespace jiffi::detail

// Reads the initialized bytes of data symbols from relocatable ELF64 and Mach-O 64 objects.
#include "object_reader.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace jiffi::detail::test {

namespace {

// Bounds-checked little-endian reads from a file image.
class Image {
public:
    explicit Image(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {}

    // The unsigned little-endian integer of n bytes at offset.
    uint64_t u(uint64_t offset, unsigned n) const {
        need(offset, n);
        uint64_t v = 0;
        for (unsigned i = 0; i < n; ++i) v |= uint64_t(bytes_[offset + i]) << (8 * i);
        return v;
    }
    // The NUL-terminated string at offset.
    std::string str(uint64_t offset) const {
        need(offset, 1);
        const char* p = reinterpret_cast<const char*>(bytes_.data() + offset);
        return std::string(p, strnlen(p, bytes_.size() - offset));
    }
    // n bytes at offset.
    std::vector<uint8_t> slice(uint64_t offset, uint64_t n) const {
        need(offset, n);
        return std::vector<uint8_t>(bytes_.begin() + offset, bytes_.begin() + offset + n);
    }

private:
    // Throws unless [offset, offset + n) lies in the file.
    void need(uint64_t offset, uint64_t n) const {
        if (offset > bytes_.size() || n > bytes_.size() - offset)
            throw std::runtime_error("object file truncated");
    }
    std::vector<uint8_t> bytes_;
};

// ELF64: section headers, then the symbols of SHT_SYMTAB with their st_size.
std::map<std::string, std::vector<uint8_t>> read_elf(const Image& f) {
    constexpr uint32_t kSymtab = 2, kNobits = 8;
    uint64_t shoff = f.u(0x28, 8), shentsize = f.u(0x3A, 2), shnum = f.u(0x3C, 2);
    auto sh = [&](uint64_t i, uint64_t field, unsigned n) { return f.u(shoff + i * shentsize + field, n); };
    std::map<std::string, std::vector<uint8_t>> out;
    for (uint64_t s = 0; s < shnum; ++s) {
        if (sh(s, 4, 4) != kSymtab) continue;
        uint64_t symoff = sh(s, 0x18, 8), symsize = sh(s, 0x20, 8), entsize = sh(s, 0x38, 8);
        uint64_t stroff = sh(sh(s, 0x28, 4), 0x18, 8);
        for (uint64_t k = 0; entsize && k < symsize / entsize; ++k) {
            uint64_t e = symoff + k * entsize;
            uint64_t shndx = f.u(e + 6, 2), value = f.u(e + 8, 8), size = f.u(e + 16, 8);
            if (shndx == 0 || shndx >= shnum) continue;  // undefined, absolute or common
            std::string name = f.str(stroff + f.u(e, 4));
            if (name.empty()) continue;
            if (sh(shndx, 4, 4) == kNobits)
                out[name] = std::vector<uint8_t>(size, 0);
            else
                out[name] = f.slice(sh(shndx, 0x18, 8) + value, size);
        }
    }
    return out;
}

// Mach-O 64: LC_SEGMENT_64 sections and LC_SYMTAB nlist_64 entries.
std::map<std::string, std::vector<uint8_t>> read_macho(const Image& f) {
    constexpr uint32_t kSegment64 = 0x19, kSymtabCmd = 0x2, kZerofill = 1, kNSect = 0xe;
    struct Section { uint64_t addr, size, offset; bool zerofill; };
    std::vector<Section> sections;
    uint64_t ncmds = f.u(16, 4), at = 32, symoff = 0, nsyms = 0, stroff = 0;
    for (uint64_t c = 0; c < ncmds; ++c) {
        uint64_t cmd = f.u(at, 4), size = f.u(at + 4, 4);
        if (cmd == kSegment64) {
            uint64_t nsects = f.u(at + 64, 4);
            for (uint64_t k = 0; k < nsects; ++k) {
                uint64_t sec = at + 72 + k * 80;
                sections.push_back({f.u(sec + 32, 8), f.u(sec + 40, 8), f.u(sec + 48, 4),
                                    (f.u(sec + 64, 4) & 0xff) == kZerofill});
            }
        } else if (cmd == kSymtabCmd) {
            symoff = f.u(at + 8, 4);
            nsyms = f.u(at + 12, 4);
            stroff = f.u(at + 16, 4);
        }
        at += size;
    }
    struct Sym { std::string name; uint64_t sect, value; };
    std::vector<Sym> syms;
    for (uint64_t k = 0; k < nsyms; ++k) {
        uint64_t e = symoff + k * 16;
        uint64_t type = f.u(e + 4, 1), sect = f.u(e + 5, 1);
        if ((type & 0xe) != kNSect || sect == 0 || sect > sections.size()) continue;
        std::string name = f.str(stroff + f.u(e, 4));
        if (!name.empty() && name[0] == '_') name.erase(0, 1);
        syms.push_back({name, sect - 1, f.u(e + 8, 8)});
    }
    std::map<std::string, std::vector<uint8_t>> out;
    for (const Sym& s : syms) {
        const Section& sec = sections[s.sect];
        uint64_t end = sec.addr + sec.size;
        for (const Sym& o : syms)
            if (o.sect == s.sect && o.value > s.value) end = std::min(end, o.value);
        uint64_t n = end - s.value;
        out[s.name] = sec.zerofill ? std::vector<uint8_t>(n, 0)
                                   : f.slice(sec.offset + (s.value - sec.addr), n);
    }
    return out;
}

}  // namespace

std::map<std::string, std::vector<uint8_t>> read_object_symbols(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path);
    Image f(std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {}));
    if (f.u(0, 4) == 0x464c457f && f.u(4, 1) == 2 && f.u(5, 1) == 1) return read_elf(f);
    if (f.u(0, 4) == 0xfeedfacf) return read_macho(f);
    throw std::runtime_error(path + " is neither a little-endian ELF64 nor a Mach-O 64 object");
}

}  // namespace jiffi::detail::test

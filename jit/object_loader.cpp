// A loader of relocatable x86-64 ELF objects for cached stubs: sections laid out in one
// mapping (code first, then data, the GOT and the unwind tables), relocated while writable,
// then made read+execute and read-only; no page is ever writable and executable.
#include "jit/object_loader.hpp"

#include <dlfcn.h>
#include <elf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>

extern "C" void __register_frame(void*);
extern "C" void __deregister_frame(void*);

namespace jiffi::detail {

namespace {
std::atomic<uint64_t> live_objects{0};
}  // namespace

LoadedObject::LoadedObject() { live_objects.fetch_add(1, std::memory_order_relaxed); }

LoadedObject::~LoadedObject() {
    if (eh_frame_) __deregister_frame(eh_frame_);
    if (base_) ::munmap(base_, size_);
    live_objects.fetch_sub(1, std::memory_order_relaxed);
}

uint64_t ObjectLoader::live() noexcept { return live_objects.load(std::memory_order_relaxed); }

bool ObjectLoader::supported() {
#if defined(__x86_64__) && defined(__linux__)
    return true;
#else
    return false;
#endif
}

#if defined(__x86_64__) && defined(__linux__)

namespace {

// Thrown inside the loader with the reason; load() turns it into its result.
struct Refused {
    std::string why;
};

[[noreturn]] void refuse(const std::string& why) { throw Refused{why}; }

// The object's bytes, read only within bounds.
class Bytes {
public:
    explicit Bytes(std::string_view b) : b_(b) {}
    // A pointer to n bytes at offset off, or a refusal naming what.
    const unsigned char* at(uint64_t off, uint64_t n, const char* what) const {
        if (off > b_.size() || n > b_.size() - off) refuse(std::string(what) + " lies outside the object");
        return reinterpret_cast<const unsigned char*>(b_.data()) + off;
    }
    template <class T>
    T read(uint64_t off, const char* what) const {
        T v;
        std::memcpy(&v, at(off, sizeof(T), what), sizeof(T));
        return v;
    }
    size_t size() const { return b_.size(); }

private:
    std::string_view b_;
};

constexpr uint64_t kMaxAlign = 4096;
// Stub objects are a few kilobytes; a module of thousands of stubs stays far below this.
constexpr uint64_t kMaxSections = uint64_t(64) << 20;
// Why an object whose sections together pass kMaxSections is refused.
constexpr const char* kSectionsTooLarge = "sections too large";

uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

// v's bits read as a signed value (two's complement).
int64_t as_signed(uint64_t v) {
    int64_t r;
    std::memcpy(&r, &v, sizeof r);
    return r;
}

// Stores v at p as a T when it fits T's range (signed or unsigned as T is).
template <class T>
void put(unsigned char* p, int64_t v, const char* what) {
    if (v < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
        (v > 0 && static_cast<uint64_t>(v) > static_cast<uint64_t>(std::numeric_limits<T>::max())))
        refuse(std::string(what) + " relocation out of range");
    T t = static_cast<T>(v);
    std::memcpy(p, &t, sizeof t);
}

// Checks the frame of an unwind table section of n bytes at p before the unwinder is given
// it: entries that fit, ending in the zero terminator, each FDE naming a CIE before it.
void check_eh_frame(const unsigned char* p, uint64_t n) {
    std::vector<uint64_t> cies;
    uint64_t at = 0;
    for (;;) {
        if (n - at < 4) refuse("the unwind table has no terminator");
        uint32_t len;
        std::memcpy(&len, p + at, 4);
        if (len == 0) return;
        if (len == 0xffffffffu) refuse("the unwind table uses 64-bit DWARF");
        if (len < 4 || len > n - at - 4) refuse("an unwind table entry lies outside its section");
        uint32_t id;
        std::memcpy(&id, p + at + 4, 4);
        if (id == 0) {
            cies.push_back(at);
        } else if (id > at + 4 || std::find(cies.begin(), cies.end(), at + 4 - id) == cies.end()) {
            refuse("an unwind table entry names no CIE before it");
        }
        at += 4 + uint64_t(len);
    }
}

}  // namespace

std::unique_ptr<LoadedObject> ObjectLoader::load(std::string_view elf, size_t count, std::string& why) {
    auto out = std::make_unique<LoadedObject>();
    try {
        Bytes b(elf);
        auto eh = b.read<Elf64_Ehdr>(0, "the ELF header");
        if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
            eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_type != ET_REL || eh.e_machine != EM_X86_64)
            refuse("not a relocatable x86-64 ELF object");
        if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 || eh.e_shnum > 4096)
            refuse("malformed section table");
        std::vector<Elf64_Shdr> sh(eh.e_shnum);
        for (size_t i = 0; i < sh.size(); ++i) sh[i] = b.read<Elf64_Shdr>(eh.e_shoff + i * sizeof(Elf64_Shdr), "a section header");

        // The one symbol table and its strings.
        size_t symtab = 0;
        for (size_t i = 1; i < sh.size(); ++i)
            if (sh[i].sh_type == SHT_SYMTAB) {
                if (symtab) refuse("two symbol tables");
                symtab = i;
            }
        if (!symtab || sh[symtab].sh_entsize != sizeof(Elf64_Sym) || sh[symtab].sh_link >= sh.size())
            refuse("no usable symbol table");
        const Elf64_Shdr& strtab = sh[sh[symtab].sh_link];
        b.at(strtab.sh_offset, strtab.sh_size, "the string table");
        b.at(sh[symtab].sh_offset, sh[symtab].sh_size, "the symbol table");  // before sizing by it
        size_t nsyms = sh[symtab].sh_size / sizeof(Elf64_Sym);
        std::vector<Elf64_Sym> syms(nsyms);
        for (size_t i = 0; i < nsyms; ++i)
            syms[i] = b.read<Elf64_Sym>(sh[symtab].sh_offset + i * sizeof(Elf64_Sym), "a symbol");
        auto name_of = [&](const Elf64_Sym& s) -> std::string {
            if (s.st_name >= strtab.sh_size) refuse("a symbol name lies outside the string table");
            const char* p = reinterpret_cast<const char*>(b.at(strtab.sh_offset, strtab.sh_size, "the string table"));
            size_t n = ::strnlen(p + s.st_name, strtab.sh_size - s.st_name);
            if (n == strtab.sh_size - s.st_name) refuse("an unterminated symbol name");
            return std::string(p + s.st_name, n);
        };

        // Layout: executable sections, then stubs for far externals, then the other
        // allocated sections, the GOT and the unwind tables (zero-terminated).
        std::vector<uint64_t> place(sh.size(), UINT64_MAX);
        // Places section i at the next offset from `at` its alignment allows (its bytes checked
        // to be in the object), and moves `at` past it.
        auto place_section = [&](size_t i, uint64_t& at) {
            uint64_t a = sh[i].sh_addralign ? sh[i].sh_addralign : 1;
            if (a & (a - 1) || a > kMaxAlign) refuse("a section alignment is not a power of two up to 4096");
            if (sh[i].sh_size > kMaxSections) refuse(kSectionsTooLarge);
            if (sh[i].sh_type != SHT_NOBITS) b.at(sh[i].sh_offset, sh[i].sh_size, "a section");
            at = align_up(at, a);
            place[i] = at;
            at += sh[i].sh_size;
        };
        uint64_t exec = 0;
        for (size_t i = 1; i < sh.size(); ++i) {
            if (!(sh[i].sh_flags & SHF_ALLOC) || !(sh[i].sh_flags & SHF_EXECINSTR)) continue;
            place_section(i, exec);
            if (exec > kMaxSections) refuse(kSectionsTooLarge);
        }
        // Undefined symbols referenced by relocations, each with a GOT entry and a far stub.
        std::map<size_t, size_t> externals;  // symbol index -> external number
        std::map<size_t, size_t> got;        // symbol index -> GOT entry number
        for (size_t i = 1; i < sh.size(); ++i) {
            if (sh[i].sh_type == SHT_REL) refuse("REL relocations (without addends) are not produced by the JIT");
            if (sh[i].sh_type != SHT_RELA) continue;
            if (sh[i].sh_entsize != sizeof(Elf64_Rela) || sh[i].sh_link != symtab || sh[i].sh_info >= sh.size())
                refuse("malformed relocation section");
            b.at(sh[i].sh_offset, sh[i].sh_size, "a relocation section");
            for (uint64_t off = 0; off + sizeof(Elf64_Rela) <= sh[i].sh_size; off += sizeof(Elf64_Rela)) {
                auto r = b.read<Elf64_Rela>(sh[i].sh_offset + off, "a relocation");
                size_t s = ELF64_R_SYM(r.r_info);
                if (s >= nsyms) refuse("a relocation names a symbol that does not exist");
                uint32_t type = ELF64_R_TYPE(r.r_info);
                if (syms[s].st_shndx == SHN_UNDEF && s != 0) externals.emplace(s, externals.size());
                if (type == R_X86_64_GOTPCREL || type == R_X86_64_GOTPCRELX || type == R_X86_64_REX_GOTPCRELX)
                    got.emplace(s, got.size());
            }
        }
        // Far stubs jump through GOT entries: every external gets one.
        for (auto& [s, n] : externals) got.emplace(s, got.size());
        constexpr uint64_t kStub = 8;  // jmp *disp32(%rip) and padding
        uint64_t stubs = align_up(exec, 8);
        uint64_t exec_end = stubs + externals.size() * kStub;
        uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
        uint64_t data = align_up(exec_end, page);
        uint64_t at = data;
        size_t eh_frame = 0;
        for (size_t i = 1; i < sh.size(); ++i) {
            if (!(sh[i].sh_flags & SHF_ALLOC) || (sh[i].sh_flags & SHF_EXECINSTR)) continue;
            place_section(i, at);
            if (sh[i].sh_type == SHT_X86_64_UNWIND) {
                if (eh_frame) refuse("two unwind table sections");
                eh_frame = i;
                at += 4;  // the zero terminator the unwinder looks for
            }
            if (at > 2 * kMaxSections) refuse(kSectionsTooLarge);
        }
        uint64_t got_at = align_up(at, 8);
        uint64_t total = align_up(got_at + got.size() * 8, page);
        if (exec == 0) refuse("no code in the object");

        void* mem = ::mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (mem == MAP_FAILED) refuse("cannot map memory for the code");
        out->base_ = mem;
        out->size_ = total;
        auto* base = static_cast<unsigned char*>(mem);
        for (size_t i = 1; i < sh.size(); ++i) {
            if (place[i] == UINT64_MAX || sh[i].sh_type == SHT_NOBITS) continue;
            std::memcpy(base + place[i], b.at(sh[i].sh_offset, sh[i].sh_size, "a section"), sh[i].sh_size);
        }

        // Symbol addresses: defined ones in their sections, the others from the process.
        auto address_of = [&](size_t s) -> uint64_t {
            const Elf64_Sym& sym = syms[s];
            if (sym.st_shndx == SHN_UNDEF) {
                std::string name = name_of(sym);
                void* p = ::dlsym(RTLD_DEFAULT, name.c_str());
                if (!p) refuse("the process has no symbol '" + name + "'");
                return reinterpret_cast<uint64_t>(p);
            }
            if (sym.st_shndx == SHN_ABS) return sym.st_value;
            if (sym.st_shndx >= sh.size() || place[sym.st_shndx] == UINT64_MAX)
                refuse("a symbol lies in a section that is not loaded");
            if (sym.st_value > sh[sym.st_shndx].sh_size) refuse("a symbol lies outside its section");
            return reinterpret_cast<uint64_t>(base + place[sym.st_shndx]) + sym.st_value;
        };
        std::vector<uint64_t> external_address(externals.size());
        for (auto& [s, n] : externals) external_address[n] = address_of(s);
        for (auto& [s, n] : got) {
            uint64_t v = externals.count(s) ? external_address[externals.at(s)] : address_of(s);
            std::memcpy(base + got_at + n * 8, &v, 8);
        }
        for (auto& [s, n] : externals) {
            unsigned char* stub = base + stubs + n * kStub;
            int64_t disp = static_cast<int64_t>(got_at + got.at(s) * 8) - static_cast<int64_t>(stubs + n * kStub + 6);
            stub[0] = 0xff;
            stub[1] = 0x25;  // jmp *disp32(%rip)
            put<int32_t>(stub + 2, disp, "a far stub's");
            stub[6] = 0xcc;
            stub[7] = 0xcc;
        }

        for (size_t i = 1; i < sh.size(); ++i) {
            if (sh[i].sh_type != SHT_RELA || place[sh[i].sh_info] == UINT64_MAX) continue;
            const Elf64_Shdr& target = sh[sh[i].sh_info];
            for (uint64_t off = 0; off + sizeof(Elf64_Rela) <= sh[i].sh_size; off += sizeof(Elf64_Rela)) {
                auto r = b.read<Elf64_Rela>(sh[i].sh_offset + off, "a relocation");
                uint32_t type = ELF64_R_TYPE(r.r_info);
                size_t s = ELF64_R_SYM(r.r_info);
                uint64_t width = type == R_X86_64_64 || type == R_X86_64_PC64 ? 8 : 4;
                if (r.r_offset > target.sh_size || width > target.sh_size - r.r_offset)
                    refuse("a relocation lies outside its section");
                unsigned char* p = base + place[sh[i].sh_info] + r.r_offset;
                // Addresses and addends are added modulo 2^64 (as the relocation types define
                // them); the result is read as signed where a type's range is signed.
                auto pc = reinterpret_cast<uint64_t>(p);
                bool external = s != 0 && syms[s].st_shndx == SHN_UNDEF;
                uint64_t S = s == 0 ? 0 : external ? external_address[externals.at(s)] : address_of(s);
                auto A = static_cast<uint64_t>(r.r_addend);
                switch (type) {
                case R_X86_64_NONE: break;
                case R_X86_64_64: {
                    uint64_t v = S + A;
                    std::memcpy(p, &v, 8);
                    break;
                }
                case R_X86_64_PC64: {
                    uint64_t v = S + A - pc;
                    std::memcpy(p, &v, 8);
                    break;
                }
                case R_X86_64_PC32:
                case R_X86_64_PLT32: {
                    int64_t v = as_signed(S + A - pc);
                    if (external && (v < INT32_MIN || v > INT32_MAX)) {
                        // A call to a function beyond 2 GiB goes through its far stub.
                        auto stub = reinterpret_cast<uint64_t>(base + stubs + externals.at(s) * kStub);
                        v = as_signed(stub + A - pc);
                    }
                    put<int32_t>(p, v, "a PC-relative");
                    break;
                }
                case R_X86_64_32:
                    if (S + A > UINT32_MAX) refuse("an absolute 32-bit relocation out of range");
                    put<uint32_t>(p, as_signed(S + A), "an absolute 32-bit");
                    break;
                case R_X86_64_32S: put<int32_t>(p, as_signed(S + A), "an absolute 32-bit"); break;
                case R_X86_64_GOTPCREL:
                case R_X86_64_GOTPCRELX:
                case R_X86_64_REX_GOTPCRELX: {
                    auto entry = reinterpret_cast<uint64_t>(base + got_at + got.at(s) * 8);
                    put<int32_t>(p, as_signed(entry + A - pc), "a GOT-relative");
                    break;
                }
                default: refuse("relocation type " + std::to_string(type) + " is not supported");
                }
            }
        }

        // The stubs, each a defined function of the object.
        out->code_.assign(count, nullptr);
        for (size_t i = 1; i < nsyms; ++i) {
            const Elf64_Sym& sym = syms[i];
            if (sym.st_shndx == SHN_UNDEF || sym.st_shndx >= sh.size()) continue;
            std::string name = name_of(sym);
            if (name.size() < 2 || name.size() > 10 || name[0] != 's' ||
                name.find_first_not_of("0123456789", 1) != std::string::npos)
                continue;
            unsigned long k = std::stoul(name.substr(1));
            if (k >= count) continue;
            if (!(sh[sym.st_shndx].sh_flags & SHF_EXECINSTR)) refuse("stub '" + name + "' is not in code");
            out->code_[k] = reinterpret_cast<jiffi_invoker>(address_of(i));
        }
        for (size_t k = 0; k < count; ++k)
            if (!out->code_[k]) refuse("the object has no stub 's" + std::to_string(k) + "'");

        if (::mprotect(base, data, PROT_READ | PROT_EXEC) != 0 ||
            (out->size_ > data && ::mprotect(base + data, out->size_ - data, PROT_READ) != 0))
            refuse("cannot protect the mapped code");
        if (eh_frame) {
            check_eh_frame(base + place[eh_frame], sh[eh_frame].sh_size + 4);
            out->eh_frame_ = base + place[eh_frame];
            __register_frame(out->eh_frame_);
        }
        return out;
    } catch (const Refused& r) {
        why = r.why;
        return nullptr;
    }
}

#else

std::unique_ptr<LoadedObject> ObjectLoader::load(std::string_view, size_t, std::string& why) {
    why = "this host's objects are mapped by the JIT plugin only";
    return nullptr;
}

#endif

}  // namespace jiffi::detail

// Ground truth on real headers: every complete record, field, bit-field, enum value and macro
// jiffi-discover dumps from a corpus of installed headers is checked by gcc and clang-19.
//
// Per header, a C file is written from the dump: _Static_asserts on sizeof, _Alignof,
// offsetof (through anonymous members) and enum and integer macro values, and a program that
// probes each named bit-field (all ones stored into a zeroed object, the bytes scanned) and
// compares float, string and pointer macros at run time. Both compilers compile and run it.
// An assertion a compiler rejects as not constant is moved to the run-time checks.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "layout/discover/discover.hpp"

namespace jiffi::detail {

namespace {

namespace fs = std::filesystem;

const char* const kCorpus[] = {
    "sys/stat.h", "sys/socket.h", "netinet/in.h", "netinet/tcp.h", "netinet/ip.h", "sys/epoll.h",
    "signal.h", "ucontext.h", "link.h", "elf.h", "regex.h", "pthread.h", "setjmp.h", "time.h",
    "dirent.h", "termios.h", "linux/perf_event.h", "linux/bpf.h", "linux/io_uring.h",
    "linux/videodev2.h", "sqlite3.h", "openssl/ssl.h", "zlib.h", "ffi.h",
    // More of glibc and the kernel's UAPI, so that the corpus holds thousands of records.
    "sys/resource.h", "sys/statvfs.h", "sys/sysinfo.h", "sys/timex.h", "sys/user.h", "sys/procfs.h",
    "sys/msg.h", "sys/sem.h", "sys/shm.h", "sys/inotify.h", "sys/signalfd.h", "netdb.h", "ifaddrs.h",
    "net/if.h", "glob.h", "aio.h", "mqueue.h", "utmp.h", "pwd.h", "grp.h", "spawn.h",
    "linux/kvm.h", "linux/v4l2-subdev.h", "linux/fuse.h", "linux/pkt_sched.h", "linux/rtnetlink.h",
    "sound/asound.h", "linux/vfio.h", "linux/ethtool.h", "linux/btrfs.h", "linux/netfilter_ipv4/ip_tables.h",
    "linux/openvswitch.h", "linux/cdrom.h", "linux/uinput.h", "linux/vhost.h", "linux/if_packet.h",
    "linux/fs.h", "linux/gpio.h", "linux/usbdevice_fs.h", "linux/dvb/frontend.h", "linux/fb.h",
    "linux/media.h", "linux/nl80211.h", "linux/ptp_clock.h", "linux/userfaultfd.h", "linux/cec.h",
    "linux/dm-ioctl.h", "linux/can.h", "linux/seccomp.h", "linux/if_tun.h", "linux/virtio_net.h",
    "rdma/ib_user_verbs.h", "linux/rkisp1-config.h", "linux/xfrm.h", "linux/virtio_crypto.h", "rdma/mlx5-abi.h",
    "linux/virtio_gpu.h", "linux/v4l2-controls.h", "linux/btrfs_tree.h", "linux/usb/ch9.h", "rdma/rdma_user_cm.h",
    "linux/firewire-cdev.h", "sound/asequencer.h", "linux/omap3isp.h", "sound/asoc.h", "linux/usb/cdc.h",
    "linux/if_link.h", "linux/pfkeyv2.h", "linux/acrn.h", "linux/rds.h", "linux/batadv_packet.h",
    "linux/cryptouser.h", "linux/android/binder.h", "linux/wireless.h", "linux/if_bridge.h", "linux/gfs2_ondisk.h",
    "linux/usb/video.h", "linux/nilfs2_ondisk.h", "linux/hyperv.h", "rdma/vmw_pvrdma-abi.h", "rdma/mlx4-abi.h",
    "sound/firewire.h", "rdma/rdma_user_rxe.h", "linux/virtio_snd.h", "linux/vduse.h", "mtd/mtd-abi.h",
    "linux/uhid.h", "linux/kd.h", "linux/ipmi.h", "linux/input.h", "linux/virtio_iommu.h",
};

// One check of the generated program.
struct Fact {
    enum Kind { Static, Bitfield, FloatMacro, StringMacro, PointerMacro, IntRuntime } kind = Static;
    std::string what;      // "sizeof(struct stat)", "struct stat.st_mode bits", "macro X"
    std::string expr;      // a C expression (Static/IntRuntime: compared with value)
    std::string value;     // the expected value as C text
    std::string type_name; // Bitfield: the record's C name; member path in expr
    uint64_t first = 0, width = 0;  // Bitfield
    std::string category;  // "record", "field", "bitfield", "enum", "macro"
    std::string key;       // what is counted once across headers
};

// The generated checks of one header.
struct HeaderChecks {
    std::string header;
    std::vector<Fact> facts;
    std::vector<std::string> unnamed;  // complete records no C expression names (not anonymous members)
    std::vector<std::string> field_names;  // the member names the layout facts use
    std::vector<std::string> macro_names;  // every macro the dump names, evaluated or not
    std::vector<std::string> enumerator_names;  // the enum constants the enum facts use
};

std::string c_string_literal(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        char buf[8];
        if (c == '"' || c == '\\') out += '\\', out += char(c);
        else if (c < 0x20 || c >= 0x7f) std::snprintf(buf, sizeof buf, "\\%03o", c), out += buf;
        else out += char(c);
    }
    return out + "\"";
}

// A 64-bit value as a C constant of a type wide enough.
std::string c_int(bool negative, uint64_t bits) {
    if (!negative) return std::to_string(bits) + "ULL";
    int64_t v = int64_t(bits);
    if (v == INT64_MIN) return "(-9223372036854775807LL - 1)";
    return "(" + std::to_string(v) + "LL)";
}

// Names records in C: by tag, typedef, variable, or __typeof__ of a member of a named record.
class Namer {
public:
    explicit Namer(const LayoutDump& d) : d_(d), names_(d.records.size()), aligns_(d.records.size()) {
        // A tag names its record, except Clang's implicit ones (no location: __va_list_tag).
        for (size_t i = 0; i < d.records.size(); ++i) {
            const DumpRecord& r = d.records[i];
            aligns_[i] = r.align;
            if (!r.tag.empty() && r.tag.rfind(kSnippetPrefix, 0) != 0 && !r.loc.file.empty())
                names_[i] = std::string(r.is_union ? "union " : "struct ") + r.tag;
        }
        for (const DumpTypedef& t : d.typedefs) derive(t.name, t.type, 0);
        for (const DumpVariable& v : d.variables) derive("__typeof__(" + v.name + ")", v.type, 0);
        for (int round = 0; round < 8; ++round)
            for (size_t i = 0; i < d.records.size(); ++i) {
                if (names_[i].empty() || !d.records[i].complete) continue;
                // Every named member, through anonymous members too (C reaches those directly).
                for (const DumpAccess& a : d.records[i].access)
                    if (!a.bitfield)
                        derive("__typeof__(((" + names_[i] + " *)0)->" + a.name + ")", leaf_type(i, a), 0);
            }
    }
    const std::string& name(size_t i) const { return names_[i]; }
    // _Alignof of the name: a typedef's aligned attribute counts (Clang's type node says it).
    uint64_t align(size_t i) const { return aligns_[i]; }

private:
    // The type of the member an access path of record i reaches.
    uint32_t leaf_type(size_t i, const DumpAccess& a) const {
        const DumpRecord* r = &d_.records[i];
        for (size_t k = 0; k + 1 < a.path.size(); ++k) {
            const DumpType* t = &d_.types[r->fields[a.path[k]].type];
            while (t->kind == DumpTypeKind::Qualified || t->kind == DumpTypeKind::Typedef) t = &d_.types[t->inner];
            r = &d_.records[size_t(t->decl)];
        }
        return r->fields[a.path.back()].type;
    }

    // Names the untagged records that expression-named type id leads to.
    void derive(const std::string& expr, uint32_t id, int depth, uint64_t align = 0) {
        if (id == kNoType || depth > 6) return;
        const DumpType& t = d_.types[id];
        if (!align && t.complete) align = t.align;
        switch (t.kind) {
        case DumpTypeKind::Record:
            if (names_[size_t(t.decl)].empty() && !d_.records[size_t(t.decl)].anonymous) {
                names_[size_t(t.decl)] = expr;
                aligns_[size_t(t.decl)] = align ? align : d_.records[size_t(t.decl)].align;
            }
            return;
        case DumpTypeKind::Qualified:
        case DumpTypeKind::Typedef: derive(expr, t.inner, depth + 1, align); return;
        case DumpTypeKind::Pointer: derive("__typeof__(*(" + expr + ")0)", t.inner, depth + 1); return;
        case DumpTypeKind::Array:
            if (!t.flexible) derive("__typeof__((*(" + expr + " *)0)[0])", t.inner, depth + 1);
            return;
        default: return;
        }
    }
    const LayoutDump& d_;
    std::vector<std::string> names_;
    std::vector<uint64_t> aligns_;
};

// The checks of one header's dump.
HeaderChecks make_checks(const std::string& header, const LayoutDump& d) {
    HeaderChecks hc;
    hc.header = header;
    Namer namer(d);
    for (size_t i = 0; i < d.records.size(); ++i) {
        const DumpRecord& r = d.records[i];
        if (!r.complete || (!r.tag.empty() && r.tag.rfind(kSnippetPrefix, 0) == 0)) continue;
        const std::string& n = namer.name(i);
        if (n.empty()) {
            if (!r.anonymous) hc.unnamed.push_back(r.display());
            continue;
        }
        std::string key = r.display() + "@" + r.loc.text();
        hc.facts.push_back({Fact::Static, "sizeof(" + n + ")", "sizeof(" + n + ")", std::to_string(r.size), "", 0, 0, "record", key});
        hc.facts.push_back({Fact::Static, "_Alignof(" + n + ")", "_Alignof(" + n + ")", std::to_string(namer.align(i)), "", 0, 0, "", ""});
        for (const DumpAccess& a : r.access) {
            std::string fkey = key + "." + a.name;
            hc.field_names.push_back(a.name);
            if (a.bitfield) {
                if (a.bit_width == 0) continue;
                Fact f{Fact::Bitfield, n + "." + a.name, a.name, "", n, a.offset_bits, a.bit_width, "bitfield", fkey};
                hc.facts.push_back(f);
            } else {
                hc.facts.push_back({Fact::Static, "offsetof(" + n + ", " + a.name + ")",
                                    "__builtin_offsetof(" + n + ", " + a.name + ")", std::to_string(a.offset_bits / 8),
                                    "", 0, 0, "field", fkey});
            }
        }
    }
    for (const DumpEnum& e : d.enums) {
        if (!e.complete) continue;
        for (const DumpEnumerator& v : e.values) {
            hc.facts.push_back({Fact::Static, "enum constant " + v.name, "(" + v.name + ")", c_int(v.negative, v.bits), "",
                                0, 0, "enum", v.name + "@" + e.loc.text()});
            hc.enumerator_names.push_back(v.name);
        }
    }
    for (const DumpSkipped& k : d.skipped)
        if (k.kind == "macro") hc.macro_names.push_back(k.name);
    for (const DumpMacro& m : d.macros) {
        hc.macro_names.push_back(m.name);
        std::string key = m.name + "@" + m.loc.text();
        switch (m.kind) {
        case MacroKind::Integer:
            hc.facts.push_back({Fact::Static, "macro " + m.name, "(" + m.name + ")", c_int(m.negative, m.bits), "", 0, 0, "macro", key});
            break;
        case MacroKind::Float: {
            const DumpType& t = d.types[m.type];
            if (t.name == "long double") continue;  // dumped only when exact as a double
            char buf[64];
            std::snprintf(buf, sizeof buf, "%a", m.real);
            hc.facts.push_back({Fact::FloatMacro, "macro " + m.name, "(double)(" + m.name + ")",
                                std::isfinite(m.real) ? buf : (m.real > 0 ? "__builtin_inf()" : "-__builtin_inf()"),
                                "", 0, 0, "macro", key});
            break;
        }
        case MacroKind::String:
            hc.facts.push_back({Fact::StringMacro, "macro " + m.name, m.name, c_string_literal(m.str), "",
                                m.str.size(), 0, "macro", key});
            break;
        case MacroKind::Pointer:
            hc.facts.push_back({Fact::PointerMacro, "macro " + m.name, "(unsigned long long)(__UINTPTR_TYPE__)(" + m.name + ")",
                                c_int(false, m.bits), "", 0, 0, "macro", key});
            break;
        }
    }
    return hc;
}

// True for the facts about layouts (checked after the member names that are also macros are
// #undef'd: glibc spells sa_handler and si_pid as macros for member paths).
// Layout facts and enum constants are checked after the macros, with every macro that
// shadows a member or enumerator name undefined (linux/pkt_sched.h defines
// __TC_MQPRIO_MODE_MAX as a macro over the enumerator of the same name).
bool is_layout(const Fact& f) {
    return f.kind == Fact::Bitfield || f.category == "record" || f.category == "field" || f.category == "enum" ||
           f.category.empty();
}

// Renders the program: line numbers of each fact are recorded for error attribution.
std::string render(const HeaderChecks& hc, const std::set<size_t>& runtime_only, const std::set<size_t>& dropped,
                   std::map<unsigned, size_t>& line_of_fact) {
    std::string s = "#include <" + hc.header + ">\n";
    unsigned line = 2;
    auto add = [&](const std::string& text, size_t fact) {
        s += text + "\n";
        line_of_fact[line++] = fact;
    };
    auto plain = [&](const std::string& text) {
        s += text + "\n";
        for (char c : text) line += c == '\n';
        ++line;
    };
    plain("int printf(const char *, ...);\nint memcmp(const void *, const void *, __SIZE_TYPE__);\n"
          "void *memset(void *, int, __SIZE_TYPE__);");
    plain("static void jd_bits(int id, const unsigned char *p, unsigned long n) {\n"
          "  long first = -1, last = -1, count = 0;\n"
          "  for (unsigned long i = 0; i < n * 8; ++i)\n"
          "    if ((p[i / 8] >> (i % 8)) & 1) { if (first < 0) first = (long)i; last = (long)i; ++count; }\n"
          "  printf(\"B %d %ld %ld %ld\\n\", id, first, last, count);\n}");
    std::vector<size_t> probes;
    for (int section = 0; section < 2; ++section) {
        if (section == 1) {
            std::set<std::string> names(hc.field_names.begin(), hc.field_names.end());
            names.insert(hc.enumerator_names.begin(), hc.enumerator_names.end());
            for (const std::string& m : hc.macro_names)
                if (names.count(m)) plain("#undef " + m);
        }
        for (size_t k = 0; k < hc.facts.size(); ++k) {
            const Fact& f = hc.facts[k];
            if (dropped.count(k) || is_layout(f) != (section == 1)) continue;
            std::string id = std::to_string(k);
            switch (f.kind) {
            case Fact::Bitfield:
                add("static void jd_probe_" + id + "(void) { static _Alignas(" + f.type_name + ") unsigned char b[sizeof(" +
                        f.type_name + ")]; memset(b, 0, sizeof b); ((" + f.type_name + " *)b)->" + f.expr +
                        " = -1; jd_bits(" + id + ", b, sizeof b); }",
                    k);
                break;
            case Fact::FloatMacro:
            case Fact::PointerMacro:
                add("static void jd_probe_" + id + "(void) { printf(\"M " + id + " %d\\n\", " + f.expr + " == " + f.value + "); }", k);
                break;
            case Fact::StringMacro:
                add("static void jd_probe_" + id + "(void) { printf(\"M " + id + " %d\\n\", sizeof(" + f.expr + ") == " +
                        std::to_string(f.first + 1) + " && memcmp(" + f.expr + ", " + f.value + ", " +
                        std::to_string(f.first + 1) + ") == 0); }",
                    k);
                break;
            case Fact::Static:
                if (runtime_only.count(k)) {
                    add("static void jd_probe_" + id + "(void) { printf(\"M " + id + " %d\\n\", (" + f.expr + ") == " +
                            f.value + "); }",
                        k);
                } else {
                    add("_Static_assert(" + f.expr + " == " + f.value + ", \"jd " + id + "\");", k);
                    continue;
                }
                break;
            default: continue;
            }
            probes.push_back(k);
        }
    }
    std::string main = "int main(void) {\n";
    for (size_t k : probes) main += "  jd_probe_" + std::to_string(k) + "();\n";
    plain(main + "  return 0;\n}");
    return s;
}

// Runs a shell command, capturing its output; returns the exit status.
int run(const std::string& cmd, std::string& output) {
    output.clear();
    FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
    if (!p) return -1;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) output.append(buf, n);
    int rc = ::pclose(p);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// What one compiler found for one header.
struct Verdict {
    std::string compiler;
    std::set<size_t> failed;            // facts the compiler contradicts
    std::map<size_t, std::string> why;  // their messages
    std::vector<std::string> errors;    // the program could not be built or run
};

// Compiles and runs the checks of hc with cc; facts not constant for cc move to run time.
Verdict check_with(const std::string& cc, const std::string& name, const HeaderChecks& hc, const std::string& dir) {
    Verdict v;
    v.compiler = name;
    std::string file_part = hc.header;
    for (char& c : file_part)
        if (c == '/' || c == '.') c = '_';
    std::string stem = dir + "/" + name + "_" + file_part;
    std::set<size_t> runtime_only, dropped;
    std::string out;
    for (int attempt = 0; attempt < 4; ++attempt) {
        std::map<unsigned, size_t> line_of_fact;
        std::ofstream(stem + ".c") << render(hc, runtime_only, dropped, line_of_fact);
        int rc = run("'" + cc + "' -std=gnu11 -w -O0 -fno-common -o '" + stem + "' '" + stem + ".c'", out);
        if (rc == 0) break;
        bool progress = false, unattributed = false;
        std::istringstream lines(out);
        std::string l;
        while (std::getline(lines, l)) {
            // "<stem>.c:LINE:COL: error: MESSAGE" (or "fatal error").
            if (l.find(stem + ".c:") != 0) continue;
            size_t at = stem.size() + 3;
            size_t err_at = l.find("error: ", at);
            if (err_at == std::string::npos) continue;
            unsigned diag_line = unsigned(std::strtoul(l.c_str() + at, nullptr, 10));
            auto it = line_of_fact.find(diag_line);
            if (it == line_of_fact.end()) {
                unattributed = true;
                continue;
            }
            size_t k = it->second;
            std::string msg = l.substr(err_at + 7);
            if (msg.find("static assertion failed") != std::string::npos || msg.find("static_assert failed") != std::string::npos) {
                v.failed.insert(k);
                v.why[k] = msg;
                dropped.insert(k);
            } else if (hc.facts[k].kind == Fact::Static && !runtime_only.count(k)) {
                runtime_only.insert(k);  // not an integer constant expression for this compiler
            } else {
                v.failed.insert(k);
                v.why[k] = "does not compile: " + msg;
                dropped.insert(k);
            }
            progress = true;
        }
        if (!progress || (unattributed && !progress)) {
            v.errors.push_back(name + " cannot compile the checks of " + hc.header + ":\n" + out.substr(0, 3000));
            return v;
        }
        if (attempt == 3) {
            v.errors.push_back(name + " still fails on " + hc.header + " after 4 attempts:\n" + out.substr(0, 3000));
            return v;
        }
    }
    if (run("'" + stem + "'", out) != 0) {
        v.errors.push_back(name + "'s program for " + hc.header + " failed:\n" + out.substr(0, 2000));
        return v;
    }
    std::istringstream lines(out);
    std::string l;
    std::set<size_t> seen;
    while (std::getline(lines, l)) {
        char tag = 0;
        long id = -1, a = 0, b = 0, c = 0;
        if (std::sscanf(l.c_str(), "%c %ld %ld %ld %ld", &tag, &id, &a, &b, &c) < 3 || id < 0 ||
            size_t(id) >= hc.facts.size())
            continue;
        const Fact& f = hc.facts[size_t(id)];
        seen.insert(size_t(id));
        if (tag == 'B') {
            bool ok = a == long(f.first) && b == long(f.first + f.width - 1) && c == long(f.width);
            if (!ok) {
                v.failed.insert(size_t(id));
                v.why[size_t(id)] = "bits " + std::to_string(a) + ".." + std::to_string(b) + " (" + std::to_string(c) +
                                    " set), dump says " + std::to_string(f.first) + " width " + std::to_string(f.width);
            }
        } else if (tag == 'M' && a != 1) {
            v.failed.insert(size_t(id));
            v.why[size_t(id)] = "run-time value differs from " + f.value;
        }
    }
    for (size_t k = 0; k < hc.facts.size(); ++k) {
        const Fact& f = hc.facts[k];
        bool runtime = f.kind != Fact::Static || runtime_only.count(k);
        if (runtime && !dropped.count(k) && !seen.count(k)) v.errors.push_back(name + ": no result for " + f.what);
    }
    return v;
}

}  // namespace

TEST_CASE("corpus: every record, field, bit-field, enum and macro of real headers matches gcc and clang-19") {
    std::string dir = JIFFI_DISCOVER_WORKDIR "/corpus";
    fs::create_directories(dir);
    struct Result {
        HeaderChecks checks;
        Verdict gcc, clang;
        std::string error;
    };
    std::vector<Result> results(std::size(kCorpus));
    // Dumps run one at a time (Clang in-process); compiles run two at a time.
    std::vector<std::future<void>> jobs;
    for (size_t i = 0; i < std::size(kCorpus); ++i) {
        DiscoverOptions o;
        o.headers = {kCorpus[i]};
        try {
            results[i].checks = make_checks(kCorpus[i], discover_layout(o));
        } catch (const DiscoverError& e) {
            results[i].error = std::string(kCorpus[i]) + ": " + e.what();
            continue;
        }
        jobs.push_back(std::async(std::launch::async, [&, i] {
            results[i].gcc = check_with(JIFFI_TEST_GCC, "gcc", results[i].checks, dir);
            results[i].clang = check_with(JIFFI_TEST_CLANG, "clang-19", results[i].checks, dir);
        }));
        if (jobs.size() >= 2) {
            jobs.front().get();
            jobs.erase(jobs.begin());
        }
    }
    for (auto& j : jobs) j.get();

    std::map<std::string, std::set<std::string>> counted;  // category -> keys
    size_t unnamed = 0, mismatches = 0;
    std::vector<std::string> divergences;
    for (const Result& r : results) {
        CHECK_MESSAGE(r.error.empty(), r.error);
        for (const std::string& e : r.gcc.errors) CHECK_MESSAGE(false, e);
        for (const std::string& e : r.clang.errors) CHECK_MESSAGE(false, e);
        unnamed += r.checks.unnamed.size();
        for (const std::string& u : r.checks.unnamed) MESSAGE(r.checks.header << ": no C name for " << u);
        for (size_t k = 0; k < r.checks.facts.size(); ++k) {
            const Fact& f = r.checks.facts[k];
            bool g = r.gcc.failed.count(k), c = r.clang.failed.count(k);
            if (!g && !c) {
                if (!f.category.empty()) counted[f.category].insert(f.key);
                continue;
            }
            std::string line = r.checks.header + ": " + f.what + (g ? " | gcc: " + r.gcc.why.at(k) : "") +
                               (c ? " | clang-19: " + r.clang.why.at(k) : "");
            if (g != c) {
                // One compiler agrees with the dump: the compilers differ (listed, not hidden).
                divergences.push_back(line);
                if (!f.category.empty()) counted[f.category + " (one compiler)"].insert(f.key);
            }
            // Layout facts must match both compilers; macro and enum values where the
            // compilers see different header text are divergences.
            bool layout = f.category == "record" || f.category == "field" || f.category == "bitfield" ||
                          f.what.rfind("_Alignof", 0) == 0;
            auto contradicted = [&](const Verdict& v) {
                return v.failed.count(k) && v.why.at(k).rfind("does not compile", 0) != 0;
            };
            if ((layout && (contradicted(r.gcc) || contradicted(r.clang))) || (g && c)) {
                ++mismatches;
                MESSAGE("MISMATCH " << line);
            }
        }
    }
    MESSAGE("corpus: " << std::size(kCorpus) << " headers; checked (distinct) records " << counted["record"].size()
                       << ", fields " << counted["field"].size() << ", bitfields " << counted["bitfield"].size()
                       << ", enum constants " << counted["enum"].size() << ", macros " << counted["macro"].size()
                       << "; unnameable non-anonymous records " << unnamed << "; gcc/clang divergences "
                       << divergences.size() << "; mismatches " << mismatches);
    std::printf("corpus counts: records=%zu fields=%zu bitfields=%zu enums=%zu macros=%zu divergences=%zu mismatches=%zu\n",
                counted["record"].size(), counted["field"].size(), counted["bitfield"].size(), counted["enum"].size(),
                counted["macro"].size(), divergences.size(), mismatches);
    for (const std::string& d : divergences) std::printf("  divergence: %s\n", d.c_str());
    CHECK(mismatches == 0);
    CHECK(counted["record"].size() > 500);
    CHECK(counted["bitfield"].size() > 50);
    CHECK(counted["macro"].size() > 5000);
    CHECK(unnamed == 0);
}


TEST_CASE("corpus: every real header's dump reads back through the layout cache's checks") {
    size_t records = 0;
    for (const char* header : kCorpus) {
        DiscoverOptions o;
        o.headers = {header};
        LayoutDump d;
        try {
            d = discover_layout(o);
        } catch (const DiscoverError&) {
            continue;  // the test above reports headers that do not parse
        }
        std::string error;
        try {
            LayoutDump back = read_jiffi_json(write_jiffi_json(d, false));
            records += back.records.size();
        } catch (const std::runtime_error& e) {
            error = e.what();
        }
        CHECK_MESSAGE(error.empty(), header << ": " << error);
    }
    CHECK(records > 1000);
}

}  // namespace jiffi::detail

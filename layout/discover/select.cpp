// --only: the named declarations of a dump and everything their types reach.
#include <cstring>
#include <set>

#include "layout/discover/discover.hpp"

namespace jiffi::detail {

namespace {

// Marks the types, records and enums reachable from the selected entries.
class Closure {
public:
    explicit Closure(const LayoutDump& d)
        : d_(d), types(d.types.size()), records(d.records.size()), enums(d.enums.size()) {}

    void type(uint32_t id) {
        if (id == kNoType || types[id]) return;
        types[id] = true;
        work_.push_back(id);
    }
    void record(size_t i) {
        if (records[i]) return;
        records[i] = true;
        const DumpRecord& r = d_.records[i];
        type(r.type);
        for (const DumpField& f : r.fields) type(f.type);
    }
    void enumeration(size_t i) {
        if (enums[i]) return;
        enums[i] = true;
        type(d_.enums[i].type);
        type(d_.enums[i].underlying);
    }
    // Follows every marked type until nothing new is reached.
    void finish() {
        while (!work_.empty()) {
            uint32_t id = work_.back();
            work_.pop_back();
            const DumpType& t = d_.types[id];
            type(t.inner);
            type(t.canonical);
            for (uint32_t p : t.params) type(p);
            if (t.kind == DumpTypeKind::Record) record(size_t(t.decl));
            if (t.kind == DumpTypeKind::Enum) enumeration(size_t(t.decl));
        }
    }

    const LayoutDump& d_;
    std::vector<bool> types, records, enums;

private:
    std::vector<uint32_t> work_;
};

}  // namespace

LayoutDump select_dump(const LayoutDump& d, const std::vector<std::string>& only,
                       std::vector<std::string>& unknown) {
    Closure c(d);
    std::vector<bool> tds(d.typedefs.size()), fns(d.functions.size()), vars(d.variables.size()),
        macs(d.macros.size()), skips(d.skipped.size());
    for (const std::string& full : only) {
        std::string kw, n = full;
        for (const char* k : {"struct ", "union ", "enum "})
            if (full.rfind(k, 0) == 0) {
                kw = std::string(k, std::strlen(k) - 1);
                n = full.substr(kw.size() + 1);
                while (!n.empty() && n[0] == ' ') n.erase(0, 1);
            }
        bool found = false;
        for (size_t i = 0; i < d.records.size(); ++i) {
            const DumpRecord& r = d.records[i];
            if (r.tag == n && (kw.empty() || kw == (r.is_union ? "union" : "struct"))) {
                c.record(i);
                found = true;
            }
        }
        if (kw.empty() || kw == "enum")
            for (size_t i = 0; i < d.enums.size(); ++i) {
                bool hit = kw.empty() ? false : d.enums[i].tag == n;
                if (kw.empty()) {
                    hit = d.enums[i].tag == n;
                    for (const DumpEnumerator& v : d.enums[i].values) hit = hit || v.name == n;
                }
                if (hit) {
                    c.enumeration(i);
                    found = true;
                }
            }
        if (kw.empty()) {
            auto mark = [&](auto& items, std::vector<bool>& sel, auto&& on) {
                for (size_t i = 0; i < items.size(); ++i)
                    if (items[i].name == n) {
                        sel[i] = true;
                        found = true;
                        on(items[i]);
                    }
            };
            mark(d.typedefs, tds, [&](const DumpTypedef& t) { c.type(t.type); c.type(t.canonical); });
            mark(d.functions, fns, [&](const DumpFunction& f) {
                c.type(f.type);
                c.type(f.ret);
                for (const DumpParam& p : f.params) c.type(p.type);
            });
            mark(d.variables, vars, [&](const DumpVariable& v) { c.type(v.type); });
            mark(d.macros, macs, [&](const DumpMacro& m) { c.type(m.type); });
            mark(d.skipped, skips, [&](const DumpSkipped&) {});
        }
        if (!found) unknown.push_back(full);
    }
    c.finish();

    // Renumbers what is kept, in the original order.
    std::vector<uint32_t> tmap(d.types.size(), kNoType);
    std::vector<int32_t> rmap(d.records.size(), -1), emap(d.enums.size(), -1);
    LayoutDump out;
    out.header = d.header;
    for (size_t i = 0; i < d.types.size(); ++i)
        if (c.types[i]) tmap[i] = uint32_t(out.types.size()), out.types.push_back(d.types[i]);
    for (size_t i = 0; i < d.records.size(); ++i)
        if (c.records[i]) rmap[i] = int32_t(out.records.size()), out.records.push_back(d.records[i]);
    for (size_t i = 0; i < d.enums.size(); ++i)
        if (c.enums[i]) emap[i] = int32_t(out.enums.size()), out.enums.push_back(d.enums[i]);
    auto T = [&](uint32_t id) { return id == kNoType ? kNoType : tmap[id]; };
    for (DumpType& t : out.types) {
        t.id = T(t.id);
        t.inner = T(t.inner);
        t.canonical = T(t.canonical);
        for (uint32_t& p : t.params) p = T(p);
        if (t.kind == DumpTypeKind::Record) t.decl = rmap[size_t(t.decl)];
        if (t.kind == DumpTypeKind::Enum) t.decl = emap[size_t(t.decl)];
    }
    for (DumpRecord& r : out.records) {
        r.type = T(r.type);
        r.parent = r.parent >= 0 ? rmap[size_t(r.parent)] : -1;
        for (DumpField& f : r.fields) f.type = T(f.type);
    }
    for (DumpEnum& e : out.enums) {
        e.type = T(e.type);
        e.underlying = T(e.underlying);
    }
    for (size_t i = 0; i < d.typedefs.size(); ++i)
        if (tds[i]) {
            DumpTypedef t = d.typedefs[i];
            t.type = T(t.type);
            t.canonical = T(t.canonical);
            out.typedefs.push_back(std::move(t));
        }
    for (size_t i = 0; i < d.functions.size(); ++i)
        if (fns[i]) {
            DumpFunction f = d.functions[i];
            f.type = T(f.type);
            f.ret = T(f.ret);
            for (DumpParam& p : f.params) p.type = T(p.type);
            out.functions.push_back(std::move(f));
        }
    for (size_t i = 0; i < d.variables.size(); ++i)
        if (vars[i]) {
            DumpVariable v = d.variables[i];
            v.type = T(v.type);
            out.variables.push_back(std::move(v));
        }
    for (size_t i = 0; i < d.macros.size(); ++i)
        if (macs[i]) {
            DumpMacro m = d.macros[i];
            m.type = T(m.type);
            out.macros.push_back(std::move(m));
        }
    for (size_t i = 0; i < d.skipped.size(); ++i)
        if (skips[i]) out.skipped.push_back(d.skipped[i]);
    return out;
}

}  // namespace jiffi::detail

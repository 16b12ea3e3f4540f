// Renders test records as C with the layout jiffi computed, for the compilers to check.
#include "c_emitter.hpp"

#include <map>
#include <stdexcept>

namespace jiffi::detail::test {

namespace {

// Builds the translation unit: declarations in definition order, then the checks.
class Emitter {
public:
    // Emits everything in set.
    CProgram run(const CaseSet& set) {
        for (const Enum* e : set.enums) emit_enum(*e);
        for (size_t s = 0; s < set.subjects.size(); ++s) {
            const Record& rec = *set.subjects[s].record;
            std::string def = definition(rec, rec.pack) + ";\n";
            if (!set.subjects[s].note.empty()) out_.text += "/* " + set.subjects[s].note + " */\n";
            out_.text += pending_typedefs_;
            pending_typedefs_.clear();
            if (rec.pack) out_.text += "#pragma pack(push, " + std::to_string(rec.pack) + ")\n";
            out_.text += def;
            if (rec.pack) out_.text += "#pragma pack(pop)\n";
            collect(s, rec);
        }
        emit_checks(set);
        return std::move(out_);
    }

private:
    // Emits an enum whose values give it the underlying type jiffi assigned.
    void emit_enum(const Enum& e) {
        out_.text += "enum ";
        if (e.packed) out_.text += "__attribute__((packed)) ";
        out_.text += e.tag + " {";
        for (size_t i = 0; i < e.values.size(); ++i)
            out_.text += (i ? ", " : " ") + e.values[i].name + " = " + std::to_string(e.values[i].value) +
                         (e.values[i].value > INT32_MAX || e.values[i].value < INT32_MIN ? "L" : "");
        out_.text += " };\n";
    }

    // The name of a typedef carrying t's align_override, emitting the typedef when new.
    std::string typedef_name(const Type* t) {
        auto it = typedefs_.find(t);
        if (it != typedefs_.end()) return it->second;
        std::string name = "jl_t" + std::to_string(typedefs_.size());
        pending_typedefs_ += "typedef " + declarator(t, name, false) + " __attribute__((aligned(" +
                             std::to_string(t->align_override) + ")));\n";
        return typedefs_[t] = name;
    }

    // "T name" in C declarator syntax; an aligned type by its typedef unless !honor_align.
    std::string declarator(const Type* t, const std::string& name, bool honor_align = true) {
        auto join = [](const std::string& base, const std::string& d) {
            return d.empty() ? base : base + " " + d;
        };
        if (t->align_override && honor_align) return join(typedef_name(t), name);
        switch (t->kind) {
        case TypeKind::Prim: return join(prim_spelling(t->prim), name);
        case TypeKind::Enum: return join("enum " + t->enumeration->tag, name);
        case TypeKind::Record:
            if (t->record->tag.empty()) return join(definition(*t->record, inline_pack_), name);
            return join(std::string(t->record->is_union ? "union " : "struct ") + t->record->tag, name);
        case TypeKind::Pointer: {
            const Type* in = t->inner;
            bool paren = in->kind == TypeKind::Array || in->kind == TypeKind::Function;
            return declarator(in, paren ? "(*" + name + ")" : "*" + name);
        }
        case TypeKind::Array:
            return declarator(t->inner, name + (t->flexible ? "[]" : "[" + std::to_string(t->count) + "]"));
        case TypeKind::Function: {
            std::string params;
            for (size_t i = 0; i < t->params.size(); ++i) params += (i ? ", " : "") + declarator(t->params[i], "");
            return declarator(t->inner, name + "(" + (params.empty() ? "void" : params) + ")");
        }
        }
        return name;
    }

    // The definition "struct attrs tag { members }" of rec, inside #pragma pack(pack).
    std::string definition(const Record& rec, uint32_t pack) {
        if (rec.pack != pack)
            throw std::logic_error("emitter: a nested definition must share its #pragma pack");
        uint32_t saved = inline_pack_;
        inline_pack_ = pack;
        std::string s = rec.is_union ? "union" : "struct";
        if (rec.packed) s += " __attribute__((packed))";
        if (rec.align_attr) s += " __attribute__((aligned(" + std::to_string(rec.align_attr) + ")))";
        if (!rec.tag.empty()) s += " " + rec.tag;
        s += " {";
        for (const Field& f : rec.fields) {
            s += " " + declarator(f.type, f.name);
            if (f.is_bitfield) s += " : " + std::to_string(f.bit_width);
            if (f.align_attr) s += " __attribute__((aligned(" + std::to_string(f.align_attr) + ")))";
            if (f.packed_attr) s += " __attribute__((packed))";
            s += ";";
        }
        s += " }";
        inline_pack_ = saved;
        return s;
    }

    // Records the facts and probes of subject s: its size and alignment, the offset of every
    // member reached through anonymous and untagged members, and its named bit-fields.
    void collect(size_t s, const Record& rec) {
        std::string type = std::string(rec.is_union ? "union " : "struct ") + rec.tag;
        out_.facts.push_back({"sizeof(" + type + ")", rec.size, s, false});
        out_.facts.push_back({"_Alignof(" + type + ")", rec.align, s, false});
        walk(s, type, rec, "", 0);
    }

    // Adds the facts and probes of rec's members; prefix is the member path to rec and
    // base_bits its offset in the subject.
    void walk(size_t s, const std::string& type, const Record& rec, const std::string& prefix,
              uint64_t base_bits) {
        for (const Field& f : rec.fields) {
            uint64_t at = base_bits + f.offset_bits;
            if (f.is_bitfield) {
                if (!f.name.empty()) out_.probes.push_back({type + "." + prefix + f.name, s, at, f.bit_width});
            } else if (f.anonymous) {
                walk(s, type, *f.type->record, prefix, at);
            } else {
                out_.facts.push_back({"offsetof(" + type + ", " + prefix + f.name + ")", at / 8, s, true});
                if (f.type->is_record() && f.type->record->tag.empty() && !f.type->align_override)
                    walk(s, type, *f.type->record, prefix + f.name + ".", at);
            }
        }
    }

    // Appends the assertions, the data read back and the run-time probe.
    void emit_checks(const CaseSet& set) {
        std::string& t = out_.text;
        t += "#ifndef JL_NO_ASSERTS\n";
        for (size_t i = 0; i < out_.facts.size(); ++i) {
            const Fact& f = out_.facts[i];
            bool gcc_only = set.subjects[f.subject].gcc_only;
            if (gcc_only) t += "#ifndef __clang__\n";
            t += "_Static_assert(" + expression(f) + " == " + std::to_string(f.expected) + ", \"jl " +
                 std::to_string(i) + "\");\n";
            if (gcc_only) t += "#endif\n";
        }
        t += "#endif\n";
        t += "unsigned long long jl_facts[] = {\n";
        for (const Fact& f : out_.facts) t += "  " + expression(f) + ",\n";
        t += "};\n";
        for (size_t i = 0; i < out_.probes.size(); ++i) {
            const BitProbe& p = out_.probes[i];
            auto dot = p.label.find('.');
            t += p.label.substr(0, dot) + " jl_img_" + std::to_string(i) + " = { " + p.label.substr(dot) +
                 " = -1 };\n";
        }
        t += "#ifdef JL_PROBE_MAIN\n"
             "int printf(const char *, ...);\n"
             "static void jl_bits(int id, const unsigned char *p, unsigned long n) {\n"
             "  long first = -1, last = -1, count = 0;\n"
             "  for (unsigned long i = 0; i < n * 8; ++i)\n"
             "    if ((p[i / 8] >> (i % 8)) & 1) { if (first < 0) first = (long)i; last = (long)i; ++count; }\n"
             "  printf(\"%d %ld %ld %ld\\n\", id, first, last, count);\n"
             "}\n"
             "#define JL_PROBE(id, T, path) static void jl_probe_##id(void) { "
             "static _Alignas(T) unsigned char b[sizeof(T)]; "
             "__builtin_memset(b, 0, sizeof b); ((T *)b)->path = -1; jl_bits(id, b, sizeof b); }\n";
        for (size_t i = 0; i < out_.probes.size(); ++i) {
            const BitProbe& p = out_.probes[i];
            auto dot = p.label.find('.');
            t += "JL_PROBE(" + std::to_string(i) + ", " + p.label.substr(0, dot) + ", " +
                 p.label.substr(dot + 1) + ")\n";
        }
        t += "int main(void) {\n";
        for (size_t i = 0; i < out_.probes.size(); ++i) t += "  jl_probe_" + std::to_string(i) + "();\n";
        t += "  return 0;\n}\n#endif\n";
    }

    // The C expression of a fact.
    static std::string expression(const Fact& f) {
        if (f.is_offset) return "__builtin_" + f.label;  // "offsetof(...)"
        return f.label;
    }

    CProgram out_;
    std::map<const Type*, std::string> typedefs_;
    std::string pending_typedefs_;
    uint32_t inline_pack_ = 0;
};

}  // namespace

// The records of set already hold their layouts, so the emitter needs nothing from the table.
CProgram emit_c_program(const TypeTable&, const CaseSet& set) { return Emitter().run(set); }

}  // namespace jiffi::detail::test

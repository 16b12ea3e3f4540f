// Unit tests of compute_record_layout: rules with known numbers per target, and the errors.
#include <doctest/doctest.h>

#include <string>

#include "c_emitter.hpp"
#include "layout/record_layout.hpp"
#include "layout_cases.hpp"
#include "base/error.hpp"

namespace jiffi::detail::test {

namespace {

// A type table for triple with jiffi's record layouter installed.
struct Table {
    explicit Table(const char* triple) : types(Target::from_triple(triple)) { install_record_layout(types); }
    const Type* p(Prim prim) const { return types.prim(prim); }
    // Lays out a record of the given fields.
    Record& make(const RecordSpec& spec, const std::vector<FieldSpec>& fields) {
        return *make_record(types, set, spec, fields);
    }
    TypeTable types;
    CaseSet set;
};

// A plain member, optionally with aligned(align) and packed.
FieldSpec fld(std::string name, const Type* t, uint32_t align = 0, bool packed = false) {
    return {std::move(name), t, -1, align, packed, false};
}
// A bit-field of the given width, optionally with aligned(align) and packed.
FieldSpec bit(std::string name, const Type* t, int width, uint32_t align = 0, bool packed = false) {
    return {std::move(name), t, width, align, packed, false};
}

// The error code and message compute_record_layout throws for fields, or "" if none.
std::string layout_error(Table& t, const RecordSpec& spec, const std::vector<FieldSpec>& fields,
                         ErrorCode* code = nullptr) {
    try {
        t.make(spec, fields);
    } catch (const Error& e) {
        if (code) *code = e.code();
        return e.message();
    }
    return "";
}

const char* kTriples[] = {"x86_64-linux-gnu", "aarch64-linux-gnu", "arm64-apple-macos"};

}  // namespace

TEST_CASE("plain structs and unions: offsets aligned, size rounded to the alignment") {
    for (const char* triple : kTriples) {
        CAPTURE(triple);
        Table t(triple);
        Record& s = t.make({}, {fld("a", t.p(Prim::Char)), fld("b", t.p(Prim::Double)),
                                fld("c", t.p(Prim::Short))});
        CHECK(s.fields[1].offset_bits == 64);
        CHECK(s.fields[2].offset_bits == 128);
        CHECK(s.size == 24);
        CHECK(s.align == 8);
        CHECK(s.complete);
        Record& u = t.make({true}, {fld("a", t.p(Prim::Char)), fld("b", t.types.array(t.p(Prim::Short), 3))});
        CHECK(u.fields[1].offset_bits == 0);
        CHECK(u.size == 6);
        CHECK(u.align == 2);
        Record& empty = t.make({}, {});
        CHECK(empty.size == 0);
        CHECK(empty.align == 1);
    }
}

TEST_CASE("long double follows the target") {
    Table x("x86_64-linux-gnu"), a("aarch64-linux-gnu"), m("arm64-apple-macos");
    for (Table* t : {&x, &a, &m}) t->make({}, {fld("a", t->p(Prim::Char)), fld("b", t->p(Prim::LongDouble))});
    CHECK(x.set.subjects[0].record->size == 32);
    CHECK(a.set.subjects[0].record->size == 32);
    CHECK(m.set.subjects[0].record->size == 16);
    CHECK(m.set.subjects[0].record->fields[1].offset_bits == 64);
}

TEST_CASE("unnamed bit-fields raise the alignment on aarch64-linux-gnu only") {
    // struct { char a; int :0; char b; } and struct { char a; long :3; }
    for (const char* triple : kTriples) {
        CAPTURE(triple);
        Table t(triple);
        bool aapcs = std::string(triple) == "aarch64-linux-gnu";
        Record& z = t.make({}, {fld("a", t.p(Prim::Char)), bit("", t.p(Prim::Int), 0), fld("b", t.p(Prim::Char))});
        CHECK(z.fields[2].offset_bits == 32);
        CHECK(z.size == (aapcs ? 8 : 5));
        CHECK(z.align == (aapcs ? 4 : 1));
        Record& u = t.make({}, {fld("a", t.p(Prim::Char)), bit("", t.p(Prim::Long), 3)});
        CHECK(u.fields[1].offset_bits == 8);
        CHECK(u.size == (aapcs ? 8 : 2));
        // Not lowered by packed nor capped by #pragma pack: struct { char a; long :0; char b; }
        Record& p = t.make({false, true, 1}, {fld("a", t.p(Prim::Char)), bit("", t.p(Prim::Long), 0),
                                              fld("b", t.p(Prim::Char))});
        CHECK(p.fields[2].offset_bits == 64);
        CHECK(p.align == (aapcs ? 8 : 1));
    }
}

TEST_CASE("bit-fields: straddling moves, packing does not, aligned attributes place") {
    Table t("x86_64-linux-gnu");
    const Type* i = t.p(Prim::Int);
    const Type* c = t.p(Prim::Char);
    Record& s = t.make({}, {bit("a", i, 30), bit("b", i, 4), bit("c", c, 3)});
    CHECK(s.fields[1].offset_bits == 32);
    CHECK(s.fields[2].offset_bits == 36);
    CHECK(s.size == 8);
    Record& p = t.make({false, true}, {fld("a", c), bit("b", i, 31), fld("c", c)});
    CHECK(p.fields[1].offset_bits == 8);
    CHECK(p.fields[2].offset_bits == 40);
    CHECK(p.size == 6);
    CHECK(p.align == 1);
    Record& pp = t.make({false, false, 2}, {fld("a", c), bit("b", i, 31), fld("c", c)});
    CHECK(pp.fields[1].offset_bits == 8);
    CHECK(pp.align == 2);
    CHECK(pp.size == 6);
    // GCC: under #pragma pack(2), aligned(8) on a bit-field places it at a multiple of 2.
    Record& pa = t.make({false, false, 2}, {fld("a", c), bit("b", i, 3, 8), fld("c", c)});
    CHECK(pa.fields[1].offset_bits == 16);
    CHECK(pa.fields[2].offset_bits == 24);
    CHECK(pa.align == 2);
    // GCC: aligned(2) first moves the bit-field to bit 16, where 20 bits would cross the int.
    Record& a2 = t.make({}, {fld("a", c), bit("b", i, 20, 2)});
    CHECK(a2.fields[1].offset_bits == 32);
    CHECK(a2.size == 8);
    Record& al = t.make({}, {fld("a", c), bit("b", i, 3, 16), fld("c", c)});
    CHECK(al.fields[1].offset_bits == 128);
    CHECK(al.size == 32);
    CHECK(al.align == 16);
    Record& chars = t.make({}, {bit("a", c, 5), bit("b", c, 5), bit("c", c, 7)});
    CHECK(chars.fields[1].offset_bits == 8);
    CHECK(chars.fields[2].offset_bits == 16);
    Record& ll = t.make({}, {fld("a", c), bit("b", t.p(Prim::LongLong), 40), fld("c", c)});
    CHECK(ll.fields[1].offset_bits == 8);
    CHECK(ll.fields[2].offset_bits == 48);
    CHECK(ll.size == 8);
    Record& u = t.make({true}, {bit("a", i, 3), bit("b", t.p(Prim::LongLong), 40), bit("c", c, 7)});
    CHECK(u.fields[1].offset_bits == 0);
    CHECK(u.size == 8);
    CHECK(u.align == 8);
}

TEST_CASE("GCC's rules for bit-fields of typedefs with changed alignment") {
    // typedef int __attribute__((aligned(16))) I16; struct { char a; I16 b:3; char c; }
    Table t("x86_64-linux-gnu");
    Record& r = t.make({}, {fld("a", t.p(Prim::Char)), bit("b", t.types.aligned(t.p(Prim::Int), 16), 3),
                            fld("c", t.p(Prim::Char))});
    CHECK(r.fields[1].offset_bits == 128);
    CHECK(r.fields[2].offset_bits == 17 * 8);
    CHECK(r.size == 32);
    // typedef unsigned U1 __attribute__((aligned(1))); struct { char a, b; U1 c:16; } has
    // GCC alignment 2 (HImode), union { U1 a:32; } alignment 4; 24 bits get no mode.
    const Type* u1 = t.types.aligned(t.p(Prim::UInt), 1);
    Record& m = t.make({}, {fld("a", t.p(Prim::Char)), fld("b", t.p(Prim::Char)), bit("c", u1, 16)});
    CHECK(m.align == 2);
    CHECK(m.size == 4);
    CHECK(t.make({true}, {bit("a", u1, 32)}).align == 4);
    CHECK(t.make({}, {fld("a", t.p(Prim::Char)), bit("b", u1, 24)}).align == 1);
    CHECK(t.make({}, {fld("a", t.p(Prim::Char)), bit("b", u1, 16)}).align == 1);
}

TEST_CASE("packed, aligned and #pragma pack on records and members") {
    Table t("x86_64-linux-gnu");
    const Type* c = t.p(Prim::Char);
    const Type* i = t.p(Prim::Int);
    Record& a = t.make({false, true}, {fld("a", c), fld("b", i, 8), fld("c", c)});
    CHECK(a.fields[1].offset_bits == 64);
    CHECK(a.size == 16);
    CHECK(a.align == 8);
    Record& td = t.make({false, true}, {fld("a", c), fld("b", t.types.aligned(i, 16))});
    CHECK(td.fields[1].offset_bits == 8);
    CHECK(td.size == 5);
    Record& m = t.make({}, {fld("a", c), fld("b", i, 0, true), fld("c", c)});
    CHECK(m.fields[1].offset_bits == 8);
    CHECK(m.size == 6);
    Record& pk = t.make({false, false, 4}, {fld("a", c), fld("b", i, 16)});
    CHECK(pk.fields[1].offset_bits == 32);
    CHECK(pk.align == 4);
    Record& ra = t.make({false, false, 2, 16}, {fld("a", c), fld("b", i)});
    CHECK(ra.fields[1].offset_bits == 16);
    CHECK(ra.align == 16);
    CHECK(ra.size == 16);
    Record& low = t.make({}, {fld("a", c), fld("b", t.types.aligned(t.p(Prim::Long), 2))});
    CHECK(low.fields[1].offset_bits == 16);
    CHECK(low.size == 10);
}

TEST_CASE("flexible array members: aligned as their element, no size") {
    Table t("x86_64-linux-gnu");
    Record& r = t.make({}, {fld("a", t.p(Prim::Char)), fld("b", t.types.flexible_array(t.p(Prim::LongDouble)))});
    CHECK(r.fields[1].offset_bits == 128);
    CHECK(r.size == 16);
    CHECK(r.align == 16);
    CHECK(r.has_flexible_array());
}

TEST_CASE("anonymous members: the member has the nested offset, inner fields stay relative") {
    Table t("x86_64-linux-gnu");
    Record* inner = make_record(t.types, t.set, {true}, {fld("x", t.p(Prim::Int)), fld("y", t.p(Prim::Double))}, true);
    Record& outer = t.make({}, {fld("a", t.p(Prim::Char)), {"", inner->type, -1, 0, false, true}});
    CHECK(outer.fields[1].offset_bits == 64);
    CHECK(inner->fields[0].offset_bits == 0);
    CHECK(inner->fields[1].offset_bits == 0);
    CHECK(outer.size == 16);
}

TEST_CASE("invalid records throw naming the field") {
    Table t("x86_64-linux-gnu");
    const Type* i = t.p(Prim::Int);
    ErrorCode code{};
    CHECK(layout_error(t, {}, {bit("wide", i, 33)}, &code).find("'wide'") != std::string::npos);
    CHECK(code == ErrorCode::INVALID_TYPE);
    CHECK(layout_error(t, {}, {bit("flag", t.p(Prim::Bool), 2)}, &code).find("'flag'") != std::string::npos);
    CHECK(code == ErrorCode::INVALID_TYPE);
    CHECK(layout_error(t, {}, {bit("z", i, 0)}, &code).find("'z'") != std::string::npos);
    CHECK(code == ErrorCode::INVALID_TYPE);
    CHECK(layout_error(t, {}, {bit("d", t.p(Prim::Double), 3)}, &code).find("'d'") != std::string::npos);
    CHECK(code == ErrorCode::INVALID_TYPE);
    const Type* fam = t.types.flexible_array(i);
    CHECK(layout_error(t, {}, {fld("a", i), fld("x", fam), fld("b", i)}, &code).find("'x'") != std::string::npos);
    CHECK(code == ErrorCode::INVALID_TYPE);
    CHECK(layout_error(t, {}, {fld("x", fam)}, &code).find("'x'") != std::string::npos);
    CHECK(code == ErrorCode::INVALID_TYPE);
    CHECK(layout_error(t, {}, {bit("", i, 3), fld("x", fam)}, &code).find("'x'") != std::string::npos);
    CHECK(code == ErrorCode::INVALID_TYPE);
    CHECK(layout_error(t, {true}, {fld("a", i), fld("x", fam)}, &code).find("'x'") != std::string::npos);
    CHECK(code == ErrorCode::INVALID_TYPE);
    Record* fwd = t.types.new_record("fwd", false);
    CHECK(layout_error(t, {}, {fld("n", fwd->type)}, &code).find("'n'") != std::string::npos);
    CHECK(code == ErrorCode::INCOMPLETE_TYPE);
    CHECK(layout_error(t, {}, {fld("v", t.p(Prim::Void))}, &code).find("'v'") != std::string::npos);
    CHECK(code == ErrorCode::INCOMPLETE_TYPE);
    CHECK(layout_error(t, {}, {fld("arr", t.types.array(fwd->type, 2))}, &code).find("'arr'") != std::string::npos);
    CHECK(code == ErrorCode::INCOMPLETE_TYPE);
    CHECK(layout_error(t, {}, {fld("fn", t.types.function(i, {}, false))}, &code).find("'fn'") != std::string::npos);
    CHECK(code == ErrorCode::INVALID_TYPE);
    // Allowed: the widest bit-field of each type, and a flexible array after an anonymous member.
    CHECK(layout_error(t, {}, {bit("w", t.p(Prim::UInt128), 128), bit("b", t.p(Prim::Bool), 1)}) == "");
    Record* inner = make_record(t.types, t.set, {}, {fld("q", i)}, true);
    CHECK(layout_error(t, {}, {{"", inner->type, -1, 0, false, true}, fld("x", fam)}) == "");
    // GCC counts any anonymous member as named: struct { struct { int :3; }; int x[]; }
    Record* unnamed = make_record(t.types, t.set, {}, {bit("", i, 3)}, true);
    CHECK(layout_error(t, {}, {{"", unnamed->type, -1, 0, false, true}, fld("x", fam)}) == "");
}

TEST_CASE("the random records are the same in every type table for one seed") {
    Table a("x86_64-linux-gnu"), b("x86_64-linux-gnu"), c("x86_64-linux-gnu");
    add_random_cases(a.types, a.set, kDefaultSeed, 50);
    add_random_cases(b.types, b.set, kDefaultSeed, 50);
    add_random_cases(c.types, c.set, kDefaultSeed + 1, 50);
    std::string ta = emit_c_program(a.types, a.set).text;
    CHECK(ta == emit_c_program(b.types, b.set).text);
    CHECK(ta != emit_c_program(c.types, c.set).text);
}

}  // namespace jiffi::detail::test

// Records for the layout tests: hand-picked hard cases and a seeded random generator.
#include "layout_cases.hpp"

#include <string>

namespace jiffi::detail::test {

Record* make_record(TypeTable& types, CaseSet& set, const RecordSpec& spec,
                    const std::vector<FieldSpec>& fields, bool anonymous,
                    const std::string& note, bool gcc_only) {
    Record* rec = types.new_record(anonymous ? "" : "jl_" + std::to_string(set.next_tag++),
                                   spec.is_union);
    rec->packed = spec.packed;
    rec->pack = spec.pack;
    rec->align_attr = spec.align;
    for (const FieldSpec& s : fields) {
        Field f;
        f.name = s.name;
        f.type = s.type;
        f.is_bitfield = s.width >= 0;
        f.bit_width = s.width >= 0 ? uint32_t(s.width) : 0;
        f.align_attr = s.align;
        f.packed_attr = s.packed;
        f.anonymous = s.anonymous;
        rec->fields.push_back(f);
    }
    types.complete_record(*rec);
    if (!anonymous) set.subjects.push_back({rec, gcc_only, note});
    return rec;
}

const Type* make_enum(TypeTable& types, CaseSet& set, Prim underlying) {
    Enum* e = types.new_enum("jl_e" + std::to_string(set.enums.size()));
    e->underlying = underlying;
    // The values that make GCC and Clang choose this underlying type: unsigned int unless a
    // value is negative (int) or needs 64 bits (unsigned long, long); with the packed
    // attribute the smallest type holding the values.
    switch (underlying) {
    case Prim::UChar: e->packed = true; e->values = {{"", 1}, {"", 200}}; break;
    case Prim::SChar: e->packed = true; e->values = {{"", -1}, {"", 100}}; break;
    case Prim::UShort: e->packed = true; e->values = {{"", 1}, {"", 300}}; break;
    case Prim::Short: e->packed = true; e->values = {{"", -300}, {"", 1}}; break;
    case Prim::Int: e->values = {{"", -1}, {"", 7}}; break;
    case Prim::ULong: e->values = {{"", 1}, {"", int64_t(1) << 32}}; break;
    case Prim::Long: e->values = {{"", -1}, {"", int64_t(1) << 32}}; break;
    default: e->underlying = Prim::UInt; e->values = {{"", 1}, {"", 7}}; break;
    }
    for (size_t i = 0; i < e->values.size(); ++i)
        e->values[i].name = e->tag + "_" + std::to_string(i);
    e->complete = true;
    set.enums.push_back(e);
    return e->type;
}

namespace {

// A plain member, optionally with aligned(align) and packed.
FieldSpec fld(std::string name, const Type* t, uint32_t align = 0, bool packed = false) {
    return {std::move(name), t, -1, align, packed, false};
}
// A bit-field of the given width (0: zero-width), optionally with aligned(align) and packed.
FieldSpec bit(std::string name, const Type* t, int width, uint32_t align = 0, bool packed = false) {
    return {std::move(name), t, width, align, packed, false};
}
// An anonymous struct or union member of record r.
FieldSpec anon(const Record* r) { return {"", r->type, -1, 0, false, true}; }

// A struct's attributes: packed, #pragma pack(pack) and aligned(align).
RecordSpec st(bool packed = false, uint32_t pack = 0, uint32_t align = 0) {
    return {false, packed, pack, align};
}
// A union's attributes: packed, #pragma pack(pack) and aligned(align).
RecordSpec un(bool packed = false, uint32_t pack = 0, uint32_t align = 0) {
    return {true, packed, pack, align};
}

}  // namespace

void add_hand_picked_cases(TypeTable& types, CaseSet& set) {
    auto P = [&](Prim p) { return types.prim(p); };
    const Type* c = P(Prim::Char);
    const Type* i = P(Prim::Int);
    const Type* ld = P(Prim::LongDouble);
    const Type* i16 = types.aligned(i, 16);          // typedef int __attribute__((aligned(16)))
    const Type* l2 = types.aligned(P(Prim::Long), 2);  // a typedef lowering the alignment
    auto add = [&](const char* note, const RecordSpec& spec, std::vector<FieldSpec> fields) {
        return make_record(types, set, spec, fields, false, note);
    };
    auto anon_rec = [&](const RecordSpec& spec, std::vector<FieldSpec> fields) {
        return make_record(types, set, spec, fields, true);
    };

    add("packed struct, member aligned(8)", st(true),
        {fld("a", c), fld("b", i, 8), fld("c", c)});
    add("packed struct drops a typedef's alignment", st(true), {fld("a", c), fld("b", i16)});
    add("packed attribute on one member", st(), {fld("a", c), fld("b", i, 0, true), fld("c", c)});
    add("zero-width bit-field pads, adds no alignment on x86-64", st(),
        {fld("a", c), bit("", i, 0), fld("b", c)});
    add("unnamed bit-field", st(), {fld("a", c), bit("", i, 4), fld("b", c)});
    add("unnamed long bit-field at the end", st(), {fld("a", c), bit("", P(Prim::Long), 3)});
    add("zero-width bit-field in a packed struct", st(true),
        {fld("a", c), bit("", i, 0), fld("b", c)});
    add("zero-width bit-field under pragma pack(1)", st(false, 1),
        {fld("a", c), bit("", P(Prim::Long), 0), fld("b", c)});
    add("bit-field straddling its storage unit moves", st(),
        {bit("a", i, 30), bit("b", i, 4), fld("c", c)});
    add("char bit-fields crossing bytes", st(),
        {bit("a", c, 5), bit("b", c, 5), bit("c", P(Prim::UChar), 7), bit("d", P(Prim::SChar), 1)});
    add("short bit-fields", st(), {fld("a", c), bit("b", P(Prim::Short), 9), bit("c", P(Prim::UShort), 9)});
    add("long long bit-field shares the unit", st(),
        {fld("a", c), bit("b", P(Prim::LongLong), 40), fld("c", c)});
    add("packed struct: bit-field crosses the unit", st(true),
        {fld("a", c), bit("b", i, 31), fld("c", c)});
    add("packed attribute on a bit-field", st(),
        {fld("a", c), bit("b", i, 31, 0, true), fld("c", i)});
    add("pragma pack(2): bit-field not moved", st(false, 2), {fld("a", c), bit("b", i, 31), fld("c", c)});
    add("flexible array of long double", st(), {fld("a", c), fld("b", types.flexible_array(ld))});
    const Record* a32 = add("aligned(32) struct", st(false, 0, 32), {fld("x", P(Prim::Short))});
    add("flexible array of an aligned(32) struct", st(),
        {fld("a", P(Prim::Short)), fld("b", types.flexible_array(a32->type))});
    add("flexible array in a packed struct", st(true),
        {fld("a", c), fld("b", types.flexible_array(P(Prim::Double)))});
    add("long double members", st(), {fld("a", c), fld("b", ld), fld("c", c), fld("d", types.array(ld, 2))});
    add("_Complex long double", st(),
        {fld("a", c), fld("b", P(Prim::ComplexLongDouble)), fld("c", P(Prim::ComplexFloat))});
    {
        const Record* inner_u = anon_rec(un(), {fld("d", P(Prim::Long)), fld("e", c)});
        const Record* inner_s = anon_rec(st(), {fld("c", c), anon(inner_u)});
        const Record* u = anon_rec(un(), {fld("b", i), anon(inner_s)});
        add("nested anonymous unions", st(), {fld("a", c), anon(u), fld("f", c)});
    }
    add("pragma pack(4) caps a member's aligned(16)", st(false, 4), {fld("a", c), fld("b", i, 16)});
    add("pragma pack(2) keeps the record's aligned(16)", st(false, 2, 16),
        {fld("a", c), fld("b", i), fld("c", P(Prim::Double))});
    add("aligned(16) typedef member", st(), {fld("a", c), fld("b", i16), fld("c", c)});
    add("typedef lowering long to 2", st(), {fld("a", c), fld("b", l2), fld("c", c)});
    add("empty struct", st(), {});
    add("empty struct aligned(8)", st(false, 0, 8), {});
    add("union of bit-fields", un(),
        {bit("a", i, 3), bit("b", P(Prim::LongLong), 40), bit("", c, 0), bit("c", P(Prim::Short), 9)});
    add("__int128 members", st(),
        {fld("a", c), fld("b", P(Prim::Int128)), bit("c", P(Prim::UInt128), 100), fld("d", c)});
    add("_Bool bit-fields", st(),
        {bit("a", P(Prim::Bool), 1), bit("b", P(Prim::Bool), 1), bit("", P(Prim::Bool), 0),
         bit("c", P(Prim::Bool), 1), fld("d", c)});
    add("bit-field aligned(16)", st(), {fld("a", c), bit("b", i, 3, 16), fld("c", c)});
    add("pragma pack(4) with a bit-field aligned(2)", st(false, 4),
        {fld("a", c), bit("b", i, 3, 2), fld("c", c)});
    add("enum bit-fields", st(),
        {bit("a", make_enum(types, set, Prim::UChar), 3), bit("b", make_enum(types, set, Prim::Int), 20),
         bit("c", make_enum(types, set, Prim::UInt), 5), fld("d", make_enum(types, set, Prim::ULong))});
    add("zero-width bit-field of an aligned(16) typedef", st(), {fld("a", c), bit("", i16, 0), fld("c", c)});
    add("zero-width bit-field with aligned(8)", st(), {fld("a", c), bit("", i, 0, 8), fld("c", c)});
    add("unnamed 20-bit bit-field", st(), {fld("a", c), bit("", i, 20), fld("b", c)});
    add("unnamed bit-field in a union", un(), {fld("a", c), bit("", i, 7)});
    add("zero-width bit-field in a union", un(), {fld("a", c), bit("", P(Prim::Long), 0)});
    add("only a zero-width bit-field", st(), {bit("", i, 0)});
    {
        const Record* pk = add("packed {char, int}", st(true), {fld("a", c), fld("b", i)});
        add("packed struct as a member", st(), {fld("a", c), fld("b", pk->type), fld("c", c)});
    }
    {
        const Record* inner = anon_rec(st(), {fld("b", c), fld("c", P(Prim::Double))});
        add("anonymous struct in a packed struct keeps its alignment", st(true),
            {fld("a", c), anon(inner), fld("d", c)});
    }
    {
        const Record* a8 = add("aligned(8) struct", st(false, 0, 8), {fld("x", c)});
        add("packed struct holding an aligned(8) struct", st(true), {fld("a", c), fld("b", a8->type)});
    }
    add("bit-fields after a plain member share its unit", st(),
        {fld("a", c), bit("b", i, 8), bit("c", i, 16), fld("d", c)});
    add("__int128 bit-field straddling", st(),
        {bit("a", P(Prim::Long), 60), bit("b", P(Prim::Int128), 70), fld("c", c)});
    add("pragma pack(1) packed bit-fields", st(false, 1),
        {fld("a", c), bit("b", P(Prim::Long), 60), bit("c", i, 7), fld("d", P(Prim::Short))});
    add("pragma pack(2) and packed together", st(true, 2), {fld("a", c), bit("b", i, 3), fld("c", i)});
    add("member packed and aligned(4)", st(), {fld("a", c), fld("b", P(Prim::Double), 4, true)});
    add("pointer and function pointer members", st(),
        {fld("a", c), fld("b", types.pointer(P(Prim::Void))),
         fld("c", types.pointer(types.function(i, {i}, false)))});

    // GCC gives a bit-field whose typedef'd alignment exceeds its size that alignment
    // (stor-layout.cc excess_unit_span: S / A == 0 units may be spanned); Clang moves it only
    // when it crosses an A-aligned unit of its size. jiffi follows GCC.
    make_record(types, set, st(), {fld("a", c), bit("b", i16, 3), fld("c", c)}, false,
                "bit-field of an aligned(16) typedef (GCC only)", true);
    make_record(types, set, st(), {bit("a", i, 5), bit("", i16, 3), fld("c", c)}, false,
                "unnamed bit-field of an aligned(16) typedef (GCC only)", true);
    make_record(types, set, st(), {bit("a", types.aligned(c, 4), 1), bit("b", types.aligned(c, 4), 3), fld("d", c)},
                false, "char bit-fields of an aligned(4) typedef (GCC only)", true);
    // Under #pragma pack(N), GCC places a bit-field with aligned(M > N) at a multiple of N;
    // Clang does not align it at all. jiffi follows GCC.
    make_record(types, set, st(false, 2), {fld("a", c), bit("b", i, 3, 8), fld("c", c)}, false,
                "pragma pack(2) caps a bit-field's aligned(8) (GCC only)", true);
    make_record(types, set, st(true, 4), {bit("a", P(Prim::Long), 25), bit("", P(Prim::Short), 6, 16), fld("z", c)},
                false, "pragma pack(4), unnamed bit-field aligned(16) (GCC only)", true);
    // GCC gives a bit-field of an integer mode's width at a multiple of that width the
    // mode's alignment, so a typedef that lowered the type's alignment counts for less.
    {
        const Type* u1 = types.aligned(P(Prim::UInt), 1);
        make_record(types, set, st(), {fld("a", c), fld("b", c), bit("c", u1, 16)}, false,
                    "16-bit bit-field of an aligned(1) typedef at bit 16 (GCC only)", true);
        make_record(types, set, un(), {bit("a", u1, 32)}, false,
                    "union of a 32-bit bit-field of an aligned(1) typedef (GCC only)", true);
        add("24-bit bit-field of an aligned(1) typedef", st(), {fld("a", c), bit("b", u1, 24)});
    }
    // GCC applies a bit-field's aligned(N) before checking that it stays within a unit of
    // its type; Clang checks first, so its bit-field may end up straddling.
    make_record(types, set, st(), {fld("a", c), bit("b", i, 20, 2), fld("c", c)}, false,
                "aligned(2) moves an int bit-field across its unit (GCC only)", true);
}

namespace {

// A reproducible random source (std distributions differ between standard libraries).
class Rng {
public:
    explicit Rng(uint64_t seed) : state_(seed) { state_ = next(); }
    // A uniformly drawn number below n (n > 0).
    uint64_t below(uint64_t n) { return next() % n; }
    // True with probability percent/100.
    bool chance(int percent) { return below(100) < uint64_t(percent); }
    // One element of a non-empty list.
    template <class T>
    T pick(std::initializer_list<T> items) { return items.begin()[below(items.size())]; }

private:
    // splitmix64.
    uint64_t next() {
        uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    uint64_t state_;
};

// Draws random records; see add_random_cases.
class RandomRecords {
public:
    RandomRecords(TypeTable& types, CaseSet& set, uint64_t seed)
        : types_(types), set_(set), rng_(seed) {
        for (Prim p : {Prim::UChar, Prim::SChar, Prim::UShort, Prim::Short, Prim::Int, Prim::UInt,
                       Prim::ULong, Prim::Long})
            enums_.push_back(make_enum(types, set, p));
    }

    // Adds one top-level random record to the set.
    void add_one() {
        next_field_ = 0;
        divergent_ = false;
        RecordSpec spec = record_spec(true, 0);
        std::vector<FieldSpec> members = fields(spec, 0);
        Record* rec = make_record(types_, set_, spec, members, false, "", divergent_);
        // Later records hold only small ones, so that sizes do not grow without bound.
        if (!rec->has_flexible_array() && weight(rec->type) <= 48) pool_.push_back({rec, divergent_});
    }

private:
    // Random attributes; nested definitions inherit the enclosing #pragma pack.
    RecordSpec record_spec(bool top, uint32_t inherited_pack) {
        RecordSpec s;
        s.is_union = rng_.chance(top ? 25 : 40);
        s.packed = rng_.chance(top ? 20 : 15);
        if (rng_.chance(top ? 12 : 8)) s.align = rng_.pick<uint32_t>({1, 2, 4, 8, 16, 32, 64});
        s.pack = top ? (rng_.chance(15) ? rng_.pick<uint32_t>({1, 2, 4, 8, 16}) : 0) : inherited_pack;
        return s;
    }

    // A fresh field name, unique within one top-level record and its anonymous members.
    std::string name() { return "f" + std::to_string(next_field_++); }

    // The members of a record of the given attributes at nesting depth depth.
    std::vector<FieldSpec> fields(const RecordSpec& spec, int depth) {
        std::vector<FieldSpec> out;
        int n = int(rng_.below(depth == 0 ? 9 : 5));
        if (depth > 0 && n == 0) n = 1;
        bool named = false;
        for (int k = 0; k < n; ++k) {
            FieldSpec f = member(spec, depth);
            named = named || !f.name.empty() || f.anonymous;
            out.push_back(f);
        }
        if (!spec.is_union && named && rng_.chance(10)) {
            const Type* elem = rng_.chance(80) || pool_.empty() ? scalar(false) : pooled();
            FieldSpec f{name(), types_.flexible_array(elem)};
            if (rng_.chance(10)) f.align = rng_.pick<uint32_t>({2, 8, 16, 32});
            out.push_back(f);
        }
        return out;
    }

    // One random member.
    FieldSpec member(const RecordSpec& spec, int depth) {
        uint64_t roll = rng_.below(100);
        FieldSpec f;
        if (roll < 30) {
            return bitfield(spec.pack);
        } else if (roll < 38 && depth < 3) {
            RecordSpec inner = record_spec(false, spec.pack);
            Record* r = make_record(types_, set_, inner, fields(inner, depth + 1), true);
            f.type = r->type;
            f.anonymous = true;
            return f;
        } else if (roll < 42 && depth < 3) {
            RecordSpec inner = record_spec(false, spec.pack);
            Record* r = make_record(types_, set_, inner, fields(inner, depth + 1), true);
            f.name = name();
            f.type = rng_.chance(25) ? types_.array(r->type, 1 + rng_.below(3)) : r->type;
        } else if (roll < 50 && !pool_.empty()) {
            f.name = name();
            const Type* t = pooled();
            if (rng_.chance(15)) t = types_.aligned(t, rng_.pick<uint32_t>({16, 32, 64}));
            else if (rng_.chance(20)) t = types_.array(t, 1 + rng_.below(3));
            f.type = t;
        } else if (roll < 60) {
            f.name = name();
            const Type* t = scalar(false);
            // GNU C's zero-length arrays now and then.
            f.type = types_.array(t, rng_.chance(4) ? 0 : 1 + rng_.below(4));
            if (rng_.chance(25)) f.type = types_.array(f.type, 1 + rng_.below(3));
        } else {
            f.name = name();
            f.type = scalar(true);
        }
        if (rng_.chance(8)) f.align = rng_.pick<uint32_t>({1, 2, 4, 8, 16, 32});
        if (rng_.chance(8)) f.packed = true;
        return f;
    }

    // A random bit-field under #pragma pack(pack): named or not, zero-width sometimes, of
    // any integer type.
    FieldSpec bitfield(uint32_t pack) {
        FieldSpec f;
        const Type* t = bitfield_type();
        bool is_bool = t->kind == TypeKind::Prim && t->prim == Prim::Bool;
        uint64_t bits = is_bool ? 1 : types_.size_of(t) * 8;
        bool named = rng_.chance(75);
        if (!named && rng_.chance(35)) {
            f.width = 0;
        } else {
            uint64_t r = rng_.below(10);
            f.width = int(r == 0 ? bits : r == 1 ? 1 : 1 + rng_.below(bits));
        }
        if (named) f.name = name();
        f.type = t;
        if (rng_.chance(5)) f.align = rng_.pick<uint32_t>({1, 2, 4, 8, 16});
        if (f.width > 0 && rng_.chance(8)) f.packed = true;
        // GCC and Clang disagree on a bit-field aligned above the #pragma pack in force,
        // and may on one aligned below its type's alignment (see the hand-picked cases).
        if (f.width > 0 && f.align && ((pack && f.align > pack) ||
                                       (!pack && f.align < types_.align_of(t))))
            divergent_ = true;
        // GCC's integer-mode alignment shows on a typedef aligned below the width.
        if (t->align_override && f.width % 8 == 0 && f.width / 8 > int(t->align_override))
            divergent_ = true;
        return f;
    }

    // An integer type for a bit-field, typedefs that lower the alignment included.
    const Type* bitfield_type() {
        uint64_t roll = rng_.below(100);
        if (roll < 10) return enums_[rng_.below(enums_.size())];
        if (roll < 14) {
            Prim p = rng_.pick({Prim::Int, Prim::UInt, Prim::Long, Prim::Short});
            return types_.aligned(types_.prim(p), rng_.pick<uint32_t>({1, 2}));
        }
        return types_.prim(rng_.pick({Prim::Bool, Prim::Char, Prim::SChar, Prim::UChar, Prim::Short,
                                      Prim::UShort, Prim::Int, Prim::UInt, Prim::Int, Prim::UInt,
                                      Prim::Long, Prim::ULong, Prim::LongLong, Prim::ULongLong,
                                      Prim::Int128, Prim::UInt128}));
    }

    // A scalar member type; with may_align, sometimes a typedef with aligned(N).
    const Type* scalar(bool may_align) {
        uint64_t roll = rng_.below(100);
        const Type* t;
        if (roll < 8) {
            t = types_.pointer(types_.prim(rng_.pick({Prim::Void, Prim::Char, Prim::Double})));
        } else if (roll < 10) {
            t = types_.pointer(types_.function(types_.prim(Prim::Int), {types_.prim(Prim::Double)}, false));
        } else if (roll < 16) {
            t = enums_[rng_.below(enums_.size())];
        } else {
            t = types_.prim(static_cast<Prim>(1 + rng_.below(size_t(Prim::ComplexLongDouble))));
        }
        if (may_align && rng_.chance(8)) t = types_.aligned(t, rng_.pick<uint32_t>({1, 2, 4, 8, 16, 32}));
        return t;
    }

    // How many scalars t holds, counted from its structure (the same on every target).
    static uint64_t weight(const Type* t) {
        if (t->kind == TypeKind::Array) return t->count * weight(t->inner);
        if (t->kind != TypeKind::Record) return 1;
        uint64_t w = 0;
        for (const Field& f : t->record->fields) w += weight(f.type);
        return w;
    }

    // A record from earlier random cases (a member of a divergent one makes this one so).
    const Type* pooled() {
        const Pooled& p = pool_[rng_.below(pool_.size())];
        divergent_ = divergent_ || p.divergent;
        return p.record->type;
    }

    TypeTable& types_;
    CaseSet& set_;
    Rng rng_;
    std::vector<const Type*> enums_;
    // A finished random record that later ones may hold.
    struct Pooled {
        Record* record;
        bool divergent;
    };
    std::vector<Pooled> pool_;
    int next_field_ = 0;
    bool divergent_ = false;  // the record being drawn is laid out differently by GCC and Clang
};

}  // namespace

void add_random_cases(TypeTable& types, CaseSet& set, uint64_t seed, int count) {
    RandomRecords gen(types, set, seed);
    for (int k = 0; k < count; ++k) gen.add_one();
}

}  // namespace jiffi::detail::test

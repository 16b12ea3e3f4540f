// Record layout by the C rules GCC and Clang follow on LP64 System V and AAPCS64 targets.
//
// The algorithm follows the generic (Itanium/System V) record layout of GCC's stor-layout.cc
// and Clang's ItaniumRecordLayoutBuilder for C, with the target facts in Target. Offsets are
// kept in bits throughout; the record's alignment in bytes.
//
// Anonymous members: an anonymous struct or union member is one Field of record type whose
// offset_bits is where the nested record starts in this record. That nested Record was laid
// out on its own when it was completed (before this one), so the offsets of its fields stay
// relative to the nested record: the offset of an inner field in the outer record is the sum
// of the offsets along the path.
#include "layout/record_layout.hpp"

#include <algorithm>
#include <string>

#include "base/error.hpp"

namespace jiffi::detail {

namespace {

// Rounds v up to a multiple of the power of two a (a >= 1).
uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

// A field in error messages: "field 'x' of struct s", "an unnamed member of struct s".
std::string field_label(const Record& rec, const Field& f) {
    if (f.name.empty()) return "an unnamed member of " + rec.display_name();
    return "field '" + f.name + "' of " + rec.display_name();
}

// True when a member counts as named for the flexible array rule: as in GCC, a named field
// or any anonymous struct or union member (even one without named fields).
bool is_named_member(const Field& f) { return !f.name.empty() || f.anonymous; }

// The state of one record's layout while its fields are placed in declaration order.
class LayoutBuilder {
public:
    LayoutBuilder(Record& rec, const TypeTable& types)
        : rec_(rec), types_(types), target_(types.target()) {}

    // Places every field and sets the record's size and alignment.
    void run() {
        // "aligned(N)" on the record raises its alignment; #pragma pack does not cap it.
        align_ = std::max<uint32_t>(1, rec_.align_attr);
        // Every member is checked before any is placed, so an error leaves rec unchanged.
        for (size_t i = 0; i < rec_.fields.size(); ++i) check_type(rec_.fields[i], i);
        for (Field& f : rec_.fields) {
            if (f.is_bitfield)
                place_bitfield(f);
            else
                place_field(f);
        }
        // "The size of a struct or union is rounded up to a multiple of its alignment";
        // GNU C gives an empty struct size 0.
        rec_.align = align_;
        rec_.size = align_up(align_up(data_bits_, 8) / 8, align_);
    }

private:
    // Throws unless field i may be a member of this record with its type and width.
    void check_type(const Field& f, size_t i) const {
        const Type* t = f.type;
        if (t == nullptr) fail(ErrorCode::INTERNAL, field_label(rec_, f) + " has no type");
        if (t->is_function())
            fail(ErrorCode::INVALID_TYPE,
                 field_label(rec_, f) + " is declared as a function (" + types_.to_string(t) + ")");
        if (t->is_array() && t->flexible) {
            // C11 6.7.2.1p18: "the last element of a structure with more than one named
            // member may have an incomplete array type"; GCC rejects a flexible array in a
            // union or in a struct without a named member (Clang accepts both as extensions).
            if (rec_.is_union)
                fail(ErrorCode::INVALID_TYPE,
                     "flexible array " + field_label(rec_, f) + " in a union");
            if (i + 1 != rec_.fields.size())
                fail(ErrorCode::INVALID_TYPE,
                     "flexible array " + field_label(rec_, f) + " is not the last member");
            if (!std::any_of(rec_.fields.begin(), rec_.fields.begin() + i, is_named_member))
                fail(ErrorCode::INVALID_TYPE, "flexible array " + field_label(rec_, f) +
                                                  " in a struct with no named members");
            if (f.is_bitfield)
                fail(ErrorCode::INVALID_TYPE, field_label(rec_, f) + " is a flexible array bit-field");
            t = t->inner;
        }
        if (!types_.is_complete(t))
            fail(ErrorCode::INCOMPLETE_TYPE,
                 field_label(rec_, f) + " has incomplete type '" + types_.to_string(f.type) + "'");
        if (!f.is_bitfield) return;
        // C11 6.7.2.1p5: "A bit-field shall have a type that is ... _Bool, signed int,
        // unsigned int, or some other implementation-defined type" (GCC and Clang: any
        // integer or enum type).
        if (!t->is_integer())
            fail(ErrorCode::INVALID_TYPE, "bit-field " + field_label(rec_, f) +
                                              " has non-integer type '" + types_.to_string(t) + "'");
        // C11 6.7.2.1p4: the width "shall not exceed the width of an object of the type";
        // the width of _Bool is 1.
        uint64_t max_width = t->kind == TypeKind::Prim && t->prim == Prim::Bool
                                 ? 1
                                 : types_.size_of(t) * 8;
        if (f.bit_width > max_width)
            fail(ErrorCode::INVALID_TYPE, "width " + std::to_string(f.bit_width) + " of bit-field " +
                                              field_label(rec_, f) + " exceeds the width of its type (" +
                                              std::to_string(max_width) + " bits)");
        // C11 6.7.2.1p4: "If the value is zero, the declaration shall have no declarator."
        if (f.bit_width == 0 && !f.name.empty())
            fail(ErrorCode::INVALID_TYPE, "zero-width bit-field " + field_label(rec_, f) + " is named");
    }

    // Places a member that is not a bit-field.
    void place_field(Field& f) {
        // A flexible array member is aligned as its element type but adds no size (its
        // size_of is 0).
        uint64_t size_bits = types_.size_of(f.type) * 8;
        uint32_t natural = types_.align_of(f.type);
        // "packed" (on the record or the member) gives the member alignment 1, dropping even
        // the alignment a typedef gave its type; "aligned(N)" on the member raises it again;
        // "#pragma pack(N)" caps the result, the member's aligned attribute included.
        uint32_t align = (rec_.packed || f.packed_attr) ? 1 : natural;
        align = std::max(align, f.align_attr);
        if (rec_.pack) align = std::min(align, rec_.pack);

        if (rec_.is_union) {
            f.offset_bits = 0;
            data_bits_ = std::max(data_bits_, size_bits);
        } else {
            // The next member starts at the next byte after the previous one (a run of
            // bit-fields ends at a byte boundary), rounded up to the member's alignment.
            f.offset_bits = align_up(align_up(data_bits_, 8), uint64_t(align) * 8);
            data_bits_ = f.offset_bits + size_bits;
        }
        align_ = std::max(align_, align);
    }

    // Places a bit-field by the System V / Itanium rules as GCC and Clang implement them.
    void place_bitfield(Field& f) {
        const Type* t = f.type;
        const uint64_t width = f.bit_width;
        const uint64_t unit_bits = types_.size_of(t) * 8;     // the declared type's size
        const uint64_t type_align = uint64_t(types_.align_of(t)) * 8;
        const uint64_t explicit_align = uint64_t(f.align_attr) * 8;
        const uint64_t pack_bits = uint64_t(rec_.pack) * 8;
        // A zero-width bit-field is never affected by "packed" or "#pragma pack".
        const bool packed = (rec_.packed || f.packed_attr) && width != 0;

        // The alignment this bit-field contributes to the record, in bits: its type's, or 1
        // bit (none) when packed, raised by its aligned attribute; for a bit-field of non-zero
        // width, #pragma pack caps it (the packed attribute no longer lowers it then).
        uint64_t field_align = packed ? 1 : type_align;
        uint64_t unpacked_align = type_align;
        if (explicit_align) {
            field_align = std::max(field_align, explicit_align);
            unpacked_align = std::max(unpacked_align, explicit_align);
        }
        if (pack_bits && width != 0) {
            unpacked_align = std::min(unpacked_align, pack_bits);
            field_align = packed ? unpacked_align : std::min(field_align, pack_bits);
        }

        uint64_t offset = rec_.is_union ? 0 : data_bits_;
        // GCC (stor-layout.cc layout_decl) gives a bit-field "an ordinary integer mode" when
        // its width is that of one (8 to 128 bits) and the current position is already a
        // multiple of it (always in a union and at offset 0), unless it is packed and wider
        // than a byte; the mode's alignment then counts toward the record like the type's.
        // It only shows for types whose typedef lowered the alignment below the width;
        // Clang has no such rule.
        uint64_t mode_align = 0;
        if ((width == 8 || width == 16 || width == 32 || width == 64 || width == 128) &&
            !(packed && width > 8) && (offset == 0 || (offset & (~offset + 1)) >= width))
            mode_align = pack_bits ? std::min(width, pack_bits) : width;
        if (width == 0) {
            // A zero-width bit-field pads to the next boundary of its declared type's
            // alignment (raised by an aligned attribute), whatever the packing.
            offset = align_up(offset, field_align);
        } else {
            // An aligned attribute on the bit-field places it at a multiple of N, capped by
            // #pragma pack (GCC: DECL_ALIGN is min(N, pack); Clang instead ignores an N above
            // the pack and leaves the bit-field unaligned).
            if (explicit_align)
                offset = align_up(offset, pack_bits ? std::min(explicit_align, pack_bits) : explicit_align);
            // x86-64 psABI 3.1.2: "bit-fields must be contained in a storage unit
            // appropriate for its declared type": one may not span more alignment units of
            // its type than the type itself has, else it moves to the next boundary of its
            // type's alignment.
            // This is GCC's excess_unit_span, applied after the aligned attribute (Clang
            // checks before it, so an aligned(N) smaller than the type's alignment can
            // leave a Clang bit-field straddling), and for a type whose typedef'd alignment
            // A exceeds its size S (S / A == 0) the bit-field always moves, where Clang
            // moves it only if it crosses an A-aligned unit of S bits. Packed records and
            // #pragma pack suppress this padding.
            if (!packed && !pack_bits) {
                uint64_t in_unit = offset % type_align;
                if ((in_unit + width + type_align - 1) / type_align > unit_bits / type_align)
                    offset = align_up(offset, type_align);
            }
        }
        f.offset_bits = offset;

        if (rec_.is_union) {
            data_bits_ = std::max(data_bits_, align_up(width, 8));
        } else {
            // The next bit-field continues at the next bit; data_bits_ is the exact end (for
            // a zero-width bit-field, the byte-aligned boundary it padded to).
            data_bits_ = offset + width;
        }

        // x86-64 psABI 3.1.2: "Unnamed bit-fields' types do not affect the alignment of a
        // structure or union" (Apple arm64 too). On AArch64 Linux GCC and Clang let the type
        // of every bit-field contribute, named or not, zero-width included (GCC's
        // align_anon_bitfield, Clang's useZeroLengthBitfieldAlignment).
        if (f.name.empty() && !target_.zero_width_bitfield_aligns_record) return;
        align_ = std::max<uint32_t>(align_, uint32_t(std::max(field_align, mode_align) / 8));
    }

    Record& rec_;
    const TypeTable& types_;
    const Target& target_;
    uint64_t data_bits_ = 0;  // struct: the end of the last member; union: the largest member
    uint32_t align_ = 1;
};

}  // namespace

void compute_record_layout(Record& rec, const TypeTable& types) {
    LayoutBuilder(rec, types).run();
}

void install_record_layout(TypeTable& types) {
    types.set_record_layouter(compute_record_layout);
}

}  // namespace jiffi::detail

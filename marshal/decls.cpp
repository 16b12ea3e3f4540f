// The typedefs every context starts with, as glibc (LP64) and Darwin define them.
#include "marshal/decls.hpp"

#include <utility>

namespace jiffi::detail {

void add_builtin_typedefs(TypeTable& types, Declarations& decls) {
    const Target& tg = types.target();
    bool darwin = tg.os == OS::Darwin;
    bool aarch64_linux = tg.arch == Arch::AArch64 && tg.os == OS::Linux;
    auto p = [&](Prim prim) { return types.prim(prim); };
    // Darwin spells the 64-bit <stdint.h> types with long long; glibc LP64 with long.
    const Type* i64 = p(darwin ? Prim::LongLong : Prim::Long);
    const Type* u64 = p(darwin ? Prim::ULongLong : Prim::ULong);
    const Type* slong = p(Prim::Long);
    const Type* ulong = p(Prim::ULong);
    const Type* sint = p(Prim::Int);
    const Type* uint = p(Prim::UInt);
    const Type* wchar = p(tg.wchar_signed ? Prim::Int : Prim::UInt);

    const std::pair<const char*, const Type*> table[] = {
        {"size_t", ulong},
        {"ssize_t", slong},
        {"ptrdiff_t", slong},
        {"intptr_t", slong},
        {"uintptr_t", ulong},
        {"intmax_t", slong},
        {"uintmax_t", ulong},
        {"wchar_t", wchar},
        {"wint_t", darwin ? sint : uint},
        {"char16_t", p(Prim::UShort)},
        {"char32_t", uint},
        {"int8_t", p(Prim::SChar)},
        {"int16_t", p(Prim::Short)},
        {"int32_t", sint},
        {"int64_t", i64},
        {"uint8_t", p(Prim::UChar)},
        {"uint16_t", p(Prim::UShort)},
        {"uint32_t", uint},
        {"uint64_t", u64},
        {"int_least8_t", p(Prim::SChar)},
        {"int_least16_t", p(Prim::Short)},
        {"int_least32_t", sint},
        {"int_least64_t", i64},
        {"uint_least8_t", p(Prim::UChar)},
        {"uint_least16_t", p(Prim::UShort)},
        {"uint_least32_t", uint},
        {"uint_least64_t", u64},
        {"int_fast8_t", p(Prim::SChar)},
        {"int_fast16_t", darwin ? p(Prim::Short) : slong},
        {"int_fast32_t", darwin ? sint : slong},
        {"int_fast64_t", i64},
        {"uint_fast8_t", p(Prim::UChar)},
        {"uint_fast16_t", darwin ? p(Prim::UShort) : ulong},
        {"uint_fast32_t", darwin ? uint : ulong},
        {"uint_fast64_t", u64},
        {"off_t", darwin ? p(Prim::LongLong) : slong},
        {"off64_t", darwin ? p(Prim::LongLong) : slong},
        {"time_t", slong},
        {"clock_t", darwin ? ulong : slong},
        {"suseconds_t", darwin ? sint : slong},
        {"pid_t", sint},
        {"uid_t", uint},
        {"gid_t", uint},
        {"mode_t", darwin ? p(Prim::UShort) : uint},
        {"dev_t", darwin ? sint : ulong},
        {"ino_t", darwin ? p(Prim::ULongLong) : ulong},
        {"nlink_t", darwin          ? p(Prim::UShort)
                    : aarch64_linux ? uint
                                    : ulong},
        {"blksize_t", darwin || aarch64_linux ? sint : slong},
        {"blkcnt_t", darwin ? p(Prim::LongLong) : slong},
        {"socklen_t", uint},
        {"sa_family_t", darwin ? p(Prim::UChar) : p(Prim::UShort)},
        {"in_port_t", p(Prim::UShort)},
        {"in_addr_t", uint},
        {"key_t", sint},
        {"id_t", uint},
        {"useconds_t", uint},
        {"__int128_t", p(Prim::Int128)},
        {"__uint128_t", p(Prim::UInt128)},
        {"bool", p(Prim::Bool)},
    };
    for (const auto& [name, type] : table) decls.typedefs.emplace(name, type);
}

}  // namespace jiffi::detail

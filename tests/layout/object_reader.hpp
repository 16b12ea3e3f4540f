// Reads the initialized bytes of data symbols from relocatable ELF64 and Mach-O 64 objects.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace jiffi::detail::test {

// The bytes of every symbol defined in a section of a little-endian ELF64 or Mach-O 64
// object file, by name (Mach-O's leading underscore removed). ELF sizes come from the
// symbol table; a Mach-O symbol extends to the next symbol of its section or the section's
// end. Throws std::runtime_error for an unreadable or unknown file format.
std::map<std::string, std::vector<uint8_t>> read_object_symbols(const std::string& path);

}  // namespace jiffi::detail::test

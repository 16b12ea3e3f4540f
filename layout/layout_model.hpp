// The discovered layout of C headers: a Clang-free model, its JSON formats and JSON reader.
//
// The discoverer (jiffi-discover, on libclang-cpp) fills a LayoutDump from Clang's AST; the
// jiffi-layout CLI writes it as JSON (docs/layout-format.md); the runtime reads that JSON
// back from its layout cache. Nothing here includes Clang, so the runtime can use it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace jiffi::detail {

inline constexpr uint32_t kNoType = UINT32_MAX;

// Where a declaration is written.
struct DumpLocation {
    std::string file;
    uint32_t line = 0, column = 0;
    std::string text() const;  // "file:line:column", "" when unknown
};

enum class DumpTypeKind : uint8_t {
    Builtin, Pointer, Array, Record, Enum, Typedef, Function, Qualified, Vector, Other
};

// One node of the type graph; nodes refer to each other by id (their index).
struct DumpType {
    uint32_t id = 0;
    DumpTypeKind kind = DumpTypeKind::Other;
    std::string name;         // Builtin: "unsigned long"; Typedef: its name; Other: Clang's
    std::string spelling;     // the type in C syntax ("const struct stat *")
    bool complete = false;    // size and align are known
    uint64_t size = 0;        // bytes
    uint64_t align = 0;       // bytes
    uint32_t inner = kNoType; // Pointer: pointee; Array/Vector: element; Typedef: immediate
                              // type; Function: return; Qualified: unqualified type
    uint32_t canonical = kNoType;  // Typedef: the canonical type
    uint64_t count = 0;       // Array/Vector: element count
    bool flexible = false;    // Array: "[]" (incomplete array)
    std::vector<uint32_t> params;  // Function
    bool variadic = false;         // Function
    bool prototyped = true;        // Function: false for "int f()"
    bool is_const = false, is_volatile = false, is_restrict = false;  // Qualified
    int32_t decl = -1;        // Record: index into records; Enum: index into enums
};

struct DumpField {
    std::string name;         // "" for unnamed bit-fields and anonymous members
    uint32_t type = kNoType;
    uint64_t offset_bits = 0; // from the start of the record holding the field
    bool bitfield = false;
    uint32_t bit_width = 0;
    bool anonymous = false;   // an anonymous struct or union member
    bool flexible = false;    // a flexible array member
};

// A leaf member reached from a record through its anonymous members.
struct DumpAccess {
    std::string name;          // as C names it on the outer record
    std::vector<uint32_t> path;  // field indices from the outer record down to the leaf
    uint64_t offset_bits = 0;  // from the start of the outer record
    bool bitfield = false;
    uint32_t bit_width = 0;
};

struct DumpRecord {
    std::string tag;          // "" when the record has no tag
    std::string typedef_name; // the typedef naming an untagged record, "" if none
    bool is_union = false;
    bool complete = false;
    bool anonymous = false;   // an anonymous member of another record
    int32_t parent = -1;      // the record it is defined inside, -1 at file scope
    uint32_t type = kNoType;  // its Record node
    uint64_t size = 0, align = 1;  // bytes, from ASTContext::getASTRecordLayout
    bool packed = false;      // __attribute__((packed))
    uint32_t pack = 0;        // #pragma pack(N) in force, 0 if none
    uint32_t align_attr = 0;  // the largest aligned(N) on the record, 0 if none
    bool has_flexible = false;
    DumpLocation loc;
    std::vector<DumpField> fields;
    std::vector<DumpAccess> access;  // every named leaf, through anonymous members too
    std::string display() const;     // "struct stat", "union <anonymous at f.h:3:5>"
};

struct DumpEnumerator {
    std::string name;
    bool negative = false;    // value is int64 (negative), else uint64
    uint64_t bits = 0;        // the value's two's complement bits
    std::string text() const; // the value in decimal
};

struct DumpEnum {
    std::string tag, typedef_name;
    bool complete = false;
    uint32_t type = kNoType, underlying = kNoType;  // type ids
    std::vector<DumpEnumerator> values;
    DumpLocation loc;
};

struct DumpTypedef {
    std::string name;
    uint32_t type = kNoType, canonical = kNoType;
    DumpLocation loc;
};

struct DumpParam {
    std::string name;
    uint32_t type = kNoType;
};

struct DumpFunction {
    std::string name;
    uint32_t type = kNoType, ret = kNoType;
    std::vector<DumpParam> params;
    bool variadic = false, is_inline = false;
    std::string storage;      // "extern", "static", "none"
    DumpLocation loc;
};

struct DumpVariable {
    std::string name;
    uint32_t type = kNoType;
    std::string storage;
    DumpLocation loc;
};

enum class MacroKind : uint8_t { Integer, Float, String, Pointer };

struct DumpMacro {
    std::string name;
    MacroKind kind = MacroKind::Integer;
    uint32_t type = kNoType;  // the type of the expression
    bool negative = false;    // Integer/Pointer: value bits as int64 (negative) or uint64
    uint64_t bits = 0;
    double real = 0;          // Float
    std::string str;          // String: the bytes, without the terminating NUL
    std::string definition;   // the macro's replacement text
    DumpLocation loc;
    std::string value_text() const;  // decimal integer, %.17g float, or the string
};

struct DumpSkipped {
    std::string kind;         // "macro", "record", "function", ...
    std::string name;
    std::string reason;
    DumpLocation loc;
};

// Facts of the target the headers were parsed for.
struct DumpHeader {
    std::string triple;
    uint32_t pointer_size = 8, long_size = 8, long_double_size = 16;
    bool char_signed = true;
    std::string clang_version;
    std::vector<std::string> arguments;  // the request as given
    std::vector<std::string> dependencies;  // every file Clang read
};

struct LayoutDump {
    DumpHeader header;
    std::vector<DumpType> types;
    std::vector<DumpRecord> records;
    std::vector<DumpEnum> enums;
    std::vector<DumpTypedef> typedefs;
    std::vector<DumpFunction> functions;
    std::vector<DumpVariable> variables;
    std::vector<DumpMacro> macros;
    std::vector<DumpSkipped> skipped;
};

// ---- JSON ------------------------------------------------------------------------------

// A JSON value (numbers kept as their text so that 64-bit integers survive).
struct JsonValue {
    enum class Kind : uint8_t { Null, Bool, Number, String, Array, Object };
    Kind kind = Kind::Null;
    bool boolean = false;
    std::string text;  // Number: its literal; String: the decoded string
    std::vector<JsonValue> items;
    std::vector<std::pair<std::string, JsonValue>> members;

    // The destructor is defined below the class: defined implicitly inside it, it would need
    // std::pair<std::string, JsonValue> complete while that pair is still being instantiated
    // (clang with libstdc++ rejects the cycle).
    JsonValue() = default;
    JsonValue(const JsonValue&) = default;
    JsonValue(JsonValue&&) noexcept = default;
    JsonValue& operator=(const JsonValue&) = default;
    JsonValue& operator=(JsonValue&&) noexcept = default;
    ~JsonValue();

    // The member named key, or nullptr.
    const JsonValue* find(std::string_view key) const;
    // The member as an unsigned or signed integer, string, bool; def when missing.
    uint64_t u64(std::string_view key, uint64_t def = 0) const;
    int64_t i64(std::string_view key, int64_t def = 0) const;
    std::string str(std::string_view key) const;
    bool flag(std::string_view key) const;
};

inline JsonValue::~JsonValue() = default;

// Parses JSON text; throws std::runtime_error naming the byte offset of a syntax error.
// "\u0000" to "\u00ff" decode to one byte each (json_quote writes bytes so), others to UTF-8.
JsonValue parse_json(std::string_view text);

// Appends s to out as a JSON string literal; bytes outside printable ASCII become \u00XX.
void json_quote(std::string& out, std::string_view s);

// The dump in jiffi's format (docs/layout-format.md), indented when pretty.
std::string write_jiffi_json(const LayoutDump& dump, bool pretty = true);

// The dump in the JSON format of c2ffi, as cl-autowrap reads it.
std::string write_c2ffi_json(const LayoutDump& dump);

// Reads a dump in jiffi's format back and checks it with check_layout_dump (throws
// std::runtime_error naming the fault of a malformed dump). JSON nesting is bounded.
LayoutDump read_jiffi_json(std::string_view text);

// Throws std::runtime_error unless the dump is one Clang could have written: every id in
// range, no type or record that holds itself, sizes, alignments and member offsets that
// the C rules of the dump's target allow (docs/layout-format.md, "Reading a dump back").
void check_layout_dump(const LayoutDump& dump);

// ---- Layout cache entries ----------------------------------------------------------------

// The first line of a layout cache entry.
inline constexpr std::string_view kCacheMagic = "jiffi-layout-cache 1";

// A file a cache entry depends on, as it was when the entry was written.
struct CacheDependency {
    std::string path;
    uint64_t size = 0;
    int64_t mtime_ns = 0;
    uint64_t hash = 0;  // blake3_64 of the content (base/hash.hpp)
};

// One entry of the runtime's layout cache: the request it answers, the files Clang read
// for it, and the discoverer's dump as jiffi-layout JSON.
struct LayoutCacheEntry {
    std::string request;
    std::vector<CacheDependency> deps;
    std::string json;
};

// The bytes of a cache entry (docs/layout-format.md).
std::string write_layout_cache_entry(const LayoutCacheEntry& entry);

// Parses the bytes of a cache entry, every length bounded by the bytes present, and when
// dump is given reads and checks its JSON into it; throws std::runtime_error naming what is
// wrong. Pure (no file is touched), so the reader can be fuzzed.
LayoutCacheEntry read_layout_cache_entry(std::string_view bytes, LayoutDump* dump);

// ---- Snippets ----------------------------------------------------------------------------

// The tag and kind of the first "struct T {" or "union T {" of a declaration snippet
// (define-c-struct-auto's form); tag is empty when there is none.
struct SnippetRecord {
    std::string tag;
    bool is_union = false;
    size_t tag_pos = 0;  // where the tag starts in the text
};
SnippetRecord find_snippet_record(std::string_view text);

// The prefix that renames a snippet's record so that it does not clash with the header's.
inline constexpr const char* kSnippetPrefix = "__jiffi_snippet_";

}  // namespace jiffi::detail

// Reading Clang's textual LLVM IR: named types, declare/call lines, normalized parameters.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "abi/call_plan.hpp"

namespace jiffi::detail::test {

// One function's lowering as written in IR: return (with attributes) and parameters.
struct IrFunction {
    std::string ret;                  // normalized return with attributes ("signext i8")
    std::vector<std::string> params;  // normalized parameters with attributes
    std::vector<std::string> fixed_types;  // a variadic call's function type: fixed types
    bool variadic = false;
};

// The named struct types and lowered functions of one module.
struct IrModule {
    std::map<std::string, std::string> named;      // "%struct.s" -> "{ i32, float }"
    std::map<std::string, IrFunction> declares;    // by function name (without '@')
    std::map<std::string, IrFunction> calls;       // the first call of each function

    // Parses the module text; throws std::runtime_error on a line it cannot read.
    static IrModule parse(const std::string& text);
};

// Parses an IR type at pos in s (named types resolved through named), advancing pos.
IrType parse_ir_type(const std::string& s, size_t& pos, const std::map<std::string, std::string>& named);

// Normalizes one parameter "T attrs... [value]": named types resolved, byval/sret pointee
// replaced by its size in bytes, dead_on_unwind/noalias/writable/nocapture dropped, the
// value (if has_value) removed.
std::string normalize_param(const std::string& p, const std::map<std::string, std::string>& named,
                            bool has_value);

}  // namespace jiffi::detail::test

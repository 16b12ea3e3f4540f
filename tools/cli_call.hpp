// What `jiffi call` and `jiffi stats` share: options, binding a prototype, shell arguments as slots.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "jiffi/jiffi.h"

namespace jiffi::cli {

// A function bound from the command line with its arguments converted; owns its objects.
struct BoundCall {
    jiffi_context* ctx = nullptr;
    jiffi_library* lib = nullptr;
    jiffi_function* fn = nullptr;
    jiffi_signature* sig = nullptr;
    std::vector<jiffi_slot> args;
    jiffi_type_info ret_info{};
    std::vector<unsigned char> ret;  // return storage of ret_info.size (+ slack)
    double bind_us = 0;              // how long jiffi_function_bind took

    BoundCall() = default;
    BoundCall(const BoundCall&) = delete;
    BoundCall& operator=(const BoundCall&) = delete;
    ~BoundCall();
};

// Handles a subcommand's own option: returns 1 if it took the value, 0 if it did not know
// the option, or an exit status + 2 for a bad value (it printed why).
using ExtraOption = std::function<int(const std::string& option, const char* value)>;

// Parses [--backend B] [--cdef D]... [--vararg T] [--symbol S] (and what extra knows; flags
// listed in flags take no value) LIBRARY PROTOTYPE ARGS..., then binds and converts. Returns
// -1 on success, else the exit status (1 a jiffi error, 2 a usage error; message printed).
int bind_from_args(int argc, char** argv, const char* usage, const std::vector<std::string>& flags,
                   const ExtraOption& extra, BoundCall& out);

// Prints err to stderr prefixed by what failed, disposes it, and returns exit status 1.
int report(jiffi_error* err, const char* what);

// Prints the result in ret by its class: integers, shortest round-trip floats, C strings,
// other pointers in hex, records as their bytes in hex.
void print_result(const jiffi_type_info& info, const std::vector<unsigned char>& ret, const char* prefix);

}  // namespace jiffi::cli

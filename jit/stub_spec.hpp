// What a call stub is compiled from: a CallPlan and how each value sits in its jiffi_slot.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "abi/call_plan.hpp"
#include "marshal/signature.hpp"
#include "marshal/type.hpp"

namespace jiffi::detail {

// How one C value is held by the invoker's slots (docs/c-api.md "Value slots").
struct SlotInfo {
    ValueClass cls = ValueClass::Void;  // Memory: the slot (or ret) points at the bytes
    uint64_t size = 0;                  // sizeof the C type as the slot carries it
    uint32_t align = 1;                 // _Alignof the C type
};

// What shape of code a spec asks for.
enum class StubKind : uint8_t {
    Invoker,       // void stub(fn, args, ret): calls fn by the plan (docs/c-api.md's invoker)
    ErrnoInvoker,  // void stub(fn, args, ret, int *err): an invoker that also stores the errno
                   // the callee left, read right after the call returns
    Thunk,         // a C function of the plan's signature whose static chain (nest register) is
                   // a callback slot: calls the slot's handler(user_data, slots, ret)
    Batch          // void batch(ptr args[], ptr rets[]): calls[i] of function fns[i], in order
};

// What thunks need of the process they run in: where each thread's callback record lives
// (an initial-exec TLS variable at a fixed offset from the thread pointer). The trampoline in
// front of a thunk marks the record as entering and registers the thread on its first
// callback before it reads the slot's target; the thunk names its slot in the record's
// active entry for its depth, counts the call in the depth, then clears the mark (plain
// stores: no chain of read-modify-writes).
struct ThunkRuntime {
    bool tls = false;              // false: thunks count nothing (hosts without the TLS path)
    int64_t tls_offset = 0;        // the record's address minus the thread pointer
};

// A plan with the slot shapes of its values: all a stub's code depends on.
struct StubSpec {
    StubKind kind = StubKind::Invoker;
    CallPlan plan;
    SlotInfo ret;
    std::vector<SlotInfo> args;  // one per plan argument
    std::vector<StubSpec> calls;  // Batch: the invoker spec of each call (plan and slots unused)
    std::vector<uint64_t> fns;    // Batch: the address each call calls
    ThunkRuntime thunk;           // Thunk: where the thread's callback record is (in the key)

    // A string that identifies the generated code: equal keys, interchangeable stubs.
    std::string key() const;
    // False when the code embeds addresses of this process (batches: their functions'):
    // never in the disk cache. A thunk's one process fact, its record's TLS offset, is in its key.
    bool cacheable() const { return kind != StubKind::Batch; }
};

// The slot shape of type t in types (void gives ValueClass::Void).
SlotInfo slot_info(const TypeTable& types, const Type* t);

// The stub spec of sig lowered by plan (made by the classifier of types' target).
StubSpec make_stub_spec(const TypeTable& types, const CallSignature& sig, CallPlan plan);

}  // namespace jiffi::detail

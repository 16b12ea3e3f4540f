// The libffi backend: a CallSignature prepared as an ffi_cif, called with jiffi slots.
#pragma once

#include <ffi.h>

#include <deque>
#include <memory>
#include <vector>

#include "jiffi/jiffi.h"
#include "marshal/signature.hpp"
#include "marshal/type.hpp"

namespace jiffi::detail {

struct SlotData;

// ffi_closure_alloc and ffi_closure_free under one jiffi lock: libffi's closure allocator
// has a lock of its own but no fork handler, so the fork handlers take this one instead
// (no jiffi thread is then inside the allocator when the process forks).
void* closure_alloc(size_t size, void** code);
void closure_free(void* closure);
// Before fork(): takes that lock.
void closures_fork_prepare() noexcept;
// After fork(): releases it (in the parent and the child alike).
void closures_fork_release() noexcept;

// One signature prepared for libffi: its cif, the ffi_types it needs, and an invoker.
class FfiCall {
public:
    // Prepares sig for libffi. Throws Error(UNSUPPORTED) naming the type libffi cannot
    // pass correctly (unions, bitfields, __int128, packed or over-aligned records, empty
    // records by value) and why.
    FfiCall(const TypeTable& types, const CallSignature& sig);
    ~FfiCall();
    FfiCall(const FfiCall&) = delete;
    FfiCall& operator=(const FfiCall&) = delete;

    // Calls fn with args by the signature and stores the result in ret per docs/c-api.md; err,
    // when not null, receives the errno fn left, read right after ffi_call returns.
    void call(void* fn, const jiffi_slot* args, void* ret, int* err = nullptr) const;

    // The prepared cif and the slot classes of the values, for closures over the signature.
    const ffi_cif& cif() const { return cif_; }
    ValueClass arg_class(size_t i) const { return arg_classes_[i]; }
    ValueClass ret_class() const { return ret_class_; }
    size_t ret_size() const { return ret_size_; }

    // A C function pointer of the invoker shape bound to this signature, valid as long as
    // this object lives: a slot of the plain trampoline table whose target passes this
    // object to call() (a libffi closure over call() on hosts without trampolines).
    jiffi_invoker invoker() const { return invoker_; }

private:
    // Throws UNSUPPORTED if sig has a record that libffi's r9 copy bug would corrupt.
    void refuse_r9_spill(const CallSignature& sig) const;
    ffi_type* type_for(const Type* t, const std::string& where);
    ffi_type* record_type(const Record& rec, const std::string& where);
    ffi_type* array_type(const Type* t, const std::string& where);

    const TypeTable& types_;
    ffi_cif cif_{};
    std::vector<ffi_type*> arg_types_;
    std::deque<ffi_type> owned_types_;
    std::deque<std::vector<ffi_type*>> owned_elements_;
    std::vector<uint8_t> promote_float_;  // per argument: passed as double from an f32 slot
    std::vector<ValueClass> arg_classes_;
    ValueClass ret_class_ = ValueClass::Void;
    size_t ret_size_ = 0;
    size_t scratch_size_ = 0;  // bytes of return scratch space call() needs

    // Makes invoker_: a trampoline slot where the host has them, else a libffi closure.
    void make_invoker();

    SlotData* invoker_slot_ = nullptr;
    ffi_cif invoker_cif_{};
    ffi_type* invoker_args_[3] = {};
    ffi_closure* closure_ = nullptr;
    jiffi_invoker invoker_ = nullptr;
};

}  // namespace jiffi::detail

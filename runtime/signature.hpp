// Signatures: a parsed signature, owned by its context, with what each backend makes of it
// (the libffi preparation, the JIT classification, stubs and the callback thunk), each made
// once on first use.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>

#include "jiffi/jiffi.h"
#include "base/error.hpp"
#include "callbacks/thunks.hpp"
#include "marshal/signature.hpp"
#include "runtime/ffi_backend.hpp"
#include "runtime/jit_backend.hpp"
#include "runtime/tiering.hpp"

// A parsed signature, owned by its context; prepared for libffi on first use.
struct jiffi_signature {
    jiffi_context* ctx = nullptr;
    jiffi::detail::CallSignature sig;

    // The libffi preparation of sig, made once; throws the Error it failed with.
    const jiffi::detail::FfiCall& ffi() const;
    // The same, shared with owners that may outlive the signature (libffi callbacks).
    std::shared_ptr<const jiffi::detail::FfiCall> ffi_shared() const;
    // The JIT classification of sig, made once (a refusal is reported by its acquire()).
    const jiffi::detail::JitSignature& jit() const;
    // The callback thunk of sig, compiled once (its error() says why the JIT cannot).
    const jiffi::detail::ThunkSignature& thunk() const;
    // The errno-capturing call stub of sig, compiled once; null when the JIT cannot make it.
    jiffi::detail::ErrnoInvoker errno_stub() const;
    // The JIT call stub of sig, compiled once and kept with sig; null when the JIT cannot.
    jiffi_invoker jit_invoker() const;

private:
    mutable std::once_flag ffi_once_;
    mutable std::shared_ptr<jiffi::detail::FfiCall> ffi_;
    mutable std::unique_ptr<jiffi::detail::Error> ffi_error_;
    mutable std::once_flag jit_once_;
    mutable std::unique_ptr<jiffi::detail::JitSignature> jit_;
    mutable std::once_flag thunk_once_;
    mutable const jiffi::detail::ThunkSignature* thunk_ = nullptr;
    mutable std::once_flag errno_once_;
    mutable jiffi::detail::StubRef errno_ref_;
    mutable std::once_flag invoker_once_;
    mutable jiffi::detail::StubRef invoker_ref_;

public:
    // The AUTO tiering job of sig, made by the first AUTO function; guarded by the
    // TierCompiler's mutex.
    mutable std::shared_ptr<jiffi::detail::TierJob> tier_job;
    // Set once a JIT context counted sig's stub as compiled.
    mutable std::atomic<bool> stub_counted{false};
    // AUTO callbacks: the tiering job of sig's thunk (guarded by the TierCompiler's mutex),
    // the thunk once the job delivered it (until then AUTO callbacks are made by libffi, so
    // no caller waits for the JIT), and the job's reference keeping it compiled.
    mutable std::shared_ptr<jiffi::detail::TierJob> thunk_job;
    mutable std::atomic<jiffi_invoker> thunk_ready{nullptr};
    mutable jiffi::detail::StubRef thunk_ready_ref;
};

namespace jiffi::detail {

// The invoker of sig for its context's backend: the JIT stub when the context uses the JIT
// and it can be made (a JIT context fails with the JIT's reason otherwise), else libffi's.
// Fails for a variadic prototype.
jiffi_invoker signature_invoker(const jiffi_signature* sig);

// Fills info with the value class, size and alignment of sig's return (index -1) or argument
// index; fails naming sig when index is out of range.
void signature_type_info(const jiffi_signature* sig, long index, jiffi_type_info& info);

}  // namespace jiffi::detail

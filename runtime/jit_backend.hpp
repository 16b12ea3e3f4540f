// The JIT backend of the runtime: a signature classified once, and its stub from the cache.
#pragma once

#include <memory>
#include <string>

#include "jit/stub_cache.hpp"
#include "jit/stub_spec.hpp"
#include "base/error.hpp"
#include "marshal/signature.hpp"
#include "marshal/type.hpp"

namespace jiffi::detail {

// The JIT's view of one signature: its stub spec, or why the JIT cannot call it.
class JitSignature {
public:
    // Classifies sig for the target of types; a refusal is kept for acquire() to report.
    JitSignature(const TypeTable& types, const CallSignature& sig);

    // A reference to the signature's stub, compiled before returning unless cached.
    // Throws Error(UNSUPPORTED) naming the signature and why the JIT cannot call it.
    StubRef acquire() const;

    // The spec, or null when the signature was refused.
    const StubSpec* spec() const { return spec_.get(); }
    // Why the classifier refused the signature, or null.
    const Error* error() const { return error_.get(); }

private:
    std::string text_;
    std::unique_ptr<StubSpec> spec_;
    std::unique_ptr<Error> error_;
};

// An invoker that also stores the errno the callee left (StubKind::ErrnoInvoker).
using ErrnoInvoker = void (*)(void* fn, const jiffi_slot* args, void* ret, int* err);

}  // namespace jiffi::detail

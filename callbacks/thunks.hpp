// Callback thunks: one per signature, compiled once from its CallPlan and kept for the
// process (trampoline slots name it after their context is gone).
#pragma once

#include <memory>
#include <string>

#include "jit/stub_cache.hpp"
#include "jit/stub_spec.hpp"
#include "base/error.hpp"

namespace jiffi::detail {

// A signature's thunk, or why the JIT cannot make one.
class ThunkSignature {
public:
    ThunkSignature(std::string text, const StubSpec* invoker_spec, const Error* refused);

    // The thunk's code, or null when it could not be made (error() says why).
    void* code() const { return ref_.ok() ? ref_.address() : nullptr; }
    const Error* error() const { return error_.get(); }
    // The signature's structural text (CallSignature::key), for the released-call report.
    const std::string& text() const { return text_; }

private:
    std::string text_;
    StubRef ref_;
    std::unique_ptr<Error> error_;
};

// The thunk of the signature whose structural text (CallSignature::key, typedefs resolved,
// so every spelling of one signature shares it) is text and whose call stub spec is
// invoker_spec (null with refused when the classifier refused it), made once per process
// for equal text and plan.
const ThunkSignature& intern_thunk(const std::string& text, const StubSpec* invoker_spec, const Error* refused);

// Makes thunks able to count calls per thread and slots able to name their signature;
// idempotent.
void init_callbacks();

// The thunk spec of a signature whose invoker spec is invoker: its plan, as a thunk of this
// process (where each thread's callback record lives: part of the thunk's key).
StubSpec thunk_spec(const StubSpec& invoker);

// Before fork(): takes the thunk registry's lock (held while a thunk compiles).
void thunks_fork_prepare() noexcept;
// After fork(): releases it (in the parent and the child alike).
void thunks_fork_release() noexcept;

}  // namespace jiffi::detail

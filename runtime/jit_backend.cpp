// The JIT backend of the runtime: classification by the target's classifier, stub lookup.
#include "runtime/jit_backend.hpp"

#include "abi/call_plan.hpp"

namespace jiffi::detail {

JitSignature::JitSignature(const TypeTable& types, const CallSignature& sig) : text_(sig.text) {
    try {
        CallPlan plan = classifier_for(types.target()).classify(types, sig);
        spec_ = std::make_unique<StubSpec>(make_stub_spec(types, sig, std::move(plan)));
    } catch (const Error& e) {
        error_ = std::make_unique<Error>(e);
    }
}

StubRef JitSignature::acquire() const {
    const Error* why = error_.get();
    StubRef ref;
    if (!why) {
        std::vector<StubRef> refs = StubCache::global().acquire_batch({spec_.get()});
        if (refs[0].ok()) return std::move(refs[0]);
        ref = std::move(refs[0]);
        why = ref.error();
    }
    fail(why->code(), "JIT backend, signature '" + text_ + "': " + why->message());
}


}  // namespace jiffi::detail

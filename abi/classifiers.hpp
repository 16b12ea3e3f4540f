// The per-target classifiers behind classifier_for, and the checks every classifier shares.
#pragma once

#include "abi/call_plan.hpp"

namespace jiffi::detail::abi {

// The x86-64 System V classifier (x86_64_sysv.cpp).
const Classifier& x86_64_sysv_classifier();
// The AArch64 classifier: AAPCS64 on Linux, or Apple arm64's variant (aarch64_aapcs.cpp).
const Classifier& aarch64_classifier(bool apple);

// Throws Error(UNSUPPORTED / INVALID_TYPE) unless sig's types can be passed by value on the
// table's target: complete, not functions, arrays only decayed, void only as the return.
void check_signature(const TypeTable& types, const CallSignature& sig);

// A new plan for sig with the triple, variadic split and C type names filled in.
CallPlan new_plan(const TypeTable& types, const CallSignature& sig);

}  // namespace jiffi::detail::abi

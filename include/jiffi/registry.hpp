// The signature registry (register-signature, get-or-create-trampoline) and batches
// (with-foreign-batch) of foreign.hpp's defshared bindings, compiled in cxx/registry.cpp.
// Declarations only (docs/design.md "The C++ API"): a caller adding calls to a batch
// includes foreign.hpp for its bindings.
#pragma once

#include "jiffi/jiffi.hpp"

namespace jiffi {

class Runtime;
class SharedFunction;
JIFFI_CXX_API Runtime& default_runtime();

// Named signatures and the cached invoker of each signature; thread-safe.
class JIFFI_CXX_API SignatureRegistry {
public:
    explicit SignatureRegistry(Runtime& rt = default_runtime());
    SignatureRegistry(const SignatureRegistry&) = delete;
    SignatureRegistry& operator=(const SignatureRegistry&) = delete;
    ~SignatureRegistry();

    // register-signature: name stands for the signature ret (args...), types in keyword or C
    // syntax; registering a name again replaces it. Returns the signature.
    Signature register_signature(std::string_view name, std::string_view ret, const StringList& args);
    // The signature registered as name; Error(INVALID_ARGUMENT) naming it if there is none.
    Signature signature(std::string_view name) const;
    // get-or-create-trampoline: the invoker of the signature ret (args...), made once (a JIT
    // stub on JIT and AUTO runtimes) and the same pointer on every later call.
    jiffi_invoker get_or_create_trampoline(std::string_view ret, const std::string_view* args, size_t count);
    jiffi_invoker get_or_create_trampoline(std::string_view ret, std::initializer_list<std::string_view> args) {
        return get_or_create_trampoline(ret, args.begin(), args.size());
    }
    jiffi_invoker get_or_create_trampoline(std::string_view ret, const StringList& args);
    // The trampoline of a registered signature.
    jiffi_invoker trampoline(std::string_view name);

private:
    struct Impl;
    Impl* impl_;
};

// The registry of the default runtime.
JIFFI_CXX_API SignatureRegistry& default_registry();
inline Signature register_signature(std::string_view name, std::string_view ret, const StringList& args) {
    return default_registry().register_signature(name, ret, args);
}
inline jiffi_invoker get_or_create_trampoline(std::string_view ret, std::initializer_list<std::string_view> args) {
    return default_registry().get_or_create_trampoline(ret, args.begin(), args.size());
}
inline jiffi_invoker get_or_create_trampoline(std::string_view ret, const StringList& args) {
    return default_registry().get_or_create_trampoline(ret, args);
}

// with-foreign-batch: calls of defshared bindings recorded with their arguments (converted
// and checked when added), then made as one compiled batch (jiffi_batch) as often as run()
// is called: the dispatch is paid once per run, not per call.
class JIFFI_CXX_API ForeignBatch {
public:
    ForeignBatch();
    ForeignBatch(const ForeignBatch&) = delete;
    ForeignBatch& operator=(const ForeignBatch&) = delete;
    ~ForeignBatch();

    // Adds the call f(args...) of a SharedFunction f (a template only so that this header
    // need not define SharedFunction); the batch keeps a copy of f.
    template <class F, class... A, std::enable_if_t<std::is_same_v<F, SharedFunction>, int> = 0>
    ForeignBatch& add(const F& f, A&&... args) {
        f.check_arity(sizeof...(A));
        Value values[sizeof...(A) + 1];
        f.convert_arguments(values, std::forward<A>(args)...);
        return add_values(f, values, sizeof...(A));
    }
    // Adds the call f(args...) with dynamic values, checked against f's C types.
    ForeignBatch& add_values(const SharedFunction& f, const Value* args, size_t count);
    // Makes every call in order (compiling the batch on the first run); each call's result.
    Value::Array run();
    // True when the batch runs as one compiled function.
    bool compiled() const;
    size_t size() const;

private:
    struct Impl;
    Impl* impl_;
};

// with-foreign-batch: body adds calls to a batch, which is then run once; returns each
// call's result in order.
template <class F>
Value::Array with_foreign_batch(F&& body) {
    ForeignBatch batch;
    std::forward<F>(body)(batch);
    return batch.run();
}

}  // namespace jiffi

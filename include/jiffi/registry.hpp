// The signature registry (register-signature, get-or-create-trampoline) and batches
// (with-foreign-batch) over foreign.hpp's runtime and bindings.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "jiffi/foreign.hpp"

namespace jiffi {

// Named signatures and the cached invoker of each signature; thread-safe.
class SignatureRegistry {
public:
    explicit SignatureRegistry(Runtime& rt = default_runtime()) : rt_(rt) {}

    // register-signature: name stands for the signature ret (args...), types in keyword or C
    // syntax; registering a name again replaces it. Returns the signature.
    Signature register_signature(const std::string& name, const std::string& ret,
                                 const std::vector<std::string>& args) {
        Signature sig = parse(ret, args);
        std::lock_guard<std::mutex> lock(mu_);
        by_name_[name] = sig;
        return sig;
    }
    // The signature registered as name; Error(INVALID_ARGUMENT) naming it if there is none.
    Signature signature(const std::string& name) const {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = by_name_.find(name);
        if (it == by_name_.end()) throw Error(Errc::INVALID_ARGUMENT, "no signature is registered as '" + name + "'");
        return it->second;
    }
    // get-or-create-trampoline: the invoker of the signature ret (args...), made once (a JIT
    // stub on JIT and AUTO runtimes) and the same pointer on every later call.
    jiffi_invoker get_or_create_trampoline(const std::string& ret, const std::vector<std::string>& args) {
        std::string key = ret + '\n';
        for (const std::string& a : args) key += a + '\n';
        {
            std::lock_guard<std::mutex> lock(mu_);
            auto it = invokers_.find(key);
            if (it != invokers_.end()) return it->second;
        }
        jiffi_invoker inv = nullptr;
        detail_api::check(jiffi_signature_invoker(parse(ret, args).get(), &inv));
        std::lock_guard<std::mutex> lock(mu_);
        return invokers_.emplace(key, inv).first->second;
    }
    // The trampoline of a registered signature.
    jiffi_invoker trampoline(const std::string& name) {
        jiffi_invoker inv = nullptr;
        detail_api::check(jiffi_signature_invoker(signature(name).get(), &inv));
        return inv;
    }

private:
    Signature parse(const std::string& ret, const std::vector<std::string>& args) {
        std::string text = rt_.c_type(ret) + " (";
        for (size_t i = 0; i < args.size(); ++i) text += (i ? ", " : "") + rt_.c_type(args[i]);
        text += args.empty() ? "void)" : ")";
        return rt_.context().signature(text);
    }

    Runtime& rt_;
    mutable std::mutex mu_;
    std::map<std::string, Signature> by_name_;
    std::map<std::string, jiffi_invoker> invokers_;
};

// The registry of the default runtime.
JIFFI_CXX_API SignatureRegistry& default_registry();
inline Signature register_signature(const std::string& name, const std::string& ret,
                                    const std::vector<std::string>& args) {
    return default_registry().register_signature(name, ret, args);
}
inline jiffi_invoker get_or_create_trampoline(const std::string& ret, const std::vector<std::string>& args) {
    return default_registry().get_or_create_trampoline(ret, args);
}

// with-foreign-batch: calls of defshared bindings recorded with their arguments (converted
// and checked when added), then made as one compiled batch (jiffi_batch) as often as run()
// is called: the dispatch is paid once per run, not per call.
class ForeignBatch {
public:
    ForeignBatch() = default;
    ForeignBatch(const ForeignBatch&) = delete;
    ForeignBatch& operator=(const ForeignBatch&) = delete;
    ~ForeignBatch() {
        if (batch_) jiffi_batch_destroy(batch_);
    }

    // Adds the call f(args...).
    template <class... A>
    ForeignBatch& add(const SharedFunction& f, A&&... args) {
        if (sizeof...(A) != f.arity())
            throw Error(Errc::ARG_COUNT, f.name() + " (" + f.signature() + ") takes " + std::to_string(f.arity()) +
                                             " arguments, " + std::to_string(sizeof...(A)) + " given");
        auto call = std::make_unique<Call>();
        call->fn = &f;
        call->name = f.name();
        call->slots.resize(f.arity() + 1);
        call->params.resize(f.arity());
        call->values.resize(f.arity());
        size_t i = 0;
        (convert(*call, i++, std::forward<A>(args)), ...);
        const TypeDesc& r = f.return_type();
        call->ret = r.value_class == JIFFI_CLASS_VOID ? nullptr : call->scratch.alloc(r.size < 16 ? 16 : r.size);
        calls_.push_back(std::move(call));
        if (batch_) {
            jiffi_batch_destroy(batch_);
            batch_ = nullptr;
        }
        return *this;
    }

    // Makes every call in order (compiling the batch on the first run) and returns each
    // call's result.
    std::vector<Value> run() {
        if (calls_.empty()) return {};
        if (!batch_) {
            std::vector<jiffi_function*> fns;
            for (auto& c : calls_) fns.push_back(c->fn->function().get());
            detail_api::check(jiffi_batch_create(fns.data(), fns.size(), &batch_));
            args_.clear();
            rets_.clear();
            for (auto& c : calls_) {
                args_.push_back(c->slots.data());
                rets_.push_back(c->ret);
            }
        }
        CallbackState& s = detail_api::callback_state();
        ++s.depth;
        jiffi_batch_call(batch_, args_.data(), rets_.data());
        if (--s.depth == 0 && s.pending) std::rethrow_exception(std::exchange(s.pending, nullptr));
        std::vector<Value> out;
        for (auto& c : calls_) out.push_back(result(*c));
        return out;
    }
    // True when the batch runs as one compiled function.
    bool compiled() const { return batch_ && jiffi_batch_is_compiled(batch_); }
    size_t size() const { return calls_.size(); }

private:
    using CallbackState = detail_api::CallbackState;
    struct Call {
        const SharedFunction* fn = nullptr;
        std::string name;
        std::vector<std::string> params;
        std::vector<Value> values;  // the converted arguments: slots may point into them
        std::vector<jiffi_slot> slots;
        void* ret = nullptr;
        detail_ff::CallScratch scratch;
        std::vector<detail_ff::OutRead> outs;
    };

    template <class A>
    void convert(Call& c, size_t i, A&& a) {
        const TypeDesc& t = c.fn->arg_type(i);
        using D = detail_ff::remove_cvref_t<A>;
        Value& v = c.values[i];
        if constexpr (std::is_array_v<std::remove_reference_t<A>>) {
            using E = std::remove_extent_t<std::remove_reference_t<A>>;
            v = convert_to_foreign<E*>(&a[0], t);
        } else {
            v = convert_to_foreign<D>(a, t);
        }
        detail_ff::arg_to_slot(t, v, c.slots[i], c.scratch, c.outs, detail_ff::Where(&c.name, &c.params[i], i));
    }

    static Value result(const Call& c) {
        const TypeDesc& r = c.fn->return_type();
        auto* slot = static_cast<const jiffi_slot*>(c.ret);
        switch (r.value_class) {
        case JIFFI_CLASS_VOID: return Value();
        case JIFFI_CLASS_SINT: return Value(slot->i64);
        case JIFFI_CLASS_UINT: return r.kind == JIFFI_KIND_BOOL ? Value(slot->u64 != 0) : Value(slot->u64);
        case JIFFI_CLASS_FLOAT: return Value(slot->f32);
        case JIFFI_CLASS_DOUBLE: return Value(slot->f64);
        case JIFFI_CLASS_POINTER: return Value(slot->ptr);
        default: {
            auto* b = static_cast<const unsigned char*>(c.ret);
            return Value(Value::Bytes(b, b + r.size));
        }
        }
    }

    std::vector<std::unique_ptr<Call>> calls_;
    std::vector<const jiffi_slot*> args_;
    std::vector<void*> rets_;
    jiffi_batch* batch_ = nullptr;
};

// with-foreign-batch: body adds calls to a batch, which is then run once; returns each
// call's result in order.
template <class F>
std::vector<Value> with_foreign_batch(F&& body) {
    ForeignBatch batch;
    std::forward<F>(body)(batch);
    return batch.run();
}

}  // namespace jiffi

// The signature registry and foreign batches of registry.hpp: named signatures, the cached
// invoker of each signature, and calls of defshared bindings compiled into one jiffi_batch.
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "cxx/marshal.hpp"
#include "jiffi/foreign.hpp"
#include "jiffi/registry.hpp"
#include "jiffi/runtime.hpp"

namespace jiffi {

// ---- SignatureRegistry -----------------------------------------------------------------

struct SignatureRegistry::Impl {
    Runtime& rt;
    mutable std::mutex mu;
    std::unordered_map<std::string, Signature> by_name;
    std::unordered_map<std::string, jiffi_invoker> invokers;  // by "ret\narg\n...": types as written

    // The signature ret (args...) in the runtime's context, keyword types spelled in C.
    Signature parse(std::string_view ret, const std::string_view* args, size_t count) {
        std::string text(rt.c_type(ret).view());
        text += " (";
        for (size_t i = 0; i < count; ++i) text.append(i ? ", " : "").append(rt.c_type(args[i]).view());
        text += count ? ")" : "void)";
        return rt.context().signature(text);
    }
};

namespace {

// The views of a list's strings.
std::vector<std::string_view> views_of(const StringList& list) {
    std::vector<std::string_view> out;
    out.reserve(list.size());
    for (const String& s : list) out.push_back(s.view());
    return out;
}

// The calling thread's buffer for trampoline keys, so that a warm lookup allocates nothing.
std::string& trampoline_key_buffer() {
    thread_local std::string key;
    return key;
}

}  // namespace

SignatureRegistry::SignatureRegistry(Runtime& rt) : impl_(new Impl{rt, {}, {}, {}}) {}
SignatureRegistry::~SignatureRegistry() { delete impl_; }

Signature SignatureRegistry::register_signature(std::string_view name, std::string_view ret, const StringList& args) {
    std::vector<std::string_view> views = views_of(args);
    Signature sig = impl_->parse(ret, views.data(), views.size());
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->by_name[std::string(name)] = sig;
    return sig;
}

Signature SignatureRegistry::signature(std::string_view name) const {
    std::lock_guard<std::mutex> lock(impl_->mu);
    auto it = impl_->by_name.find(std::string(name));
    if (it == impl_->by_name.end())
        throw Error(Errc::INVALID_ARGUMENT, "no signature is registered as '" + std::string(name) + "'");
    return it->second;
}

jiffi_invoker SignatureRegistry::get_or_create_trampoline(std::string_view ret, const std::string_view* args,
                                                          size_t count) {
    std::string& key = trampoline_key_buffer();
    key.assign(ret).append(1, '\n');
    for (size_t i = 0; i < count; ++i) key.append(args[i]).append(1, '\n');
    {
        std::lock_guard<std::mutex> lock(impl_->mu);
        auto it = impl_->invokers.find(key);
        if (it != impl_->invokers.end()) return it->second;
    }
    // Made outside the lock (parsing may load the JIT); the first one stored wins.
    std::string made_key = key;
    jiffi_invoker inv = nullptr;
    detail_api::check(jiffi_signature_invoker(impl_->parse(ret, args, count).get(), &inv));
    std::lock_guard<std::mutex> lock(impl_->mu);
    return impl_->invokers.emplace(std::move(made_key), inv).first->second;
}

jiffi_invoker SignatureRegistry::get_or_create_trampoline(std::string_view ret, const StringList& args) {
    std::vector<std::string_view> views = views_of(args);
    return get_or_create_trampoline(ret, views.data(), views.size());
}

jiffi_invoker SignatureRegistry::trampoline(std::string_view name) {
    jiffi_invoker inv = nullptr;
    detail_api::check(jiffi_signature_invoker(signature(name).get(), &inv));
    return inv;
}

// ---- ForeignBatch ----------------------------------------------------------------------

namespace {

// One recorded call: its binding, converted arguments and the slots pointing into them.
struct BatchCall {
    explicit BatchCall(const SharedFunction& f) : fn(f), name(f.name().view()) {}
    SharedFunction fn;
    std::string name;
    std::string no_name;  // how messages name the arguments: by position only
    std::vector<Value> values;
    std::vector<jiffi_slot> slots;
    void* ret = nullptr;
    detail_ff::CallScratch scratch;
    std::vector<detail_ff::OutRead> outs;
};

// A call's result as the slot (or the memory) it was returned in holds it.
Value result_of(const BatchCall& c) {
    const TypeDesc& r = c.fn.return_type();
    auto* slot = static_cast<const jiffi_slot*>(c.ret);
    switch (r.value_class) {
    case JIFFI_CLASS_VOID: return Value();
    case JIFFI_CLASS_SINT: return Value(slot->i64);
    case JIFFI_CLASS_UINT: return r.kind == JIFFI_KIND_BOOL ? Value(slot->u64 != 0) : Value(slot->u64);
    case JIFFI_CLASS_FLOAT: return Value(slot->f32);
    case JIFFI_CLASS_DOUBLE: return Value(slot->f64);
    case JIFFI_CLASS_POINTER: return Value(slot->ptr);
    default: return Value(Value::Bytes(c.ret, r.size));
    }
}

}  // namespace

struct ForeignBatch::Impl {
    std::vector<std::unique_ptr<BatchCall>> calls;
    std::vector<const jiffi_slot*> args;
    std::vector<void*> rets;
    jiffi_batch* batch = nullptr;

    // Drops the compiled batch: the calls changed.
    void invalidate() {
        if (batch) jiffi_batch_destroy(std::exchange(batch, nullptr));
    }
};

ForeignBatch::ForeignBatch() : impl_(new Impl) {}
ForeignBatch::~ForeignBatch() {
    impl_->invalidate();
    delete impl_;
}

ForeignBatch& ForeignBatch::add_values(const SharedFunction& f, const Value* args, size_t count) {
    f.check_arity(count);
    auto call = std::make_unique<BatchCall>(f);
    call->values.assign(args, args + count);
    call->slots.resize(count + 1);
    for (size_t i = 0; i < count; ++i)
        detail_ff::arg_to_slot(f.arg_type(i), call->values[i], call->slots[i], call->scratch, call->outs,
                               detail_ff::Where(&call->name, &call->no_name, i));
    const TypeDesc& r = f.return_type();
    call->ret = r.value_class == JIFFI_CLASS_VOID ? nullptr : call->scratch.alloc(r.size < 16 ? 16 : r.size);
    impl_->calls.push_back(std::move(call));
    impl_->invalidate();
    return *this;
}

Value::Array ForeignBatch::run() {
    Impl& in = *impl_;
    if (in.calls.empty()) return {};
    if (!in.batch) {
        std::vector<jiffi_function*> fns;
        for (auto& c : in.calls) fns.push_back(c->fn.function().get());
        detail_api::check(jiffi_batch_create(fns.data(), fns.size(), &in.batch));
        in.args.clear();
        in.rets.clear();
        for (auto& c : in.calls) {
            in.args.push_back(c->slots.data());
            in.rets.push_back(c->ret);
        }
    }
    // A callback handler's exception is rethrown once the outermost jiffi call returns.
    detail_api::CallbackState& s = detail_api::callback_state();
    ++s.depth;
    jiffi_batch_call(in.batch, in.args.data(), in.rets.data());
    if (--s.depth == 0 && s.pending) std::rethrow_exception(std::exchange(s.pending, nullptr));
    Value::Array out;
    out.reserve(in.calls.size());
    for (auto& c : in.calls) out.push_back(result_of(*c));
    return out;
}

bool ForeignBatch::compiled() const { return impl_->batch && jiffi_batch_is_compiled(impl_->batch); }
size_t ForeignBatch::size() const { return impl_->calls.size(); }

}  // namespace jiffi

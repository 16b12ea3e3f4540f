// The foreign surface of runtime.hpp and foreign.hpp: library handles, the runtime with its
// libraries and cached bindings, defshared bindings and their calls through the one
// marshaller (cxx/marshal.cpp), foreign errors, foreign-alloc by type name.
#include <atomic>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "cxx/marshal.hpp"
#include "jiffi/foreign.hpp"
#include "jiffi/memory.hpp"
#include "jiffi/runtime.hpp"
#include "jiffi/strings.hpp"

namespace jiffi {

// ---- LibraryHandle ---------------------------------------------------------------------

struct LibraryHandle::Box {
    explicit Box(Library l) : lib(std::move(l)) {}
    std::atomic<long> refs{1};
    Library lib;
};

LibraryHandle::LibraryHandle(Library lib) : box_(new Box(std::move(lib))) {}
LibraryHandle::LibraryHandle(const LibraryHandle& o) noexcept : box_(o.box_) {
    if (box_) box_->refs.fetch_add(1, std::memory_order_relaxed);
}
LibraryHandle::~LibraryHandle() {
    if (box_ && box_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete box_;
}
const Library* LibraryHandle::get() const noexcept { return box_ ? &box_->lib : nullptr; }

// ---- SharedFunction --------------------------------------------------------------------

namespace {

// How a char pointer result is returned: as a pointer, or as text the library keeps
// (borrowed) or the caller frees (owned, freed right after it is copied).
enum class StringResult { Auto, Pointer, Borrowed, Owned };

// A type-erased callable of the header (invoke, state, destroy) as a copyable Callable: copies
// share the state, destroyed with the last of them.
struct ErasedFree {
    std::shared_ptr<void> state;
    void (*invoke)(void*, void*);
    void operator()(void* p) const { invoke(state.get(), p); }
};
struct ErasedFailure {
    std::shared_ptr<void> state;
    bool (*invoke)(void*, const Value&);
    bool operator()(const Value& v) const { return invoke(state.get(), v); }
};

// Takes ownership of a callable's state (destroyed at once if what follows throws).
std::shared_ptr<void> hold(void* state, void (*destroy)(void*)) {
    return state ? std::shared_ptr<void>(state, destroy) : std::shared_ptr<void>();
}

// -1 from an integer function, NULL from a pointer function; other results never fail.
Callable<bool(const Value&)> default_failure(const TypeDesc& r) {
    if (r.value_class == JIFFI_CLASS_SINT)
        return [](const Value& v) { return v.kind() == Value::Kind::Int && v.as_int() == -1; };
    if (r.value_class == JIFFI_CLASS_POINTER)
        return [](const Value& v) { return v.kind() == Value::Kind::Pointer && !v.as_pointer(); };
    return [](const Value&) { return false; };
}

}  // namespace

// The binding, shared by copies until one of them changes its settings (copy on write).
struct SharedFunction::Impl {
    Impl() = default;
    Impl(const Impl& o)
        : lib(o.lib), fn(o.fn), name(o.name), name_text(o.name_text), names(o.names), types(o.types),
          strings(o.strings), free(o.free), capture_errno(o.capture_errno), failed(o.failed) {}

    std::atomic<long> refs{1};
    LibraryHandle lib;  // keeps the library loaded while the binding lives
    std::shared_ptr<Function> fn;
    String name;
    std::string name_text;           // the name, for messages
    std::vector<std::string> names;  // the parameters' names ("" when unnamed)
    std::vector<TypeDesc> types;     // [0] the result, [1..] the arguments
    StringResult strings = StringResult::Auto;
    Callable<void(void*)> free;
    bool capture_errno = false;
    Callable<bool(const Value&)> failed;

    detail_ff::Where where(size_t i) const { return detail_ff::Where(&name_text, &names[i], i); }
    void require_char_pointer_result() const {
        const TypeDesc& r = types[0];
        if (r.kind != JIFFI_KIND_POINTER || r.elem_kind != JIFFI_KIND_CHAR)
            throw Error(Errc::ARG_TYPE, name_text + " returns " + r.spelling + ", not a char pointer");
    }
    // Calls through jiffi_function_call, or jiffi_function_call_errno when capturing errno.
    void call_raw(const jiffi_slot* slots, void* ret, int& error_number) const {
        if (!capture_errno) return fn->call_slots(slots, ret);
        detail_api::check(jiffi_function_call_errno(fn->get(), slots, ret, &error_number));
    }
    Results invoke(const Value* args, size_t count, StringResult strings) const;
};

SharedFunction::SharedFunction(LibraryHandle lib, Function fn, std::string_view name, const StringList& param_names) {
    auto in = std::make_unique<Impl>();
    in->lib = std::move(lib);
    in->fn = std::make_shared<Function>(std::move(fn));
    in->name = String(name);
    in->name_text = std::string(name);
    Signature sig = in->fn->signature();
    size_t n = sig.arg_count();
    in->types.resize(n + 1);
    for (size_t i = 0; i <= n; ++i)
        detail_api::check(jiffi_signature_type_detail(sig.get(), static_cast<long>(i) - 1, &in->types[i]));
    for (const String& p : param_names) in->names.emplace_back(p.view());
    in->names.resize(n);
    impl_ = in.release();
}
SharedFunction::SharedFunction(const SharedFunction& o) noexcept : impl_(o.impl_) {
    if (impl_) impl_->refs.fetch_add(1, std::memory_order_relaxed);
}
SharedFunction::~SharedFunction() {
    if (impl_ && impl_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete impl_;
}


const String& SharedFunction::name() const { return impl_->name; }
size_t SharedFunction::arity() const { return impl_->types.size() - 1; }
const TypeDesc& SharedFunction::return_type() const { return impl_->types[0]; }
const TypeDesc& SharedFunction::arg_type(size_t i) const {
    if (i >= arity())
        throw Error(Errc::INVALID_ARGUMENT, impl_->name_text + " has no argument " + std::to_string(i + 1) + " (it takes " +
                                                std::to_string(arity()) + ")");
    return impl_->types[i + 1];
}
const Function& SharedFunction::function() const { return *impl_->fn; }
std::string SharedFunction::signature() const { return impl_->fn->signature().text(); }

const TypeDesc& SharedFunction::param_type(size_t i) const {
    static const TypeDesc none{};
    return i + 1 < impl_->types.size() ? impl_->types[i + 1] : none;
}

void SharedFunction::rethrow_argument(size_t i, const Error& e) const {
    if (i < impl_->names.size()) detail_ff::rethrow_at(impl_->where(i), e);
    throw;  // past the last argument: the call's count check names the mistake
}

void SharedFunction::check_arity(size_t count) const {
    size_t n = arity();
    if (count != n)
        throw Error(Errc::ARG_COUNT, impl_->name_text + " (" + signature() + ") takes " + std::to_string(n) +
                                         " argument" + (n == 1 ? "" : "s") + ", " + std::to_string(count) + " given");
}

namespace {
// Copy on write: a SharedFunction about to change its settings gets an Impl of its own.
template <class I>
I& unshare(I*& impl) {
    if (impl->refs.load(std::memory_order_acquire) != 1) {
        I* mine = new I(*impl);
        if (impl->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete impl;
        impl = mine;
    }
    return *impl;
}
}  // namespace

SharedFunction& SharedFunction::returns_borrowed_string() {
    impl_->require_char_pointer_result();
    Impl& in = unshare(impl_);
    in.strings = StringResult::Borrowed;
    in.free = nullptr;
    return *this;
}

SharedFunction& SharedFunction::set_owned_free(void (*invoke)(void*, void*), void* state, void (*destroy)(void*)) {
    std::shared_ptr<void> held = hold(state, destroy);
    impl_->require_char_pointer_result();
    if (!invoke) throw Error(Errc::INVALID_ARGUMENT, impl_->name_text + ": an owned string result needs a free function");
    Impl& in = unshare(impl_);
    in.strings = StringResult::Owned;
    in.free = ErasedFree{std::move(held), invoke};
    return *this;
}

SharedFunction& SharedFunction::returns_owned_string(const SharedFunction& free_fn) {
    impl_->require_char_pointer_result();
    std::shared_ptr<Function> fn = free_fn.impl_->fn;
    Impl& in = unshare(impl_);
    in.strings = StringResult::Owned;
    in.free = [fn](void* p) { fn->call<void>(p); };
    return *this;
}

SharedFunction& SharedFunction::with_errno() {
    Impl& in = unshare(impl_);
    in.capture_errno = true;
    in.failed = default_failure(in.types[0]);
    return *this;
}

SharedFunction& SharedFunction::set_failure(bool (*invoke)(void*, const Value&), void* state, void (*destroy)(void*)) {
    std::shared_ptr<void> held = hold(state, destroy);
    Impl& in = unshare(impl_);
    in.capture_errno = true;
    in.failed = ErasedFailure{std::move(held), invoke};
    return *this;
}

bool SharedFunction::captures_errno() const { return impl_->capture_errno; }

SharedFunction& SharedFunction::returns_pointer() {
    Impl& in = unshare(impl_);
    in.strings = StringResult::Pointer;
    in.free = nullptr;
    return *this;
}

Results SharedFunction::invoke(const Value* args, size_t count) const {
    return impl_->invoke(args, count, impl_->strings);
}

void SharedFunction::call_string_into(const Value* args, size_t count, ForeignString& out) const {
    impl_->require_char_pointer_result();
    Results r = impl_->invoke(args, count, StringResult::Pointer);
    char* p = static_cast<char*>(r.value.as_pointer());
    out = impl_->strings == StringResult::Owned ? ForeignString::owned(p, impl_->free) : ForeignString::borrowed(p);
}

Results SharedFunction::Impl::invoke(const Value* args, size_t count, StringResult strings) const {
    size_t n = types.size() - 1;
    if (count != n)
        throw Error(Errc::ARG_COUNT, name_text + " (" + fn->signature().text() + ") takes " + std::to_string(n) +
                                         " argument" + (n == 1 ? "" : "s") + ", " + std::to_string(count) + " given");
    jiffi_slot small[8];
    std::vector<jiffi_slot> big;
    jiffi_slot* slots = small;
    if (n > 8) {
        big.resize(n);
        slots = big.data();
    }
    detail_ff::CallScratch scratch;
    std::vector<detail_ff::OutRead> outs;
    for (size_t i = 0; i < n; ++i) detail_ff::arg_to_slot(types[i + 1], args[i], slots[i], scratch, outs, where(i));
    const TypeDesc& r = types[0];
    Results res;
    if (r.value_class == JIFFI_CLASS_MEMORY) {
        void* storage = scratch.alloc(r.size);
        call_raw(slots, storage, res.error_number);
        res.value = r.kind == JIFFI_KIND_RECORD || r.kind == JIFFI_KIND_COMPLEX
                        ? Value(Value::Bytes(storage, r.size))
                        : detail_ff::load_scalar(storage, detail_ff::scalar_of(r));
    } else {
        jiffi_slot ret{};
        call_raw(slots, r.value_class == JIFFI_CLASS_VOID ? nullptr : &ret, res.error_number);
        switch (r.value_class) {
        case JIFFI_CLASS_SINT: res.value = Value(ret.i64); break;
        case JIFFI_CLASS_UINT: res.value = r.kind == JIFFI_KIND_BOOL ? Value(ret.u64 != 0) : Value(ret.u64); break;
        case JIFFI_CLASS_FLOAT: res.value = Value(static_cast<double>(ret.f32)); break;
        case JIFFI_CLASS_DOUBLE: res.value = Value(ret.f64); break;
        case JIFFI_CLASS_POINTER: {
            bool text = r.elem_kind == JIFFI_KIND_CHAR &&
                        (strings == StringResult::Borrowed || strings == StringResult::Owned ||
                         (strings == StringResult::Auto && r.elem_is_const));
            if (text && ret.ptr) {
                res.value = Value(static_cast<const char*>(ret.ptr));
                if (strings == StringResult::Owned) free(ret.ptr);
            } else {
                res.value = Value(ret.ptr);
            }
            break;
        }
        default: break;
        }
    }
    if (capture_errno && failed && failed(res.value)) throw ForeignError(res.error_number, name_text);
    if (!outs.empty()) res.outs.reserve(outs.size());
    for (const detail_ff::OutRead& o : outs)
        res.outs.push_back(o.scalar ? detail_ff::load_scalar(o.ptr, o.elem) : Value(Value::Bytes(o.ptr, o.elem.size)));
    return res;
}

// ---- defshared -------------------------------------------------------------------------

SharedFunction defshared(Runtime& rt, std::string_view symbol, std::string_view library, std::string_view ret,
                         const Param* params, size_t count) {
    std::string text(rt.c_type(ret).view());
    text += " (";
    StringList names;
    for (size_t i = 0; i < count; ++i) {
        if (i) text += ", ";
        text += rt.c_type(params[i].type.view()).view();
        names.push_back(params[i].name.view());
    }
    text += count ? ")" : "void)";
    LibraryHandle lib = rt.open(library);
    Function fn = lib->bind(symbol, rt.context().signature(text));
    return SharedFunction(std::move(lib), std::move(fn), symbol, names);
}
SharedFunction defshared(Runtime& rt, std::string_view symbol, std::string_view library, std::string_view ret,
                         std::initializer_list<Param> params) {
    return defshared(rt, symbol, library, ret, params.begin(), params.size());
}
SharedFunction defshared(std::string_view symbol, std::string_view library, std::string_view ret,
                         std::initializer_list<Param> params) {
    return defshared(default_runtime(), symbol, library, ret, params.begin(), params.size());
}
SharedFunction defshared(Runtime& rt, std::string_view symbol, std::string_view library, std::string_view prototype) {
    LibraryHandle lib = rt.open(library);
    Function fn = lib->bind(symbol, rt.context().signature(prototype));
    return SharedFunction(std::move(lib), std::move(fn), symbol);
}
SharedFunction defshared(std::string_view symbol, std::string_view library, std::string_view prototype) {
    return defshared(default_runtime(), symbol, library, prototype);
}
SharedFunction defshared_vararg(Runtime& rt, std::string_view symbol, std::string_view library,
                                std::string_view prototype, std::string_view vararg_types) {
    LibraryHandle lib = rt.open(library);
    Function fn = lib->bind(symbol, rt.context().signature(prototype).vararg(vararg_types));
    return SharedFunction(std::move(lib), std::move(fn), symbol);
}
SharedFunction defshared_vararg(std::string_view symbol, std::string_view library, std::string_view prototype,
                                std::string_view vararg_types) {
    return defshared_vararg(default_runtime(), symbol, library, prototype, vararg_types);
}
SharedFunction defshared_with_errno(Runtime& rt, std::string_view symbol, std::string_view library,
                                    std::string_view ret, std::initializer_list<Param> params) {
    SharedFunction f = defshared(rt, symbol, library, ret, params);
    f.with_errno();
    return f;
}
SharedFunction defshared_with_errno(std::string_view symbol, std::string_view library, std::string_view ret,
                                    std::initializer_list<Param> params) {
    return defshared_with_errno(default_runtime(), symbol, library, ret, params);
}
SharedFunction defshared_with_errno(Runtime& rt, std::string_view symbol, std::string_view library,
                                    std::string_view prototype) {
    SharedFunction f = defshared(rt, symbol, library, prototype);
    f.with_errno();
    return f;
}
SharedFunction defshared_with_errno(std::string_view symbol, std::string_view library, std::string_view prototype) {
    return defshared_with_errno(default_runtime(), symbol, library, prototype);
}

// ---- Runtime ---------------------------------------------------------------------------

struct Runtime::Impl {
    explicit Impl(Backend backend) : ctx(backend) {}
    Context ctx;
    std::mutex mu;
    std::map<std::string, LibraryHandle, std::less<>> libs;
    std::unordered_map<std::string, SharedFunction> bindings;  // destroyed before the context
};

Runtime::Runtime(Backend backend) : impl_(new Impl(backend)) {}
Runtime::~Runtime() { delete impl_; }
Context& Runtime::context() { return impl_->ctx; }
jiffi_context* Runtime::get() const { return impl_->ctx.get(); }

LibraryHandle Runtime::open(std::string_view name) {
    std::lock_guard<std::mutex> lock(impl_->mu);
    auto it = impl_->libs.find(name);
    if (it != impl_->libs.end()) return it->second;
    LibraryHandle lib(impl_->ctx.open(name));
    impl_->libs.emplace(std::string(name), lib);
    return lib;
}

void Runtime::close(const LibraryHandle& lib) {
    std::lock_guard<std::mutex> lock(impl_->mu);
    for (auto it = impl_->libs.begin(); it != impl_->libs.end();) {
        if (it->second == lib) it = impl_->libs.erase(it);
        else ++it;
    }
    for (auto it = impl_->bindings.begin(); it != impl_->bindings.end();) {
        if (it->second.impl_->lib == lib) it = impl_->bindings.erase(it);
        else ++it;
    }
}

void Runtime::set_search_paths(const StringList& paths) { impl_->ctx.set_search_paths(paths); }

StringList Runtime::search_paths() const {
    size_t len = jiffi_context_search_paths(get(), nullptr, 0);
    std::string all(len, '\0');
    jiffi_context_search_paths(get(), all.data(), len);
    all.resize(len ? len - 1 : 0);
    StringList out;
    size_t start = 0;
    while (start < all.size()) {
        size_t end = all.find(':', start);
        if (end == std::string::npos) end = all.size();
        out.push_back(std::string_view(all).substr(start, end - start));
        start = end + 1;
    }
    return out;
}

TypeDesc Runtime::describe(std::string_view type_name) {
    TypeDesc d{};
    detail_api::check(jiffi_type_describe(get(), c_type(type_name).c_str(), &d));
    return d;
}

String Runtime::c_type(std::string_view name) {
    std::string kw;
    if (!name.empty() && name[0] == ':') {
        kw = name;
    } else {
        bool word = !name.empty();
        for (char c : name)
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) word = false;
        if (!word) return String(name);
        kw.assign(1, ':').append(name);
    }
    TypeDesc d{};
    jiffi_error* err = jiffi_type_describe(get(), kw.c_str(), &d);
    if (err) {
        if (name[0] == ':') detail_api::check(err);
        jiffi_error_dispose(err);
        return String(name);
    }
    return String(d.spelling);
}

SharedFunction Runtime::cached(std::string_view library, std::string_view symbol, std::string_view ret,
                               const std::string_view* arg_types, size_t arg_count) {
    // The key is built in a per-thread buffer, so a warm lookup allocates nothing.
    std::string& key = detail_ff::binding_key_buffer();
    key.assign(library).append(1, '\n').append(symbol).append(1, '\n').append(ret);
    for (size_t i = 0; i < arg_count; ++i) key.append(1, '\n').append(arg_types[i]);
    {
        std::lock_guard<std::mutex> lock(impl_->mu);
        auto it = impl_->bindings.find(key);
        if (it != impl_->bindings.end()) return it->second;
    }
    std::string made_key = key;
    std::vector<Param> params;
    for (size_t i = 0; i < arg_count; ++i) params.emplace_back(arg_types[i]);
    SharedFunction made = defshared(*this, symbol, library, ret, params.data(), params.size());
    std::lock_guard<std::mutex> lock(impl_->mu);
    return impl_->bindings.emplace(std::move(made_key), std::move(made)).first->second;
}

SharedFunction Runtime::cached(std::string_view library, std::string_view symbol, std::string_view ret,
                               const StringList& arg_types) {
    std::vector<std::string_view> views;
    views.reserve(arg_types.size());
    for (const String& s : arg_types) views.push_back(s.view());
    return cached(library, symbol, ret, views.data(), views.size());
}

namespace detail_ff {
SharedFunction cached_binding(Runtime& rt, std::string_view library, std::string_view symbol, std::string_view ret,
                              const std::string_view* arg_types, size_t count) {
    return rt.cached(library, symbol, ret, arg_types, count);
}
SharedFunction cached_binding(Runtime& rt, std::string_view library, std::string_view symbol, std::string_view ret,
                              const StringList& arg_types) {
    return rt.cached(library, symbol, ret, arg_types);
}
}  // namespace detail_ff

LibraryHandle lib_open(std::string_view name) { return default_runtime().open(name); }
void lib_close(LibraryHandle& lib) {
    default_runtime().close(lib);
    lib.reset();
}
void set_library_search_paths(const StringList& paths) { default_runtime().set_search_paths(paths); }
StringList library_search_paths() { return default_runtime().search_paths(); }

void* foreign_alloc(Runtime& rt, std::string_view type_name, size_t count) {
    TypeDesc d = rt.describe(type_name);
    if (d.size == 0) throw Error(Errc::INCOMPLETE_TYPE, "foreign_alloc: '" + std::string(type_name) + "' has no size");
    return foreign_alloc_bytes(d.size, count);
}
void* foreign_alloc(std::string_view type_name, size_t count) { return foreign_alloc(default_runtime(), type_name, count); }

// ---- ForeignError ----------------------------------------------------------------------

namespace {
std::string foreign_message(int code, std::string_view function) {
    return std::string(function) + ": " + std::strerror(code) + " (errno " + std::to_string(code) + ")";
}
}  // namespace

ForeignError::ForeignError(int code, std::string_view function)
    : Error(Errc::FOREIGN, foreign_message(code, function)), code_(code), function_(function) {}

}  // namespace jiffi

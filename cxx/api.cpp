// The RAII objects of jiffi.hpp (Context, Library, Signature, Function) over the C API,
// Function's calls through the one marshaller (cxx/marshal.cpp), and layout discovery.
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "cxx/marshal.hpp"
#include "jiffi/structs.hpp"

namespace jiffi {

namespace detail_api {

void throw_error(jiffi_error* err) {
    Errc code = static_cast<Errc>(jiffi_error_code(err));
    std::string message = jiffi_error_message(err);
    jiffi_error_dispose(err);
    throw Error(code, message);
}

void call_function(jiffi_function* fn, const jiffi_slot* args, void* ret) {
    CallbackState& s = callback_state();
    ++s.depth;
    jiffi_function_call(fn, args, ret);
    if (--s.depth == 0 && s.pending) std::rethrow_exception(std::exchange(s.pending, nullptr));
}

// A function's types, as the marshaller checks arguments against them.
struct FunctionInfo {
    std::vector<jiffi_type_detail> types;  // [0] the return type, [1..] the arguments
    std::string text;                      // the signature's text
    std::string where;                     // how messages name the function: 'text'
    std::string no_name;                   // parameters have no names
};

}  // namespace detail_api

// ---- Signature, Library, Context -------------------------------------------------------

Signature Signature::vararg(std::string_view types) const {
    jiffi_signature* out = nullptr;
    detail_api::check(jiffi_signature_vararg(ctx_, sig_, std::string(types).c_str(), &out));
    return Signature(ctx_, out);
}
std::string Signature::text() const { return jiffi_signature_text(sig_); }

Library::~Library() {
    if (lib_) jiffi_library_close(lib_);
}
void* Library::symbol(std::string_view name) const {
    void* p = nullptr;
    detail_api::check(jiffi_library_symbol(lib_, std::string(name).c_str(), &p));
    return p;
}
Function Library::bind(std::string_view symbol, const Signature& sig) const {
    jiffi_function* fn = nullptr;
    detail_api::check(jiffi_function_bind(lib_, std::string(symbol).c_str(), sig.get(), &fn));
    return Function(fn);
}
std::string Library::path() const { return jiffi_library_path(lib_); }

Context::Context(Backend backend) {
    detail_api::check(jiffi_context_create(static_cast<jiffi_backend>(backend), &ctx_));
}
Context::~Context() {
    if (ctx_) jiffi_context_destroy(ctx_);
}
void Context::cdef(std::string_view declarations) {
    detail_api::check(jiffi_cdef(ctx_, std::string(declarations).c_str()));
}
Signature Context::signature(std::string_view text) {
    jiffi_signature* sig = nullptr;
    detail_api::check(jiffi_signature_parse(ctx_, std::string(text).c_str(), &sig));
    return Signature(ctx_, sig);
}
Library Context::open(std::string_view name) {
    jiffi_library* lib = nullptr;
    std::string n(name);
    detail_api::check(jiffi_library_open(ctx_, n.empty() ? nullptr : n.c_str(), &lib));
    return Library(lib);
}
Function Context::function(void* address, const Signature& sig) {
    jiffi_function* fn = nullptr;
    detail_api::check(jiffi_function_create(ctx_, address, sig.get(), &fn));
    return Function(fn);
}
void Context::set_search_paths(const StringList& paths) {
    std::string joined;
    for (const String& p : paths) joined.append(joined.empty() ? "" : ":").append(p.view());
    detail_api::check(jiffi_context_set_search_paths(ctx_, joined.c_str()));
}
DeclinedReasons Context::declined_reasons() const {
    std::vector<DeclinedReason> found;
    for (size_t i = 0;; ++i) {
        size_t len = jiffi_context_declined_reason(ctx_, i, nullptr, 0, nullptr);
        if (!len) break;
        std::string text(len, '\0');
        uint64_t count = 0;
        jiffi_context_declined_reason(ctx_, i, text.data(), len, &count);
        text.resize(len - 1);
        found.push_back({String(text), count});
    }
    DeclinedReasons out;
    if (found.empty()) return out;
    out.items_ = new DeclinedReason[found.size()];
    for (size_t i = 0; i < found.size(); ++i) out.items_[i] = found[i];
    out.size_ = found.size();
    return out;
}
DeclinedReasons::~DeclinedReasons() { delete[] items_; }

// ---- Function ------------------------------------------------------------------------

Function::Function(jiffi_function* fn) : fn_(fn) {
    sig_ = Signature(nullptr, jiffi_function_signature(fn_));
    auto info = std::make_unique<detail_api::FunctionInfo>();
    size_t n = sig_.arg_count();
    info->types.resize(n + 1);
    for (size_t i = 0; i <= n; ++i)
        detail_api::check(jiffi_signature_type_detail(sig_.get(), static_cast<long>(i) - 1, &info->types[i]));
    info->text = sig_.text();
    info->where = "'" + info->text + "'";
    info_ = info.release();
}

Function::~Function() {
    if (fn_) jiffi_function_destroy(fn_);
    delete info_;
}

namespace {

using detail_ff::CallScratch;
using detail_ff::OutRead;

// Marshals args for fn (count checked), calls it with the result stored at ret.
struct PreparedCall {
    jiffi_slot small[8];
    std::vector<jiffi_slot> big;
    jiffi_slot* slots = small;
    CallScratch scratch;
    std::vector<OutRead> outs;

    PreparedCall(const detail_api::FunctionInfo& in, const Value* args, size_t count) {
        size_t n = in.types.size() - 1;
        if (count != n)
            throw Error(Errc::ARG_COUNT, in.where + " takes " + std::to_string(n) + " arguments, " +
                                             std::to_string(count) + " given");
        if (n > 8) {
            big.resize(n);
            slots = big.data();
        }
        for (size_t i = 0; i < n; ++i)
            detail_ff::arg_to_slot(in.types[i + 1], args[i], slots[i], scratch, outs,
                                   detail_ff::Where(&in.where, &in.no_name, i));
    }
};

// The result at ret of a function returning r, as a Value (records as Bytes).
Value result_value(const jiffi_type_detail& r, const void* ret) {
    if (r.value_class == JIFFI_CLASS_MEMORY) {
        if (r.kind == JIFFI_KIND_RECORD || r.kind == JIFFI_KIND_COMPLEX || !detail_ff::is_scalar_kind(r.kind))
            return Value(Value::Bytes(ret, r.size));
        return detail_ff::load_scalar(ret, detail_ff::scalar_of(r));
    }
    const jiffi_slot& s = *static_cast<const jiffi_slot*>(ret);
    switch (r.value_class) {
    case JIFFI_CLASS_SINT: return Value(s.i64);
    case JIFFI_CLASS_UINT: return Value(s.u64);
    case JIFFI_CLASS_FLOAT: return Value(static_cast<double>(s.f32));
    case JIFFI_CLASS_DOUBLE: return Value(s.f64);
    case JIFFI_CLASS_POINTER: return Value(s.ptr);
    default: return Value();
    }
}

}  // namespace

Value Function::call_values(const Value* args, size_t count) const {
    PreparedCall c(*info_, args, count);
    const jiffi_type_detail& r = info_->types[0];
    void* ret = c.scratch.alloc(r.size > sizeof(jiffi_slot) ? r.size : sizeof(jiffi_slot));
    detail_api::call_function(fn_, c.slots, ret);
    return result_value(r, ret);
}

Value Function::call_scalar(const Value* args, size_t count, bool want_pointer) const {
    const jiffi_type_detail& r = info_->types[0];
    bool wide = r.value_class == JIFFI_CLASS_MEMORY && (r.kind == JIFFI_KIND_INTEGER || r.kind == JIFFI_KIND_FLOAT);
    if ((r.value_class == JIFFI_CLASS_MEMORY && (!wide || want_pointer)) || r.value_class == JIFFI_CLASS_VOID)
        throw Error(Errc::ARG_TYPE, info_->where + " does not return a scalar");
    if (want_pointer && r.value_class != JIFFI_CLASS_POINTER)
        throw Error(Errc::ARG_TYPE, info_->where + " does not return a pointer");
    if (!want_pointer && r.value_class == JIFFI_CLASS_POINTER)
        throw Error(Errc::ARG_TYPE, info_->where + " returns a pointer, not a number");
    return call_values(args, count);
}

void Function::call_into(const Value* args, size_t count, void* out, size_t out_size) const {
    const jiffi_type_detail& r = info_->types[0];
    if (out && (r.value_class != JIFFI_CLASS_MEMORY || r.size != out_size))
        throw Error(Errc::ARG_TYPE, info_->where + " does not return an object of " + std::to_string(out_size) +
                                        " bytes");
    PreparedCall c(*info_, args, count);
    void* ret = c.scratch.alloc(r.size > sizeof(jiffi_slot) ? r.size : sizeof(jiffi_slot));
    detail_api::call_function(fn_, c.slots, ret);
    if (out) std::memcpy(out, ret, out_size);
}

// ---- Layout discovery ----------------------------------------------------------------

AutoMembers::AutoMembers(const AutoMembers& o) {
    for (const AutoMember& m : o) push_back(m);
}
AutoMembers& AutoMembers::operator=(const AutoMembers& o) {
    if (this != &o) {
        AutoMembers tmp(o);
        *this = std::move(tmp);
    }
    return *this;
}
AutoMembers::~AutoMembers() { delete[] items_; }
void AutoMembers::push_back(const AutoMember& m) {
    if (size_ == cap_) {
        size_t want = cap_ ? cap_ * 2 : 8;
        AutoMember* fresh = new AutoMember[want];
        for (size_t i = 0; i < size_; ++i) fresh[i] = std::move(items_[i]);
        delete[] items_;
        items_ = fresh;
        cap_ = want;
    }
    items_[size_++] = m;
}

const AutoMember& AutoRecord::member(std::string_view name) const {
    for (const AutoMember& m : members)
        if (m.name == name) return m;
    throw Error(Errc::INVALID_ARGUMENT, "'" + type_name.str() + "' has no member '" + std::string(name) + "'");
}

namespace {

// Calls jiffi_layout_discover with req and name (nullptr: the snippet's record).
AutoRecord discover(Context& ctx, const char* name, const LayoutRequest& req) {
    auto ptrs = [](const StringList& v) {
        std::vector<const char*> p;
        for (const String& s : v) p.push_back(s.c_str());
        return p;
    };
    std::vector<const char*> h = ptrs(req.headers), i = ptrs(req.include_dirs), d = ptrs(req.defines);
    jiffi_layout_request r{};
    r.name = name;
    r.headers = h.data();
    r.header_count = h.size();
    r.snippet = req.snippet.empty() ? nullptr : req.snippet.c_str();
    r.include_dirs = i.data();
    r.include_dir_count = i.size();
    r.defines = d.data();
    r.define_count = d.size();
    r.cache_dir = req.cache_dir;
    jiffi_auto_record out{};
    detail_api::check(jiffi_layout_discover(ctx.get(), &r, &out));
    AutoRecord rec;
    rec.type_name = out.type_name;
    rec.size = out.size;
    rec.align = out.align;
    rec.from_cache = out.from_cache != 0;
    for (size_t k = 0; k < out.member_count; ++k) {
        jiffi_auto_member m{};
        detail_api::check(jiffi_layout_member(ctx.get(), out.type_name, k, &m));
        rec.members.push_back({m.name, m.offset, m.bit_offset, m.bit_width, m.is_bitfield != 0, m.size});
    }
    return rec;
}

}  // namespace

AutoRecord define_c_struct_auto(Context& ctx, std::string_view name, const LayoutRequest& req) {
    return discover(ctx, std::string(name).c_str(), req);
}

AutoRecord define_c_struct_auto_snippet(Context& ctx, std::string_view snippet, LayoutRequest req) {
    req.snippet = snippet;
    return discover(ctx, nullptr, req);
}

}  // namespace jiffi

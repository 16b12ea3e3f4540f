// The libffi backend: ffi_type construction checked against jiffi's layout, and calls.
#include "runtime/ffi_backend.hpp"

#include <cerrno>

#include <alloca.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <mutex>

#include "abi/call_plan.hpp"
#include "callbacks/slot_table.hpp"
#include "base/error.hpp"
#include "base/messages.hpp"

// The target of an invoker's trampoline slot: the slot arrives in %r10 and its user_data
// (offset 16) is the FfiCall; (fn, args, ret) move one register up behind it and the call
// goes on to jiffi_ffi_invoke with the caller's frame untouched (a tail jump).
#if defined(__x86_64__)
asm(R"(
    .text
    .p2align 4
    .globl jiffi_ffi_invoker_entry
    .hidden jiffi_ffi_invoker_entry
    .type jiffi_ffi_invoker_entry, @function
jiffi_ffi_invoker_entry:
    .cfi_startproc
    mov %rdx, %rcx
    mov %rsi, %rdx
    mov %rdi, %rsi
    mov 16(%r10), %rdi
    jmp jiffi_ffi_invoke
    .cfi_endproc
    .size jiffi_ffi_invoker_entry, .-jiffi_ffi_invoker_entry
)");
extern "C" void jiffi_ffi_invoker_entry();
static_assert(offsetof(jiffi::detail::SlotData, user_data) == 16, "jiffi_ffi_invoker_entry reads user_data at 16");
#endif

// Calls fn with args by self's signature: what an invoker's trampoline slot reaches.
extern "C" __attribute__((visibility("hidden"), used)) void jiffi_ffi_invoke(const jiffi::detail::FfiCall* self,
                                                                              void* fn, const jiffi_slot* args,
                                                                              void* ret) {
    self->call(fn, args, ret);
}

namespace jiffi::detail {

namespace {

#if !defined(__x86_64__)
// The closure entry behind FfiCall::invoker() on hosts without trampolines: unpacks
// (fn, args, ret) and calls.
void invoker_entry(ffi_cif*, void*, void** args, void* user) {
    auto* self = static_cast<const FfiCall*>(user);
    void* fn = *static_cast<void**>(args[0]);
    auto* slots = *static_cast<const jiffi_slot**>(args[1]);
    void* ret = *static_cast<void**>(args[2]);
    self->call(fn, slots, ret);
}
#endif

[[noreturn]] void unsupported(const std::string& where, const std::string& why) {
    fail(ErrorCode::UNSUPPORTED, "libffi backend cannot pass " + where + ": " + why);
}

#if defined(__x86_64__)
// The record libffi's register-copy bug corrupts: an INTEGER eightbyte, then an SSE one.
struct ProbeRecord {
    long a;
    double b;
};

// Returns its first argument; called through libffi with six integers before the record.
double probe_callee(double d, long, long, long, long, long, ProbeRecord) { return d; }

// True when this libffi copies a whole record into the 6th integer register slot, spilling
// over the first SSE register (the bug fixed by libffi pull request 848): probed once by a
// real call, so a fixed libffi is used fully.
bool libffi_has_r9_spill_bug() {
    static const bool buggy = [] {
        ffi_type* rec_elems[] = {&ffi_type_sint64, &ffi_type_double, nullptr};
        ffi_type rec{0, 0, FFI_TYPE_STRUCT, rec_elems};
        ffi_type* args[] = {&ffi_type_double, &ffi_type_sint64, &ffi_type_sint64, &ffi_type_sint64,
                            &ffi_type_sint64, &ffi_type_sint64, &rec};
        ffi_cif cif;
        if (ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 7, &ffi_type_double, args) != FFI_OK) return true;
        double d = 1.5;
        long n = 0;
        ProbeRecord r{7, 2.5};
        void* values[] = {&d, &n, &n, &n, &n, &n, &r};
        double out = 0;
        ffi_call(&cif, FFI_FN(&probe_callee), &out, values);
        return out != 1.5;
    }();
    return buggy;
}
#endif

// Serializes libffi's closure allocator for the fork handlers.
std::mutex closures_mu;

}  // namespace

void* closure_alloc(size_t size, void** code) {
    std::lock_guard<std::mutex> lock(closures_mu);
    return ffi_closure_alloc(size, code);
}

void closure_free(void* closure) {
    std::lock_guard<std::mutex> lock(closures_mu);
    ffi_closure_free(closure);
}

void closures_fork_prepare() noexcept { closures_mu.lock(); }

void closures_fork_release() noexcept { closures_mu.unlock(); }

FfiCall::FfiCall(const TypeTable& types, const CallSignature& sig) : types_(types) {
    if (sig.variadic_prototype)
        fail(ErrorCode::VARIADIC, messages::variadic_prototype(sig.text));
    ret_class_ = value_class(types, sig.ret);
    ffi_type* rtype = &ffi_type_void;
    if (!sig.ret->is_void()) {
        rtype = type_for(sig.ret, "the return type '" + spelled_ret(types, sig) + "'");
        ret_size_ = types.size_of(sig.ret);
    }
    // Scratch space for the return value: libffi may store whole registers.
    scratch_size_ = ((ret_size_ > 16 ? ret_size_ : 16) + 15) / 16 * 16 + 16;

    size_t n = sig.call_args.size();
    arg_types_.resize(n);
    promote_float_.resize(n);
    arg_classes_.resize(n);
    for (size_t i = 0; i < n; ++i) {
        const Type* slot_type = sig.args[i];
        const Type* call_type = sig.call_args[i];
        arg_classes_[i] = value_class(types, slot_type);
        promote_float_[i] = slot_type->kind == TypeKind::Prim && slot_type->prim == Prim::Float &&
                            call_type->kind == TypeKind::Prim && call_type->prim == Prim::Double;
        arg_types_[i] = type_for(call_type, "argument " + std::to_string(i + 1) + " of type '" +
                                                spelled_arg(types, sig, i) + "'");
    }
#if defined(__x86_64__)
    if (types.target().arch == Arch::X64 && libffi_has_r9_spill_bug()) refuse_r9_spill(sig);
#endif
    ffi_status st;
    if (sig.variadic_call)
        st = ffi_prep_cif_var(&cif_, FFI_DEFAULT_ABI, static_cast<unsigned>(sig.fixed_count),
                              static_cast<unsigned>(n), rtype, arg_types_.data());
    else
        st = ffi_prep_cif(&cif_, FFI_DEFAULT_ABI, static_cast<unsigned>(n), rtype,
                          arg_types_.data());
    if (st != FFI_OK)
        fail(ErrorCode::UNSUPPORTED, "libffi refused signature '" + sig.text +
                                         "' (ffi_prep_cif status " + std::to_string(st) + ")");

    make_invoker();
}

void FfiCall::make_invoker() {
#if defined(__x86_64__)
    // Never a libffi closure here: ffi_closure_alloc maps pages writable and executable.
    SlotTable& table = SlotTable::plain();
    invoker_slot_ = table.acquire(reinterpret_cast<void*>(&jiffi_ffi_invoker_entry), nullptr,
                                  this, nullptr);
    invoker_ = reinterpret_cast<jiffi_invoker>(table.code(invoker_slot_));
#else
    for (auto& a : invoker_args_) a = &ffi_type_pointer;
    if (ffi_prep_cif(&invoker_cif_, FFI_DEFAULT_ABI, 3, &ffi_type_void, invoker_args_) != FFI_OK)
        fail(ErrorCode::BACKEND, "libffi could not prepare the invoker closure's cif");
    void* code = nullptr;
    closure_ = static_cast<ffi_closure*>(closure_alloc(sizeof(ffi_closure), &code));
    if (!closure_) fail(ErrorCode::OUT_OF_MEMORY, "libffi could not allocate an invoker closure");
    if (ffi_prep_closure_loc(closure_, &invoker_cif_, invoker_entry, this, code) != FFI_OK) {
        closure_free(closure_);
        closure_ = nullptr;
        fail(ErrorCode::BACKEND, "libffi could not prepare the invoker closure");
    }
    invoker_ = reinterpret_cast<jiffi_invoker>(code);
#endif
}

FfiCall::~FfiCall() {
    // A released slot leads to the released-call trap until the quarantine reuses it.
    if (invoker_slot_) SlotTable::plain().release(invoker_slot_);
    if (closure_) closure_free(closure_);
}

void FfiCall::refuse_r9_spill(const CallSignature& sig) const {
    // Register use comes from the x86-64 classifier's plan (the JIT's): the sret pointer
    // takes the first integer register, then each argument its gprs and fprs.
    CallPlan plan;
    try {
        plan = classifier_for(types_.target()).classify(types_, sig);
    } catch (const Error&) {
        return;  // a type the classifier refuses: libffi's own checks decide
    }
    const unsigned kLastGpr = 5;
    unsigned gprs = plan.ret.kind == PassKind::Indirect ? 1 : 0, sses = 0;
    for (size_t i = 0; i < plan.args.size() && i < sig.call_args.size(); ++i) {
        const ArgPlan& a = plan.args[i];
        const Type* t = sig.call_args[i];
        // A record over 8 bytes whose first eightbyte is INTEGER and lands in r9, after an
        // SSE argument: libffi 3.4.4 copies it whole into the register area, over xmm0.
        bool integer_first = a.type.kind == IrType::Kind::Struct && !a.type.elems.empty() &&
                             (a.type.elems[0].kind == IrType::Kind::Int || a.type.elems[0].kind == IrType::Kind::Ptr);
        if (t->is_record() && types_.size_of(t) > 8 && a.gprs > 0 && integer_first && gprs == kLastGpr && sses > 0)
            unsupported("argument " + std::to_string(i + 1) + " of type '" + types_.to_string(t) + "'",
                        "it starts in the last integer register after a floating-point argument, "
                        "which this libffi build corrupts (libffi pull request 848)");
        gprs += a.gprs;
        sses += a.fprs;
    }
}

ffi_type* FfiCall::type_for(const Type* t, const std::string& where) {
    if (t->align_override && t->kind != TypeKind::Record) {
        Type plain = *t;
        plain.align_override = 0;
        if (t->align_override != types_.align_of(&plain))
            unsupported(where, "its alignment is changed by an aligned attribute");
    }
    switch (t->kind) {
    case TypeKind::Pointer: return &ffi_type_pointer;
    case TypeKind::Record: return record_type(*t->record, where);
    case TypeKind::Enum:
    case TypeKind::Prim: {
        Prim p = types_.integer_prim(t);
        switch (p) {
        case Prim::Bool: return &ffi_type_uint8;
        case Prim::Char: return types_.target().char_signed ? &ffi_type_sint8 : &ffi_type_uint8;
        case Prim::SChar: return &ffi_type_sint8;
        case Prim::UChar: return &ffi_type_uint8;
        case Prim::Short: return &ffi_type_sint16;
        case Prim::UShort: return &ffi_type_uint16;
        case Prim::Int: return &ffi_type_sint32;
        case Prim::UInt: return &ffi_type_uint32;
        case Prim::Long:
        case Prim::LongLong: return &ffi_type_sint64;
        case Prim::ULong:
        case Prim::ULongLong: return &ffi_type_uint64;
        case Prim::Float: return &ffi_type_float;
        case Prim::Double: return &ffi_type_double;
        case Prim::LongDouble: return &ffi_type_longdouble;
#ifdef FFI_TARGET_HAS_COMPLEX_TYPE
        case Prim::ComplexFloat: return &ffi_type_complex_float;
        case Prim::ComplexDouble: return &ffi_type_complex_double;
        case Prim::ComplexLongDouble: return &ffi_type_complex_longdouble;
#endif
        case Prim::Int128:
        case Prim::UInt128: unsupported(where, "libffi has no 128-bit integer type");
        case Prim::Void: unsupported(where, "void is not a value type");
        default: unsupported(where, "libffi has no type for it on this target");
        }
    }
    case TypeKind::Array: unsupported(where, "arrays are not passed by value in C");
    case TypeKind::Function: unsupported(where, "functions are not passed by value in C");
    }
    unsupported(where, "unknown type kind");
}

ffi_type* FfiCall::array_type(const Type* t, const std::string& where) {
    // libffi has no array type. T[n] is described as nested structs of the powers of two in
    // n (P0 = T, P(k+1) = {Pk, Pk}; T[n] = {Pk for each bit k of n}), which libffi lays out
    // and classifies exactly as n elements in a row, with O(log n) descriptors instead of n.
    ffi_type* elem = t->inner->kind == TypeKind::Array ? array_type(t->inner, where)
                                                       : type_for(t->inner, where);
    uint64_t n = t->count;
    if (n == 1) return elem;
    auto make_struct = [&](std::vector<ffi_type*> members) {
        auto& elems = owned_elements_.emplace_back(std::move(members));
        elems.push_back(nullptr);
        ffi_type& st = owned_types_.emplace_back();
        st.size = 0;
        st.alignment = 0;
        st.type = FFI_TYPE_STRUCT;
        st.elements = elems.data();
        return &st;
    };
    std::vector<ffi_type*> powers{elem};
    while ((uint64_t{1} << powers.size()) <= n)
        powers.push_back(make_struct({powers.back(), powers.back()}));
    if ((n & (n - 1)) == 0) return powers.back();
    std::vector<ffi_type*> parts;
    for (size_t k = powers.size(); k-- > 0;)
        if (n & (uint64_t{1} << k)) parts.push_back(powers[k]);
    return make_struct(std::move(parts));
}

ffi_type* FfiCall::record_type(const Record& rec, const std::string& where) {
    std::string name = rec.display_name();
    if (!rec.complete) unsupported(where, name + " is incomplete");
    if (rec.is_union)
        unsupported(where, name + " is a union, which libffi cannot classify");
    if (rec.has_bitfields())
        unsupported(where, name + " has bitfields, which libffi cannot represent");
    if (rec.size == 0) unsupported(where, name + " is empty");

    // One element per member (an array member is one nested struct), and the byte offset
    // jiffi's layout gives it.
    std::vector<ffi_type*> elements;
    std::vector<size_t> expected;
    for (const Field& f : rec.fields) {
        if (f.type->kind == TypeKind::Array && (f.type->flexible || f.type->count == 0)) continue;
        std::string member = where + " (member '" + f.name + "' of " + name + ")";
        elements.push_back(f.type->kind == TypeKind::Array ? array_type(f.type, member)
                                                           : type_for(f.type, member));
        expected.push_back(f.offset_bits / 8);
    }
    if (elements.empty()) unsupported(where, name + " has no members libffi can represent");
    // System V passes and returns a record holding only a long double exactly as the long
    // double itself (class X87: memory as an argument, st0 as a return value). libffi 3.4
    // returns such records from rax:rdx instead and leaves st0 on the x87 stack, so the
    // record is described to it as the scalar.
    if (types_.target().arch == Arch::X64 && elements.size() == 1 &&
        elements[0] == &ffi_type_longdouble && rec.size == 16)
        return &ffi_type_longdouble;

    auto& elems = owned_elements_.emplace_back(elements);
    elems.push_back(nullptr);
    ffi_type& st = owned_types_.emplace_back();
    st.size = 0;
    st.alignment = 0;
    st.type = FFI_TYPE_STRUCT;
    st.elements = elems.data();
    std::vector<size_t> offsets(elements.size());
    if (ffi_get_struct_offsets(FFI_DEFAULT_ABI, &st, offsets.data()) != FFI_OK)
        unsupported(where, "libffi could not lay out " + name);
    // libffi lays records out by natural alignment; packed or over-aligned ones differ.
    if (st.size != rec.size || st.alignment != rec.align)
        unsupported(where, name + " has size " + std::to_string(rec.size) + " and alignment " +
                               std::to_string(rec.align) + " where libffi would give " +
                               std::to_string(st.size) + " and " +
                               std::to_string(st.alignment) + " (packed or aligned record)");
    for (size_t i = 0; i < offsets.size(); ++i)
        if (offsets[i] != expected[i])
            unsupported(where, name + " has a member at offset " + std::to_string(expected[i]) +
                                   " where libffi would place it at " +
                                   std::to_string(offsets[i]) + " (packed or aligned member)");
    return &st;
}

void FfiCall::call(void* fn, const jiffi_slot* args, void* ret, int* err) const {
    size_t n = arg_types_.size();
    void** values = static_cast<void**>(alloca((n + 1) * sizeof(void*)));
    jiffi_slot* promoted = static_cast<jiffi_slot*>(alloca((n + 1) * sizeof(jiffi_slot)));
    for (size_t i = 0; i < n; ++i) {
        if (arg_classes_[i] == ValueClass::Memory) {
            values[i] = args[i].ptr;
        } else if (promote_float_[i]) {
            promoted[i].f64 = static_cast<double>(args[i].f32);
            values[i] = &promoted[i];
        } else {
            values[i] = const_cast<jiffi_slot*>(&args[i]);
        }
    }
    alignas(16) unsigned char small[64];
    void* scratch = scratch_size_ <= sizeof(small) ? small : alloca(scratch_size_);
    ffi_call(const_cast<ffi_cif*>(&cif_), FFI_FN(fn), scratch, values);
    if (err) *err = errno;  // before anything of ours can touch it
    if (!ret) return;
    auto* slot = static_cast<jiffi_slot*>(ret);
    uint64_t raw = 0;
    std::memcpy(&raw, scratch, sizeof(raw));
    unsigned bits = static_cast<unsigned>(ret_size_ * 8);
    switch (ret_class_) {
    case ValueClass::Void: break;
    case ValueClass::SInt:
        // Never trust the upper bits of a small integer: sign-extend from its width.
        slot->i64 = bits >= 64 ? static_cast<int64_t>(raw)
                               : static_cast<int64_t>(raw << (64 - bits)) >> (64 - bits);
        break;
    case ValueClass::UInt:
        slot->u64 = bits >= 64 ? raw : raw & ((uint64_t(1) << bits) - 1);
        break;
    case ValueClass::Float: {
        float f;
        std::memcpy(&f, scratch, sizeof(f));
        slot->u64 = 0;
        slot->f32 = f;
        break;
    }
    case ValueClass::Double: std::memcpy(&slot->f64, scratch, sizeof(double)); break;
    case ValueClass::Pointer: std::memcpy(&slot->ptr, scratch, sizeof(void*)); break;
    case ValueClass::Memory: std::memcpy(ret, scratch, ret_size_); break;
    }
}

}  // namespace jiffi::detail

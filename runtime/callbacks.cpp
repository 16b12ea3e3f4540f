// Callbacks in the runtime: backend choice, libffi closures, and their quarantine.
#include "runtime/callbacks.hpp"

#include <ffi.h>

#include <alloca.h>
#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "base/messages.hpp"
#include "callbacks/slot_table.hpp"
#include "callbacks/threads.hpp"
#include "callbacks/thunks.hpp"
#include "runtime/context.hpp"
#include "runtime/handles.hpp"
#include "runtime/tiering.hpp"

// The target of a libffi callback's trampoline slot: the slot arrives in %r10; its handler
// field (offset 8) holds libffi's closure entry, read from the trampoline libffi wrote into
// the closure, and its user_data (offset 16) the closure. Both loads come from the slot's
// one cache line; this does what libffi's trampoline would, from read+execute code.
#if defined(__x86_64__)
asm(R"(
    .text
    .p2align 4
    .globl jiffi_ffi_closure_entry
    .hidden jiffi_ffi_closure_entry
    .type jiffi_ffi_closure_entry, @function
jiffi_ffi_closure_entry:
    .cfi_startproc
    mov 8(%r10), %r11
    mov 16(%r10), %r10
    jmp *%r11
    .cfi_endproc
    .size jiffi_ffi_closure_entry, .-jiffi_ffi_closure_entry
)");
extern "C" void jiffi_ffi_closure_entry();
#endif

namespace jiffi::detail {

namespace {

// A callback made by libffi: a closure over the signature's cif that calls the handler.
// Where trampolines exist it sits behind a trampoline slot like a JIT callback, its closure
// is a member (ordinary memory, never executed: libffi only fills it in) and its handle is
// the slot. Elsewhere the closure comes from ffi_closure_alloc and the handle is this
// object's address with bit 0 set (slot handles are 32-byte aligned), so that one C type
// serves both.
class FfiCallback {
public:
    // text names the signature in errors; released names it in the released-call report,
    // as a released slot's owner does (structurally: it is shared by every spelling).
    FfiCallback(std::shared_ptr<const FfiCall> call, std::string text, const ThunkSignature& released,
                jiffi_handler handler, void* user_data, void (*dispose)(void*))
        : owner_(std::move(call)), call_(*owner_), text_(std::move(text)), released_name_(released),
          handler_(handler), user_data_(user_data), dispose_(dispose) {}
    ~FfiCallback() {
        if (allocated_) closure_free(allocated_);
        if (dispose_) dispose_(user_data_);
    }
    FfiCallback(const FfiCallback&) = delete;
    FfiCallback& operator=(const FfiCallback&) = delete;

    // Prepares the member closure for a trampoline slot whose code is codeloc, and returns
    // the address the slot's target jumps on to: libffi's closure entry. Throws
    // Error(UNSUPPORTED) when libffi did not write the trampoline jiffi knows.
    void* prepare_in_place(void* codeloc);
    // Prepares a closure from ffi_closure_alloc (hosts without trampolines).
    void prepare_allocated();

    ffi_closure* closure() { return &closure_; }
    void* code() const { return code_; }
    // Names the callback in thread records by id: its trampoline slot, when it has one.
    void set_id(const void* id) { id_.store(id, std::memory_order_release); }
    // Leaves user_data to the caller: the callback's creation failed after this was made.
    void keep_user_data() { dispose_ = nullptr; }
    // Frees a callback behind a trampoline slot, given the slot's user_data (its closure):
    // the slot's disposer, run when the slot's quarantine ends.
    static void dispose_slot(void* closure) {
        delete static_cast<FfiCallback*>(static_cast<ffi_closure*>(closure)->user_data);
    }
    // Marks the callback released; false when it already was.
    bool mark_released() { return !released_.exchange(true, std::memory_order_acq_rel); }
    bool released() const { return released_.load(std::memory_order_acquire); }

private:
    // The closure's body: native arguments to slots, the handler, its result to libffi's.
    static void entry(ffi_cif* cif, void* ret, void** args, void* self);

    std::shared_ptr<const FfiCall> owner_;  // the cif and slot classes outlive the context
    const FfiCall& call_;
    std::string text_;
    const ThunkSignature& released_name_;
    jiffi_handler handler_;
    void* user_data_;
    void (*dispose_)(void*);
    ffi_closure closure_{};               // behind a slot: filled in by libffi, never executed
    ffi_closure* allocated_ = nullptr;    // without slots: libffi's closure
    void* code_ = nullptr;                // without slots: the closure's code address
    std::atomic<bool> released_{false};
    std::atomic<const void*> id_{this};  // what thread records name it by
};

#if defined(__x86_64__)
// libffi 3.4's x86-64 trampoline, as ffi_prep_closure_loc writes it into the tramp field of
// a closure outside libffi's own trampoline pages (src/x86/ffi64.c): endbr64; lea
// -0xb(%rip),%r10 (the closure's address); jmp *0x7(%rip) (through the 8 bytes after these
// 24: the entry, ffi_closure_unix64 or its SSE twin, which finds the closure in %r10).
constexpr unsigned char kLibffiTrampoline[24] = {
    0xf3, 0x0f, 0x1e, 0xfa,                    // endbr64
    0x4c, 0x8d, 0x15, 0xf5, 0xff, 0xff, 0xff,  // lea -0xb(%rip), %r10
    0xff, 0x25, 0x07, 0x00, 0x00, 0x00,        // jmp *0x7(%rip)
    0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00,  // nopl 0(%rax)
};
static_assert(FFI_TRAMPOLINE_SIZE == sizeof(kLibffiTrampoline) + 8, "libffi's x86-64 unix64 trampoline");
static_assert(offsetof(SlotData, handler) == 8 && offsetof(SlotData, user_data) == 16,
              "jiffi_ffi_closure_entry reads the slot's handler at 8 and user_data at 16");

// True when entry, read from a trampoline libffi wrote, lies in libffi's own code (the
// object holding ffi_call); each entry seen is checked once (there are two).
bool in_libffi(void* entry) {
    static std::atomic<void*> known[2];
    for (auto& k : known)
        if (entry && k.load(std::memory_order_acquire) == entry) return true;
    Dl_info ours{}, theirs{};
    if (!entry || !dladdr(reinterpret_cast<void*>(&ffi_call), &ours) || !dladdr(entry, &theirs) ||
        ours.dli_fbase != theirs.dli_fbase)
        return false;
    for (auto& k : known) {
        void* expected = nullptr;
        if (k.compare_exchange_strong(expected, entry, std::memory_order_acq_rel) || expected == entry) break;
    }
    return true;
}

void* FfiCallback::prepare_in_place(void* codeloc) {
    // A closure libffi did not allocate gets its trampoline written into tramp (as data):
    // it tells the entry libffi's own trampoline would jump to, with the closure in %r10.
    if (ffi_prep_closure_loc(&closure_, const_cast<ffi_cif*>(&call_.cif()), &FfiCallback::entry, this, codeloc) !=
        FFI_OK)
        fail(ErrorCode::UNSUPPORTED, messages::libffi_no_closure(text_));
    void* target = nullptr;
    std::memcpy(&target, closure_.tramp + sizeof(kLibffiTrampoline), sizeof(target));
    if (std::memcmp(closure_.tramp, kLibffiTrampoline, sizeof(kLibffiTrampoline)) != 0 || !in_libffi(target))
        fail(ErrorCode::UNSUPPORTED, "callback '" + text_ +
                                         "': this libffi's closure trampoline is not the x86-64 one jiffi "
                                         "knows, so its closure cannot be entered without executable data");
    return target;
}
#else
void FfiCallback::prepare_allocated() {
    allocated_ = static_cast<ffi_closure*>(closure_alloc(sizeof(ffi_closure), &code_));
    if (!allocated_) fail(ErrorCode::OUT_OF_MEMORY, "cannot allocate a libffi closure for '" + text_ + "'");
    if (ffi_prep_closure_loc(allocated_, const_cast<ffi_cif*>(&call_.cif()), &FfiCallback::entry, this, code_) !=
        FFI_OK)
        fail(ErrorCode::UNSUPPORTED, messages::libffi_no_closure(text_));
}
#endif

// The slot value of a scalar argument of cls and size bytes at p (docs/c-api.md widening rules).
jiffi_slot scalar_slot(ValueClass cls, size_t size, const void* p) {
    jiffi_slot s;
    s.u64 = 0;
    switch (cls) {
    case ValueClass::SInt:
        switch (size) {
        case 1: s.i64 = *static_cast<const int8_t*>(p); break;
        case 2: s.i64 = *static_cast<const int16_t*>(p); break;
        case 4: s.i64 = *static_cast<const int32_t*>(p); break;
        default: std::memcpy(&s.i64, p, 8); break;
        }
        break;
    case ValueClass::UInt:
        switch (size) {
        case 1: s.u64 = *static_cast<const uint8_t*>(p); break;
        case 2: s.u64 = *static_cast<const uint16_t*>(p); break;
        case 4: s.u64 = *static_cast<const uint32_t*>(p); break;
        default: std::memcpy(&s.u64, p, 8); break;
        }
        break;
    case ValueClass::Float: std::memcpy(&s.f32, p, sizeof(float)); break;
    case ValueClass::Double: std::memcpy(&s.f64, p, sizeof(double)); break;
    case ValueClass::Pointer: std::memcpy(&s.ptr, p, sizeof(void*)); break;
    default: break;
    }
    return s;
}

[[noreturn]] void released_call(const std::string& text, const void* cb) {
    std::fprintf(stderr, messages::kReleasedCallbackCalled, text.c_str(), cb);
    std::fflush(stderr);
    std::abort();
}

void FfiCallback::entry(ffi_cif* cif, void* ret, void** args, void* self) {
    auto* cb = static_cast<FfiCallback*>(self);
    // Recorded before the released flag is read: a release that finds this thread not
    // running the callback has set the flag where this call sees it.
    CallbackScope scope(cb->id_.load(std::memory_order_acquire));
    if (cb->released()) released_call(cb->released_name_.text(), self);
    const FfiCall& call = cb->call_;
    unsigned n = cif->nargs;
    auto* slots = static_cast<jiffi_slot*>(alloca((n + 1) * sizeof(jiffi_slot)));
    for (unsigned i = 0; i < n; ++i) {
        ValueClass cls = call.arg_class(i);
        if (cls == ValueClass::Memory) slots[i].ptr = args[i];
        else slots[i] = scalar_slot(cls, cif->arg_types[i]->size, args[i]);
    }
    // The handler writes into zeroed storage: one that writes nothing returns zero.
    size_t size = std::max<size_t>(call.ret_size(), 16);
    void* buf = alloca(size + 16);
    buf = reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(buf) + 15) & ~uintptr_t(15));
    std::memset(buf, 0, size);
    cb->handler_(cb->user_data_, slots, buf);
    switch (call.ret_class()) {
    case ValueClass::Void: break;
    case ValueClass::Memory: std::memcpy(ret, buf, call.ret_size()); break;
    // libffi wants integers smaller than a register widened to a whole ffi_arg: the slot is.
    default: std::memcpy(ret, buf, sizeof(ffi_arg)); break;
    }
}

// Released libffi callbacks without a slot, waiting until no thread runs them.
struct FfiQuarantine {
    std::mutex mu;
    std::deque<FfiCallback*> waiting;
};

FfiQuarantine& ffi_quarantine() {
    static auto* q = new FfiQuarantine();
    return *q;
}

bool is_ffi_handle(const jiffi_callback* cb) { return reinterpret_cast<uintptr_t>(cb) & 1; }
FfiCallback* ffi_of(jiffi_callback* cb) {
    return reinterpret_cast<FfiCallback*>(reinterpret_cast<uintptr_t>(cb) & ~uintptr_t(1));
}

// The record naming a libffi callback's signature in the released-call message of its slot.
const ThunkSignature& ffi_owner(const std::string& text) {
    static const Error kLibffi(ErrorCode::UNSUPPORTED, "called through libffi");
    return intern_thunk(text, nullptr, &kLibffi);
}

jiffi_callback* make_ffi_callback(const jiffi_signature* sig, jiffi_handler handler, void* user_data,
                                  void (*dispose)(void*)) {
    const ThunkSignature& owner = ffi_owner(sig->sig.key);
    auto cb = std::make_unique<FfiCallback>(sig->ffi_shared(), sig->sig.text, owner, handler, user_data, dispose);
#if !defined(__x86_64__)
    try {
        cb->prepare_allocated();
    } catch (...) {
        cb->keep_user_data();
        throw;
    }
    return reinterpret_cast<jiffi_callback*>(reinterpret_cast<uintptr_t>(cb.release()) | 1);
#else
    // Behind a trampoline slot, whose entry code marks the call before libffi reads the
    // closure, and whose target enters libffi with the closure: the closure is freed by the
    // slot's disposer once no thread runs it.
    SlotData* slot = nullptr;
    SlotTable& table = SlotTable::instance();
    try {
        // The slot leads to the trap until the closure is ready and knows its slot's name.
        slot = table.acquire(nullptr, nullptr, cb->closure(), &owner, &FfiCallback::dispose_slot);
    } catch (...) {
        cb->keep_user_data();
        throw;
    }
    FfiCallback* f = cb.release();  // the slot's disposer owns it now
    try {
        f->set_id(slot);
        // A libffi callback's slot has no handler of its own: the field holds libffi's entry.
        slot->handler = reinterpret_cast<jiffi_handler>(f->prepare_in_place(table.code(slot)));
    } catch (...) {
        f->keep_user_data();
        table.release(slot);
        throw;
    }
    SlotTable::arm(slot, reinterpret_cast<void*>(&jiffi_ffi_closure_entry));
    return reinterpret_cast<jiffi_callback*>(slot);
#endif
}

// A callback's handle is its base handle (a trampoline slot, or a libffi callback with bit 0
// set) with a generation in the top 16 bits, so that a release or use of a handle whose
// callback was released, and whose slot may hold a newer callback, is refused.
//
// A slot's state lives in its tag word (SlotTable::tag): the generation of the newest handle
// made in the slot in the top 16 bits, and below them the context holding a reference for
// the live callback, 0 once released. Nothing is allocated per callback.
constexpr uint64_t kGenerationMask = ~uint64_t(kHandleAddressMask);

uint64_t generation_of(uintptr_t h) { return h & kGenerationMask; }

// libffi callbacks without a slot (hosts without trampolines) are heap memory, not a
// bounded set of addresses: their live handles are kept in a table.
struct LiveCallback {
    uintptr_t handle;
    jiffi_context* ctx;  // holds a reference on it while live
};
struct CallbackHandles {
    SpinLock mu;
    std::unordered_map<uintptr_t, LiveCallback> live;  // by base handle
    uint16_t generation = 0;
};

CallbackHandles& callback_handles() {
    // Never destroyed: callbacks may be released by other static destructors.
    static auto* h = new CallbackHandles();
    return *h;
}

void report_not_live(const char* api, const jiffi_callback* cb) {
    std::fprintf(stderr,
                 "jiffi: %s: the callback handle %p is not a live callback (released already, or its "
                 "slot now holds another callback); nothing done\n",
                 api, static_cast<const void*>(cb));
}

// The live slot a handle names, or null (a handle of a libffi callback without a slot, or one
// not naming a slot).
SlotData* slot_of(const jiffi_callback* cb) {
    uintptr_t base = reinterpret_cast<uintptr_t>(cb) & kHandleAddressMask;
    if ((base & 1) || !SlotTable::is_slot_address(reinterpret_cast<void*>(base))) return nullptr;
    return reinterpret_cast<SlotData*>(base);
}

// The base handle of a live callback handle, or 0 (reported on stderr naming api) when the
// handle is not one.
uintptr_t live_base(const jiffi_callback* cb, const char* api) {
    auto h = reinterpret_cast<uintptr_t>(cb);
    uintptr_t base = h & kHandleAddressMask;
    if (SlotData* slot = slot_of(cb)) {
        uint64_t tag = SlotTable::tag(slot).load(std::memory_order_acquire);
        if (generation_of(tag) == generation_of(h) && (tag & kHandleAddressMask)) return base;
    } else if (base & 1) {
        CallbackHandles& t = callback_handles();
        std::lock_guard<SpinLock> lock(t.mu);
        auto it = t.live.find(base);
        if (it != t.live.end() && it->second.handle == h) return base;
    }
    report_not_live(api, cb);
    return 0;
}

// Frees a callback made by make_any_callback that never got a handle.
void release_base(uintptr_t base);

// A new callback's base handle (see CallbackHandles).
jiffi_callback* make_any_callback(jiffi_context* ctx, const jiffi_signature* sig, jiffi_handler handler,
                                  void* user_data, void (*dispose)(void*));

}  // namespace

jiffi_callback* make_callback(jiffi_context* ctx, const jiffi_signature* sig, jiffi_handler handler,
                              void* user_data, void (*dispose)(void*)) {
    auto base = reinterpret_cast<uintptr_t>(make_any_callback(ctx, sig, handler, user_data, dispose));
    auto ctx_bits = reinterpret_cast<uintptr_t>(ctx);
    if ((base | ctx_bits) & ~kHandleAddressMask) {
        release_base(base);
        fail(ErrorCode::OUT_OF_MEMORY, "callback '" + sig->sig.text + "' was made above 2^48, where handles cannot name it");
    }
    uintptr_t h;
    if (!(base & 1)) {
        // The slot is this thread's alone until its handle is returned.
        std::atomic<uint64_t>& tag = SlotTable::tag(reinterpret_cast<SlotData*>(base));
        uint64_t g = generation_of(tag.load(std::memory_order_relaxed)) + (uint64_t(1) << kHandleGenerationShift);
        if (!g) g = uint64_t(1) << kHandleGenerationShift;
        h = base | g;
        HandlePool<jiffi_context>::retain(ctx);
        tag.store(g | ctx_bits, std::memory_order_release);
    } else {
        CallbackHandles& t = callback_handles();
        try {
            std::lock_guard<SpinLock> lock(t.mu);
            if (++t.generation == 0) t.generation = 1;
            h = base | (uintptr_t(t.generation) << kHandleGenerationShift);
            t.live[base] = LiveCallback{h, ctx};
            HandlePool<jiffi_context>::retain(ctx);
        } catch (...) {
            release_base(base);  // out of memory only: the callback is freed as released
            throw;
        }
    }
    return reinterpret_cast<jiffi_callback*>(h);
}

namespace {

// True when libffi can make callbacks of sig.
bool libffi_serves(const jiffi_signature* sig) {
    try {
        sig->ffi();
        return true;
    } catch (const Error&) {
        return false;
    }
}

// True when an AUTO callback of sig may take the JIT path now: its thunk is compiled, or the
// JIT refuses sig (the JIT path then declines with the reason). Otherwise the thunk is queued
// for the background compiler (once), and the callback is made by libffi meanwhile.
bool auto_thunk_ready(jiffi_context* ctx, const jiffi_signature* sig) {
    if (sig->thunk_ready.load(std::memory_order_acquire)) return true;
    const StubSpec* invoker = sig->jit().spec();
    if (!invoker) return true;
    init_callbacks();
    TierCompiler::instance().attach(
        sig->thunk_job,
        [&] { return std::make_shared<TierJob>(thunk_spec(*invoker), "callback '" + sig->sig.text + "'", ctx->stats); },
        TierWaiter{&sig->thunk_ready, false, &sig->thunk_ready_ref});
    return sig->thunk_ready.load(std::memory_order_acquire) != nullptr;
}

jiffi_callback* make_any_callback(jiffi_context* ctx, const jiffi_signature* sig, jiffi_handler handler,
                                  void* user_data, void (*dispose)(void*)) {
    if (sig->ctx != ctx)
        fail(ErrorCode::INVALID_ARGUMENT, "signature '" + sig->sig.text + "' belongs to another context");
    if (sig->sig.variadic_prototype || sig->sig.variadic_call)
        fail(ErrorCode::VARIADIC, "signature '" + sig->sig.text +
                                      "' is variadic: a callback cannot know the types of its variadic arguments");
    // AUTO waits for the JIT only for a signature libffi cannot serve.
    bool want_jit = ctx->uses_jit() && (ctx->backend == JIFFI_BACKEND_JIT || !libffi_serves(sig) ||
                                        auto_thunk_ready(ctx, sig));
    if (want_jit) {
        const ThunkSignature& thunk = sig->thunk();
        if (thunk.code() && SlotTable::supported()) {
            SlotData* slot = SlotTable::instance().acquire(thunk.code(), handler, user_data, &thunk, dispose);
            return reinterpret_cast<jiffi_callback*>(slot);
        }
        std::string why = thunk.error() ? thunk.error()->message() : messages::kNoTrampolineCode;
        if (ctx->backend == JIFFI_BACKEND_JIT)
            fail(thunk.error() ? thunk.error()->code() : ErrorCode::UNSUPPORTED,
                 "JIT backend, callback '" + sig->sig.text + "': " + why);
        ctx->stats->declined("callback '" + sig->sig.text + "': " + why);
    }
    return make_ffi_callback(sig, handler, user_data, dispose);
}

void release_base(uintptr_t base) {
    auto* cb = reinterpret_cast<jiffi_callback*>(base);
    if (!is_ffi_handle(cb)) return SlotTable::instance().release(reinterpret_cast<SlotData*>(cb));
    FfiCallback* f = ffi_of(cb);
    if (!f->mark_released()) return;  // released before: nothing more to do
    FfiQuarantine& q = ffi_quarantine();
    std::vector<FfiCallback*> done;
    {
        std::lock_guard<std::mutex> lock(q.mu);
        q.waiting.push_back(f);
        std::vector<const void*> running;
        if (q.waiting.size() > SlotTable::kMinQuarantine && running_callbacks(running)) {
            while (q.waiting.size() > SlotTable::kMinQuarantine &&
                   !std::binary_search(running.begin(), running.end(), static_cast<const void*>(q.waiting.front()))) {
                done.push_back(q.waiting.front());
                q.waiting.pop_front();
            }
        }
    }
    for (FfiCallback* d : done) delete d;
}

}  // namespace

void* callback_code(jiffi_callback* handle) {
    if (!handle) return nullptr;
    uintptr_t base = live_base(handle, "jiffi_callback_code");
    if (!base) return nullptr;
    auto* cb = reinterpret_cast<jiffi_callback*>(base);
    if (is_ffi_handle(cb)) return ffi_of(cb)->code();
    return SlotTable::instance().code(reinterpret_cast<SlotData*>(cb));
}

void release_callback(jiffi_callback* handle) {
    if (!handle) return;
    auto h = reinterpret_cast<uintptr_t>(handle);
    jiffi_context* ctx = nullptr;
    uintptr_t base = 0;
    if (SlotData* slot = slot_of(handle)) {
        // The one release that turns the live tag into the released one wins.
        std::atomic<uint64_t>& tag = SlotTable::tag(slot);
        uint64_t t = tag.load(std::memory_order_acquire);
        while (generation_of(t) == generation_of(h) && (t & kHandleAddressMask)) {
            if (tag.compare_exchange_weak(t, generation_of(t), std::memory_order_acq_rel)) {
                base = h & kHandleAddressMask;
                ctx = reinterpret_cast<jiffi_context*>(t & kHandleAddressMask);
                break;
            }
        }
    } else if (h & 1) {
        CallbackHandles& t = callback_handles();
        std::lock_guard<SpinLock> lock(t.mu);
        auto it = t.live.find(h & kHandleAddressMask);
        if (it != t.live.end() && it->second.handle == h) {
            base = it->first;
            ctx = it->second.ctx;
            t.live.erase(it);
        }
    }
    if (!base) return report_not_live("jiffi_callback_release", handle);
    release_base(base);
    HandlePool<jiffi_context>::instance().release(ctx);
}

void callback_handles_fork_prepare() noexcept { callback_handles().mu.lock(); }

void callback_handles_fork_release() noexcept { callback_handles().mu.unlock(); }

void ffi_callbacks_fork_prepare() noexcept { ffi_quarantine().mu.lock(); }

void ffi_callbacks_fork_release() noexcept { ffi_quarantine().mu.unlock(); }

}  // namespace jiffi::detail

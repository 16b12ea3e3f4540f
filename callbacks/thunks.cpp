// The per-signature thunk registry and the callbacks module's one-time setup.
#include "callbacks/thunks.hpp"

#include <map>
#include <mutex>

#include "callbacks/slot_table.hpp"
#include "callbacks/threads.hpp"

namespace jiffi::detail {

ThunkSignature::ThunkSignature(std::string text, const StubSpec* invoker_spec, const Error* refused)
    : text_(std::move(text)) {
    if (!invoker_spec) {
        error_ = std::make_unique<Error>(refused ? *refused : Error(ErrorCode::UNSUPPORTED, "no call plan"));
        return;
    }
    StubSpec spec = thunk_spec(*invoker_spec);
    std::vector<StubRef> refs = StubCache::global().acquire_batch({&spec});
    if (refs[0].ok()) ref_ = std::move(refs[0]);
    else error_ = std::make_unique<Error>(*refs[0].error());
}

namespace {

// Guards the thunk registry; held while a new thunk compiles.
std::mutex thunks_mu;

}  // namespace

const ThunkSignature& intern_thunk(const std::string& text, const StubSpec* invoker_spec, const Error* refused) {
    init_callbacks();
    // Never destroyed: released slots keep naming their signature.
    static auto* thunks = new std::map<std::string, std::unique_ptr<ThunkSignature>>();
    std::string key = text + '\n' + (invoker_spec ? invoker_spec->key() : std::string("refused"));
    std::lock_guard<std::mutex> lock(thunks_mu);
    std::unique_ptr<ThunkSignature>& t = (*thunks)[key];
    if (!t) t = std::make_unique<ThunkSignature>(text, invoker_spec, refused);
    return *t;
}

namespace {

// Where each thread's callback record lives, found once.
const ThunkRuntime& thunk_runtime() {
    static const ThunkRuntime rt = [] {
        ThunkRuntime r;
        r.tls = thread_record_offset(r.tls_offset);
        return r;
    }();
    return rt;
}

}  // namespace

StubSpec thunk_spec(const StubSpec& invoker) {
    StubSpec spec = invoker;
    spec.kind = StubKind::Thunk;
    spec.thunk = thunk_runtime();
    return spec;
}

void init_callbacks() {
    static std::once_flag once;
    std::call_once(once, [] {
        set_owner_describer([](const void* owner) {
            return static_cast<const ThunkSignature*>(owner)->text().c_str();
        });
    });
}

void thunks_fork_prepare() noexcept { thunks_mu.lock(); }

void thunks_fork_release() noexcept { thunks_mu.unlock(); }

}  // namespace jiffi::detail

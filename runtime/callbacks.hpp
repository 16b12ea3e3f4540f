// Callbacks in the runtime: JIT thunks behind trampoline slots, libffi closures, and the
// choice between them by the context's backend.
#pragma once

#include "jiffi/jiffi.h"

namespace jiffi::detail {

// A new callback of sig calling handler(user_data, slots, ret); throws Error naming the
// signature when neither the context's backend can serve it. dispose, when not null, gets
// user_data once the callback is released and no call of it can be running any more.
jiffi_callback* make_callback(jiffi_context* ctx, const jiffi_signature* sig, jiffi_handler handler,
                              void* user_data, void (*dispose)(void*) = nullptr);
// The callback's C function pointer.
void* callback_code(jiffi_callback* cb);
// Releases cb: its code aborts with a message if still called, and is reused only after a
// quarantine and once every call in flight has returned.
void release_callback(jiffi_callback* cb);

// Before fork(): takes the lock of the released libffi callbacks' quarantine.
void ffi_callbacks_fork_prepare() noexcept;
// After fork(): releases it (in the parent and the child alike).
void ffi_callbacks_fork_release() noexcept;
// Before fork(): takes the lock of the live callbacks' handle table (a leaf).
void callback_handles_fork_prepare() noexcept;
// After fork(): releases it (in the parent and the child alike).
void callback_handles_fork_release() noexcept;

}  // namespace jiffi::detail

// What the C API's entry points share (boundary.hpp): the error kept for when no error can be
// allocated, and the report of a handle that is not live.
#include "runtime/boundary.hpp"

#include <cstdio>

jiffi_error jiffi::detail::oom_error{JIFFI_E_OUT_OF_MEMORY, "out of memory"};

void jiffi::detail::report_bad_handle(const char* api, const char* what, const void* handle,
                                      HandleState why) noexcept {
    const char* text = why == HandleState::Destroyed ? "was destroyed already"
                       : why == HandleState::Stale   ? "is stale (its object was destroyed; the handle is not a live one)"
                                                     : "is live now";
    std::fprintf(stderr, "jiffi: %s: the %s handle %p %s; nothing done\n", api, what, handle, text);
}

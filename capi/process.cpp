// The C API: what is process-wide (the JIT cache directory, the trampoline table, crash
// reports).
#include "jiffi/jiffi.h"
#include "runtime/boundary.hpp"
#include "callbacks/slot_table.hpp"
#include "jit/jit_engine.hpp"
#include "runtime/crash.hpp"

using namespace jiffi::detail;

extern "C" {

jiffi_error* jiffi_jit_set_cache_dir(const char* dir) {
    return guarded([&] { set_jit_cache_dir(dir ? dir : ""); });
}

void jiffi_callback_table_stats(size_t* capacity, size_t* live, size_t* quarantined) {
    SlotTableStats s;
    if (SlotTable::supported()) s = SlotTable::instance().stats();
    if (capacity) *capacity = s.capacity;
    if (live) *live = s.live;
    if (quarantined) *quarantined = s.quarantined;
}

jiffi_error* jiffi_crash_report_install(void) {
    return guarded([] { crash_install(); });
}

}  // extern "C"

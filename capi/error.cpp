// The C API: error objects, and the library's version.
#include "jiffi/jiffi.h"
#include "runtime/boundary.hpp"

using namespace jiffi::detail;

extern "C" {

const char* jiffi_error_message(const jiffi_error* err) { return err ? err->message.c_str() : ""; }

int jiffi_error_code(const jiffi_error* err) { return err ? err->code : 0; }

void jiffi_error_dispose(jiffi_error* err) {
    if (err != &oom_error) delete err;
}

const char* jiffi_error_code_name(int code) { return error_code_text(code); }

#define JIFFI_STR2(x) #x
#define JIFFI_STR(x) JIFFI_STR2(x)
const char* jiffi_version(void) {
    return JIFFI_STR(JIFFI_VERSION_MAJOR) "." JIFFI_STR(JIFFI_VERSION_MINOR) "." JIFFI_STR(JIFFI_VERSION_PATCH);
}

}  // extern "C"

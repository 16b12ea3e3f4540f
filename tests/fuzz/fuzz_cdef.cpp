// libFuzzer target: jiffi_cdef over arbitrary declaration text, then the types it defined.
#include "fuzz_util.hpp"

// Feeds the input to jiffi_cdef in a fresh context and, when it is accepted, describes a
// few of the names such texts declare, so the definitions are laid out and read back.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    jiffi::fuzz::Context ctx;
    std::string text = jiffi::fuzz::text_of(data, size);
    jiffi_error* err = jiffi_cdef(ctx.get(), text.c_str());
    if (err) {
        jiffi::fuzz::check_error(err);
        return 0;
    }
    for (const char* name : {"struct s", "union u", "enum e", "struct node", "t"}) {
        jiffi_type_detail detail;
        jiffi::fuzz::check_error(jiffi_type_describe(ctx.get(), name, &detail));
        jiffi_field_info field;
        jiffi::fuzz::check_error(jiffi_record_field(ctx.get(), name, "a", &field));
        char buf[64];
        for (size_t i = 0; i < 4 && jiffi_record_member_name(ctx.get(), name, i, buf, sizeof buf); ++i) {
        }
    }
    return 0;
}

// The C API: type facts, records defined in code, fields by path.
#include "jiffi/jiffi.h"
#include "runtime/boundary.hpp"
#include "runtime/types.hpp"

using namespace jiffi::detail;

extern "C" {

jiffi_error* jiffi_type_describe(jiffi_context* ctx, const char* type_name, jiffi_type_detail* out) {
    return guarded([&] {
        require(out, "jiffi_type_describe", "out");
        ctx = require_live(ctx, "jiffi_type_describe", "ctx");
        require(type_name, "jiffi_type_describe", "type_name");
        SpelledType t = ctx->parse_spelled_type(type_name);
        describe(ctx->types, t.type, t.spelling.str(), *out);
    });
}

jiffi_error* jiffi_type_same(jiffi_context* ctx, const char* a, const char* b, int* same) {
    return guarded([&] {
        require(same, "jiffi_type_same", "same");
        *same = 0;
        ctx = require_live(ctx, "jiffi_type_same", "ctx");
        require(a, "jiffi_type_same", "a");
        require(b, "jiffi_type_same", "b");
        // Types are interned structurally, so one type is one object.
        *same = ctx->parse_type(a) == ctx->parse_type(b) ? 1 : 0;
    });
}

jiffi_error* jiffi_record_field(jiffi_context* ctx, const char* record, const char* path,
                                jiffi_field_info* out) {
    return guarded([&] {
        require(out, "jiffi_record_field", "out");
        ctx = require_live(ctx, "jiffi_record_field", "ctx");
        require(record, "jiffi_record_field", "record_type");
        require(path, "jiffi_record_field", "path");
        resolve_path(ctx->types, record_type(ctx, record), path, *out);
    });
}

size_t jiffi_record_member_name(jiffi_context* ctx, const char* record, size_t index, char* buf,
                                size_t len) {
    ctx = check_live(ctx, "jiffi_record_member_name");
    if (!ctx || !record) return 0;
    try {
        std::vector<std::string> names;
        member_names(*record_type(ctx, record)->record, names);
        if (index >= names.size()) return 0;
        return copy_out(names[index], buf, len);
    } catch (...) {
        return 0;
    }
}

jiffi_error* jiffi_record_define(jiffi_context* ctx, const char* tag, int is_union,
                                 const jiffi_field_spec* fields, size_t count) {
    return guarded([&] {
        ctx = require_live(ctx, "jiffi_record_define", "ctx");
        require(tag, "jiffi_record_define", "tag");
        if (count) require(fields, "jiffi_record_define", "fields");
        define_record(ctx, tag, is_union != 0, fields, count);
    });
}

}  // extern "C"

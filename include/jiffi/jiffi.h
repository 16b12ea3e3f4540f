/* jiffi C API: call C functions and make C callbacks from signatures known at run time. */
#ifndef JIFFI_JIFFI_H
#define JIFFI_JIFFI_H

#include <stddef.h>
#include <stdint.h>

/* The version of this header (the build reads it from here too). The library's own is
   jiffi_version(): a program can check that the library it runs on is the one it was built
   for (docs/versioning.md). */
#define JIFFI_VERSION_MAJOR 0
#define JIFFI_VERSION_MINOR 1
#define JIFFI_VERSION_PATCH 0

#if defined(_WIN32) && defined(JIFFI_BUILDING_SHARED)
#define JIFFI_API __declspec(dllexport)
#elif defined(__GNUC__)
#define JIFFI_API __attribute__((visibility("default")))
#else
#define JIFFI_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Value slots ------------------------------------------------------------------ */

/* One argument or scalar return value, widened by the rules of docs/c-api.md. */
typedef union jiffi_slot {
    int64_t  i64;
    uint64_t u64;
    double   f64;
    float    f32;
    void    *ptr;
} jiffi_slot;

/* Calls the C function fn with args by the platform C ABI and stores its result in ret. */
typedef void (*jiffi_invoker)(void *fn, const jiffi_slot *args, void *ret);
/* Receives a callback's native arguments as slots and writes its result to ret. */
typedef void (*jiffi_handler)(void *user_data, const jiffi_slot *args, void *ret);

/* ---- Objects and errors ----------------------------------------------------------- */

typedef struct jiffi_context   jiffi_context;
typedef struct jiffi_library   jiffi_library;
typedef struct jiffi_signature jiffi_signature;
typedef struct jiffi_function  jiffi_function;
typedef struct jiffi_callback  jiffi_callback;
typedef struct jiffi_error     jiffi_error;

typedef enum jiffi_backend {
    JIFFI_BACKEND_AUTO   = 0,  /* the library's choice: JIT when it can, libffi otherwise */
    JIFFI_BACKEND_JIT    = 1,  /* only JIT-compiled stubs and thunks; unsupported -> error */
    JIFFI_BACKEND_LIBFFI = 2,  /* only libffi */
    JIFFI_BACKEND_MAX_ENUM_ = 0x7fffffff  /* not a backend: keeps any int value in range */
} jiffi_backend;

/* Error codes: every jiffi_error carries one of these. */
enum {
#define JIFFI_ERROR(name, value, text) JIFFI_E_##name = value,
#include "jiffi/errors.def"
#undef JIFFI_ERROR
    JIFFI_E_LAST_
};

JIFFI_API const char *jiffi_error_message(const jiffi_error *err);
JIFFI_API int         jiffi_error_code(const jiffi_error *err);
JIFFI_API void        jiffi_error_dispose(jiffi_error *err);
/* The description of an error code ("library not found"), or "unknown error code". */
JIFFI_API const char *jiffi_error_code_name(int code);

/* The version of the running library, "MAJOR.MINOR.PATCH" (static storage). */
JIFFI_API const char *jiffi_version(void);

/* ---- Contexts, declarations, signatures ------------------------------------------- */

JIFFI_API jiffi_error *jiffi_context_create(jiffi_backend backend, jiffi_context **out);
JIFFI_API void         jiffi_context_destroy(jiffi_context *ctx);
/* The backend the context was created with. */
JIFFI_API jiffi_backend jiffi_context_backend(const jiffi_context *ctx);
/* Process-wide (the JIT is one per process, shared by all contexts): keeps compiled stubs
   in the directory dir (created if missing) and loads them from there instead of compiling
   again, in this and later processes; NULL or "" turns the cache off. The environment
   variable JIFFI_JIT_CACHE_DIR sets it when the JIT starts. Files are named by signature
   and host (LLVM version, CPU and its features), one name per signature and host; stale or
   damaged files are ignored and replaced; the directory may be emptied at any time. */
JIFFI_API jiffi_error *jiffi_jit_set_cache_dir(const char *dir);

/* Opt-in crash reports (process-wide; docs/c-api.md): installs handlers for SIGSEGV, SIGBUS,
   SIGILL and SIGFPE that write one line to stderr naming the foreign function the faulting
   thread is calling through jiffi_function_call (symbol, library, signature) and whether the
   fault is in a callback's handler or in the callee, then hand the signal to the action
   installed before them (the default one ends the process by the signal). Threads get an
   alternate signal stack on their first call while reports are on. Setting
   JIFFI_CRASH_REPORT=1 installs them when the first context is created. Repeated calls only
   give the calling thread its alternate stack. */
JIFFI_API jiffi_error *jiffi_crash_report_install(void);

JIFFI_API jiffi_error *jiffi_cdef(jiffi_context *ctx, const char *declarations);
JIFFI_API jiffi_error *jiffi_signature_parse(jiffi_context *ctx, const char *text,
                                             jiffi_signature **out);
JIFFI_API jiffi_error *jiffi_signature_vararg(jiffi_context *ctx,
                                              const jiffi_signature *variadic,
                                              const char *vararg_types,
                                              jiffi_signature **out);
JIFFI_API size_t       jiffi_signature_arg_count(const jiffi_signature *sig);

/* How a value of a signature's argument or return type travels in a slot: JIFFI_CLASS_VOID,
   JIFFI_CLASS_SINT and the others of jiffi/value_classes.def, which says what each holds. */
typedef enum jiffi_value_class {
#define JIFFI_VALUE_CLASS(name, cxx_name, value, text) JIFFI_CLASS_##name = value,
#include "jiffi/value_classes.def"
#undef JIFFI_VALUE_CLASS
} jiffi_value_class;

/* Describes one type of a signature: index -1 is the return type, 0.. the arguments. */
typedef struct jiffi_type_info {
    jiffi_value_class value_class;
    size_t size;            /* sizeof the C type (0 for void) */
    size_t align;           /* _Alignof the C type */
    int    is_char_pointer; /* a pointer to (possibly const) char: a C string */
} jiffi_type_info;

/* Fills info for argument index (or the return type when index is -1). */
JIFFI_API jiffi_error *jiffi_signature_type_info(const jiffi_signature *sig, long index,
                                                 jiffi_type_info *info);
/* Nonzero if the signature is a variadic prototype (callable only through _vararg). */
JIFFI_API int          jiffi_signature_is_variadic(const jiffi_signature *sig);
/* The function name a prototype gave ("" for an abstract function type). */
JIFFI_API const char  *jiffi_signature_name(const jiffi_signature *sig);
/* The signature in C syntax, its types spelled as written (typedef names kept), owned by
   the signature ("size_t wcslen(const wchar_t *)", "int(const char *, ...)"). */
JIFFI_API const char  *jiffi_signature_text(const jiffi_signature *sig);

/* ---- Libraries and functions ------------------------------------------------------ */

JIFFI_API jiffi_error *jiffi_library_open(jiffi_context *ctx, const char *name,
                                          jiffi_library **out);
JIFFI_API jiffi_error *jiffi_library_symbol(jiffi_library *lib, const char *symbol,
                                            void **out);
JIFFI_API void         jiffi_library_close(jiffi_library *lib);
/* The file the library was loaded from ("" for the running process). */
JIFFI_API const char  *jiffi_library_path(const jiffi_library *lib);
/* Replaces the context's library search paths (a ':'-separated list; NULL or "" clears). */
JIFFI_API jiffi_error *jiffi_context_set_search_paths(jiffi_context *ctx, const char *paths);

JIFFI_API jiffi_error *jiffi_function_create(jiffi_context *ctx, void *address,
                                             const jiffi_signature *sig,
                                             jiffi_function **out);
JIFFI_API jiffi_error *jiffi_function_bind(jiffi_library *lib, const char *symbol,
                                           const jiffi_signature *sig,
                                           jiffi_function **out);
/* Calls fn; ret may also be NULL for a non-void return, which discards the result. */
JIFFI_API void          jiffi_function_call(jiffi_function *fn, const jiffi_slot *args,
                                            void *ret);
/* Calls fn like jiffi_function_call and stores in *errno_out the errno fn left, captured
   right after the call returns (inside the JIT stub, or right after ffi_call on the same
   thread), before any work of jiffi's can change it. Errors: a NULL fn or errno_out, NULL
   args for a function that takes arguments. */
JIFFI_API jiffi_error *jiffi_function_call_errno(jiffi_function *fn, const jiffi_slot *args,
                                                 void *ret, int *errno_out);
/* The invoker calls go through. On a JIFFI_BACKEND_AUTO context this is libffi's until the
   function's JIT stub is compiled in the background, then the stub: an embedder caching the
   invoker should query it again after warm-up, or after jiffi_function_wait_jit returns 1.
   A JIT stub stores its result without testing ret: pass return storage unless void. */
JIFFI_API jiffi_invoker jiffi_function_invoker(jiffi_function *fn);
JIFFI_API void         *jiffi_function_address(jiffi_function *fn);
JIFFI_API void          jiffi_function_destroy(jiffi_function *fn);
/* The signature the function was created with. */
JIFFI_API const jiffi_signature *jiffi_function_signature(const jiffi_function *fn);

/* ---- Tiering and statistics ------------------------------------------------------ */

/* Waits until fn calls through its JIT stub (AUTO compiles it in the background) or
   timeout_ms passes (a negative timeout waits as long as compiling takes); returns 1 when
   fn is served by the JIT, 0 when it is (still) served by libffi. */
JIFFI_API int jiffi_function_wait_jit(jiffi_function *fn, long timeout_ms);

/* A context's counters. Calls are those made through jiffi_function_call (a raw invoker's
   calls are not counted). Set JIFFI_LOG=fallback (or all) to have every libffi fallback
   named on stderr; JIFFI_DISABLE_JIT=1 makes AUTO contexts created after it pure libffi. */
typedef struct jiffi_stats {
    uint64_t calls_jit;           /* calls served by a JIT stub */
    uint64_t calls_libffi;        /* calls served by libffi */
    uint64_t stubs_compiled;      /* stubs made ready for the context's signatures */
    uint64_t functions_tiered_up; /* AUTO functions switched from libffi to their stub */
    uint64_t jit_declined;        /* signatures the JIT declined (reasons below) */
    uint64_t libffi_fallbacks;    /* AUTO functions left on libffi because the JIT declined */
} jiffi_stats;

/* Fills out with the context's counters. */
JIFFI_API jiffi_error *jiffi_context_stats(const jiffi_context *ctx, jiffi_stats *out);
/* The index-th distinct reason the JIT declined a signature (first seen first): copies it,
   NUL-terminated and truncated to len bytes, into buf (when len > 0), stores how many
   declines gave it in *count (when count is not NULL), and returns the reason's length plus
   one; returns 0 when index is past the last reason. */
JIFFI_API size_t jiffi_context_declined_reason(const jiffi_context *ctx, size_t index,
                                               char *buf, size_t len, uint64_t *count);

/* ---- Invokers and batches -------------------------------------------------------- */

typedef struct jiffi_batch jiffi_batch;

/* The invoker of sig, for any function of that signature: the JIT stub (compiled now unless
   cached, and kept with the signature) on JIT and AUTO contexts, libffi's otherwise or when
   the JIT declines sig on AUTO. Errors: a variadic prototype; the JIT's refusal on JIT. */
JIFFI_API jiffi_error *jiffi_signature_invoker(const jiffi_signature *sig, jiffi_invoker *out);

/* A batch of count calls, fns[0] first, compiled into one function (its addresses built in)
   when every function's context uses the JIT and the JIT serves every signature; otherwise
   the calls are made one by one. The batch keeps its functions alive until it is destroyed. */
JIFFI_API jiffi_error *jiffi_batch_create(jiffi_function *const *fns, size_t count,
                                          jiffi_batch **out);
/* Makes the batch's calls in order: call i takes args[i] and stores its result in rets[i]
   (rets or rets[i] may be NULL to discard). A NULL b or args makes no call. */
JIFFI_API void jiffi_batch_call(jiffi_batch *b, const jiffi_slot *const *args,
                                void *const *rets);
/* 1 when the batch runs as one compiled function. */
JIFFI_API int  jiffi_batch_is_compiled(const jiffi_batch *b);
JIFFI_API void jiffi_batch_destroy(jiffi_batch *b);

/* ---- Callbacks -------------------------------------------------------------------- */

/* Makes a C function pointer of signature sig that calls handler(user_data, slots, ret) by
   the slot rules; ret points at zeroed storage, so a handler that writes nothing returns
   zero. JIT: a per-signature thunk (compiled once) behind a trampoline slot; libffi: a
   closure; AUTO: the JIT when it can serve sig, else libffi (counted as declined). Handlers
   must not unwind (the C++ API catches and rethrows for them). Errors: variadic signatures
   (JIFFI_E_VARIADIC), a signature of another context, a signature no backend can serve.
   A callback keeps its context alive until it is released (docs/c-api.md). */
JIFFI_API jiffi_error *jiffi_callback_create(jiffi_context *ctx, const jiffi_signature *sig,
                                             jiffi_handler handler, void *user_data,
                                             jiffi_callback **out);
/* Like jiffi_callback_create; dispose, when not NULL, is called with user_data once the
   callback is released and no call of it can still be running (when its quarantine ends,
   on a thread that creates or releases callbacks then). On error it is not called. */
JIFFI_API jiffi_error *jiffi_callback_create_ex(jiffi_context *ctx, const jiffi_signature *sig,
                                                jiffi_handler handler, void *user_data,
                                                void (*dispose)(void *user_data),
                                                jiffi_callback **out);
JIFFI_API void        *jiffi_callback_code(jiffi_callback *cb);
JIFFI_API void         jiffi_callback_release(jiffi_callback *cb);
/* Process-wide counts of the callbacks' trampoline table (JIT callbacks, and libffi ones
   where the host has trampolines): slots mapped, callbacks live, released slots in
   quarantine (any pointer may be NULL; zeros where the host has none). */
JIFFI_API void         jiffi_callback_table_stats(size_t *capacity, size_t *live,
                                                  size_t *quarantined);

/* ---- Foreign surface: type facts, records by field, search paths ----------------- */

/* What kind of C type a jiffi_type_detail describes. */
typedef enum jiffi_type_kind {
    JIFFI_KIND_VOID     = 0,
    JIFFI_KIND_BOOL     = 1,  /* _Bool */
    JIFFI_KIND_CHAR     = 2,  /* char, signed char, unsigned char */
    JIFFI_KIND_INTEGER  = 3,  /* the other integer types and enums */
    JIFFI_KIND_FLOAT    = 4,  /* float, double, long double */
    JIFFI_KIND_COMPLEX  = 5,  /* _Complex types */
    JIFFI_KIND_POINTER  = 6,
    JIFFI_KIND_ARRAY    = 7,
    JIFFI_KIND_RECORD   = 8,  /* struct or union */
    JIFFI_KIND_FUNCTION = 9
} jiffi_type_kind;

/* The facts about one C type that marshalling needs. */
typedef struct jiffi_type_detail {
    jiffi_type_kind   kind;
    jiffi_value_class value_class;  /* how it travels in a slot */
    size_t size;                    /* sizeof (0 for void, functions, incomplete types) */
    size_t align;                   /* _Alignof (1 where size is 0) */
    int    is_signed;               /* integers: signed (plain char by the target) */
    size_t count;                   /* arrays: element count (0 for a flexible array) */
    /* Arrays: the element; pointers: the pointee (size 0 when void or incomplete). */
    jiffi_type_kind   elem_kind;
    jiffi_value_class elem_class;
    size_t elem_size;
    int    elem_is_signed;
    int    elem_is_const;           /* pointers: the pointee is const-qualified */
    char   spelling[128];           /* the type in C syntax as written, truncated to fit */
} jiffi_type_detail;

/* Describes a type name in C or keyword syntax ("struct timespec", ":unsigned-long"); the
   spelling keeps the typedef names it was written with ("wchar_t *"). */
JIFFI_API jiffi_error *jiffi_type_describe(jiffi_context *ctx, const char *type_name,
                                           jiffi_type_detail *out);
/* Describes argument index of sig, or its return type for index -1, spelled as the
   signature wrote it ("const wchar_t *", "size_t"). */
JIFFI_API jiffi_error *jiffi_signature_type_detail(const jiffi_signature *sig, long index,
                                                   jiffi_type_detail *out);
/* Sets *same to 1 when type names a and b (C or keyword syntax) name one type of ctx, their
   typedef names resolved ("size_t" and "unsigned long" on LP64 targets), else to 0: a
   spelling tells how a type was written, this tells whether two are one type. */
JIFFI_API jiffi_error *jiffi_type_same(jiffi_context *ctx, const char *a, const char *b,
                                       int *same);

/* One field reached by a path from the start of a record. */
typedef struct jiffi_field_info {
    size_t   offset;       /* byte offset (for a bitfield: of the byte holding its first bit) */
    uint64_t bit_offset;   /* offset in bits from the record's start */
    unsigned bit_width;    /* bitfields: width in bits; 0 otherwise */
    int      is_bitfield;
    jiffi_type_detail type;
} jiffi_field_info;

/* Finds the field a path names in a record type: members by name (anonymous members'
   fields included), nested with '.', array elements with [i] ("a.b[2]", "items[1].x"). */
JIFFI_API jiffi_error *jiffi_record_field(jiffi_context *ctx, const char *record_type,
                                          const char *path, jiffi_field_info *out);
/* The name of the index-th named member of a record type (anonymous members' fields
   flattened in order): copies it NUL-terminated and truncated to len bytes into buf (when
   len > 0) and returns its length plus one; 0 when index is past the last one. */
JIFFI_API size_t jiffi_record_member_name(jiffi_context *ctx, const char *record_type,
                                          size_t index, char *buf, size_t len);

/* One member of a record defined in code: its name, type name (C or keyword syntax) and,
   for a bitfield, its width (0 for an ordinary member). */
typedef struct jiffi_field_spec {
    const char *name;
    const char *type;
    unsigned    bit_width;
} jiffi_field_spec;

/* Defines "struct tag" (or "union tag") with the given members, laid out by the C rules.
   Defining the same tag again with the same members is a no-op; other members are a
   JIFFI_E_REDEFINITION error. */
JIFFI_API jiffi_error *jiffi_record_define(jiffi_context *ctx, const char *tag, int is_union,
                                           const jiffi_field_spec *fields, size_t count);

/* The context's library search paths joined by ':': copies them NUL-terminated and
   truncated to len bytes into buf (when len > 0) and returns their length plus one. */
JIFFI_API size_t jiffi_context_search_paths(const jiffi_context *ctx, char *buf, size_t len);

/* ---- Layout discovery (define-c-struct-auto) ----------------------------------- */

/* A record to take from real C headers: by name, or by a declaration snippet
   ("struct stat { dev_t st_dev; ino_t st_ino; };", optionally after #include lines) whose
   members must exist in the headers' record with compatible types. */
typedef struct jiffi_layout_request {
    const char *name;                 /* "stat", "struct stat", "union sigval", a typedef
                                         name ("div_t"); NULL: the snippet's struct or union */
    const char *const *headers;       /* "sys/stat.h" (searched like <...>) or file paths */
    size_t header_count;
    const char *snippet;              /* NULL, or declarations parsed after the headers */
    const char *const *include_dirs;  /* -I */
    size_t include_dir_count;
    const char *const *defines;       /* -D: "NAME" or "NAME=VALUE" */
    size_t define_count;
    const char *cache_dir;            /* NULL: $JIFFI_LAYOUT_CACHE_DIR, else
                                         $XDG_CACHE_HOME/jiffi/layout, else
                                         ~/.cache/jiffi/layout; "": no cache */
} jiffi_layout_request;

/* What jiffi_layout_discover registered. */
typedef struct jiffi_auto_record {
    char   type_name[128];  /* how signatures name it: "struct stat", "div_t" */
    size_t size;
    size_t align;
    size_t member_count;    /* named members, anonymous members' fields flattened */
    int    from_cache;      /* 1: read from the layout cache, without Clang */
} jiffi_auto_record;

/* One named member of a record (anonymous members' fields flattened). */
typedef struct jiffi_auto_member {
    char     name[64];
    size_t   offset;        /* bytes (a bitfield: the byte holding its first bit) */
    uint64_t bit_offset;    /* bits from the start of the record */
    unsigned bit_width;     /* bitfields only */
    int      is_bitfield;
    size_t   size;          /* sizeof the member (0 for bitfields and flexible arrays) */
} jiffi_auto_member;

/* define-c-struct-auto: lays the record out as Clang does for the context's target, with
   the headers' real definitions, and defines it in ctx (with the records its members use)
   like a jiffi_cdef definition, so that signatures ("int f(struct stat *)") and by-value
   calls use it. Layouts are cached on disk, keyed by the request and validated by the
   content of every header read, so a repeated request needs no Clang: Clang is loaded
   (dlopen of libjiffi-discover.so: an absolute $JIFFI_DISCOVER_LIB, else beside libjiffi,
   else LIBDIR/jiffi/ of the install; docs/c-api.md) only on a cache miss. Errors: a missing header or one that does not
   compile (JIFFI_E_PARSE, with Clang's diagnostics), an unknown name (JIFFI_E_UNKNOWN_TYPE),
   a snippet member the header lacks or types differently (JIFFI_E_PARSE), a record already
   defined in ctx with another layout (JIFFI_E_REDEFINITION), a member type jiffi cannot
   represent (JIFFI_E_INVALID_TYPE), no discoverer (JIFFI_E_NOT_AVAILABLE). */
JIFFI_API jiffi_error *jiffi_layout_discover(jiffi_context *ctx, const jiffi_layout_request *req,
                                             jiffi_auto_record *out);
/* The index-th named member of a complete struct or union type of ctx ("struct stat"). */
JIFFI_API jiffi_error *jiffi_layout_member(jiffi_context *ctx, const char *type_name,
                                           size_t index, jiffi_auto_member *out);

/* Process-wide counters of jiffi_layout_discover. */
typedef struct jiffi_layout_stats {
    uint64_t cache_hits;        /* requests served from the layout cache */
    uint64_t cache_misses;      /* requests that ran the discoverer */
    uint64_t discoverer_loads;  /* times libjiffi-discover.so was loaded (0 or 1) */
} jiffi_layout_stats;
JIFFI_API void jiffi_layout_cache_stats(jiffi_layout_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* JIFFI_JIFFI_H */

/* The ABI call suite's metadata: what the generated fixture library tells the harness. */
#ifndef JIFFI_TESTS_ABI_SUITE_H
#define JIFFI_TESTS_ABI_SUITE_H

#include <stddef.h>
#include <stdint.h>

/* How a value travels in a slot, numbered as jiffi_value_class (computed by the C compiler). */
enum {
    ABI_VOID = 0,
    ABI_SINT = 1,
    ABI_UINT = 2,
    ABI_FLOAT = 3,
    ABI_DOUBLE = 4,
    ABI_POINTER = 5,
    ABI_MEMORY = 6
};

/* The kinds of C type the generator draws from: ABI_KIND(id, description). */
#define ABI_KIND_LIST(ABI_KIND)                          \
    ABI_KIND(VOID, "void")                               \
    ABI_KIND(BOOL, "_Bool")                              \
    ABI_KIND(CHAR, "char")                               \
    ABI_KIND(SCHAR, "signed char")                       \
    ABI_KIND(UCHAR, "unsigned char")                     \
    ABI_KIND(SHORT, "short")                             \
    ABI_KIND(USHORT, "unsigned short")                   \
    ABI_KIND(INT, "int")                                 \
    ABI_KIND(UINT, "unsigned int")                       \
    ABI_KIND(LONG, "long")                               \
    ABI_KIND(ULONG, "unsigned long")                     \
    ABI_KIND(LLONG, "long long")                         \
    ABI_KIND(ULLONG, "unsigned long long")               \
    ABI_KIND(FLOAT, "float")                             \
    ABI_KIND(DOUBLE, "double")                           \
    ABI_KIND(LDOUBLE, "long double")                     \
    ABI_KIND(CFLOAT, "_Complex float")                   \
    ABI_KIND(CDOUBLE, "_Complex double")                 \
    ABI_KIND(CLDOUBLE, "_Complex long double")           \
    ABI_KIND(INT128, "__int128")                         \
    ABI_KIND(UINT128, "unsigned __int128")               \
    ABI_KIND(POINTER, "data pointer")                    \
    ABI_KIND(FUNCPTR, "function pointer")                \
    ABI_KIND(ENUM, "enum")                               \
    ABI_KIND(STRUCT, "struct")                           \
    ABI_KIND(UNION, "union")                             \
    ABI_KIND(BITFIELDS, "struct with bitfields")         \
    ABI_KIND(PACKED, "packed struct")                    \
    ABI_KIND(ALIGNED, "over-aligned struct")             \
    ABI_KIND(EMPTY, "empty struct")

enum {
#define ABI_KIND_ENUM(id, text) ABI_K_##id,
    ABI_KIND_LIST(ABI_KIND_ENUM)
#undef ABI_KIND_ENUM
    ABI_K_COUNT
};

/* What a type is or holds at any depth (struct abi_type's holds bits). */
enum {
    ABI_H_LDOUBLE = 1,
    ABI_H_INT128 = 2,
    ABI_H_UNION = 4,
    ABI_H_BITFIELD = 8,
    ABI_H_COMPLEX = 16,
    ABI_H_PACKED = 32,
    ABI_H_ALIGNED = 64,
    ABI_H_EMPTY = 128
};

/* The same layout as jiffi_slot: the reference callers store widened scalar returns in it. */
typedef union abi_slot {
    int64_t i64;
    uint64_t u64;
    double f64;
    float f32;
    void *ptr;
} abi_slot;

/* One type of a case as the C compiler sees it. */
struct abi_type {
    int value_class;       /* ABI_SINT ... ABI_MEMORY */
    int kind;              /* ABI_K_* */
    size_t size;           /* sizeof, 0 for void */
    size_t align;          /* _Alignof, 1 for void */
    const char *spelling;  /* the type name as the prototype or vararg list writes it */
    unsigned holds;        /* ABI_H_* bits */
};

/* One generated case: a fixture function, its fixed arguments and its reference call. */
struct abi_case {
    int index;
    const char *symbol;       /* the fixture function's exported name */
    const char *mode;         /* how the generator drew it ("float-heavy", "refused", ...) */
    const char *decls;        /* the struct/union/enum declarations for jiffi_cdef ("" if none) */
    const char *prototype;    /* the prototype for jiffi_signature_parse */
    const char *varargs;      /* the variadic argument types for jiffi_signature_vararg, or NULL */
    int fixed_count;          /* arguments before "..." (all of them if not variadic) */
    int arg_count;            /* all arguments, variadic ones included */
    const struct abi_type *types;  /* [0] the return type, [1 + i] argument i */
    void *const *args;        /* argument i's value, as a pointer to a static variable */
    const char *refuse;       /* NULL, or '|'-separated type names, one of which libffi's
                                 refusal must name */
    void (*reference)(const void *fn, void *ret); /* calls fn, this case's function of this
                                                     or another fixture library, from C; stores
                                                     the return (widened slot or raw bytes) */
    int (*equal)(const void *a, const void *b);   /* member-wise equality of two memory-class
                                                     return values, NULL for other returns */
};

/* The whole suite as one fixture library holds it. */
struct abi_suite {
    uint64_t seed;
    int count;
    const struct abi_case *const *cases;
    uint64_t *checksum;   /* every fixture function stores its argument checksum here */
    int *last_case;       /* and its case index here */
    uint64_t *trace;      /* and the running checksum after each argument here */
    int trace_size;       /* the number of trace entries */
};

/* The signature of the exported abi_suite_get, which returns the suite. */
typedef const struct abi_suite *(*abi_suite_get_fn)(void);

#endif /* JIFFI_TESTS_ABI_SUITE_H */

// The main job's demo: every example of the Lisp FFI's documentation done with
// jiffi's C++ API, printed with what it returns as it runs.
#include <fcntl.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "jiffi/callback.hpp"
#include "jiffi/foreign.hpp"
#include "jiffi/memory.hpp"
#include "jiffi/registry.hpp"
#include "jiffi/runtime.hpp"
#include "jiffi/structs.hpp"

using namespace jiffi;

// (defmethod convert-to-foreign ((value pathname) (type (eql :string))) (namestring value))
template <>
struct jiffi::Converter<std::filesystem::path> {
    static Value to_foreign(const std::filesystem::path& p, const TypeDesc& t) {
        if (t.kind != JIFFI_KIND_POINTER || t.elem_kind != JIFFI_KIND_CHAR)
            throw Error(Errc::ARG_TYPE, std::string("a path goes where a :string goes, not ") + t.spelling);
        return Value(p.string());
    }
};

namespace {

// Prints one example: the Lisp form it mirrors and what jiffi returned.
void show(const std::string& form, const std::string& result) {
    std::printf("  %-66s => %s\n", form.c_str(), result.c_str());
}

// A Value as the demo prints it.
std::string str(const Value& v) {
    switch (v.kind()) {
    case Value::Kind::Int: return std::to_string(v.as_int());
    case Value::Kind::UInt: return std::to_string(v.as_uint());
    case Value::Kind::Double: return std::to_string(v.as_double());
    case Value::Kind::Bool: return v.as_bool() ? "T" : "NIL";
    case Value::Kind::String: return "\"" + v.as_string() + "\"";
    case Value::Kind::Pointer: {
        char buf[32];
        std::snprintf(buf, sizeof buf, "#<pointer %p>", v.as_pointer());
        return v.as_pointer() ? buf : "NULL";
    }
    case Value::Kind::None: return "(no value)";
    default: return "(value)";
    }
}

void section(const char* title) { std::printf("\n%s\n", title); }

void basic_calls() {
    section("Function calls");
    Value n = shared_call({"strlen", "libc"}, "unsigned-long", {"string"}, "hello");
    show("(shared-call '(\"strlen\" \"libc\") :unsigned-long '(:string) \"hello\")", str(n));
    SharedFunction my_strlen = defshared("strlen", "libc", "unsigned-long", {{"s", "string"}});
    show("(defshared my-strlen \"strlen\" \"libc\" :unsigned-long (s :string))", my_strlen.signature());
    show("(my-strlen \"world\")", str(my_strlen("world")));
    SharedFunction proto = defshared("strlen", "libc", "size_t strlen(const char *s)");
    show("  same with a C prototype: (strlen \"prototype\")", str(proto("prototype")));
    try {
        my_strlen(42);
    } catch (const Error& e) {
        show("(my-strlen 42)", std::string("error: ") + e.what());
    }
}

void libraries() {
    section("Library management");
    LibraryHandle handle = lib_open("libssl");
    show("(lib-open \"libssl\")", "#<library " + handle->path() + ">");
    lib_close(handle);
    show("(lib-close handle)", handle ? "still open" : "closed");
    Runtime rt;
    rt.set_search_paths({"/usr/lib", "/opt/lib"});
    std::string paths;
    for (const String& p : rt.search_paths()) paths += (paths.empty() ? "(" : " ") + ("\"" + p.str() + "\"");
    show("(setf *library-search-paths* '(\"/usr/lib\" \"/opt/lib\"))", paths + ")");
    show("  then (lib-open \"z\") resolves through them and the cache", rt.open("z")->path());
}

void memory() {
    section("Memory management");
    SharedFunction memset_fn = defshared("memset", "libc", "pointer", {"pointer", "int", "size"});
    int* ptr = foreign_alloc<int>(10);
    memset_fn(ptr, 1, 10 * sizeof(int));
    show("(foreign-alloc :int :count 10), memset to 1s, (aref ptr 9)", std::to_string(ptr[9]));
    foreign_free(ptr);
    show("(foreign-free ptr)", "freed");
    int sum = with_foreign_memory<int>(10, [](int* p) {
        std::iota(p, p + 10, 1);
        return std::accumulate(p, p + 10, 0);
    });
    show("(with-foreign-memory ((ptr :int :count 10)) (sum of 1..10 stored there))", std::to_string(sum));
    std::vector<unsigned char> array(1000);
    Value r = with_pinned_array(array, [&](PinnedArray<unsigned char> p) {
        // "process_bytes" is no libc function: memset stands in for it.
        return memset_fn(p, 0xAB, p.size_bytes());
    });
    show("(with-pinned-array (ptr array) (shared-call \"memset\" ... ptr #xAB 1000))",
         str(r) + ", array[999] = " + std::to_string(array[999]));
    int first = with_pooled_memory<int>(100, [](int* p) {
        p[0] = 7;
        return p[0];
    });
    show("(with-pooled-memory ((ptr :int :count 100)) (use-temporary-memory ptr))",
         std::to_string(first) + " (block back in the thread's pool)");
}

void structs() {
    section("Structs");
    StructType timespec = define_c_struct("timespec", {{"sec", ":long"}, {"nsec", ":long"}});
    show("(define-c-struct timespec (sec :long) (nsec :long))",
         timespec.name().str() + ", " + std::to_string(timespec.size()) + " bytes, nsec at offset " +
             std::to_string(timespec.field("nsec").offset));
    // A runtime of its own: <sys/stat.h>'s struct timespec differs from the one above.
    Runtime rt;
    LayoutRequest req;
    req.headers = {"sys/stat.h"};
    AutoRecord rec = define_c_struct_auto_snippet(rt.context(), "struct stat { dev_t st_dev; ino_t st_ino; /* ... */ };", req);
    StructType st(rt, rec.type_name);
    SharedFunction stat_fn = defshared(rt, "stat", "libc", "int stat(const char *, struct stat *)");
    CStruct root(st);
    stat_fn("/", root);
    show("(define-c-struct-auto stat-struct \"struct stat { dev_t st_dev; ino_t st_ino; /* ... */ };\")",
         st.name().str() + ", " + std::to_string(st.size()) + " bytes from <sys/stat.h>" +
             (rec.from_cache ? " (layout cache)" : " (Clang)") + "; (stat \"/\") st_ino = " +
             std::to_string(root.get<uint64_t>("st_ino")));
    SharedFunction nanosleep_fn = defshared("nanosleep", "libc", "int", {"pointer", "pointer"});
    with_c_struct(timespec, [&](CStruct& ts) {
        ts["sec"] = 0;
        ts["nsec"] = 5000000;
        auto t0 = std::chrono::steady_clock::now();
        Value rc = nanosleep_fn(ts.pointer(), nullptr);
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        char buf[64];
        std::snprintf(buf, sizeof buf, "%s after %.1f ms (nsec = %ld)", str(rc).c_str(), ms, ts.get<long>("nsec"));
        show("(with-c-struct (ts timespec) (setf (struct-ref ts 'nsec) 5000000) (nanosleep ...))", buf);
    });
}

void callbacks() {
    section("Callbacks");
    Context& ctx = default_runtime().context();
    Callback twice = make_callback<int(int)>(ctx, "int (int)", [](int x) { return x * 2; });
    show("(make-callback (lambda (x) (* x 2)) :int '(:int))",
         str(Value(twice.code())) + ", called from C with 21: " + std::to_string(twice.as<int(int)>()(21)));
    std::vector<int> array = {3, 1, 4, 1, 5, 9, 2, 6};
    Callback cmp = make_callback<int(const void*, const void*)>(
        ctx, "int (const void *, const void *)", [](const void* a, const void* b) {
            int x = *static_cast<const int*>(a), y = *static_cast<const int*>(b);
            return x < y ? -1 : x > y ? 1 : 0;
        });
    shared_call({"qsort", "libc"}, "void", {"pointer", "unsigned-long", "unsigned-long", "pointer"}, pin(array),
                array.size(), sizeof(int), cmp.code());
    std::string sorted = "#(";
    for (size_t i = 0; i < array.size(); ++i) sorted += (i ? " " : "") + std::to_string(array[i]);
    show("(shared-call '(\"qsort\" \"libc\") :void ... array 8 4 callback-ptr)", sorted + ")");
    auto* comparator = defcallback<int(const void*, const void*)>(
        ctx, "my-comparator", "int (const void *, const void *)",
        [](const void* a, const void* b) { return *static_cast<const int*>(a) - *static_cast<const int*>(b); });
    int a = 10, b = 3;
    show("(defcallback my-comparator :int ((a :pointer) (b :pointer)) (- a b)) on 10, 3",
         std::to_string(comparator(&a, &b)));
    int r = with_callback<int(int, int)>(ctx, "int (int, int)", [](int x, int y) { return (x > y) - (x < y); },
                                         [](int (*cb)(int, int)) { return cb(1, 2); });
    show("(with-callback (cmp (lambda (x y) (compare x y)) :int '(:int :int)) (cmp 1 2))", std::to_string(r));
}

void errors() {
    section("Error handling");
    SharedFunction open_fn =
        defshared_with_errno("open", "libc", "int", {{"path", "string"}, {"flags", "int"}, {"mode", "int"}});
    try {
        open_fn("/no/such/file", O_RDONLY, 0);
        show("(open \"/no/such/file\" O_RDONLY 0)", "no error?");
    } catch (const ForeignError& e) {
        show("(defshared-with-errno open ...) (open \"/no/such/file\" O_RDONLY 0)",
             "foreign-error code " + std::to_string(e.code()) + " (ENOENT) function \"" + e.function().str() + "\"");
    }
}

void marshalling() {
    section("Type marshalling");
    Value path = shared_call({"getenv", "libc"}, "pointer", {"string"}, "PATH");
    show("(shared-call '(\"getenv\" \"libc\") :pointer '(:string) \"PATH\")", str(path));
    Value text = shared_call({"getenv", "libc"}, "string", {"string"}, "PATH");
    std::string shown = text.kind() == Value::Kind::String ? text.as_string().substr(0, 30) + "..." : str(text);
    show("  with a :string result", "\"" + shown + "\"");
    std::string bytes = "  (written to fd 1 by write through jiffi)\n";
    std::fflush(stdout);
    Value n = with_pinned_array(bytes, [&](PinnedArray<char> p) {
        return shared_call({"write", "libc"}, "long", {"int", "pointer", "unsigned-long"}, 1, p, p.size());
    });
    show("(with-pinned-array (ptr byte-array) (shared-call '(\"write\" \"libc\") ... 1 ptr n))", str(n));
    StructType in_addr = define_c_struct("in_addr", {{"s_addr", "unsigned-int"}});
    StructType sockaddr_in = define_c_struct(
        "sockaddr_in", {{"sin_family", "unsigned-short"}, {"sin_port", "unsigned-short"},
                        {"sin_addr", "struct in_addr"}, {"sin_zero", "unsigned char[8]"}});
    (void)in_addr;
    SharedFunction socket_fn = defshared_with_errno("socket", "libc", "int", {"int", "int", "int"});
    SharedFunction close_fn = defshared("close", "libc", "int", {"int"});
    int sock = socket_fn(2 /* AF_INET */, 1 /* SOCK_STREAM */, 0).as_int();
    Value rc = with_c_struct(sockaddr_in, [&](CStruct& addr) {
        addr["sin_family"] = 2;
        addr["sin_addr.s_addr"] = 0x0100007Fu;  // 127.0.0.1, port 0: any free port
        return shared_call({"bind", "libc"}, "int", {"int", "pointer", "unsigned-int"}, sock, addr.pointer(),
                           addr.size());
    });
    close_fn(sock);
    show("(with-c-struct (addr sockaddr-in) (shared-call '(\"bind\" \"libc\") ... (struct-layout-size addr)))",
         str(rc) + " (sockaddr_in is " + std::to_string(sockaddr_in.size()) + " bytes)");
    SharedFunction access_fn = defshared("access", "libc", "int", {{"path", "string"}, {"mode", "int"}});
    show("(convert-to-foreign #P\"/tmp\" :string) into (access #P\"/tmp\" F_OK)",
         str(access_fn(std::filesystem::path("/tmp"), 0)));
    SharedFunction getenv_ptr = defshared("getenv", "libc", "pointer", {"string"});
    Value sap = getenv_ptr("HOME");
    show("(convert-from-foreign (getenv \"HOME\") :string)",
         sap.as_pointer() ? "\"" + convert_from_foreign<std::string>(sap, TypeDesc{}) + "\"" : "NIL");
}

void advanced() {
    section("Advanced features");
    Signature sig = register_signature("strlen", ":unsigned-long", {":string"});
    show("(register-signature 'strlen :unsigned-long '(:string))", sig.text());
    jiffi_invoker t1 = get_or_create_trampoline(":unsigned-long", {":string"});
    jiffi_invoker t2 = get_or_create_trampoline(":unsigned-long", {":string"});
    void* strlen_addr = lib_open("libc")->symbol("strlen");
    jiffi_slot arg;
    arg.ptr = const_cast<char*>("trampoline");
    jiffi_slot ret{};
    t1(strlen_addr, &arg, &ret);
    show("(get-or-create-trampoline :unsigned-long '(:string)), twice",
         std::string(t1 == t2 ? "the same cached invoker" : "two invokers") + "; (strlen \"trampoline\") through it = " +
             std::to_string(ret.u64));
    SharedFunction my_strlen = defshared("strlen", "libc", "unsigned-long", {{"s", "string"}});
    SharedFunction my_abs = defshared("abs", "libc", "int", {"int"});
    SharedFunction my_toupper = defshared("toupper", "libc", "int", {"int"});
    Value::Array results = with_foreign_batch([&](ForeignBatch& b) {
        b.add(my_strlen, "batch").add(my_abs, -12).add(my_toupper, 'q');
    });
    std::string shown;
    for (const Value& v : results) shown += (shown.empty() ? "(" : " ") + str(v);
    show("(with-foreign-batch (my-strlen \"batch\") (abs -12) (toupper #\\q))", shown + ")");
}

void integrations() {
    section("Integration examples");
    // OpenSSL 3 has no SSL_library_init symbol (a macro for OPENSSL_init_ssl(0, NULL)).
    SharedFunction ssl_init = defshared("OPENSSL_init_ssl", "libssl", "int", {"uint64", "pointer"});
    SharedFunction ssl_ctx_new = defshared("SSL_CTX_new", "libssl", "pointer", {{"method", "pointer"}});
    SharedFunction tls_client_method = defshared("TLS_client_method", "libssl", "pointer", {});
    SharedFunction ssl_ctx_free = defshared("SSL_CTX_free", "libssl", "void", {"pointer"});
    show("(ssl-library-init)", str(ssl_init(0u, nullptr)));
    Value ctx = ssl_ctx_new(tls_client_method());
    show("(ssl-ctx-new (tls-client-method))", str(ctx));
    ssl_ctx_free(ctx);

    SharedFunction sqlite3_open = defshared("sqlite3_open", "libsqlite3", "int", {{"filename", "string"}, {"ppdb", "pointer"}});
    SharedFunction sqlite3_close = defshared("sqlite3_close", "libsqlite3", "int", {"pointer"});
    SharedFunction sqlite3_exec =
        defshared("sqlite3_exec", "libsqlite3", "int sqlite3_exec(void *, const char *, void *, void *, char **)");
    with_foreign_memory<void*>(1, [&](void** db_ptr) {
        Value result = sqlite3_open(":memory:", db_ptr);
        show("(with-foreign-memory ((db-ptr :pointer)) (sqlite3-open \":memory:\" db-ptr))",
             str(result) + ", db = " + str(Value(*db_ptr)));
        if (result.as_int() == 0) {
            sqlite3_exec(*db_ptr, "CREATE TABLE t(x); INSERT INTO t VALUES (42);", nullptr, nullptr, nullptr);
            SharedFunction prepare = defshared("sqlite3_prepare_v2", "libsqlite3",
                                               "int sqlite3_prepare_v2(void *, const char *, int, void **, const char **)");
            SharedFunction step = defshared("sqlite3_step", "libsqlite3", "int sqlite3_step(void *)");
            SharedFunction column_int = defshared("sqlite3_column_int", "libsqlite3", "int sqlite3_column_int(void *, int)");
            SharedFunction finalize = defshared("sqlite3_finalize", "libsqlite3", "int sqlite3_finalize(void *)");
            Results stmt = prepare.call_all(*db_ptr, "SELECT x FROM t", -1, out(), nullptr);
            step(stmt.outs[0]);
            show("  (use-database ...): SELECT x FROM t", str(column_int(stmt.outs[0], 0)));
            finalize(stmt.outs[0]);
            sqlite3_close(*db_ptr);
        }
    });
}

void migration() {
    section("Migration guide");
    SharedFunction strlen_fn = defshared("strlen", "libc", "unsigned-long", {{"str", "string"}});
    show("(defshared strlen \"strlen\" \"libc\" :unsigned-long (str :string)) (strlen \"cffi\")",
         str(strlen_fn("cffi")));
    SharedFunction snprintf_fn =
        defshared_vararg("snprintf", "libc", "int snprintf(char *, size_t, const char *, ...)", "int, double, const char *");
    char buf[64];
    snprintf_fn(buf, sizeof buf, "%d|%.2f|%s", 42, 2.5, "vararg");
    show("  variadic: (snprintf buf 64 \"%d|%.2f|%s\" 42 2.5 \"vararg\")", std::string("\"") + buf + "\"");
    show("  (shared-call '(\"sqrt\" \"m\") :double '(:double) 2.25d0)",
         str(shared_call({"sqrt", "m"}, "double", {"double"}, 2.25)));
}

}  // namespace

int main() {
    try {
        std::printf("jiffi demo: the Lisp FFI's examples in C++, run with what they return\n");
        basic_calls();
        libraries();
        memory();
        structs();
        callbacks();
        errors();
        marshalling();
        advanced();
        integrations();
        migration();
        std::printf("\n");
    } catch (const Error& e) {
        std::fprintf(stderr, "jiffi demo failed: %s\n", e.what());
        return 1;
    }
    return 0;
}

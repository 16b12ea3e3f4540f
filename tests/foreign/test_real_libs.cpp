// Real libraries through jiffi (bound at run time, never linked): SQLite, OpenSSL, zlib, libm.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "jiffi/foreign.hpp"
#include "jiffi/memory.hpp"
#include "jiffi/runtime.hpp"

using namespace jiffi;

TEST_CASE("SQLite: in-memory database, create, insert, select through prepared statements") {
    Runtime rt;
    auto sqlite3_open = defshared(rt, "sqlite3_open", "libsqlite3", "int", {{"filename", "string"}, {"ppdb", "pointer"}});
    auto sqlite3_close = defshared(rt, "sqlite3_close", "sqlite3", "int sqlite3_close(void *)");
    auto sqlite3_exec = defshared(rt, "sqlite3_exec", "sqlite3",
                                  "int sqlite3_exec(void *, const char *, void *, void *, char **)");
    auto prepare = defshared(rt, "sqlite3_prepare_v2", "sqlite3",
                             "int sqlite3_prepare_v2(void *, const char *, int, void **, const char **)");
    auto bind_int = defshared(rt, "sqlite3_bind_int", "sqlite3", "int sqlite3_bind_int(void *, int, int)");
    auto bind_text = defshared(rt, "sqlite3_bind_text", "sqlite3",
                               "int sqlite3_bind_text(void *, int, const char *, int, void *)");
    auto step = defshared(rt, "sqlite3_step", "sqlite3", "int sqlite3_step(void *)");
    auto reset = defshared(rt, "sqlite3_reset", "sqlite3", "int sqlite3_reset(void *)");
    auto column_int = defshared(rt, "sqlite3_column_int", "sqlite3", "int sqlite3_column_int(void *, int)");
    auto column_text = defshared(rt, "sqlite3_column_text", "sqlite3",
                                 "const unsigned char *sqlite3_column_text(void *, int)");
    auto finalize = defshared(rt, "sqlite3_finalize", "sqlite3", "int sqlite3_finalize(void *)");
    auto errmsg = defshared(rt, "sqlite3_errmsg", "sqlite3", "const char *sqlite3_errmsg(void *)");
    const int SQLITE_OK = 0, SQLITE_ROW = 100, SQLITE_DONE = 101;
    const void* SQLITE_TRANSIENT = reinterpret_cast<const void*>(intptr_t(-1));

    with_foreign_memory<void*>(1, [&](void** db_ptr) {
        REQUIRE(sqlite3_open(":memory:", db_ptr).as_int() == SQLITE_OK);
        void* db = *db_ptr;
        REQUIRE(db);
        CHECK(sqlite3_exec(db, "CREATE TABLE t (id INTEGER, name TEXT)", nullptr, nullptr, nullptr).as_int() == SQLITE_OK);
        Results ins = prepare.call_all(db, "INSERT INTO t VALUES (?, ?)", -1, out(), nullptr);
        REQUIRE(ins.value.as_int() == SQLITE_OK);
        void* stmt = ins.outs[0].as_pointer();
        const char* names[] = {"ada", "grace", "barbara"};
        for (int i = 0; i < 3; ++i) {
            CHECK(bind_int(stmt, 1, i + 1).as_int() == SQLITE_OK);
            CHECK(bind_text(stmt, 2, names[i], -1, SQLITE_TRANSIENT).as_int() == SQLITE_OK);
            CHECK(step(stmt).as_int() == SQLITE_DONE);
            reset(stmt);
        }
        finalize(stmt);
        Results sel = prepare.call_all(db, "SELECT id, name FROM t WHERE id >= ? ORDER BY id", -1, out(), nullptr);
        REQUIRE(sel.value.as_int() == SQLITE_OK);
        stmt = sel.outs[0].as_pointer();
        bind_int(stmt, 1, 2);
        std::vector<std::string> rows;
        while (step(stmt).as_int() == SQLITE_ROW)
            rows.push_back(std::to_string(column_int(stmt, 0).as_int()) + ":" +
                           column_text.call_as<std::string>(stmt, 1));
        finalize(stmt);
        CHECK(rows == std::vector<std::string>{"2:grace", "3:barbara"});
        Results bad = prepare.call_all(db, "SELECT nope FROM t", -1, out(), nullptr);
        CHECK(bad.value.as_int() != SQLITE_OK);
        CHECK(errmsg(db).as_string().find("no such column") != std::string::npos);
        CHECK(sqlite3_close(db).as_int() == SQLITE_OK);
    });
}

TEST_CASE("OpenSSL: TLS client context and SHA-256 through EVP") {
    Runtime rt;
    auto init = defshared(rt, "OPENSSL_init_ssl", "libssl", "int", {"uint64", "pointer"});
    CHECK(init(0u, nullptr).as_int() == 1);
    auto tls_client_method = defshared(rt, "TLS_client_method", "libssl", "pointer", {});
    auto ssl_ctx_new = defshared(rt, "SSL_CTX_new", "libssl", "pointer", {{"method", "pointer"}});
    auto ssl_ctx_free = defshared(rt, "SSL_CTX_free", "libssl", "void", {"pointer"});
    void* method = tls_client_method().as_pointer();
    REQUIRE(method);
    void* ctx = ssl_ctx_new(method).as_pointer();
    REQUIRE(ctx);
    ssl_ctx_free(ctx);

    auto md_new = defshared(rt, "EVP_MD_CTX_new", "libcrypto", "void *EVP_MD_CTX_new(void)");
    auto md_free = defshared(rt, "EVP_MD_CTX_free", "libcrypto", "void EVP_MD_CTX_free(void *)");
    auto sha256 = defshared(rt, "EVP_sha256", "libcrypto", "const void *EVP_sha256(void)");
    auto init_ex = defshared(rt, "EVP_DigestInit_ex", "libcrypto", "int EVP_DigestInit_ex(void *, const void *, void *)");
    auto update = defshared(rt, "EVP_DigestUpdate", "libcrypto", "int EVP_DigestUpdate(void *, const void *, size_t)");
    auto final_ex = defshared(rt, "EVP_DigestFinal_ex", "libcrypto",
                              "int EVP_DigestFinal_ex(void *, unsigned char *, unsigned int *)");
    void* md = md_new().as_pointer();
    REQUIRE(md);
    CHECK(init_ex(md, sha256().as_pointer(), nullptr).as_int() == 1);
    std::string msg = "abc";
    CHECK(update(md, pin(msg), msg.size()).as_int() == 1);
    unsigned char digest[32];
    Results fin = final_ex.call_all(md, pin(digest), out());
    CHECK(fin.value.as_int() == 1);
    CHECK(fin.outs[0].as_uint() == 32);
    md_free(md);
    static const char* hex = "0123456789abcdef";
    std::string got;
    for (unsigned char b : digest) got += {hex[b >> 4], hex[b & 15]};
    CHECK(got == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("zlib: compress and uncompress round trip") {
    Runtime rt;
    auto compress_bound = defshared(rt, "compressBound", "z", "unsigned long compressBound(unsigned long)");
    auto compress = defshared(rt, "compress", "z",
                              "int compress(unsigned char *, unsigned long *, const unsigned char *, unsigned long)");
    auto uncompress = defshared(rt, "uncompress", "z",
                                "int uncompress(unsigned char *, unsigned long *, const unsigned char *, unsigned long)");
    std::string text;
    for (int i = 0; i < 200; ++i) text += "jiffi compresses through zlib. ";
    std::vector<unsigned char> packed(compress_bound(text.size()).as_uint());
    Results c = compress.call_all(pin(packed), inout(packed.size()), pin(text), text.size());
    REQUIRE(c.value.as_int() == 0);
    uint64_t packed_len = c.outs[0].as_uint();
    CHECK(packed_len < text.size() / 10);
    std::string back(text.size(), '\0');
    Results u = uncompress.call_all(pin(back), inout(back.size()), pin(packed), packed_len);
    REQUIRE(u.value.as_int() == 0);
    CHECK(u.outs[0].as_uint() == text.size());
    CHECK(back == text);
    // A too small output buffer is zlib's Z_BUF_ERROR (-5).
    std::string tiny(4, '\0');
    CHECK(uncompress.call_all(pin(tiny), inout(tiny.size()), pin(packed), packed_len).value.as_int() == -5);
}

TEST_CASE("libm: sqrt, pow, trig, frexp") {
    CHECK(shared_call<double>({"sqrt", "m"}, "double", {"double"}, 2.25) == 1.5);
    CHECK(shared_call<double>({"pow", "libm"}, "double", {"double", "double"}, 2, 10) == 1024.0);
    CHECK(std::fabs(shared_call<double>({"cos", "m"}, "double", {"double"}, 0.0) - 1.0) < 1e-15);
    CHECK(shared_call<float>({"sqrtf", "m"}, "float", {"float"}, 6.25f) == 2.5f);
    CHECK(std::isnan(shared_call<double>({"sqrt", "m"}, "double", {"double"}, -1.0)));
}

// sqlite3_exec's row callback through jiffi: rows collected by a C++ lambda, and a handler's
// exception surfacing when sqlite3_exec returns.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "jiffi/callback.hpp"

namespace {

using RowCallback = int(void*, int, char**, char**);

// An in-memory SQLite database driven through jiffi.
struct Db {
    explicit Db(jiffi::Backend b) : ctx(b), lib(ctx.open("sqlite3")) {
        ctx.cdef("typedef struct sqlite3 sqlite3;");
        open = lib.bind("sqlite3_open", ctx.signature("int sqlite3_open(const char *, sqlite3 **)"));
        close = lib.bind("sqlite3_close", ctx.signature("int sqlite3_close(sqlite3 *)"));
        exec = lib.bind("sqlite3_exec",
                        ctx.signature("int sqlite3_exec(sqlite3 *, const char *, int (*)(void *, int, char **, char **), "
                                      "void *, char **)"));
        REQUIRE(open.call<int>(":memory:", static_cast<void*>(&db)) == 0);
        REQUIRE(db != nullptr);
    }
    ~Db() { close.call<int>(db); }
    int run(const char* sql, void* callback = nullptr) {
        return exec.call<int>(db, sql, callback, static_cast<void*>(nullptr), static_cast<void*>(nullptr));
    }
    jiffi::Context ctx;
    jiffi::Library lib;
    jiffi::Function open, close, exec;
    void* db = nullptr;
};

}  // namespace

TEST_CASE("sqlite3_exec calls a jiffi callback once per row") {
    for (jiffi::Backend b : {jiffi::Backend::Jit, jiffi::Backend::Libffi, jiffi::Backend::Auto}) {
        Db db(b);
        REQUIRE(db.run("create table t(id integer, name text);"
                       "insert into t values (1, 'ada'), (2, 'grace'), (3, 'barbara');") == 0);
        std::vector<std::string> rows;
        jiffi::Callback row = jiffi::make_callback<RowCallback>(
            db.ctx, "int (void *, int, char **, char **)", [&](void*, int n, char** values, char** names) {
                std::string line;
                for (int i = 0; i < n; ++i) line += std::string(names[i]) + "=" + (values[i] ? values[i] : "NULL") + ";";
                rows.push_back(line);
                return 0;
            });
        REQUIRE(db.run("select id, name from t order by id desc;", row.code()) == 0);
        CHECK(rows == std::vector<std::string>{"id=3;name=barbara;", "id=2;name=grace;", "id=1;name=ada;"});
    }
}

TEST_CASE("a handler's exception inside sqlite3_exec is rethrown when sqlite3_exec returns") {
    Db db(jiffi::Backend::Jit);
    REQUIRE(db.run("create table t(x integer); insert into t values (1), (2), (3);") == 0);
    int seen = 0;
    jiffi::Callback row = jiffi::make_callback<RowCallback>(db.ctx, "int (void *, int, char **, char **)",
                                                            [&](void*, int, char** values, char**) {
                                                                ++seen;
                                                                if (std::string(values[0]) == "2")
                                                                    throw std::runtime_error("row 2 is bad");
                                                                return 0;
                                                            });
    CHECK_THROWS_WITH_AS(db.run("select x from t order by x;", row.code()), "row 2 is bad", std::runtime_error);
    CHECK(seen == 2);
}

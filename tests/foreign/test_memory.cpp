// Foreign memory: foreign-alloc/free, with-foreign-memory, with-pooled-memory, with-pinned-array.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "jiffi/foreign.hpp"
#include "jiffi/memory.hpp"
#include "jiffi/runtime.hpp"

using namespace jiffi;

TEST_CASE("foreign_alloc gives zeroed typed memory a C function can fill") {
    int* p = foreign_alloc<int>(10);
    for (int i = 0; i < 10; ++i) CHECK(p[i] == 0);
    SharedFunction memset_fn = defshared("memset", "libc", "pointer", {"pointer", "int", "size"});
    memset_fn(p, 0xFF, sizeof(int) * 10);
    CHECK(p[9] == -1);
    foreign_free(p);
    CHECK_THROWS_AS(foreign_alloc<int>(0), Error);
    CHECK_THROWS_AS(foreign_alloc<int64_t>(SIZE_MAX / 4), Error);
    CHECK_THROWS_WITH_AS(foreign_alloc("struct_that_does_not_exist_t", 1),
                         doctest::Contains("struct_that_does_not_exist_t"), Error);
}

TEST_CASE("foreign_alloc by type name sizes by the C type") {
    Runtime rt;
    rt.context().cdef("struct pair { long a; char b; };");
    auto* p = static_cast<unsigned char*>(foreign_alloc(rt, "struct pair", 3));
    for (int i = 0; i < 48; ++i) CHECK(p[i] == 0);
    foreign_free(p);
    CHECK_THROWS_WITH_AS(foreign_alloc(rt, "void", 1), doctest::Contains("has no size"), Error);
}

TEST_CASE("with_foreign_memory frees on return and passes the pointer to C") {
    SharedFunction snprintf_fn = defshared_vararg("snprintf", "libc", "int snprintf(char *, size_t, const char *, ...)",
                                                  "int, double");
    ForeignMemory<char> out(32);
    CHECK(snprintf_fn(out, 32, "%d|%.1f", 42, 2.5).as_int() == 6);
    CHECK(std::string(out.get()) == "42|2.5");
    std::string s = with_foreign_memory<char>(32, [](char* buf) {
        SharedFunction strcpy_fn = defshared("strcpy", "libc", "char *strcpy(char *, const char *)");
        Value r = strcpy_fn(buf, "scoped");
        CHECK(r.as_pointer() == buf);  // a writable char * result stays a pointer
        return std::string(buf);
    });
    CHECK(s == "scoped");
    ForeignMemory<double> m(4);
    CHECK(m.count() == 4);
    CHECK(m.size_bytes() == 32);
    m[3] = 2.5;
    CHECK(*(m.get() + 3) == 2.5);
}

TEST_CASE("memory pools reuse blocks by size class") {
    MemoryPool pool;
    CHECK(MemoryPool::size_class(1) == 0);
    CHECK(MemoryPool::size_class(16) == 0);
    CHECK(MemoryPool::size_class(17) == 1);
    CHECK(MemoryPool::size_class(400) == 5);  // 512-byte blocks
    CHECK(MemoryPool::size_class(4096) == 8);
    void* a = pool.allocate(400);
    CHECK(reinterpret_cast<uintptr_t>(a) % 16 == 0);
    pool.deallocate(a, 400);
    void* b = pool.allocate(300);  // same class: the block comes back
    CHECK(a == b);
    std::set<void*> live;
    for (int i = 0; i < 1000; ++i) CHECK(live.insert(pool.allocate(64)).second);
    for (void* p : live) pool.deallocate(p, 64);
    void* big = pool.allocate(100000);  // beyond the classes: the C heap
    static_cast<char*>(big)[99999] = 1;
    pool.deallocate(big, 100000);
    pool.deallocate(b, 300);
    CHECK(pool.reserved_bytes() >= MemoryPool::kChunk);
}

TEST_CASE("with_pooled_memory hands out pool memory and returns it") {
    int* first = with_pooled_memory<int>(100, [](int* p) {
        for (int i = 0; i < 100; ++i) p[i] = i;
        CHECK(p[99] == 99);
        return p;
    });
    int* second = with_pooled_memory<int>(100, [](int* p) { return p; });
    CHECK(first == second);  // the scope returned the block; the next scope reuses it
    PooledMemory<char> text(16);
    SharedFunction strcpy_fn = defshared("strcpy", "libc", "char *strcpy(char *, const char *)");
    strcpy_fn(text, "pooled");
    CHECK(std::string(text.get()) == "pooled");
}

TEST_CASE("pinned arrays pass any contiguous buffer to C without copying") {
    std::vector<unsigned char> bytes(1000, 0);
    SharedFunction memset_fn = defshared("memset", "libc", "pointer", {"pointer", "int", "unsigned-long"});
    Value r = with_pinned_array(bytes, [&](PinnedArray<unsigned char> p) {
        CHECK(p.size() == 1000);
        return memset_fn(p, 7, p.size_bytes());
    });
    CHECK(r.as_pointer() == bytes.data());
    CHECK(bytes[0] == 7);
    CHECK(bytes[999] == 7);
    std::array<int, 8> nums = {3, 1, 4, 1, 5, 9, 2, 6};
    SharedFunction memcpy_fn = defshared("memcpy", "libc", "void *memcpy(void *, const void *, size_t)");
    std::array<int, 8> copy{};
    memcpy_fn(pin(copy), pin(nums), sizeof nums);
    CHECK(copy == nums);
    // write to a pipe through a pinned std::string
    int fds[2];
    SharedFunction pipe_fn = defshared("pipe", "libc", "int pipe(int *)");
    Results pr = pipe_fn.call_all(pin(fds));
    REQUIRE(pr.value.as_int() == 0);
    std::string msg = "pinned";
    SharedFunction write_fn = defshared("write", "libc", "long", {"int", "pointer", "unsigned-long"});
    CHECK(write_fn(fds[1], pin(msg), msg.size()).as_int() == 6);
    char back[8] = {};
    SharedFunction read_fn = defshared("read", "libc", "long", {"int", "pointer", "unsigned-long"});
    CHECK(read_fn(fds[0], pin(back), 6).as_int() == 6);
    CHECK(std::string(back) == "pinned");
    SharedFunction close_fn = defshared("close", "libc", "int", {"int"});
    close_fn(fds[0]);
    close_fn(fds[1]);
}

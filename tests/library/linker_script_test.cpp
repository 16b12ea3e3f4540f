// Tests of the GNU ld linker script reader used to follow unversioned "libfoo.so" files.
#include "runtime/library.hpp"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

using jiffi::detail::linker_script_inputs;
using Inputs = std::vector<std::string>;

TEST_CASE("glibc's libc.so and libm.so scripts") {
    const std::string libc_script =
        "/* GNU ld script\n"
        "   Use the shared library, but some functions are only in\n"
        "   the static library, so try that secondarily.  */\n"
        "OUTPUT_FORMAT(elf64-x86-64)\n"
        "GROUP ( /lib/x86_64-linux-gnu/libc.so.6 /usr/lib/x86_64-linux-gnu/libc_nonshared.a  "
        "AS_NEEDED ( /lib64/ld-linux-x86-64.so.2 ) )\n";
    CHECK(linker_script_inputs(libc_script) == Inputs{"/lib/x86_64-linux-gnu/libc.so.6",
                                                      "/usr/lib/x86_64-linux-gnu/libc_nonshared.a",
                                                      "/lib64/ld-linux-x86-64.so.2"});
    const std::string libm_script =
        "/* GNU ld script\n*/\nOUTPUT_FORMAT(elf64-x86-64)\n"
        "GROUP ( /lib/x86_64-linux-gnu/libm.so.6  AS_NEEDED ( /lib/x86_64-linux-gnu/libmvec.so.1 ) "
        ")\n";
    CHECK(linker_script_inputs(libm_script) ==
          Inputs{"/lib/x86_64-linux-gnu/libm.so.6", "/lib/x86_64-linux-gnu/libmvec.so.1"});
}

TEST_CASE("a NUL byte separates words instead of stopping the reader") {
    // Before, the word scanner stopped on a NUL without advancing and never finished.
    CHECK(linker_script_inputs(std::string("GROUP ( a\0b )", 13)) == Inputs{"a", "b"});
    CHECK(linker_script_inputs(std::string("\0\0INPUT(x.so)\0", 14)) == Inputs{"x.so"});
}

TEST_CASE("script syntax") {
    CHECK(linker_script_inputs("INPUT(a.so,b.so)") == Inputs{"a.so", "b.so"});
    CHECK(linker_script_inputs("INPUT ( -lfoo , -l:libbar.so.1 )") ==
          Inputs{"-lfoo", "-l:libbar.so.1"});
    CHECK(linker_script_inputs("GROUP(/a/x.so)INPUT(/b/y.so)") == Inputs{"/a/x.so", "/b/y.so"});
    CHECK(linker_script_inputs("GROUP ( \"/with space/lib x.so\" )") ==
          Inputs{"/with space/lib x.so"});
    CHECK(linker_script_inputs("GROUP(/*c*/a.so/*d*/b.so)") == Inputs{"a.so", "b.so"});
    CHECK(linker_script_inputs("/* GROUP ( hidden.so ) */ INPUT ( shown.so )") ==
          Inputs{"shown.so"});
    CHECK(linker_script_inputs("OUTPUT_FORMAT(elf64-x86-64)\nSEARCH_DIR(/usr/lib)") == Inputs{});
    CHECK(linker_script_inputs("GROUP AS_NEEDED") == Inputs{});
    CHECK(linker_script_inputs("\"GROUP\" ( x.so )") == Inputs{});
    CHECK(linker_script_inputs("GROUP ( AS_NEEDED ( AS_NEEDED ( deep.so ) ) last.so )") ==
          Inputs{"deep.so", "last.so"});
    CHECK(linker_script_inputs("GROUP ( a.so ) ; INPUT ( b.so ) ;") == Inputs{"a.so", "b.so"});
}

TEST_CASE("malformed scripts never crash") {
    const char* scripts[] = {"",
                             "GROUP",
                             "GROUP (",
                             "GROUP ( a.so",
                             "GROUP ( /* unterminated",
                             "GROUP ( \"unterminated",
                             ")))(((",
                             "GROUP ) a.so (",
                             "INPUT((((((",
                             "/*",
                             "*/",
                             "\"",
                             "GROUP()",
                             "INPUT ( , , )"};
    for (const char* script : scripts) {
        CAPTURE(script);
        auto inputs = linker_script_inputs(script);
        for (const std::string& input : inputs) CHECK(!input.empty());
    }
    CHECK(linker_script_inputs("GROUP ( a.so") == Inputs{"a.so"});
    CHECK(linker_script_inputs("GROUP ( a.so /* never closed ) b.so") == Inputs{"a.so"});

    std::mt19937 random(2024);
    const std::string alphabet = "GROUPINAS_ED()/*\", \n.so-l";
    for (int round = 0; round < 2000; ++round) {
        std::string text;
        std::size_t length = random() % 80;
        for (std::size_t i = 0; i < length; ++i) text += alphabet[random() % alphabet.size()];
        for (const std::string& input : linker_script_inputs(text)) CHECK(!input.empty());
    }
}

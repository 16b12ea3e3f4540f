// The lexer of the C declaration parser: tokens with their line, column and the
// "#pragma pack" value in force, and how messages name a position and a token.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace jiffi::detail::cparse {

enum class TokKind : uint8_t { Ident, Keyword, Number, Char, String, Punct, End };

struct Token {
    TokKind kind = TokKind::End;
    std::string_view text;
    uint32_t line = 1;
    uint32_t column = 1;
    uint32_t pack = 0;  // the #pragma pack value in force at this token, 0 if none
};

// "line L, column C" of a token.
std::string where(const Token& t);

// Quotes source text for a message, escaping unprintable bytes and shortening long text.
std::string quoted(std::string_view s);

// The token as a message names it: quoted text, or "end of input".
std::string describe(const Token& t);

// Throws an Error whose message starts with the token's position.
[[noreturn]] void fail_at(const Token& t, ErrorCode code, const std::string& msg);

// Splits preprocessed C text into tokens (":name" keyword tokens too when keywords is set),
// honoring "#pragma pack" lines, skipping line markers, harmless pragmas and comments, and
// refusing every other directive; the last token is End.
std::vector<Token> tokenize(std::string_view src, bool keywords);

}  // namespace jiffi::detail::cparse

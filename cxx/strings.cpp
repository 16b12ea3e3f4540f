// Text conversions of the C++ API (UTF-8, UTF-16, UTF-32, wchar_t) and foreign strings.
#include <string>

#include "jiffi/strings.hpp"

namespace jiffi {

namespace {

[[noreturn]] void bad_text(const char* encoding, size_t pos, const char* why) {
    throw Error(Errc::ARG_TYPE, std::string("invalid ") + encoding + " at code unit " +
                                    std::to_string(pos) + ": " + why);
}

// Decodes the UTF-8 text s into code points, calling put for each; fails naming the byte.
template <class Put>
void decode_utf8(std::string_view s, Put&& put) {
    size_t i = 0;
    while (i < s.size()) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        char32_t cp;
        size_t n;
        if (c < 0x80) { cp = c; n = 1; }
        else if ((c & 0xE0) == 0xC0) { cp = c & 0x1F; n = 2; }
        else if ((c & 0xF0) == 0xE0) { cp = c & 0x0F; n = 3; }
        else if ((c & 0xF8) == 0xF0) { cp = c & 0x07; n = 4; }
        else bad_text("UTF-8", i, "not a leading byte");
        if (i + n > s.size()) bad_text("UTF-8", i, "truncated sequence");
        for (size_t k = 1; k < n; ++k) {
            unsigned char d = static_cast<unsigned char>(s[i + k]);
            if ((d & 0xC0) != 0x80) bad_text("UTF-8", i + k, "not a continuation byte");
            cp = (cp << 6) | (d & 0x3F);
        }
        static constexpr char32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < kMin[n]) bad_text("UTF-8", i, "overlong encoding");
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) bad_text("UTF-8", i, "not a Unicode scalar value");
        put(cp);
        i += n;
    }
}

// Appends code point cp to out as UTF-8.
void encode_utf8(char32_t cp, std::string& out) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

}  // namespace

// UTF-8 to UTF-16 (surrogate pairs above U+FFFF); invalid UTF-8 is an error naming the byte.
std::u16string utf8_to_utf16(std::string_view s) {
    std::u16string out;
    out.reserve(s.size());
    decode_utf8(s, [&](char32_t cp) {
        if (cp >= 0x10000) {
            cp -= 0x10000;
            out += static_cast<char16_t>(0xD800 + (cp >> 10));
            out += static_cast<char16_t>(0xDC00 + (cp & 0x3FF));
        } else {
            out += static_cast<char16_t>(cp);
        }
    });
    return out;
}

// UTF-8 to UTF-32.
std::u32string utf8_to_utf32(std::string_view s) {
    std::u32string out;
    out.reserve(s.size());
    decode_utf8(s, [&](char32_t cp) { out += cp; });
    return out;
}

// UTF-16 to UTF-8; an unpaired surrogate is an error naming its position.
std::string utf16_to_utf8(std::u16string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        char32_t cp = s[i];
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (i + 1 >= s.size() || s[i + 1] < 0xDC00 || s[i + 1] > 0xDFFF)
                bad_text("UTF-16", i, "unpaired high surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (s[i + 1] - 0xDC00);
            ++i;
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            bad_text("UTF-16", i, "unpaired low surrogate");
        }
        encode_utf8(cp, out);
    }
    return out;
}

// UTF-32 to UTF-8; a value that is not a Unicode scalar value is an error.
std::string utf32_to_utf8(std::u32string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] > 0x10FFFF || (s[i] >= 0xD800 && s[i] <= 0xDFFF))
            bad_text("UTF-32", i, "not a Unicode scalar value");
        encode_utf8(s[i], out);
    }
    return out;
}

// UTF-8 to wchar_t text (UTF-32 where wchar_t has 4 bytes, UTF-16 where it has 2).
std::wstring utf8_to_wide(std::string_view s) {
    std::wstring out;
    if constexpr (sizeof(wchar_t) == 4) {
        for (char32_t c : utf8_to_utf32(s)) out += static_cast<wchar_t>(c);
    } else {
        for (char16_t c : utf8_to_utf16(s)) out += static_cast<wchar_t>(c);
    }
    return out;
}

// wchar_t text to UTF-8.
std::string wide_to_utf8(std::wstring_view s) {
    if constexpr (sizeof(wchar_t) == 4) {
        std::u32string u(s.begin(), s.end());
        return utf32_to_utf8(u);
    } else {
        std::u16string u(s.begin(), s.end());
        return utf16_to_utf8(u);
    }
}

namespace detail_api {
void null_string() { throw Error(Errc::ARG_TYPE, "cannot read a string from a null pointer"); }
}  // namespace detail_api

ForeignString ForeignString::owned(char* p, Freer free_fn) {
    if (!free_fn) throw Error(Errc::INVALID_ARGUMENT, "an owned foreign string needs a free function");
    return ForeignString(p, std::move(free_fn));
}

std::string_view ForeignString::view() const {
    if (!ptr_) throw Error(Errc::ARG_TYPE, "the foreign string is NULL");
    return ptr_;
}

std::string ForeignString::str() const { return std::string(view()); }

}  // namespace jiffi

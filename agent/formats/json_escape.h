#pragma once
// One JSON string writer for every JSON Sluice writes (clf_json's records, the admin API's lines, the archive):
// escapes as RapidJSON does (\" \\ \b \f \n \r \t, \u00XX for other control characters), copies valid UTF-8 as it
// is, and turns each byte of an invalid sequence into something valid, so that the output is always valid UTF-8.
#include <cstddef>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "agent/core/utf8.h"

namespace sluice {

enum class InvalidUtf8 {
  HexText,       // the text \xHH (Apache's escape, so the byte can be told), as access logs write it
  Replacement,   // U+FFFD
};

// The most bytes writeJsonString may write for `s`: every byte a control character (\u00XX), and the quotes.
inline size_t maxJsonStringLength(std::string_view s) { return 2 + s.size() * 6; }

// Where the run of bytes copied as they are (printable ASCII but '"' and '\\') that starts at `i` ends.
inline size_t plainRunEnd(const unsigned char* d, size_t i, size_t n) {
  static constexpr auto kPlain = [] {
    struct Table {
      bool v[256] = {};
    } t;
    for (int c = 0x20; c < 0x80; ++c) t.v[c] = c != '"' && c != '\\';
    return t;
  }();
#if defined(__SSE2__)
  // Sixteen bytes at a time: a signed compare below 0x20 finds control characters and bytes of 0x80 and up.
  const __m128i space = _mm_set1_epi8(0x20);
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  while (i + 16 <= n) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(d + i));
    const __m128i special = _mm_or_si128(_mm_cmplt_epi8(v, space),
                                         _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
    if (const int mask = _mm_movemask_epi8(special); mask != 0) return i + static_cast<size_t>(__builtin_ctz(mask));
    i += 16;
  }
#endif
  while (i < n && kPlain.v[d[i]]) ++i;
  return i;
}

// Writes `s` as a quoted JSON string at `w` (room for maxJsonStringLength(s) bytes); returns the bytes written.
inline size_t writeJsonString(std::string_view s, char* const start, InvalidUtf8 invalid) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  static constexpr char kLowerHex[] = "0123456789abcdef";
  char* w = start;
  *w++ = '"';
  const auto* d = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    // Printable ASCII other than '"' and '\\' is copied in runs.
    const size_t run = plainRunEnd(d, i, n);
    std::memcpy(w, d + i, run - i);
    w += run - i;
    i = run;
    if (i == n) break;
    const unsigned char c = d[i];
    if (c >= 0x80) {
      if (size_t len = utf8SequenceAt(s, i); len > 0) {
        std::memcpy(w, d + i, len);
        w += len;
        i += len;
      } else if (invalid == InvalidUtf8::HexText) {
        std::memcpy(w, "\\\\x", 3);  // the backslash itself escaped for JSON
        w[3] = kLowerHex[c >> 4];
        w[4] = kLowerHex[c & 15];
        w += 5;
        ++i;
      } else {
        std::memcpy(w, "\\ufffd", 6);
        w += 6;
        ++i;
      }
      continue;
    }
    *w++ = '\\';
    switch (c) {
      case '"': *w++ = '"'; break;
      case '\\': *w++ = '\\'; break;
      case '\b': *w++ = 'b'; break;
      case '\f': *w++ = 'f'; break;
      case '\n': *w++ = 'n'; break;
      case '\r': *w++ = 'r'; break;
      case '\t': *w++ = 't'; break;
      default:
        std::memcpy(w, "u00", 3);
        w[3] = kHex[c >> 4];
        w[4] = kHex[c & 15];
        w += 5;
        break;
    }
    ++i;
  }
  *w++ = '"';
  return static_cast<size_t>(w - start);
}

}  // namespace sluice

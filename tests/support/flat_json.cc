#include "tests/support/flat_json.h"

#include <cstdint>

#include "agent/core/utf8.h"

namespace sluice {
namespace {

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  void skipSpace() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool eat(char c) {
    skipSpace();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool atEnd() {
    skipSpace();
    return i_ == s_.size();
  }
  char peek() {
    skipSpace();
    return i_ < s_.size() ? s_[i_] : '\0';
  }

  std::optional<std::string> string() {
    if (!eat('"')) return std::nullopt;
    std::string out;
    while (i_ < s_.size()) {
      const unsigned char c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        ++i_;
        if (!validUtf8(out)) return std::nullopt;
        return out;
      }
      if (c < 0x20) return std::nullopt;
      if (c != '\\') {
        out += static_cast<char>(c);
        ++i_;
        continue;
      }
      if (++i_ >= s_.size()) return std::nullopt;
      const char e = s_[i_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': if (!unicode(out)) return std::nullopt; break;
        default: return std::nullopt;
      }
    }
    return std::nullopt;
  }

  std::optional<std::string> scalar() {
    skipSpace();
    const size_t start = i_;
    while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != '}' && s_[i_] != ' ') ++i_;
    std::string_view word = s_.substr(start, i_ - start);
    if (word == "null" || word == "true" || word == "false") return std::string(word);
    if (word.empty() || word.find_first_not_of("-+.eE0123456789") != std::string_view::npos) return std::nullopt;
    return std::string(word);
  }

 private:
  std::optional<uint32_t> hex4() {
    if (i_ + 4 > s_.size()) return std::nullopt;
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const char h = s_[i_++];
      v <<= 4;
      if (h >= '0' && h <= '9') v |= static_cast<uint32_t>(h - '0');
      else if (h >= 'a' && h <= 'f') v |= static_cast<uint32_t>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') v |= static_cast<uint32_t>(h - 'A' + 10);
      else return std::nullopt;
    }
    return v;
  }

  bool unicode(std::string& out) {
    std::optional<uint32_t> cp = hex4();
    if (!cp) return false;
    if (*cp >= 0xD800 && *cp <= 0xDBFF) {
      if (i_ + 2 > s_.size() || s_[i_] != '\\' || s_[i_ + 1] != 'u') return false;
      i_ += 2;
      std::optional<uint32_t> low = hex4();
      if (!low || *low < 0xDC00 || *low > 0xDFFF) return false;
      cp = 0x10000 + ((*cp - 0xD800) << 10) + (*low - 0xDC00);
    } else if (*cp >= 0xDC00 && *cp <= 0xDFFF) {
      return false;
    }
    const uint32_t c = *cp;
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      out += static_cast<char>(0xE0 | (c >> 12));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (c >> 18));
      out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
    return true;
  }

  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

std::optional<std::map<std::string, std::string>> parseFlatJsonObject(std::string_view text) {
  Reader r(text);
  if (!r.eat('{')) return std::nullopt;
  std::map<std::string, std::string> out;
  if (r.eat('}')) return r.atEnd() ? std::optional(out) : std::nullopt;
  do {
    std::optional<std::string> key = r.string();
    if (!key || !r.eat(':')) return std::nullopt;
    std::optional<std::string> value = r.peek() == '"' ? r.string() : r.scalar();
    if (!value || !out.emplace(std::move(*key), std::move(*value)).second) return std::nullopt;
  } while (r.eat(','));
  if (!r.eat('}') || !r.atEnd()) return std::nullopt;
  return out;
}

}  // namespace sluice

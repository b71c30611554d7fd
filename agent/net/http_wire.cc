#include "agent/net/http_wire.h"

#include <openssl/evp.h>

#include <cstring>

#include "agent/core/clock.h"

namespace sluice {

std::string serializeRequestHead(std::string_view method, std::string_view target, std::string_view host,
                                 const std::vector<HttpHeader>& headers, size_t content_length) {
  std::string out;
  out.reserve(256);
  out.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ").append(host).append("\r\n");
  for (const HttpHeader& h : headers) out.append(h.name).append(": ").append(h.value).append("\r\n");
  if (content_length > 0 || method == "POST" || method == "PUT" || method == "PATCH") {
    out.append("Content-Length: ").append(std::to_string(content_length)).append("\r\n");
  }
  out.append("\r\n");
  return out;
}

std::optional<std::chrono::milliseconds> parseRetryAfter(std::string_view v, int64_t now_unix_s) {
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (v.empty()) return std::nullopt;
  if (v.find_first_not_of("0123456789") == std::string_view::npos) {
    if (v.size() > 9) return std::chrono::milliseconds(int64_t{999999999} * 1000);
    return std::chrono::milliseconds(std::stoll(std::string(v)) * 1000);
  }
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (v.size() != 29 || v[3] != ',' || v.substr(26) != "GMT") return std::nullopt;
  int month = -1;
  for (int i = 0; i < 12; ++i) {
    if (v.substr(8, 3) == kMonths[i]) month = i + 1;
  }
  if (month < 0) return std::nullopt;
  char iso[32];
  snprintf(iso, sizeof iso, "%.4s-%02d-%.2sT%.8sZ", v.data() + 12, month, v.data() + 5, v.data() + 17);
  Result<int64_t> t = parseTimestampMicros(iso);
  if (!t) return std::nullopt;
  int64_t delta = *t / 1000000 - now_unix_s;
  return std::chrono::milliseconds(delta > 0 ? delta * 1000 : 0);
}

std::string base64Encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

void takeCredentials(ParsedUrl& url, const std::string& token, std::string* user, std::string* password) {
  *user = url.user;
  *password = token.empty() ? url.password : token;
  if (user->empty() && !password->empty()) *user = "token";
  url.user.clear();
  url.password.clear();
  url.has_password = false;
}

bool validHeader(const std::string& name, const std::string& value) {
  return !name.empty() && name.find_first_of(" :\r\n") == std::string::npos &&
         value.find_first_of("\r\n") == std::string::npos;
}

std::string bodySnippet(std::string_view body, size_t max, std::string_view secret) {
  std::string s(body.substr(0, max));
  if (!secret.empty()) {
    for (size_t pos = s.find(secret); pos != std::string::npos; pos = s.find(secret, pos + 3)) {
      s.replace(pos, secret.size(), "***");
    }
  }
  for (char& c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 32 || u > 126) c = '.';
  }
  if (body.size() > max) s += "...";
  return s;
}

}  // namespace sluice

#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

struct HttpHeader {
  std::string name;
  std::string value;
};

// Case-insensitive lookup; nullptr when absent.
const std::string* findHeader(const std::vector<HttpHeader>& headers, std::string_view name);

// Case-insensitive equality, as header names and tokens compare.
bool equalsNoCase(std::string_view a, std::string_view b);
// True when the comma-separated header value lists `token` (Connection: keep-alive, Upgrade); false for nullptr.
bool headerHasToken(const std::string* value, std::string_view token);

// llhttp hands a message's head over in pieces (a header's name and value may each come in several): they are
// gathered here into headers, with the bytes of the head counted so that a parser can refuse one too large.
class HeadCollector {
 public:
  // Counts `n` more bytes of the head; false once they are more than `limit`.
  bool count(size_t n, size_t limit) { return (bytes_ += n) <= limit; }
  void name(const char* at, size_t n) { name_.append(at, n); }
  void value(const char* at, size_t n) { value_.append(at, n); }
  // The value is complete: the header joins `headers`.
  void complete(std::vector<HttpHeader>& headers) {
    headers.push_back(HttpHeader{std::move(name_), std::move(value_)});
    name_.clear();
    value_.clear();
  }
  void reset() {
    name_.clear();
    value_.clear();
    bytes_ = 0;
  }

 private:
  std::string name_;
  std::string value_;
  size_t bytes_ = 0;
};

}  // namespace sluice

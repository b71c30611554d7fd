#pragma once
// Pure HTTP/1.1 helpers shared by the client, the encoders that tests compare byte for byte, and the server.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/core/url.h"
#include "agent/net/http.h"

namespace sluice {

// "METHOD target HTTP/1.1\r\nHost: host\r\n" + headers + "Content-Length: N\r\n\r\n" (Content-Length only for a
// body or a method that carries one).
std::string serializeRequestHead(std::string_view method, std::string_view target, std::string_view host,
                                 const std::vector<HttpHeader>& headers, size_t content_length);

// Retry-After: delta-seconds or an HTTP-date (RFC 9110 section 10.2.3), relative to `now_unix_s`. Nothing for an
// absent or unparsable value; a date in the past is zero.
std::optional<std::chrono::milliseconds> parseRetryAfter(std::string_view value, int64_t now_unix_s);

std::string base64Encode(std::string_view data);

// The basic-auth credentials of an HTTP output (the logplex drain, clf_json's NDJSON POSTs): a non-empty `token`
// wins over the URL's password, and the user is the URL's, else "token" (logplex's convention). They are taken
// out of `url`, which can then be logged. `user` stays empty when there are none.
void takeCredentials(ParsedUrl& url, const std::string& token, std::string* user, std::string* password);

// Whether an extra header can be sent as it is: a token-like name, no line breaks in the value.
bool validHeader(const std::string& name, const std::string& value);

// At most `max` bytes of a body for a log line: control and non-ASCII bytes shown as '.', `secret` (a token the
// peer might echo) replaced by "***".
std::string bodySnippet(std::string_view body, size_t max, std::string_view secret);

}  // namespace sluice

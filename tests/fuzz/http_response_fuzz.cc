// libFuzzer target: HTTP/1.1 responses as the drain client reads them (the logplex drain, clf_json's NDJSON
// POSTs). The input is what a server sends back on one connection; it goes, in pieces of varying size, through a
// real HttpClientConnection (llhttp, interim 1xx answers, chunked and close-delimited bodies, HEAD, keep-alive and
// bytes nobody asked for) over an in-memory stream, then the connection ends. The verdict every HTTP sink draws
// from the answer (classifyHttpResponse: Retry-After, a body snippet without the token) is computed too. It must never
// crash, read out of bounds, hang or leak a handle, and:
// - the request's callback runs exactly once;
// - a response has a 3-digit status and keeps at most max_response_body bytes of a body it counts in full.
#include <memory>
#include <string>
#include <string_view>

#include "agent/core/clock.h"
#include "agent/net/http_client_connection.h"
#include "agent/sink/http_output.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/memory_stream.h"

namespace {

constexpr size_t kMaxResponseBody = 1024;

void exchange(std::string_view input, size_t chunk, const char* method) {
  sluice::Loop loop;
  {
    sluice::HttpClient::Options options;
    options.host = "drain.example";
    options.port = 443;
    options.max_response_body = kMaxResponseBody;
    sluice::HttpClient::Impl pool(loop, options);
    const std::string token = "s3cr3t-token";

    auto peer = std::make_shared<sluice::fuzz::Peer>();
    pool.conns.push_back(std::make_unique<sluice::HttpClientConnection>(pool));
    sluice::HttpClientConnection* conn = pool.conns.back().get();
    peer->handler = conn;
    conn->adopt(std::make_unique<sluice::fuzz::MemoryStream>(loop, peer));

    int calls = 0;
    sluice::HttpRequest request;
    request.method = method;
    request.target = "/logs";
    request.body = request.method == "POST" ? "70 <190>1 2024-05-01T10:00:00Z host app web.1 - - hello" : "";
    sluice::PendingRequest pending{request, [&](sluice::Result<sluice::HttpResponse> r) {
                                     ++calls;
                                     if (r.ok()) {
                                       FUZZ_CHECK(r->status >= 100 && r->status <= 999);
                                       FUZZ_CHECK(r->body.size() <= kMaxResponseBody);
                                       FUZZ_CHECK(r->body.size() <= r->body_bytes);
                                     } else {
                                       FUZZ_CHECK(!r.error().message.empty());
                                     }
                                     sluice::Outcome o = sluice::classifyHttpResponse(r, token, 1714557600);
                                     FUZZ_CHECK(o.reason.find(token) == std::string::npos);
                                     FUZZ_CHECK(o.retry_after.count() >= 0);
                                   }};
    conn->start(std::move(pending));
    conn->onStreamConnected();
    sluice::fuzz::runTurns(loop);  // the request's write completes

    size_t pos = 0;
    while (pos < input.size() && peer->open) {
      size_t n = std::min(chunk, input.size() - pos);
      peer->send(input.substr(pos, n));
      pos += n;
    }
    if (peer->open) peer->handler->onStreamClosed(sluice::Error{"end of file", UV_EOF});
    sluice::fuzz::runTurns(loop);
    FUZZ_CHECK(calls == 1);
  }
  FUZZ_CHECK(loop.close() == 0);  // every handle closed: nothing leaked
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input = sluice::fuzz::text(data, size);
  // The input's hash picks the pieces and the method, so files stay responses.
  uint64_t h = sluice::fuzz::inputHash(input);
  size_t chunk = sluice::fuzz::pieceSize(h, input.size());
  const char* method = (h >> 16) % 8 == 0 ? "HEAD" : (h >> 16) % 8 == 1 ? "GET" : "POST";
  exchange(input, chunk, method);
  return 0;
}

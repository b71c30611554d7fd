// libFuzzer target: HTTP/1.1 requests as the admin API and the logplex input receive them. The input is what a
// client sends on one connection; it goes, in pieces of varying size, through a real HttpServerConnection (llhttp,
// keep-alive, pipelining, limits, 100-continue, upgrades) over an in-memory stream, and a handler answers each
// request as the servers do: at once, later, streamed, or by taking the connection over. It must never crash, read
// out of bounds, hang or leak a handle, and:
// - a request handed to the handler is within the limits (body, header bytes);
// - what the server writes is a sequence of HTTP/1.1 responses, no more than one per request plus a final error
//   (and the interim 100 Continue).
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/admin/query_string.h"
#include "agent/net/http_server_connection.h"
#include "agent/formats/logplex_body.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/memory_stream.h"

namespace {

constexpr size_t kMaxBody = 4096;
constexpr size_t kMaxHeaderBytes = 2048;

// Receives the bytes of a connection taken over (a WebSocket) and drops them.
struct Sink final : sluice::Stream::Handler {
  void onStreamData(const char*, size_t) noexcept override {}
  void onStreamClosed(const sluice::Error&) noexcept override {}
};

size_t countOf(std::string_view haystack, std::string_view needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string_view::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

void serve(std::string_view input, size_t chunk) {
  sluice::Loop loop;
  {
    sluice::HttpServer::Options options;
    options.max_body = kMaxBody;
    options.max_header_bytes = kMaxHeaderBytes;
    size_t requests = 0;
    std::vector<sluice::HttpResponder> later;
    std::unique_ptr<sluice::Stream> taken;
    std::string leftover;
    Sink sink;
    sluice::HttpServer::Impl server(loop, options, [&](sluice::HttpServerRequest&& r, sluice::HttpResponder res) {
      ++requests;
      FUZZ_CHECK(r.body.size() <= kMaxBody);
      size_t header_bytes = r.target.size();
      for (const auto& h : r.headers) header_bytes += h.name.size() + h.value.size();
      FUZZ_CHECK(header_bytes <= kMaxHeaderBytes);
      FUZZ_CHECK(!r.method.empty());
      sluice::QueryParams params = sluice::parseQueryString(r.query());
      std::string_view path = r.path();
      if (path == "/logs" && r.method == "POST") {
        std::vector<std::string_view> messages;  // what the logplex input does with the body
        (void)sluice::parseLogplexBody(r.body, &messages, 1000);
        res.respond(204, {}, "");
      } else if (path == "/later") {
        later.push_back(std::move(res));  // answered after the next bytes arrive (the logplex input's acks)
      } else if (path == "/stream") {
        res.startStream(200, {{"Content-Type", "text/event-stream"}});
        res.write("data: 1\n\n");
        res.end();
      } else if (path == "/ws" && r.upgrade && !taken) {
        taken = res.takeOver(101, {{"Upgrade", "websocket"}, {"Connection", "Upgrade"}}, &sink, &leftover);
      } else if (path == "/close") {
        res.abort(false);
      } else {
        res.respond(200, {{"Content-Type", "text/plain"}}, "ok " + std::to_string(params.size()) + "\n");
      }
    });
    auto peer = std::make_shared<sluice::fuzz::Peer>();
    {
      auto conn = std::make_shared<sluice::HttpServerConnection>(server, loop);
      peer->handler = conn.get();
      conn->adopt(std::make_unique<sluice::fuzz::MemoryStream>(loop, peer));
      server.conns.emplace(conn.get(), conn);  // the server's table owns it, as after accept()
    }

    size_t pos = 0;
    while (pos < input.size() && peer->open && !taken) {
      if (peer->paused) {
        sluice::fuzz::runTurns(loop);
        if (peer->paused || !peer->open) break;  // the server stopped reading for good
      }
      size_t n = std::min(chunk, input.size() - pos);
      peer->send(input.substr(pos, n));
      pos += n;
      sluice::fuzz::runTurns(loop);
      for (auto& r : later) r.respond(200, {}, "acked\n");
      later.clear();
      sluice::fuzz::runTurns(loop);
    }
    if (peer->open && !taken) peer->handler->onStreamClosed(sluice::Error{"end of file", UV_EOF});
    sluice::fuzz::runTurns(loop);

    const std::string& written = peer->received;
    if (!written.empty()) {
      FUZZ_CHECK(written.starts_with("HTTP/1.1 "));
      size_t responses = countOf(written, "HTTP/1.1 ");  // no body here holds it
      size_t interim = countOf(written, "HTTP/1.1 100 Continue\r\n");
      FUZZ_CHECK(responses <= requests + 1 + interim);
    }
    later.clear();
    if (taken) taken->close(false);
    taken.reset();
  }
  FUZZ_CHECK(loop.close() == 0);  // every handle closed: nothing leaked
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input = sluice::fuzz::text(data, size);
  serve(input, sluice::fuzz::pieceSize(sluice::fuzz::inputHash(input), input.size()));
  return 0;
}

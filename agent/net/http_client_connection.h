#pragma once
// One keep-alive connection of an HttpClient: writes a request, parses its response with llhttp, and reports to
// the pool (HttpClient::Impl) when it is done, idle or gone.
#include <llhttp.h>

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/loop/loop.h"
#include "agent/net/http_client.h"
#include "agent/net/stream.h"

namespace sluice {

struct PendingRequest {
  HttpRequest request;
  HttpClient::Callback done;
  bool retried = false;   // already resent once after a stale keep-alive connection failed it
};

class HttpClientConnection final : public Stream::Handler, public Deletable {
 public:
  explicit HttpClientConnection(HttpClient::Impl& pool);
  ~HttpClientConnection() override;
  HttpClientConnection(const HttpClientConnection&) = delete;
  HttpClientConnection& operator=(const HttpClientConnection&) = delete;

  void connect();
  // Uses a stream connected by other means (connect() uses it; so does the fuzz target, with bytes in memory).
  void adopt(std::unique_ptr<Stream> stream) { stream_ = std::move(stream); }
  // Sends `request` (the connection must be idle, or new).
  void start(PendingRequest request);
  // Closes without telling the pool; returns the request in flight, if any, for the pool to fail.
  std::optional<PendingRequest> abandon();

  bool idle() const { return state_ == State::Idle; }
  bool closed() const { return state_ == State::Closed; }

  void onStreamConnected() noexcept override;
  void onStreamData(const char* data, size_t len) noexcept override;
  void onStreamClosed(const Error& why) noexcept override;

 private:
  enum class State { Connecting, Busy, Idle, Closed };
  friend struct ClientParserCallbacks;

  void serializeHead(const HttpRequest& request);
  void startTimer(std::chrono::milliseconds after);
  static void onTimer(uv_timer_t* timer) noexcept;
  void resetResponse();
  void complete(size_t unparsed);
  void failRequest(Error why);
  void closeStream(bool reset);

  HttpClient::Impl* pool_;
  Loop& loop_;
  State state_ = State::Connecting;
  std::unique_ptr<Stream> stream_;
  UvHandle<uv_timer_t> timer_;
  std::optional<PendingRequest> current_;
  std::string head_;           // the request line and headers; stays put until the write completes
  bool connected_ = false;
  bool reused_ = false;        // the current request went out on a connection that had served one already
  bool write_done_ = false;
  bool got_bytes_ = false;     // any byte of the response arrived
  bool response_done_ = false;
  bool head_request_ = false;
  llhttp_t parser_{};
  HttpResponse response_;
  HeadCollector head_parts_;
  const char* parse_error_ = nullptr;  // why a callback stopped the parser
};

struct HttpClient::Impl {
  Impl(Loop& loop, Options options);
  ~Impl();

  void send(PendingRequest request);
  void dispatch();
  void close();
  // A connection finished its request (or failed it): the pool updates itself, then runs `done`.
  void finished(HttpClientConnection* conn, HttpClient::Callback done, Result<HttpResponse> result);
  // The request failed on a stale keep-alive connection before any answer: send it again, first in line.
  void resend(HttpClientConnection* conn, PendingRequest request);
  void connectionGone(HttpClientConnection* conn);

  Loop& loop;
  Options options;
  std::string host_header;
  std::deque<PendingRequest> queue;
  std::vector<std::unique_ptr<HttpClientConnection>> conns;
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);
};

}  // namespace sluice

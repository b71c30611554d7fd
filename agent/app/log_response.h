#pragma once
// The answer to a GET of log lines (/logs?stream=true, a log session's URL) as it streams in, for `sluice logs`:
// its status, the first 4 KiB of an error's body, and the body printed on stdout as it arrives (Server-Sent Events
// rendered in the chosen format, any other body as it is).
#include <llhttp.h>

#include <cstdint>
#include <string>

namespace sluice {

class LogResponse {
 public:
  explicit LogResponse(std::string format);
  LogResponse(const LogResponse&) = delete;
  LogResponse& operator=(const LogResponse&) = delete;

  // A new answer on a new connection; the last event id seen stays (for Last-Event-ID).
  void reset();
  // Parses what the connection read; false when it is not an HTTP response.
  bool feed(const char* data, size_t len);

  int status() const { return status_; }        // 0 until the head is in
  bool complete() const { return complete_; }
  bool eventStream() const { return sse_; }     // Server-Sent Events (a stream), not a whole body
  // The error's body, without its trailing newlines.
  std::string errorBody() const;
  uint64_t lastId() const { return last_id_; }

 private:
  void onBody(const char* at, size_t n);

  std::string format_;
  llhttp_settings_t settings_{};
  llhttp_t parser_{};
  std::string field_;
  bool in_value_ = false;
  bool sse_ = false;
  int status_ = 0;
  bool complete_ = false;
  std::string error_body_;
  std::string events_;
  uint64_t last_id_ = 0;
};

}  // namespace sluice

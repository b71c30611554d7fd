#pragma once
#include <deque>
#include <memory>

#include "agent/core/log.h"
#include "agent/loop/loop.h"
#include "agent/net/stream.h"
#include "agent/sink/transport.h"
#include "plugins/syslog/config.h"
#include "plugins/syslog/encoder.h"

namespace sluice::plugins::syslog {

// Syslog over one TCP or TLS connection (RFC 6587 octet counting or LF framing; RFC 5425 for TLS). Batches are
// written back to back in the order they come. Syslog has no acknowledgement of its own, so a batch counts as
// delivered only once the receiver's TCP stack has acknowledged its last byte (Stream::socketBytesAcknowledged):
// a connection that breaks first makes every batch not yet acknowledged a Retry, resent whole by the core
// (at-least-once; the receiver may see a batch twice). The connection is made on demand and remade after a
// failure, paced by the core's backoff.
class StreamTransport final : public SinkTransport, private Stream::Handler {
 public:
  StreamTransport(Loop& loop, std::string name, SyslogConfig config, std::shared_ptr<TlsContext> tls);
  ~StreamTransport() override;

  void deliver(const Batch& batch, DeliverCallback done) override;
  void stop(std::function<void()> done) override;
  std::string describe() const override { return config_.url.redacted(); }

 private:
  struct Job {
    uint64_t id = 0;
    const Batch* batch = nullptr;
    DeliverCallback done;
    std::vector<uv_buf_t> bufs;
    EncodeCounts counts;
    bool written = false;      // handed to the stream
    bool write_done = false;   // in the kernel
    uint64_t end_offset = 0;   // delivered once the peer acknowledged this many bytes of the connection
    uint64_t written_at_ms = 0;
  };
  struct Closing;  // a failed stream, freed on a later turn

  void onStreamConnected() noexcept override;
  void onStreamData(const char* data, size_t len) noexcept override;
  void onStreamClosed(const Error& why) noexcept override;

  void connect();
  void writeJobs();
  void onWritten(uint64_t connection, uint64_t job, int status);
  void checkAcks();
  void disconnect(const std::string& why, bool close_stream);
  void completeFront(Outcome outcome);
  void count(const EncodeCounts& c);
  static void onAckTimer(uv_timer_t* timer) noexcept;

  Loop& loop_;
  std::string name_;
  SyslogConfig config_;
  std::shared_ptr<TlsContext> tls_;
  std::string endpoint_;                  // "tls://host:port", for logs
  std::unique_ptr<Stream> stream_;
  std::unique_ptr<Stream> closing_;       // ending gracefully at stop()
  bool connected_ = false;
  uint64_t connection_ = 0;               // generation: callbacks of an earlier connection are ignored
  bool ever_connected_ = false;
  bool ack_tracking_ = true;              // false when the socket cannot tell (then: delivered once written)
  uint64_t acked_ = 0;                    // bytes of the current connection the peer acknowledged
  std::deque<std::unique_ptr<Job>> jobs_;
  uint64_t next_job_ = 1;
  UvHandle<uv_timer_t> ack_timer_;
  uint64_t poll_ms_ = 1;
  bool stopping_ = false;
  RateLimitedLog connect_log_;
};

}  // namespace sluice::plugins::syslog

#include "plugins/syslog/stream_transport.h"

#include <spdlog/spdlog.h>

#include "agent/core/units.h"

namespace sluice::plugins::syslog {

namespace {
constexpr uint64_t kMaxPollMs = 50;
}

struct StreamTransport::Closing : Deletable {
  std::unique_ptr<Stream> stream;
};

StreamTransport::StreamTransport(Loop& loop, std::string name, SyslogConfig config, std::shared_ptr<TlsContext> tls)
    : loop_(loop), name_(std::move(name)), config_(std::move(config)), tls_(std::move(tls)) {
  endpoint_ = config_.url.scheme + "://" + config_.url.authority();
  if (!config_.url.port_explicit) endpoint_ += ":" + std::to_string(config_.url.port);
  ack_timer_.init(this, [&](uv_timer_t* t) { return uv_timer_init(loop_.get(), t); });
}

StreamTransport::~StreamTransport() {
  if (stream_) stream_->close();
  if (closing_) closing_->close();
}

void StreamTransport::deliver(const Batch& batch, DeliverCallback done) {
  if (stopping_) {
    done(Outcome::retry("stopping"));
    return;
  }
  auto job = std::make_unique<Job>();
  job->id = next_job_++;
  job->batch = &batch;
  job->done = std::move(done);
  streamBuffers(batch.bytes.view(), config_.framing, config_.newlines, job->bufs, job->counts);
  jobs_.push_back(std::move(job));
  if (!stream_) {
    connect();
  } else if (connected_) {
    writeJobs();
  }
}

void StreamTransport::connect() {
  Stream::ConnectOptions o;
  o.host = config_.url.host;
  o.port = config_.url.port;
  o.tls = tls_;
  o.server_name = config_.tls.server_name;
  o.connect_timeout = config_.timeouts.connect_timeout;
  ++connection_;
  connected_ = false;
  acked_ = 0;
  stream_ = Stream::connect(loop_, o, this);
}

void StreamTransport::onStreamConnected() noexcept {
  connected_ = true;
  uint64_t suppressed = 0;
  if (!ever_connected_) {
    spdlog::info("sink {}: connected to {}", name_, endpoint_);
  } else if (connect_log_.allow(&suppressed)) {
    spdlog::info("sink {}: reconnected to {}{}", name_, endpoint_,
                 suppressedNote(suppressed, "earlier reconnection"));
  }
  ever_connected_ = true;
  writeJobs();
}

void StreamTransport::onStreamData(const char*, size_t) noexcept {
  // Syslog receivers do not answer; whatever one sends is ignored.
}

void StreamTransport::writeJobs() {
  for (auto& job : jobs_) {
    if (job->written) continue;
    if (!stream_ || !connected_) return;
    job->written = true;
    job->written_at_ms = loop_.nowMs();
    const uint64_t conn = connection_;
    const uint64_t id = job->id;
    stream_->write(job->bufs.data(), job->bufs.size(),
                   [this, conn, id](int status) { onWritten(conn, id, status); });
    // The stream is open, so the write went to the socket at once and the count includes all of it.
    job->end_offset = stream_ ? stream_->socketBytesWritten() : 0;
  }
}

void StreamTransport::onWritten(uint64_t connection, uint64_t id, int status) {
  if (connection != connection_ || status < 0) return;  // a failure also closes the stream: handled there
  for (auto& job : jobs_) {
    if (job->id == id) {
      job->write_done = true;
      break;
    }
  }
  poll_ms_ = 1;
  checkAcks();
}

void StreamTransport::checkAcks() {
  if (stream_ && connected_ && ack_tracking_) {
    int64_t acked = stream_->socketBytesAcknowledged();
    if (acked < 0) {
      ack_tracking_ = false;
      spdlog::warn("sink {}: the socket cannot report acknowledged bytes; batches count as delivered once written",
                   name_);
    } else if (static_cast<uint64_t>(acked) > acked_) {
      acked_ = static_cast<uint64_t>(acked);
      poll_ms_ = 1;
    }
  }
  while (!jobs_.empty() && jobs_.front()->write_done && (!ack_tracking_ || acked_ >= jobs_.front()->end_offset)) {
    completeFront(Outcome::delivered());
  }
  if (jobs_.empty() || !jobs_.front()->written || !stream_ || !ack_timer_) return;
  const Job& oldest = *jobs_.front();
  if (loop_.nowMs() - oldest.written_at_ms >= static_cast<uint64_t>(config_.timeouts.timeout.count())) {
    disconnect("the receiver did not acknowledge a batch within " + formatDuration(config_.timeouts.timeout), true);
    return;
  }
  if (oldest.write_done) {
    // Written, waiting for the peer's ACK: look again soon, less often while nothing moves.
    uv_timer_start(ack_timer_.get(), &StreamTransport::onAckTimer, poll_ms_, 0);
    poll_ms_ = std::min(poll_ms_ * 2, kMaxPollMs);
  } else {
    // Still in libuv's queue (a slow receiver): the write callback comes first, the timer watches the timeout.
    uv_timer_start(ack_timer_.get(), &StreamTransport::onAckTimer, kMaxPollMs * 10, 0);
  }
}

void StreamTransport::onAckTimer(uv_timer_t* timer) noexcept {
  auto* self = ownerOf<StreamTransport>(timer);
  if (self != nullptr) self->checkAcks();
}

void StreamTransport::completeFront(Outcome outcome) {
  std::unique_ptr<Job> job = std::move(jobs_.front());
  jobs_.pop_front();
  if (outcome.verdict == Verdict::Delivered) count(job->counts);
  job->done(std::move(outcome));  // may deliver the next batch at once
}

void StreamTransport::count(const EncodeCounts& c) {
  countEvent("newlines_escaped", c.newlines_escaped);
  countEvent("newline_splits", c.newline_splits);
}

void StreamTransport::onStreamClosed(const Error& why) noexcept {
  disconnect(why.message, false);
}

void StreamTransport::disconnect(const std::string& why, bool close_stream) {
  // What the peer acknowledged before the end is delivered; everything else is sent again on a new connection.
  if (stream_ && connected_ && ack_tracking_) {
    int64_t acked = stream_->socketBytesAcknowledged();
    if (acked > 0 && static_cast<uint64_t>(acked) > acked_) acked_ = static_cast<uint64_t>(acked);
  }
  connected_ = false;  // a batch delivered from the callbacks below waits for the next connection
  while (!jobs_.empty() && jobs_.front()->write_done && (!ack_tracking_ || acked_ >= jobs_.front()->end_offset)) {
    completeFront(Outcome::delivered());
  }
  // stop() closes the timer first and then ends the connection through here.
  if (ack_timer_) uv_timer_stop(ack_timer_.get());
  if (stream_) {
    if (close_stream) stream_->close(true);
    auto closing = std::make_unique<Closing>();
    closing->stream = std::move(stream_);
    loop_.deferDelete(std::move(closing));  // we may be inside its callback
  }
  ++connection_;
  std::deque<std::unique_ptr<Job>> failed;
  failed.swap(jobs_);
  for (auto& job : failed) {
    std::string reason = stopping_ ? "stopping" : why;
    if (!stopping_ && job->written) reason += " (batch resent whole)";
    job->done(Outcome::retry(reason));
  }
}

void StreamTransport::stop(std::function<void()> done) {
  stopping_ = true;
  ack_timer_.close();
  if (!stream_ || !connected_) {
    if (stream_ || !jobs_.empty()) disconnect("stopping", true);
    loop_.post(std::move(done));
    return;
  }
  // What the peer's TCP acknowledged is delivered; the rest is given back (Retry "stopping").
  int64_t acked = stream_->socketBytesAcknowledged();
  if (acked > 0 && static_cast<uint64_t>(acked) > acked_) acked_ = static_cast<uint64_t>(acked);
  connected_ = false;
  ++connection_;
  while (!jobs_.empty() && jobs_.front()->write_done && (!ack_tracking_ || acked_ >= jobs_.front()->end_offset)) {
    completeFront(Outcome::delivered());
  }
  std::deque<std::unique_ptr<Job>> left;
  left.swap(jobs_);
  for (auto& job : left) job->done(Outcome::retry("stopping"));
  // End the connection gracefully, so that the receiver reads everything before it closes (see Stream::shutdown).
  closing_ = std::move(stream_);
  closing_->shutdown(std::min<std::chrono::milliseconds>(config_.timeouts.timeout, std::chrono::seconds(5)),
                     [this, done = std::move(done)] {
                       closing_.reset();
                       done();
                     });
}

}  // namespace sluice::plugins::syslog

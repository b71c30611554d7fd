#include "plugins/kafka/kafka_sink.h"

#include <spdlog/spdlog.h>

#include "agent/formats/frame.h"
#include "plugins/kafka/kafka_stats.h"

namespace sluice::plugins::kafka {
namespace {

// Reports served per loop turn: a poll serves whatever librdkafka has queued (many reports at once).
constexpr int kPollBudget = 16;

bool permanentError(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
      return true;
    default:
      return false;
  }
}

// The plugin event a rejected record is counted under.
std::string rejectionKind(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
      return "kafka_record_too_large";
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
      return "kafka_not_authorized";
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
      return "kafka_unknown_topic";
    default:
      return "kafka_invalid_record";
  }
}

}  // namespace

KafkaSink::KafkaSink(Loop& loop, std::string name, const KafkaSinkConfig& config)
    : loop_(loop), name_(std::move(name)), config_(config), encoder_(config.key, config.value) {}

KafkaSink::~KafkaSink() {
  restart_timer_.close();
  endClient(/*give_back_batches=*/false);
}

Status KafkaSink::start() {
  Result<KafkaConfPtr> conf = makeKafkaConf(config_.client, config_.properties);
  if (!conf) return Error{"sink " + name_ + ": " + conf.error().message};
  rd_kafka_conf_set_opaque(conf->get(), this);
  rd_kafka_conf_set_dr_msg_cb(conf->get(), &drCallback);
  rd_kafka_conf_set_stats_cb(conf->get(), &statsCallback);
  rd_kafka_conf_set_error_cb(conf->get(), &errorCallback);
  auto client = KafkaLoopClient::create(loop_, KafkaLoopClient::Role::Producer, std::move(*conf), "sink " + name_,
                                        [this](rd_kafka_t* rk) { return serve(rk); });
  if (!client) return client.takeError();
  client_ = std::move(*client);
  topic_ = rd_kafka_topic_new(client_->get(), config_.topic.c_str(), nullptr);
  if (topic_ == nullptr) {
    endClient();
    return Error{"sink " + name_ + ": topic " + config_.topic + ": " + rd_kafka_err2str(rd_kafka_last_error())};
  }
  return {};
}

std::string KafkaSink::describe() const {
  return "brokers " + config_.client.bootstrapServers() + " topic " + config_.topic;
}

void KafkaSink::deliver(const Batch& batch, DeliverCallback done) {
  if (stopping_ || client_ == nullptr) {
    done(Outcome::retry(stopping_ ? "stopping" : "kafka: no producer (a new one is being started)"));
    return;
  }
  Pending& p = pending_.emplace_back();
  p.batch = &batch;
  p.done = std::move(done);
  p.rest = batch.bytes.view();
  if (!queue_full_) produceWaiting();
  finishReady();
}

// From the first batch with frames left, in order; a batch after one that could not go on waits for it.
void KafkaSink::produceWaiting() {
  queue_full_ = false;
  for (Pending& p : pending_) {
    if (p.given_up || p.rest.empty()) continue;
    if (!produceBatch(p)) {
      queue_full_ = true;
      return;
    }
  }
}

bool KafkaSink::produceBatch(Pending& p) {
  const Batch& batch = *p.batch;
  EncodedRecord r;
  while (!p.rest.empty()) {
    std::string_view message;
    size_t used = 0;
    const char* err = nullptr;
    if (parseFrame(p.rest, &message, &used, &err) != FrameStatus::Ok) {
      p.rest = {};  // batches are built by the core and frame-aligned: nothing more to read
      break;
    }
    encoder_.encode(message, batch.first_us, r);
    rd_kafka_resp_err_t e = rd_kafka_producev(
        client_->get(), RD_KAFKA_V_RKT(topic_), RD_KAFKA_V_PARTITION(RD_KAFKA_PARTITION_UA),
        RD_KAFKA_V_MSGFLAGS(r.value_in_scratch ? RD_KAFKA_MSG_F_COPY : 0),
        RD_KAFKA_V_VALUE(const_cast<char*>(r.value.data()), r.value.size()),
        RD_KAFKA_V_KEY(r.has_key ? r.key.data() : nullptr, r.has_key ? r.key.size() : 0),
        RD_KAFKA_V_HEADER("frame_id", batch.frame_id.data(), static_cast<ssize_t>(batch.frame_id.size())),
        RD_KAFKA_V_HEADER("source", r.source.data(), static_cast<ssize_t>(r.source.size())),
        RD_KAFKA_V_OPAQUE(&p), RD_KAFKA_V_END);
    if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) return false;  // this record goes again, once there is room
    p.rest.remove_prefix(used);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ++p.outstanding;
    } else if (e == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
      noteRejected(e, 1);  // this record only; the rest of the batch goes on
    } else if (permanentError(e)) {
      // The whole batch is refused: this record and those not produced yet.
      p.permanent = e;
      p.permanent_count += 1;
      for (std::string_view left : Frames(p.rest)) {
        (void)left;
        ++p.permanent_count;
      }
      p.rest = {};
    } else {
      p.transient = e;
      p.rest = {};
    }
  }
  if (p.outstanding == 0) ready_.push_back(&p);
  return true;
}

bool KafkaSink::serve(rd_kafka_t* rk) {
  bool more = KafkaLoopClient::pollProducer(rk, kPollBudget);
  if (queue_full_ && !stopping_) produceWaiting();
  finishReady();
  // Not from inside the client's own callback: on the next turn.
  if (stopping_ && pending_.empty() && stopped_) uv_timer_start(stop_timer_.get(), &onStopTimer, 0, 0);
  return more;
}

void KafkaSink::onReport(const rd_kafka_message_t& m) {
  auto* p = static_cast<Pending*>(m._private);
  if (p == nullptr) return;
  if (m.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (permanentError(m.err)) {
      p->permanent = m.err;
      ++p->permanent_count;
    } else {
      p->transient = m.err;
    }
  }
  if (--p->outstanding == 0 && p->rest.empty()) ready_.push_back(p);
}

// Verdicts after the poll, not inside librdkafka's callback: `done` may hand over the next batch at once.
void KafkaSink::finishReady() {
  while (!ready_.empty()) {
    std::vector<Pending*> ready;
    ready.swap(ready_);
    for (Pending* p : ready) finish(*p);
  }
}

void KafkaSink::finish(Pending& p) {
  DeliverCallback done = std::move(p.done);
  const bool given_up = p.given_up;
  Outcome outcome = Outcome::delivered();
  if (p.permanent != RD_KAFKA_RESP_ERR_NO_ERROR) {
    noteRejected(p.permanent, p.permanent_count);
    outcome = Outcome::rejected(std::string("kafka: ") + rd_kafka_err2str(p.permanent));
  } else if (p.transient != RD_KAFKA_RESP_ERR_NO_ERROR) {
    outcome = Outcome::retry(std::string("kafka: ") + rd_kafka_err2str(p.transient));
  }
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    if (&*it == &p) {
      pending_.erase(it);
      break;
    }
  }
  if (!given_up && done) done(std::move(outcome));
}

void KafkaSink::noteRejected(rd_kafka_resp_err_t err, uint64_t records) {
  std::string kind = rejectionKind(err);
  countEvent(kind, records);
  if (logged_kinds_.insert(static_cast<int>(err)).second) {
    spdlog::error("sink {}: kafka refused {} ({}); counted as {} from now on, not logged again", name_,
                  records == 1 ? "a record" : std::to_string(records) + " records", rd_kafka_err2str(err), kind);
  }
}

void KafkaSink::stop(std::function<void()> done) {
  stopping_ = true;
  stopped_ = std::move(done);
  if (pending_.empty() || client_ == nullptr) {
    endClient();
    return;
  }
  stop_timer_.init(this, [this](uv_timer_t* t) { return uv_timer_init(loop_.get(), t); });
  uv_timer_start(stop_timer_.get(), &onStopTimer, kStopWait.count(), 0);
}

void KafkaSink::onStopTimer(uv_timer_t* timer) noexcept {
  if (auto* self = ownerOf<KafkaSink>(timer)) self->endClient();
}

// What is still in flight is given back (Retry "stopping": the core spools it or counts it), what librdkafka
// still holds is purged, then the client ends (rd_kafka_destroy joins its threads).
void KafkaSink::endClient(bool give_back_batches, const char* reason) {
  stop_timer_.close();
  std::vector<DeliverCallback> give_back;
  for (Pending& p : pending_) {
    if (give_back_batches && !p.given_up && p.done) give_back.push_back(std::move(p.done));
    p.given_up = true;
  }
  ready_.clear();
  if (client_) {
    rd_kafka_purge(client_->get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    if (topic_ != nullptr) rd_kafka_topic_destroy(topic_);
    topic_ = nullptr;
    client_->close();  // the purged records' reports are not served: their batches were given back above
    client_.reset();
  }
  pending_.clear();
  for (DeliverCallback& done : give_back) done(Outcome::retry(reason));
  if (stopped_) loop_.post(std::exchange(stopped_, nullptr));
}

void KafkaSink::onStats(std::string_view json) {
  std::optional<KafkaClusterView> view = readKafkaStats(json);
  if (!view) return;
  setGauge("kafka_brokers_up", view->brokers_up);
  setGauge("kafka_outstanding_records", view->outstanding);
  setGauge("kafka_request_rtt_microseconds", view->rtt_avg_us);
}

void KafkaSink::onError(int err, const char* reason) {
  if (err == last_error_) return;
  last_error_ = err;
  const bool fatal = err == RD_KAFKA_RESP_ERR__FATAL;
  if (fatal) {
    char why[512];
    rd_kafka_fatal_error(client_->get(), why, sizeof why);
    spdlog::error("sink {}: the kafka producer failed for good ({}); a new one takes over in {} ms, and what was in "
                  "flight is sent again", name_, why, kRestartDelay.count());
    scheduleRestart();
    return;
  }
  spdlog::warn("sink {}: kafka: {}", name_, reason);
}

// Not from inside librdkafka's callback (it runs in the client's poll): on a timer.
void KafkaSink::scheduleRestart() {
  if (stopping_) return;
  if (!restart_timer_ &&
      restart_timer_.init(this, [this](uv_timer_t* t) { return uv_timer_init(loop_.get(), t); }) < 0) {
    return;
  }
  if (uv_is_active(reinterpret_cast<uv_handle_t*>(restart_timer_.get())) == 0) {
    uv_timer_start(restart_timer_.get(), &onRestartTimer, static_cast<uint64_t>(kRestartDelay.count()), 0);
  }
}

void KafkaSink::onRestartTimer(uv_timer_t* timer) noexcept {
  KafkaSink* self = ownerOf<KafkaSink>(timer);
  if (self == nullptr || self->stopping_) return;
  self->countEvent("kafka_producer_restarts");
  self->endClient(/*give_back_batches=*/true, "kafka: the producer is restarting");
  self->queue_full_ = false;
  self->last_error_ = 0;
  if (Status st = self->start(); !st) {
    spdlog::error("{}; trying again in {} ms", st.error().message, kRestartDelay.count());
    self->scheduleRestart();
  }
}

void KafkaSink::drCallback(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  static_cast<KafkaSink*>(opaque)->onReport(*m);
}

int KafkaSink::statsCallback(rd_kafka_t*, char* json, size_t len, void* opaque) {
  static_cast<KafkaSink*>(opaque)->onStats(std::string_view(json, len));
  return 0;  // librdkafka frees the JSON
}

void KafkaSink::errorCallback(rd_kafka_t*, int err, const char* reason, void* opaque) {
  static_cast<KafkaSink*>(opaque)->onError(err, reason);
}

}  // namespace sluice::plugins::kafka

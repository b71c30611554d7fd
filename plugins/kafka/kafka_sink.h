#pragma once
// The kafka sink's transport: one record per frame of a batch, produced by librdkafka's idempotent producer, and
// one verdict per batch once every record of it has its delivery report.
//
// - Records are produced without copying (rfc5424, raw: views of the batch, which stays valid until `done`);
//   librdkafka copies the key and the two headers (frame_id, source) into its own message.
// - Batches are produced in order. When librdkafka's queue is full (QUEUE_FULL), producing stops where it is and
//   goes on from that record once reports have made room: nothing of a batch is produced twice, and the batch
//   (and those after it) stay in flight, so the core's buffer, spool and when_full take the pressure.
// - All reports ok: Delivered. A permanent error (topic authorization, unknown topic, the broker refusing a record
//   as too large): Rejected, counted and logged once per kind. Anything else (a record that timed out in
//   librdkafka after message.timeout.ms, a fatal producer error): Retry; records of that batch already delivered
//   are then delivered again (at least once).
// - A fatal error (the idempotent producer cannot go on without a gap or a duplicate: fenced, a sequence gap the
//   broker will not accept) leaves the producer useless: after kRestartDelay it is ended, what was in flight goes
//   back as Retry, and a new producer (a new producer id) takes over. Counted as kafka_producer_restarts.
// - A record larger than message.max.bytes is refused by librdkafka before it is sent: it alone is left out,
//   counted ("kafka_record_too_large") and logged once; the rest of its batch goes on.
#include <librdkafka/rdkafka.h>

#include <list>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "agent/loop/loop.h"
#include "agent/sink/transport.h"
#include "plugins/kafka/kafka_loop_bridge.h"
#include "plugins/kafka/record_encoder.h"
#include "plugins/kafka/sink_config.h"

namespace sluice::plugins::kafka {

class KafkaSink final : public SinkTransport {
 public:
  KafkaSink(Loop& loop, std::string name, const KafkaSinkConfig& config);
  ~KafkaSink() override;

  // Creates the producer (it connects on its own threads).
  Status start();

  void deliver(const Batch& batch, DeliverCallback done) override;
  // Waits for what is in flight up to kStopWait, gives the rest back as Retry("stopping"), then ends the client.
  void stop(std::function<void()> done) override;
  std::string describe() const override;

  static constexpr std::chrono::milliseconds kStopWait{2000};
  static constexpr std::chrono::milliseconds kRestartDelay{1000};

  // The producer, for tests that inject faults (rd_kafka_test_fatal_error); null while there is none.
  rd_kafka_t* producer() const { return client_ ? client_->get() : nullptr; }

 private:
  struct Pending {
    const Batch* batch = nullptr;
    DeliverCallback done;
    std::string_view rest;        // frames not produced yet
    uint32_t outstanding = 0;     // produced, report not in yet
    rd_kafka_resp_err_t permanent = RD_KAFKA_RESP_ERR_NO_ERROR;
    uint32_t permanent_count = 0;
    rd_kafka_resp_err_t transient = RD_KAFKA_RESP_ERR_NO_ERROR;
    bool given_up = false;        // its verdict was given already (stopping): reports only let it go
  };

  bool serve(rd_kafka_t* rk);
  void produceWaiting();
  bool produceBatch(Pending& p);   // false when librdkafka's queue is full
  void onReport(const rd_kafka_message_t& m);
  void finishReady();
  void finish(Pending& p);
  void endClient(bool give_back_batches = true, const char* reason = "stopping");
  static void onStopTimer(uv_timer_t* timer) noexcept;
  void scheduleRestart();
  static void onRestartTimer(uv_timer_t* timer) noexcept;
  void noteRejected(rd_kafka_resp_err_t err, uint64_t records);
  void onStats(std::string_view json);
  void onError(int err, const char* reason);

  static void drCallback(rd_kafka_t* rk, const rd_kafka_message_t* m, void* opaque);
  static int statsCallback(rd_kafka_t* rk, char* json, size_t len, void* opaque);
  static void errorCallback(rd_kafka_t* rk, int err, const char* reason, void* opaque);

  Loop& loop_;
  std::string name_;
  const KafkaSinkConfig config_;
  RecordEncoder encoder_;
  std::unique_ptr<KafkaLoopClient> client_;
  rd_kafka_topic_t* topic_ = nullptr;
  std::list<Pending> pending_;             // in order; stable addresses (each record's opaque)
  std::vector<Pending*> ready_;            // every report in: their verdict goes after the poll
  bool queue_full_ = false;
  bool stopping_ = false;
  std::function<void()> stopped_;
  UvHandle<uv_timer_t> stop_timer_;
  UvHandle<uv_timer_t> restart_timer_;     // a fatal error: a new producer after kRestartDelay
  std::set<int> logged_kinds_;             // rejections logged once per kind
  int last_error_ = 0;                     // client errors logged when they change
};

}  // namespace sluice::plugins::kafka

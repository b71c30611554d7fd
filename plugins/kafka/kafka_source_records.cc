// KafkaSource: a consumed message becomes records (format rfc5424, raw or auto), tagged for its offset's commit.
#include <spdlog/spdlog.h>

#include "agent/core/clock.h"
#include "agent/core/units.h"
#include "agent/formats/syslog_header.h"
#include "agent/pipeline/line_splitter.h"
#include "plugins/kafka/kafka_source.h"

namespace sluice::plugins::kafka {

const SourceInfo* KafkaSource::infoFor(const TopicPartition& tp) {
  auto it = infos_.find(tp);
  if (it != infos_.end()) return it->second.get();
  auto info = std::make_unique<SourceInfo>(info_);
  info->id = nextSourceId();
  info->instance = tp.first + "/" + std::to_string(tp.second);
  return infos_.emplace(tp, std::move(info)).first->second.get();
}

void KafkaSource::handleMessage(const rd_kafka_message_t& msg) {
  if (msg.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    consumerError(msg);
    return;
  }
  const TopicPartition tp(rd_kafka_topic_name(msg.rkt), msg.partition);
  bool refetched = false;
  AckEntry* ack = offsets_.tag(tp, msg.offset, &refetched);
  if (refetched) {
    ++counters_.plugin_events["kafka_refetched"];
    uint64_t suppressed = 0;
    if (refetch_log_.allow(&suppressed)) {
      spdlog::info("source {}: {} [{}] offset {} was read already; skipped{}", info_.name, tp.first, tp.second,
                   msg.offset, suppressed > 0 ? " (" + countOf(suppressed, "more record") + ")" : "");
    }
  }
  if (ack == nullptr) return;  // not (or no longer) ours: its next owner reads it
  Record record;
  record.source = infoFor(tp);
  record.ack = ack;
  record.received_us = wallMicros();
  rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
  const int64_t ts_ms = rd_kafka_message_timestamp(&msg, &type);
  if (type != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE && ts_ms > 0) record.event_us = ts_ms * 1000;
  ++counters_.received_events;
  counters_.received_bytes += msg.len;
  // A record without a value (a tombstone) has no line; its offset is committed with the others.
  if (msg.payload == nullptr) return;
  routeValue(std::string_view(static_cast<const char*>(msg.payload), msg.len), record);
}

void KafkaSource::routeValue(std::string_view value, Record& record) {
  if (settings_.format != RecordFormat::Raw) {
    SyslogHeader header;
    const char* why = nullptr;
    if (parseSyslogHeader(value, &header, &why)) {
      record.preformatted = true;
      record.severity = static_cast<Severity>(header.pri & 7);
      record.message = value;
      router_.route(record);
      return;
    }
    if (settings_.format == RecordFormat::Rfc5424) {
      // Not lost: framed as a line, and counted.
      ++counters_.errors["not_rfc5424"];
      uint64_t suppressed = 0;
      if (format_log_.allow(&suppressed)) {
        spdlog::warn("source {}: a record of {} is not an RFC 5424 message ({}); sent as a line{}", info_.name,
                     record.source->instance, why != nullptr ? why : "?",
                     suppressed > 0 ? " (" + countOf(suppressed, "more record") + ")" : "");
      }
    }
  }
  // A line: the framer adds the header. One trailing newline is the producer's line end, not the message's.
  if (!value.empty() && value.back() == '\n') value.remove_suffix(1);
  if (!value.empty() && value.back() == '\r') value.remove_suffix(1);
  record.preformatted = false;
  record.severity = Severity::Info;
  if (max_line_bytes_ > 0 && value.size() > max_line_bytes_) ++counters_.split_lines;
  while (max_line_bytes_ > 0 && value.size() > max_line_bytes_) {
    const size_t cut = LineSplitter::cutPoint(value, max_line_bytes_);
    record.message = value.substr(0, cut);
    router_.route(record);
    value.remove_prefix(cut);
  }
  record.message = value;
  router_.route(record);
}

void KafkaSource::consumerError(const rd_kafka_message_t& msg) {
  if (msg.err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return;
  // Most are transient (a broker down, a leader moving) and librdkafka retries on its own.
  ++counters_.errors["kafka_" + std::string(rd_kafka_err2name(msg.err))];
  uint64_t suppressed = 0;
  if (error_log_.allow(&suppressed)) {
    spdlog::warn("source {}: {}{}", info_.name, rd_kafka_message_errstr(&msg),
                 suppressed > 0 ? " (" + countOf(suppressed, "more error") + ")" : "");
  }
}

}  // namespace sluice::plugins::kafka

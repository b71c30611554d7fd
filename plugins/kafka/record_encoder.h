#pragma once
// One frame of a batch → one Kafka record: its key, its value and the source it names. Pure (tests check the
// exact bytes without a cluster). Views point into the frame (rfc5424, raw) or into the encoder's scratch, valid
// until the next call: the sink produces the first kind without copying (the batch outlives its records) and lets
// librdkafka copy the second.
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/admin/log_format.h"
#include "plugins/kafka/sink_config.h"

namespace sluice::plugins::kafka {

struct EncodedRecord {
  bool has_key = false;
  std::string_view key;
  std::string_view value;
  bool value_in_scratch = false;   // the value is the encoder's (ndjson): librdkafka must copy it
  std::string_view source;         // the frame's PROCID: {source} unless message.procid says otherwise
};

class RecordEncoder {
 public:
  RecordEncoder(std::string key_template, ValueFormat format);

  // `message` is one frame without its length prefix. A message without an RFC 5424 header (not Sluice's:
  // batches are built by the core) goes as it is, with an empty source and no key from placeholders.
  // `received_us` stands in for the JSON record's receive time.
  void encode(std::string_view message, int64_t received_us, EncodedRecord& out);

 private:
  enum class KeyKind { None, Source, Fixed, Template };
  std::string template_;
  KeyKind key_kind_;
  ValueFormat format_;
  std::string key_scratch_;
  std::string value_scratch_;
  LineFormatter json_{""};
};

}  // namespace sluice::plugins::kafka

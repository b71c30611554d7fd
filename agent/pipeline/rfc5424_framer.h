#pragma once
// Turns records into octet-counted RFC 5424 frames for one sink:
//   LEN SP <PRI>1 SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP - SP MSG
// Everything but the PRI, the timestamp and the message is the same for every line of a source, so it is built
// once per source and copied; the timestamp's per-second prefix is cached. Nothing here allocates per line.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "agent/core/bytes.h"
#include "agent/core/clock.h"
#include "agent/core/record.h"
#include "agent/formats/frame.h"

namespace sluice {

// RFC 5424 field limits (section 6).
inline constexpr size_t kMaxHostname = 255;
inline constexpr size_t kMaxAppName = 48;
inline constexpr size_t kMaxProcId = 128;
inline constexpr size_t kMaxMsgId = 32;

// A sink's `message:` fields: templates of the placeholders below.
struct MessageFields {
  std::string hostname;      // template; "" = agent.hostname
  std::string app_name;      // template; "" = the source's app name, else the sink's token, else "sluice"
  std::string procid;        // template, default "{source}"
  std::string msgid;         // template, default "-"
  int facility = kFacilityLocal7;
};

// The placeholders a message field template may hold.
inline constexpr std::string_view kTemplatePlaceholders[] = {"source", "token", "hostname", "app_name"};

// What the placeholders expand to.
struct TemplateValues {
  std::string_view source;     // the source's instance (a tailed file's name), else its name
  std::string_view token;
  std::string_view hostname;
  std::string_view app_name;   // the source's app name ("" when it has none)
};

// A header field made valid: printable US-ASCII without spaces (others become '_'), cut to `max` bytes,
// "-" when empty.
std::string sanitizeHeaderField(std::string_view value, size_t max);

// Expands the placeholders in a message field template; unknown ones (refused at config time) stay as written.
std::string expandTemplate(std::string_view text, const TemplateValues& values);

class Rfc5424Framer {
 public:
  // `fields` are the sink's templates; `hostname` is agent.hostname; `token` the sink's token ("" if none).
  Rfc5424Framer(const MessageFields& fields, std::string hostname, std::string token);

  // Bytes the frame of `record` takes (LEN, space and message).
  size_t frameSize(const Record& record) {
    size_t msg_len = messageSize(record);
    return decimalDigits(msg_len) + 1 + msg_len;
  }

  // Appends the frame of `record` to `out`; returns its size.
  size_t append(const Record& record, ByteBuffer& out);

  // Drops cached header bytes of a source that is gone (tail files come and go).
  void forgetSource(uint32_t source_id) { tails_.erase(source_id); last_id_ = UINT32_MAX; }

 private:
  size_t messageSize(const Record& record) {
    if (record.preformatted) return record.message.size();
    return pri_[static_cast<int>(record.severity)].size() + TimestampFormatter::kLength +
           tailFor(record.source).size() + record.message.size();
  }
  const std::string& tailFor(const SourceInfo* source);

  MessageFields fields_;
  std::string hostname_;
  std::string token_;
  std::string pri_[8];                                   // "<190>1 " per severity
  std::unordered_map<uint32_t, std::string> tails_;     // " HOST APP PROCID MSGID - " per source
  uint32_t last_id_ = UINT32_MAX;
  const std::string* last_tail_ = nullptr;
  TimestampFormatter timestamps_;
};

}  // namespace sluice

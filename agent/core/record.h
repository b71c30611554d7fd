#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice {

class AckEntry;

// RFC 5424 severities and facilities (section 6.2.1).
enum class Severity : uint8_t { Emergency, Alert, Critical, Error, Warning, Notice, Info, Debug };

// The syslog keywords of the severities, in their order ("err" is Error).
inline constexpr std::array<std::string_view, 8> kSeverityKeywords = {"emerg",  "alert", "crit", "err",
                                                                      "warning", "notice", "info", "debug"};

// A severity keyword's number ("error" and "warn" are accepted too); -1 when unknown.
inline int severityFromName(std::string_view name) {
  if (name == "error") return 3;
  if (name == "warn") return 4;
  for (size_t i = 0; i < kSeverityKeywords.size(); ++i) {
    if (kSeverityKeywords[i] == name) return static_cast<int>(i);
  }
  return -1;
}
inline constexpr int kFacilityLocal7 = 23;

// Where records come from. Owned by the source; its address is stable while the source lives, and `id` is
// unique in the process (the framer caches per-source header bytes by it).
struct SourceInfo {
  uint32_t id = 0;
  std::string name;       // the configured source's name ("web", "app"): what sinks' `inputs:` and filters match
  std::string type;       // "stdin", "exec", "tail", "logplex", "journald"
  // The part of the source the lines come from, when it has parts: a tailed file's name ("access.log",
  // "<pod>/<container>"); "" when none. It is the `{source}` of message templates (the PROCID) when set.
  std::string instance;
  // The APP-NAME the lines carry when the sink's message.app_name does not say otherwise (a journal entry's
  // SYSLOG_IDENTIFIER); "" when the source has none.
  std::string app_name;

  std::string_view instanceOrName() const { return instance.empty() ? std::string_view(name) : instance; }
};

// One line and its metadata. A view: the message bytes belong to the source's read buffer and are only valid
// during the call that hands the record over. Records are not kept after framing.
struct Record {
  std::string_view message;      // without the trailing newline; any bytes
  int64_t received_us = 0;       // when Sluice read it
  int64_t event_us = 0;          // the event's own time (container runtime), 0 when unknown
  const SourceInfo* source = nullptr;
  Severity severity = Severity::Info;
  // Already an RFC 5424 message (header included, no LEN): the logplex input forwards frames as they are.
  bool preformatted = false;
  // The piece of input this record belongs to, when its source wants to know of delivery (see ack.h).
  AckEntry* ack = nullptr;
};

}  // namespace sluice

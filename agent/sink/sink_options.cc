#include "agent/sink/sink_options.h"

#include <algorithm>
#include <array>

namespace sluice {
namespace {

constexpr std::string_view kFacilities =
    "kern|user|mail|daemon|auth|syslog|lpr|news|uucp|cron|authpriv|ftp|ntp|security|console|solaris-cron|"
    "local0|local1|local2|local3|local4|local5|local6|local7";

const OptionSpec kCoreSink[] = {
    {"name", OptionType::String, kRequired, "the sink's name (metrics, logs, spool directory)"},
    {"enabled", OptionType::Bool, "true", "false: declared but not started"},
    {"inputs", OptionType::StringList, "[]", "the sources it takes: names or globs (\"web-*\"); default: every source"},
    {"message.hostname", OptionType::String, "", "RFC 5424 HOSTNAME (default: agent.hostname); {source} {token} {hostname} {app_name} expand"},
    {"message.app_name", OptionType::String, "", "RFC 5424 APP-NAME (default: the source's app name, e.g. a journal's SYSLOG_IDENTIFIER, else the sink's token, else \"sluice\")"},
    {"message.procid", OptionType::String, "{source}", "RFC 5424 PROCID"},
    {"message.msgid", OptionType::String, "-", "RFC 5424 MSGID"},
    {"message.facility", OptionType::Enum, "local7", "syslog facility of the PRI", kFacilities},
    {"batch.max_messages", OptionType::Count, "1000", "a batch closes at this many messages"},
    {"batch.max_bytes", OptionType::Size, "1MiB", "... or at this many bytes"},
    {"batch.linger", OptionType::Duration, "200ms", "... or this long after its first message"},
    {"buffer.memory", OptionType::Size, "4MiB", "bytes of batches held in memory for this sink"},
    {"buffer.disk", OptionType::Size, "0", "bytes of the disk spool under state_dir/spool/<name> (0: no spool)"},
    {"buffer.mode", OptionType::Enum, "overflow",
     "overflow: spool when memory is full and at shutdown; always: spool every batch before acknowledging its sources",
     "overflow|always"},
    {"buffer.sync", OptionType::Enum, "batch",
     "when spooled data is fsynced: none (the page cache; survives a crash of Sluice, not of the machine), "
     "batch (before acknowledging), interval (every sync_interval)", "none|batch|interval"},
    {"buffer.sync_interval", OptionType::Duration, "1s", "with sync: interval, how often to fsync"},
    {"buffer.when_full", OptionType::Enum, "block",
     "when the buffer is full: pause the sources, or drop new or old batches (counted)", "block|drop_newest|drop_oldest"},
    {"retry.initial", OptionType::Duration, "200ms", "first retry delay (exponential backoff with full jitter)"},
    {"retry.max", OptionType::Duration, "30s", "longest retry delay"},
    {"max_in_flight", OptionType::Count, "4", "batches being delivered at once (each on its own connection)"},
};

constexpr std::array<std::string_view, 24> kFacilityNames = {
    "kern",     "user", "mail", "daemon",   "auth",    "syslog",       "lpr",    "news",
    "uucp",     "cron", "authpriv", "ftp",  "ntp",     "security",     "console", "solaris-cron",
    "local0",   "local1", "local2", "local3", "local4", "local5",      "local6", "local7"};

}  // namespace

std::span<const OptionSpec> coreSinkOptions() { return kCoreSink; }

bool checkTemplate(const std::string& text, std::string* bad) {
  size_t pos = 0;
  while ((pos = text.find('{', pos)) != std::string::npos) {
    size_t end = text.find('}', pos);
    if (end == std::string::npos) {
      *bad = text.substr(pos);
      return false;
    }
    std::string_view name(text.data() + pos + 1, end - pos - 1);
    if (std::find(std::begin(kTemplatePlaceholders), std::end(kTemplatePlaceholders), name) ==
        std::end(kTemplatePlaceholders)) {
      *bad = std::string(text, pos, end - pos + 1);
      return false;
    }
    pos = end + 1;
  }
  return true;
}

int facilityFromName(std::string_view name) {
  for (size_t i = 0; i < kFacilityNames.size(); ++i) {
    if (kFacilityNames[i] == name) return static_cast<int>(i);
  }
  return -1;
}

SinkSettings readSinkSettings(const OptionValues& v, ConfigErrors& errors) {
  SinkSettings s;
  s.name = v.str("name");
  s.enabled = v.boolean("enabled");
  s.inputs = v.list("inputs");
  s.message.hostname = v.str("message.hostname");
  s.message.app_name = v.str("message.app_name");
  s.message.procid = v.str("message.procid");
  s.message.msgid = v.str("message.msgid");
  for (const char* key : {"message.hostname", "message.app_name", "message.procid", "message.msgid"}) {
    std::string bad;
    if (!checkTemplate(v.str(key), &bad)) {
      errors.add(v.mark(key), std::string(key) + ": unknown placeholder '" + bad +
                                  "' (known: {source}, {token}, {hostname}, {app_name})");
    }
  }
  s.message.facility = facilityFromName(v.str("message.facility"));
  s.batch.max_messages = v.count("batch.max_messages");
  s.batch.max_bytes = v.size("batch.max_bytes");
  s.batch.linger = v.duration("batch.linger");
  if (s.batch.max_messages == 0) errors.add(v.mark("batch.max_messages"), "batch.max_messages must be at least 1");
  if (s.batch.max_bytes < 1024) errors.add(v.mark("batch.max_bytes"), "batch.max_bytes must be at least 1KiB");
  if (s.batch.max_bytes > (uint64_t{1} << 30)) errors.add(v.mark("batch.max_bytes"), "batch.max_bytes must be at most 1GiB");
  s.buffer_memory = v.size("buffer.memory");
  if (s.buffer_memory < s.batch.max_bytes) {
    errors.add(v.mark("buffer.memory"), "buffer.memory must hold at least one batch (batch.max_bytes)");
  }
  s.buffer_disk = v.size("buffer.disk");
  s.buffer_mode = v.str("buffer.mode") == "always" ? BufferMode::Always : BufferMode::Overflow;
  const std::string& sync = v.str("buffer.sync");
  s.buffer_sync = sync == "none" ? SyncMode::None : sync == "interval" ? SyncMode::Interval : SyncMode::Batch;
  s.buffer_sync_interval = v.duration("buffer.sync_interval");
  if (s.buffer_mode == BufferMode::Always && s.buffer_disk == 0) {
    errors.add(v.mark("buffer.mode"), "buffer.mode: always needs a spool: set buffer.disk");
  }
  if (s.buffer_disk > 0 && s.buffer_disk < 4 * s.batch.max_bytes) {
    errors.add(v.mark("buffer.disk"), "buffer.disk must hold at least four batches (4 x batch.max_bytes)");
  }
  if (s.buffer_sync_interval.count() <= 0) {
    errors.add(v.mark("buffer.sync_interval"), "buffer.sync_interval must be positive");
  }
  const std::string& wf = v.str("buffer.when_full");
  s.when_full = wf == "drop_newest" ? WhenFull::DropNewest : wf == "drop_oldest" ? WhenFull::DropOldest : WhenFull::Block;
  s.retry_initial = v.duration("retry.initial");
  s.retry_max = v.duration("retry.max");
  if (s.retry_initial.count() <= 0) errors.add(v.mark("retry.initial"), "retry.initial must be positive");
  if (s.retry_max < s.retry_initial) errors.add(v.mark("retry.max"), "retry.max must be at least retry.initial");
  s.max_in_flight = v.count("max_in_flight");
  if (s.max_in_flight == 0 || s.max_in_flight > 64) {
    errors.add(v.mark("max_in_flight"), "max_in_flight must be between 1 and 64");
  }
  return s;
}

}  // namespace sluice

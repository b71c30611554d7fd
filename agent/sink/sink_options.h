#pragma once
// The keys every sink has, whatever its plugin: its message header fields, batching, buffer, retry and
// concurrency. The core owns these for every plugin, external ones included.
#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "agent/buffer/memory_queue.h"
#include "agent/buffer/sync_mode.h"
#include "agent/pipeline/batcher.h"
#include "agent/pipeline/rfc5424_framer.h"
#include "agent/config/options.h"
#include "agent/core/record.h"

namespace sluice {

std::span<const OptionSpec> coreSinkOptions();

enum class BufferMode { Overflow, Always };


struct SinkSettings {
  std::string name;
  std::string type;
  bool enabled = true;
  std::vector<std::string> inputs;                // source names or globs; empty: every source
  MessageFields message;
  BatchLimits batch;
  uint64_t buffer_memory = 4 << 20;
  uint64_t buffer_disk = 0;                       // 0: no spool
  BufferMode buffer_mode = BufferMode::Overflow;
  SyncMode buffer_sync = SyncMode::Batch;
  std::chrono::milliseconds buffer_sync_interval{1000};
  WhenFull when_full = WhenFull::Block;
  std::chrono::milliseconds retry_initial{200};
  std::chrono::milliseconds retry_max{30000};
  uint64_t max_in_flight = 4;
};

// Reads and checks the core keys (templates, ranges); errors carry the key's mark.
SinkSettings readSinkSettings(const OptionValues& values, ConfigErrors& errors);

// Facility names (syslog keywords): "local7", ...; -1 when unknown. Severities: severityFromName (record.h).
int facilityFromName(std::string_view name);

// Only the framer's placeholders ({source}, {token}, {hostname}, {app_name}) may appear in a template; else false,
// with the first other one in `bad`. For message fields and for plugins' own templates (kafka's key).
bool checkTemplate(const std::string& text, std::string* bad);

}  // namespace sluice

#pragma once

namespace sluice {

// When spooled data is fsynced (buffer.sync): never (the page cache survives a crash of Sluice, not of the
// machine), before an append is reported done, or at most sync_interval later.
enum class SyncMode { None, Batch, Interval };

}  // namespace sluice

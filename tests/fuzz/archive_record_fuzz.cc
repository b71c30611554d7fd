// libFuzzer target: the local archive's records (state_dir/archive/*.log), read back for time-window queries. The
// input is a file's bytes. It must never crash, read out of bounds or hang; every record decoded (with or without
// an instance, the flag of tail sources' files) lies inside the file, and encoding it again gives its bytes. Partition names ("2026-11-21T10.log") parse to an hour whose name
// is the same text.
#include <string>
#include <string_view>

#include "agent/admin/archive_format.h"
#include "agent/core/record.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view file = sluice::fuzz::text(data, size);
  std::string_view rest = file;
  while (!rest.empty()) {
    sluice::LogLine line;
    size_t used = 0;
    sluice::ArchiveDecode st = sluice::decodeArchiveRecord(rest, &line, &used);
    if (st != sluice::ArchiveDecode::Ok) break;
    FUZZ_CHECK(used >= sluice::kArchiveHeaderBytes && used <= rest.size());
    using sluice::fuzz::inside;
    FUZZ_CHECK(inside(line.source, rest.substr(0, used)) && inside(line.type, rest.substr(0, used)));
    FUZZ_CHECK(line.instance.empty() || inside(line.instance, rest.substr(0, used)));
    FUZZ_CHECK(inside(line.message, rest.substr(0, used)));

    sluice::Record record;
    record.received_us = line.received_us;
    record.event_us = line.event_us;
    record.severity = line.severity;
    record.preformatted = line.preformatted;
    record.message = line.message;
    sluice::ByteBuffer again;
    const sluice::LineSource source{line.source, line.type, line.instance};
    FUZZ_CHECK(sluice::archiveRecordSize(record, source) == used);
    sluice::encodeArchiveRecord(record, source, again);
    FUZZ_CHECK(again.view() == rest.substr(0, used));
    rest.remove_prefix(used);
  }

  std::string_view name = file.substr(0, 64);
  int64_t hour = sluice::archivePartitionHour(name);
  if (hour >= 0) FUZZ_CHECK(sluice::archivePartitionName(hour) == name);
  return 0;
}

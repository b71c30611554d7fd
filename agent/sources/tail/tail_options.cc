#include "agent/sources/tail/tail_options.h"

#include "agent/sources/tail/path_names.h"

namespace sluice {

void validateTailOptions(const OptionValues& v, ConfigErrors& errors) {
  const auto& paths = v.list("paths");
  if (paths.empty()) errors.add(v.mark("paths"), "paths: give at least one glob");
  for (const std::string& p : paths) {
    if (p.empty()) errors.add(v.mark("paths"), "paths: an empty glob matches nothing");
  }
  if (Status st = validateSourceNameTemplate(v.str("source_name")); !st) {
    errors.add(v.mark("source_name"), st.error().message);
  }
  for (const char* key : {"refresh_interval", "poll_interval", "checkpoint_interval"}) {
    if (v.duration(key).count() <= 0) errors.add(v.mark(key), std::string(key) + " must be longer than 0");
  }
}

TailOptions tailOptionsFrom(const OptionValues& v, size_t max_line_bytes, const std::string& state_dir) {
  TailOptions o;
  o.paths = v.list("paths");
  o.exclude_paths = v.list("exclude_paths");
  const std::string& format = v.str("format");
  o.format = format == "raw"      ? TailFormat::Raw
             : format == "docker" ? TailFormat::Docker
             : format == "cri"    ? TailFormat::Cri
                                  : TailFormat::Auto;
  o.malformed = v.str("malformed") == "drop" ? MalformedLines::Drop : MalformedLines::Raw;
  o.start_at_beginning = v.str("start_at") == "beginning";
  o.refresh_interval = v.duration("refresh_interval");
  o.poll_interval = v.duration("poll_interval");
  o.partial_flush = v.duration("partial_flush");
  o.checkpoint_interval = v.duration("checkpoint_interval");
  o.source_name = v.str("source_name");
  o.max_open_files = static_cast<size_t>(v.count("max_open_files"));
  o.max_line_bytes = max_line_bytes;
  o.state_dir = state_dir;
  return o;
}

}  // namespace sluice

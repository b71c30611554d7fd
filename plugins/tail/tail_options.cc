#include "plugins/tail/tail_options.h"

#include "plugins/tail/path_names.h"

namespace sluice::plugins::tail {
namespace {

const OptionSpec kTable[] = {
    {"paths", OptionType::StringList, kRequired, "globs of the files to follow, e.g. [\"/var/log/containers/*.log\"]"},
    {"exclude_paths", OptionType::StringList, "[]", "globs of files not to follow (matched against the path and its base name)"},
    {"format", OptionType::Enum, "auto", "raw, docker (json-file), cri, or auto: chosen per file from its first line", "auto|raw|docker|cri"},
    {"malformed", OptionType::Enum, "raw", "a line that does not decode in the file's format (docker, cri): raw sends it as it is, drop leaves it out; either way it is counted and the first one per file is logged", "raw|drop"},
    {"start_at", OptionType::Enum, "end", "where to start in files never seen before that exist when Sluice starts (files created later are read from their start)", "end|beginning"},
    {"refresh_interval", OptionType::Duration, "5s", "how often the globs are expanded again to find new files"},
    {"poll_interval", OptionType::Duration, "1s", "how often a file without an inotify watch is looked at; a watched one every 30 intervals besides its events, so a lost event never stalls a file for long"},
    {"read_interval", OptionType::Duration, "1s", "change events are read at most this often: a write less than this long after the last reading of them waits for the next, and each file is then read once for all its writes meanwhile (a busy file: one read per interval instead of one per write, its lines up to this much later); a write after a quiet spell is read at once (0: every write at once)"},
    {"partial_flush", OptionType::Duration, "5s", "a last line without its newline is sent after this long without more data"},
    {"checkpoint_interval", OptionType::Duration, "1s", "the checkpoint file is written at most this often (and at shutdown)"},
    {"max_open_files", OptionType::Count, "0", "most files held open at once; more are closed while idle and reopened by identity when they grow (0: the descriptor limit less a reserve for sockets, checkpoints and the spool)"},
    {"source_name", OptionType::String, "", "each file's source name (PROCID): a template of {name} {file} {path} {pod} {namespace} {container}; default: <pod>/<container> for Kubernetes paths, else the file's base name"},
};

}  // namespace

const std::span<const OptionSpec> kTailOptions = kTable;

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
  o.read_interval = v.duration("read_interval");
  o.partial_flush = v.duration("partial_flush");
  o.checkpoint_interval = v.duration("checkpoint_interval");
  o.source_name = v.str("source_name");
  o.max_open_files = static_cast<size_t>(v.count("max_open_files"));
  o.max_line_bytes = max_line_bytes;
  o.state_dir = state_dir;
  return o;
}

}  // namespace sluice::plugins::tail

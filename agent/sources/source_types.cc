#include "agent/sources/source_types.h"

#include "agent/sources/logplex_source.h"
#include "agent/sources/tail/tail_options.h"

namespace sluice {
namespace {

constexpr std::string_view kSeverities = "emerg|alert|crit|err|warning|notice|info|debug";

const OptionSpec kCommon[] = {
    {"name", OptionType::String, kRequired, "the source's name; the PROCID of its messages unless a sink says otherwise"},
    {"enabled", OptionType::Bool, "true", "false: declared but not started"},
    {"max_line_bytes", OptionType::Size, "0",
     "lines longer than this are split into several messages (0: agent.max_line_bytes)"},
};

const OptionSpec kStdin[] = {
    {"severity", OptionType::Enum, "info", "severity of every line", kSeverities},
};

const OptionSpec kExec[] = {
    {"command", OptionType::StringList, kRequired, "the program and its arguments, e.g. [\"/app/server\", \"--port\", \"8080\"]"},
    {"env", OptionType::StringMap, "{}", "variables added to the child's environment"},
    {"working_dir", OptionType::String, "", "the child's working directory (default: Sluice's)"},
    {"stdout_severity", OptionType::Enum, "info", "severity of lines the child writes to stdout", kSeverities},
    {"stderr_severity", OptionType::Enum, "err", "severity of lines the child writes to stderr", kSeverities},
};

const OptionSpec kTail[] = {
    {"paths", OptionType::StringList, kRequired, "globs of the files to follow, e.g. [\"/var/log/containers/*.log\"]"},
    {"exclude_paths", OptionType::StringList, "[]", "globs of files not to follow (matched against the path and its base name)"},
    {"format", OptionType::Enum, "auto", "raw, docker (json-file), cri, or auto: chosen per file from its first line", "auto|raw|docker|cri"},
    {"malformed", OptionType::Enum, "raw", "a line that does not decode in the file's format (docker, cri): raw sends it as it is, drop leaves it out; either way it is counted and the first one per file is logged", "raw|drop"},
    {"start_at", OptionType::Enum, "end", "where to start in files never seen before that exist when Sluice starts (files created later are read from their start)", "end|beginning"},
    {"refresh_interval", OptionType::Duration, "5s", "how often the globs are expanded again to find new files"},
    {"poll_interval", OptionType::Duration, "1s", "how often every file is looked at besides inotify events, so a missed event never stalls a file"},
    {"partial_flush", OptionType::Duration, "5s", "a last line without its newline is sent after this long without more data"},
    {"checkpoint_interval", OptionType::Duration, "1s", "the checkpoint file is written at most this often (and at shutdown)"},
    {"max_open_files", OptionType::Count, "0", "most files held open at once; more are closed while idle and reopened by identity when they grow (0: the descriptor limit less a reserve for sockets, checkpoints and the spool)"},
    {"source_name", OptionType::String, "", "each file's source name (PROCID): a template of {name} {file} {path} {pod} {namespace} {container}; default: <pod>/<container> for Kubernetes paths, else the file's base name"},
};

const OptionSpec kLogplex[] = {
    {"listen", OptionType::String, "127.0.0.1:8443", "HOST:PORT accepting application/logplex-1 POSTs"},
    {"path", OptionType::String, "/logs", "the path POSTs go to"},
    {"tokens", OptionType::StringList, kRequired, "log tokens accepted as basic auth token:<token>; never logged"},
    {"token_names", OptionType::StringMap, "{}", "a name per token, for {token_name} in rewrite.* (default: the source's name)"},
    {"rewrite.hostname", OptionType::String, "", "replaces the HOSTNAME of every frame; {token_name} and {source} expand (\"\": as sent)"},
    {"rewrite.app_name", OptionType::String, "", "replaces the APP-NAME of every frame; {token_name} and {source} expand (\"\": as sent)"},
    {"max_body", OptionType::Size, "4MiB", "larger bodies are answered 413"},
    {"frame_id_ttl", OptionType::Duration, "10m", "how long a Logplex-Frame-Id is remembered, so a retried batch is forwarded once"},
    {"retry_after", OptionType::Duration, "1s", "the Retry-After of 429 and 503 answers"},
    {"max_connections", OptionType::Count, "1024", "connections at once, also capped at half the open-file limit (the rest stays for files, sinks and the API); past it the one idle longest gives its place, or the new one is refused (counted)"},
    {"tls.cert_file", OptionType::String, "", "PEM certificate chain: serve HTTPS (with tls.key_file)"},
    {"tls.key_file", OptionType::String, "", "the certificate's private key"},
};

const SourceType kTypes[] = {
    {"stdin", "lines from standard input (a pipe, a file or a terminal)", kStdin},
    {"exec", "runs a program and collects its stdout and stderr; Sluice exits with its status", kExec},
    {"tail", "follows files (and container logs) across rotations; checkpoints advance only as lines are delivered", kTail,
     &validateTailOptions},
    {"logplex", "an HTTP(S) input for application/logplex-1 POSTs (add-on log collectors, other Sluices)", kLogplex,
     &validateLogplexOptions},
};

}  // namespace

std::span<const SourceType> sourceTypes() { return kTypes; }

const SourceType* findSourceType(std::string_view name) {
  for (const auto& t : kTypes) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::span<const OptionSpec> commonSourceOptions() { return kCommon; }

}  // namespace sluice

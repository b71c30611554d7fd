#include "agent/app/man_page.h"

#include <span>
#include <sstream>
#include <string_view>

#include "agent/app/agent_config.h"
#include "agent/app/cli.h"
#include "agent/sink/sink_options.h"
#include "agent/sources/source_options.h"

namespace sluice {
namespace {

// Text as roff reads it: backslashes and hyphens escaped, and no line taken for a request.
std::string roff(std::string_view text) {
  std::string out;
  bool line_start = true;
  for (char c : text) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
    line_start = c == '\n';
  }
  return out;
}

std::string header(std::string_view title, int section, std::string_view manual) {
  return ".TH " + std::string(title) + " " + std::to_string(section) + " \"\" \"sluice " SLUICE_VERSION "\" \"" +
         std::string(manual) + "\"\n";
}

std::string defaultText(const OptionSpec& spec) {
  if (!spec.fallback) return "required";
  if (spec.type == OptionType::Secret) return "secret";
  if (spec.fallback->empty()) return "default \"\"";
  return "default " + std::string(*spec.fallback);
}

// "a|b|c" as "a, b, c": the line can break between choices.
std::string choiceList(std::string_view choices) {
  std::string out;
  for (char c : choices) out += c == '|' ? std::string(", ") : std::string(1, c);
  return out;
}

// One tagged paragraph per key: NAME (TYPE, DEFAULT), then its help, its scope and its choices.
std::string optionList(std::span<const OptionSpec> table) {
  std::string out;
  for (const OptionSpec& spec : table) {
    out += ".TP\n.B " + roff(spec.name) + "\n(" + roff(optionTypeName(spec.type)) + ", " + roff(defaultText(spec)) +
           ")\n";
    if (!spec.scope.empty()) out += roff(spec.scope) + ": ";
    out += roff(spec.help) + "\n";
    if (spec.type == OptionType::Enum) out += ".br\nOne of: " + roff(choiceList(spec.choices)) + ".\n";
  }
  return out;
}

// Every plugin of one kind: its help and its own keys, after the keys every plugin of that kind has.
std::string pluginSections(const PluginRegistry& registry, PluginKind kind) {
  const bool sink = kind == PluginKind::Sink;
  std::string out = ".SH " + std::string(sink ? "SINKS" : "SOURCES") + "\n" +
                    (sink ? "Each item of \\fBsinks:\\fR has a \\fBtype\\fR and the keys of every sink:\n"
                          : "Each item of \\fBsources:\\fR has a \\fBtype\\fR and the keys of every source:\n") +
                    optionList(sink ? coreSinkOptions() : commonSourceOptions());
  for (const std::string& name : registry.names(kind)) {
    const PluginDescriptor* d = registry.find(kind, name);
    out += ".SS " + std::string(sink ? "Sink" : "Source") + " type " + roff(name) + "\n" + roff(d->help) + ".\n" +
           optionList(d->options);
  }
  return out;
}

std::string commandPage(const PluginRegistry& registry) {
  std::string out = header("SLUICE", 1, "User Commands");
  out += ".SH NAME\nsluice \\- log\\-drain forwarding agent\n";
  out += ".SH SYNOPSIS\n.B sluice\n[\\fB\\-\\-config\\fR \\fIFILE\\fR]\n.br\n.B sluice check \\-\\-config\\fR \\fIFILE\\fR\n"
         ".br\n.B sluice \\-\\-drain\\fR \\fIURL\\fR [\\fB\\-\\-\\fR \\fICMD\\fR [\\fIARG\\fR...]]\n";
  out += ".SH DESCRIPTION\n"
         "Sluice collects log lines from its sources (standard input, a child process, files, the systemd journal, "
         "logplex POSTs, Kafka) and delivers them to its sinks (HTTPS logplex drains, syslog, files, Kafka) as RFC "
         "5424 messages, at least once: bounded memory queues, an optional disk spool, retries with backoff. The "
         "configuration file is described in\n.BR sluice.yaml (5).\n";
  out += ".SH USAGE\n.nf\n" + roff(usageText()) + ".fi\n";
  out += ".SH PLUGINS\nSink types (\\fBsluice \\-\\-help\\-plugin\\fR \\fITYPE\\fR prints their options):\n";
  for (const std::string& name : registry.names(PluginKind::Sink)) {
    out += ".TP\n.B " + roff(name) + "\n" + roff(registry.find(PluginKind::Sink, name)->help) + "\n";
  }
  out += ".PP\nSource types:\n";
  for (const std::string& name : registry.names(PluginKind::Source)) {
    out += ".TP\n.B " + roff(name) + "\n" + roff(registry.find(PluginKind::Source, name)->help) + "\n";
  }
  out += ".SH ENVIRONMENT\n.TP\n.B SLUICE_DRAIN_URL\nThe drain when neither \\fB\\-\\-drain\\fR nor \\fB\\-\\-config\\fR "
         "is given, so that the token stays out of\n.BR ps (1).\n"
         ".TP\n.B NOTIFY_SOCKET\\fR, \\fBWATCHDOG_USEC\nThe systemd notification protocol (readiness, reload, "
         "watchdog).\n";
  out += ".SH FILES\n.TP\n.I /etc/sluice/sluice.yaml\nThe configuration (when no \\fB\\-\\-config\\fR is given and "
         "there is no \\fI./sluice.yaml\\fR).\n.TP\n.I /etc/sluice/sluice.env\nEnvironment of the systemd unit "
         "(LOG_DRAIN_URL and other ${VAR}s of the configuration).\n.TP\n.I /var/lib/sluice\nThe disk spool and the "
         "checkpoints (agent.state_dir).\n";
  out += ".SH EXIT STATUS\n0 ok; 1 runtime error or lost messages; 2 usage or configuration error; 127 the command "
         "cannot be started; with \\fB\\-\\-\\fR, the child's own status.\n";
  out += ".SH SEE ALSO\n.BR sluice.yaml (5),\n/usr/share/doc/sluice/README.md.gz\n";
  return out;
}

std::string configPage(const PluginRegistry& registry) {
  std::string out = header("SLUICE.YAML", 5, "File Formats");
  out += ".SH NAME\nsluice.yaml \\- configuration of the Sluice log\\-drain forwarding agent\n";
  out += ".SH SYNOPSIS\n.I /etc/sluice/sluice.yaml\n";
  out += ".SH DESCRIPTION\n"
         "A YAML file with the sections \\fBagent\\fR, \\fBapi\\fR, \\fBsources\\fR and \\fBsinks\\fR. Keys with a dot "
         "are nested: \\fBretry.initial\\fR is \\fBinitial\\fR under \\fBretry\\fR. Every YAML string may use "
         "${VAR} and ${VAR:\\-default}; an unset variable without a default is an error. Sizes are written 512, "
         "64KiB, 16MiB, 1GiB; durations 200ms, 5s, 1m30s, 7d. An unknown key is an error that names the nearest "
         "valid one.\n.B sluice check \\-\\-config\\fR \\fIFILE\\fR \\fB\\-\\-show\nprints a file with every "
         "default filled in.\n";
  out += ".SH AGENT SECTION\n" + optionList(agentOptions());
  out += ".SH API SECTION\nThe local admin API (/healthz, /metrics, /logs).\n" + optionList(apiOptions());
  out += pluginSections(registry, PluginKind::Source);
  out += pluginSections(registry, PluginKind::Sink);
  out += ".SH SEE ALSO\n.BR sluice (1),\n/usr/share/doc/sluice/README.md.gz\n";
  return out;
}

}  // namespace

std::string manPage(int section, const PluginRegistry& registry) {
  if (section == 1) return commandPage(registry);
  if (section == 5) return configPage(registry);
  return {};
}

}  // namespace sluice

// The journald source's options and the pure pieces of its entries: matches and units checked at config time
// with FILE:LINE:COL, PRIORITY as severity, a field's value out of sd_journal_get_data's bytes.
#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>

#include "agent/sources/source_options.h"
#include "plugins/journald/journal_fields.h"
#include "plugins/journald/journald_options.h"

using namespace sluice;
using namespace sluice::plugins::journald;
using Messages = std::vector<std::string>;

namespace {

struct Checked {
  OptionValues values;
  ConfigErrors errors;
};

Checked check(const std::string& yaml) {
  Checked c;
  c.values = parseOptions(YAML::Load("name: sys\n" + yaml), Mark{"s.yaml", 1, 1},
                          {commonSourceOptions(), kJournaldOptions}, c.errors, {"type"});
  if (c.errors.empty()) validateJournaldOptions(c.values, c.errors);
  return c;
}

}  // namespace

TEST_CASE("journald: the defaults read the local journal from its end, entries without PRIORITY as info",
          "[journald]") {
  Checked c = check("");
  REQUIRE(c.errors.empty());
  JournaldOptions o = journaldOptionsFrom(c.values, 1000, "/state");
  CHECK(o.directory.empty());
  CHECK(o.matches.empty());
  CHECK_FALSE(o.start_at_beginning);
  CHECK(o.severity == Severity::Info);
  CHECK(o.max_line_bytes == 1000);
  CHECK(o.state_dir == "/state");
}

TEST_CASE("journald: units become _SYSTEMD_UNIT matches, a name without a type a service, before the matches",
          "[journald]") {
  Checked c = check("units: [nginx, cron.service, user@1000.service]\nmatches: [\"PRIORITY=3\"]\n"
                    "start_at: beginning\nseverity: notice\ndirectory: /var/log/journal\n");
  REQUIRE(c.errors.empty());
  JournaldOptions o = journaldOptionsFrom(c.values, 1000, "/state");
  CHECK(o.matches == std::vector<std::string>{"_SYSTEMD_UNIT=nginx.service", "_SYSTEMD_UNIT=cron.service",
                                              "_SYSTEMD_UNIT=user@1000.service", "PRIORITY=3"});
  CHECK(o.start_at_beginning);
  CHECK(o.severity == Severity::Notice);
  CHECK(o.directory == "/var/log/journal");
}

TEST_CASE("journald: a match that is not FIELD=value is an error at the item's position", "[journald]") {
  Checked c = check("matches:\n  - _SYSTEMD_UNIT=a.service\n  - nginx\n  - \"priority=3\"\n  - \"=x\"\n"
                    "  - \"1A=x\"\n");
  CHECK(c.errors.messages() ==
        Messages{"s.yaml:4:5: matches: 'nginx' is not FIELD=value",
                 "s.yaml:5:5: matches: 'priority=3' has a field name with characters other than A-Z, 0-9 and '_' "
                 "(journal fields are upper case)",
                 "s.yaml:6:5: matches: '=x' has no field name before '='",
                 "s.yaml:7:5: matches: '1A=x' has a field name that starts with a digit"});
}

TEST_CASE("journald: a unit that is a glob or no unit name is an error, and the directory must be absolute",
          "[journald]") {
  Checked c = check("units: [\"nginx*\", \"a b\", ok]\ndirectory: var/log/journal\n");
  CHECK(c.errors.messages() ==
        Messages{"s.yaml:3:12: directory: give an absolute path ('var/log/journal' is relative)",
                 "s.yaml:2:9: units: 'nginx*': globs are not supported, name each unit",
                 "s.yaml:2:19: units: 'a b': not a unit name (letters, digits and :_.\\@- only)"});
}

TEST_CASE("journald: match checks accept what sd-journal takes", "[journald]") {
  CHECK(matchProblem("_SYSTEMD_UNIT=nginx.service").empty());
  CHECK(matchProblem("MESSAGE_ID=").empty());          // an empty value matches an empty field
  CHECK(matchProblem("A=b=c").empty());                // the value may hold '='
  CHECK(matchProblem(std::string(64, 'A') + "=x").empty());
  CHECK_FALSE(matchProblem(std::string(65, 'A') + "=x").empty());
  CHECK_FALSE(matchProblem("+").empty());              // journalctl's OR is not supported
  CHECK(*unitName("sshd") == "sshd.service");
  CHECK(*unitName("systemd-journald.socket") == "systemd-journald.socket");
  CHECK_FALSE(unitName("").ok());
}

TEST_CASE("journald: PRIORITY 0-7 is the severity, anything else the configured one", "[journald]") {
  CHECK(severityFromPriority("0", Severity::Info) == Severity::Emergency);
  CHECK(severityFromPriority("3", Severity::Info) == Severity::Error);
  CHECK(severityFromPriority("7", Severity::Info) == Severity::Debug);
  CHECK(severityFromPriority("8", Severity::Notice) == Severity::Notice);
  CHECK(severityFromPriority("", Severity::Notice) == Severity::Notice);
  CHECK(severityFromPriority("03", Severity::Notice) == Severity::Notice);
  CHECK(severityFromPriority("x", Severity::Warning) == Severity::Warning);
}

TEST_CASE("journald: a field's value is what follows its name and '=', with binary bytes kept", "[journald]") {
  CHECK(fieldValue("MESSAGE=hello", "MESSAGE") == "hello");
  CHECK(fieldValue("MESSAGE=", "MESSAGE") == "");
  CHECK(fieldValue(std::string_view("MESSAGE=a\0b\n", 12), "MESSAGE") == std::string_view("a\0b\n", 4));
  CHECK_FALSE(fieldValue("MESSAGE_ID=x", "MESSAGE").has_value());
  CHECK_FALSE(fieldValue("MESSAGE", "MESSAGE").has_value());
  CHECK_FALSE(fieldValue("", "MESSAGE").has_value());
  CHECK(messageText("line\n") == "line");
  CHECK(messageText("line\n\n") == "line\n");   // one newline only
  CHECK(messageText("a\nb") == "a\nb");
  CHECK(messageText("") == "");
}

TEST_CASE("journald: a message longer than max_line_bytes goes in pieces, never cutting a character",
          "[journald]") {
  std::vector<std::string> pieces;
  auto collect = [&](std::string_view p) { pieces.emplace_back(p); };
  CHECK(forEachPiece("abcdefghij", 4, collect) == 3);
  CHECK(pieces == std::vector<std::string>{"abcd", "efgh", "ij"});
  pieces.clear();
  CHECK(forEachPiece("abc\xc3\xa9z", 4, collect) == 2);   // é is not cut in two
  CHECK(pieces == std::vector<std::string>{"abc", "\xc3\xa9z"});
  pieces.clear();
  CHECK(forEachPiece("", 4, collect) == 1);
  CHECK(pieces == std::vector<std::string>{""});
}

#pragma once
// One declaration per option (house rule 5). A table of OptionSpec validates a YAML section (types, units,
// unknown keys with the nearest valid name), fills defaults and prints `--help-plugin`. Nothing reads a YAML key
// that is not in a table.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace YAML {
class Node;
}

namespace sluice {

enum class OptionType {
  String,      // any scalar, ${VAR} expanded
  Secret,      // like String, but never printed (help shows "(secret)", errors never echo the value)
  Bool,        // true/false/yes/no/on/off
  Int,         // signed 64-bit
  Count,       // unsigned 64-bit
  Size,        // bytes: 512, 64KiB, 16MiB, 1GiB (also B, KB, MB, GB decimal)
  Duration,    // 200ms, 5s, 1m30s, 2h, 7d, 0
  Url,         // an absolute URL (scheme://host[:port][/path]); parsed by parseUrl
  Enum,        // one of OptionSpec::choices ("a|b|c")
  StringList,  // a YAML sequence of scalars (a single scalar is accepted as a list of one)
  StringMap,   // a YAML mapping of scalar → scalar
};

std::string_view optionTypeName(OptionType type);

struct OptionSpec {
  std::string_view name;                      // dotted path inside the section: "retry.initial"
  OptionType type;
  std::optional<std::string_view> fallback;   // default as YAML text; kRequired when the key must be given
  std::string_view help;
  std::string_view choices = {};              // Enum only: "block|drop_newest|drop_oldest"
  std::string_view scope = {};                // when a shared key applies ("https output"): the help says so first
  bool secret = false;                        // never shown (`check --show` prints ****); Secret implies it
};

inline constexpr std::optional<std::string_view> kRequired = std::nullopt;

// A key whose value is a credential although its type is not Secret (a list of tokens, headers that carry one).
constexpr OptionSpec secretOption(OptionSpec spec) {
  spec.secret = true;
  return spec;
}

constexpr bool isSecret(const OptionSpec& spec) { return spec.secret || spec.type == OptionType::Secret; }

// Option groups: a plugin's table is its own keys and the shared groups it includes (tls.*, timeouts, ...), joined
// at compile time so that the descriptor still has one table, which validation and --help-plugin both read.
namespace option_tables {
template <class T>
struct Size;
template <size_t N>
struct Size<OptionSpec[N]> : std::integral_constant<size_t, N> {};
template <size_t N>
struct Size<std::array<OptionSpec, N>> : std::integral_constant<size_t, N> {};
}  // namespace option_tables

template <class... Tables>
constexpr auto joinOptions(const Tables&... tables) {
  std::array<OptionSpec, (option_tables::Size<Tables>::value + ...)> out{};
  size_t n = 0;
  ((std::copy(std::begin(tables), std::end(tables), out.begin() + n), n += std::size(tables)), ...);
  for (size_t i = 0; i < out.size(); ++i) {
    for (size_t j = i + 1; j < out.size(); ++j) {
      if (out[i].name == out[j].name) throw "an option table declares a key twice";  // a compile error
    }
  }
  return out;
}

// A group whose keys apply only to some uses of the plugin (clf_json's http output): --help-plugin prints
// "SCOPE: help", and rejectOutside names it.
template <class Table>
constexpr auto scopedOptions(const Table& table, std::string_view scope) {
  std::array<OptionSpec, option_tables::Size<Table>::value> out{};
  std::copy(std::begin(table), std::end(table), out.begin());
  for (OptionSpec& spec : out) spec.scope = scope;
  return out;
}

// A group with the help of one key said the plugin's way (the key, its type and default stay the group's).
template <class Table>
constexpr auto withHelp(const Table& table, std::string_view name, std::string_view help) {
  std::array<OptionSpec, option_tables::Size<Table>::value> out{};
  std::copy(std::begin(table), std::end(table), out.begin());
  bool found = false;
  for (OptionSpec& spec : out) {
    if (spec.name == name) {
      spec.help = help;
      found = true;
    }
  }
  if (!found) throw "withHelp: no such key in the group";  // a compile error
  return out;
}

// Where something was written: 1-based line and column.
struct Mark {
  std::string file;
  int line = 0;
  int column = 0;
};

// What wrote a line of a config that no file holds: quick mode's YAML is written from flags, and an error in
// it names the flag (`--drain: ...`), not a line of text the user never saw.
struct LineOrigin {
  std::string flag;  // "--drain", or "SLUICE_DRAIN_URL"
  std::string key;   // the key on that line ("url"): its "url: " prefix is left out of messages
};

// Errors are collected, not thrown; each prints as "FILE:LINE:COL: message".
class ConfigErrors {
 public:
  // From now on, an error at `file`:LINE prints as "ORIGIN: message" for the lines `origins` names, and as
  // "`file`: message" for the other lines of that file.
  void setLineOrigins(std::string file, std::map<int, LineOrigin> origins);
  void add(const Mark& mark, std::string message);
  void addPlain(std::string message);  // no position (e.g. a file that cannot be read)
  bool empty() const { return messages_.empty(); }
  size_t size() const { return messages_.size(); }
  const std::vector<std::string>& messages() const { return messages_; }
  std::string joined() const;  // one per line

 private:
  std::vector<std::string> messages_;
  std::string origins_file_;
  std::map<int, LineOrigin> origins_;
};

struct ParsedUrl;

// The typed, validated values of one section. Getters take the dotted name of a declared option; asking for an
// undeclared name or the wrong type is a programming error (asserts).
class OptionValues {
 public:
  OptionValues();
  ~OptionValues();
  OptionValues(OptionValues&&) noexcept;
  OptionValues& operator=(OptionValues&&) noexcept;
  OptionValues(const OptionValues&);
  OptionValues& operator=(const OptionValues&);

  const std::string& str(std::string_view name) const;  // String, Secret, Enum, Url (the text)
  bool boolean(std::string_view name) const;
  int64_t integer(std::string_view name) const;
  uint64_t count(std::string_view name) const;
  uint64_t size(std::string_view name) const;
  std::chrono::milliseconds duration(std::string_view name) const;
  const std::vector<std::string>& list(std::string_view name) const;
  const std::map<std::string, std::string>& map(std::string_view name) const;

  bool isSet(std::string_view name) const;      // written in the YAML (not defaulted)
  Mark mark(std::string_view name) const;       // where it was written, else where the section starts
  // Where item `index` of a written list was written; else mark(name).
  Mark itemMark(std::string_view name, size_t index) const;
  // Where key `key` of a written map was written (its key, not its value); else mark(name).
  Mark keyMark(std::string_view name, std::string_view key) const;
  const Mark& sectionMark() const;

  // A stable text form of every value (secrets included, for change detection on reload; never log it).
  std::string fingerprint() const;

  struct Impl;
  Impl& impl() { return *impl_; }
  const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// Validates `node` (a YAML mapping, or null for "all defaults") against the union of `tables`. Keys under
// `ignore` (e.g. "type", handled by the caller) are skipped. Unknown keys, wrong types and bad values are added
// to `errors` with the nearest valid key suggested; the result holds defaults for whatever failed.
OptionValues parseOptions(const YAML::Node& node, const Mark& section_mark,
                          std::initializer_list<std::span<const OptionSpec>> tables, ConfigErrors& errors,
                          std::initializer_list<std::string_view> ignore = {});

// "KEY applies to WHERE only" for every key of `group` the section sets: the group does not apply to what the
// plugin was configured to do (tls.* of a syslog sink over tcp://, `where` = "tls://").
void rejectOutside(const OptionValues& values, std::span<const OptionSpec> group, std::string_view where,
                   ConfigErrors& errors);

// The help text of a table, as `sluice --help-plugin` prints it.
std::string describeOptions(std::span<const OptionSpec> table);

// The nearest of `candidates` to `word` (edit distance), or "" when none is close enough to suggest.
std::string nearestName(std::string_view word, std::span<const std::string> candidates);

}  // namespace sluice

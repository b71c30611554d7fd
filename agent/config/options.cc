#include "agent/config/options.h"

#include <algorithm>
#include <cassert>
#include <iterator>

#include "agent/config/option_values_impl.h"
#include "agent/config/yaml_support.h"

namespace sluice {
namespace {

using Entry = OptionValues::Impl::Entry;

const Entry* findEntry(const OptionValues::Impl* impl, std::string_view name) {
  if (impl == nullptr) return nullptr;
  auto it = impl->entries.find(name);
  return it == impl->entries.end() ? nullptr : &it->second;
}

template <class T>
const T& getValue(const OptionValues::Impl* impl, std::string_view name, std::initializer_list<OptionType> types) {
  static const T kFallback{};
  const Entry* e = findEntry(impl, name);
  bool ok = e != nullptr && std::find(types.begin(), types.end(), e->spec.type) != types.end() &&
            std::holds_alternative<T>(e->value);
  assert(ok && "option not declared in the section's tables, or read as the wrong type");
  if (!ok) return kFallback;
  return std::get<T>(e->value);
}

// Length-prefixed so that no value can imitate another's boundary.
void fingerprintString(std::string& out, const std::string& s) {
  out += std::to_string(s.size());
  out += ':';
  out += s;
}

}  // namespace

std::string_view optionTypeName(OptionType type) {
  switch (type) {
    case OptionType::String:
      return "string";
    case OptionType::Secret:
      return "secret";
    case OptionType::Bool:
      return "bool";
    case OptionType::Int:
      return "int";
    case OptionType::Count:
      return "count";
    case OptionType::Size:
      return "size";
    case OptionType::Duration:
      return "duration";
    case OptionType::Url:
      return "url";
    case OptionType::Enum:
      return "enum";
    case OptionType::StringList:
      return "list";
    case OptionType::StringMap:
      return "map";
  }
  return "?";
}

void ConfigErrors::setLineOrigins(std::string file, std::map<int, LineOrigin> origins) {
  origins_file_ = std::move(file);
  origins_ = std::move(origins);
}

void ConfigErrors::add(const Mark& mark, std::string message) {
  if (!origins_file_.empty() && mark.file == origins_file_) {
    auto it = origins_.find(mark.line);
    if (it == origins_.end()) {
      messages_.push_back(origins_file_ + ": " + message);
      return;
    }
    const std::string prefix = it->second.key + ": ";
    if (message.starts_with(prefix)) message.erase(0, prefix.size());
    messages_.push_back(it->second.flag + ": " + message);
    return;
  }
  std::string where = formatMark(mark);
  messages_.push_back(where.empty() ? std::move(message) : where + ": " + message);
}

void ConfigErrors::addPlain(std::string message) { messages_.push_back(std::move(message)); }

std::string ConfigErrors::joined() const {
  std::string out;
  for (const std::string& m : messages_) {
    out += m;
    out += '\n';
  }
  return out;
}

OptionValues::OptionValues() : impl_(std::make_unique<Impl>()) {}
OptionValues::~OptionValues() = default;
OptionValues::OptionValues(OptionValues&&) noexcept = default;
OptionValues& OptionValues::operator=(OptionValues&&) noexcept = default;
OptionValues::OptionValues(const OptionValues& other)
    : impl_(other.impl_ ? std::make_unique<Impl>(*other.impl_) : nullptr) {}
OptionValues& OptionValues::operator=(const OptionValues& other) {
  if (this != &other) impl_ = other.impl_ ? std::make_unique<Impl>(*other.impl_) : nullptr;
  return *this;
}

const std::string& OptionValues::str(std::string_view name) const {
  return getValue<std::string>(impl_.get(), name,
                               {OptionType::String, OptionType::Secret, OptionType::Enum, OptionType::Url});
}
bool OptionValues::boolean(std::string_view name) const {
  return getValue<bool>(impl_.get(), name, {OptionType::Bool});
}
int64_t OptionValues::integer(std::string_view name) const {
  return getValue<int64_t>(impl_.get(), name, {OptionType::Int});
}
uint64_t OptionValues::count(std::string_view name) const {
  return getValue<uint64_t>(impl_.get(), name, {OptionType::Count});
}
uint64_t OptionValues::size(std::string_view name) const {
  return getValue<uint64_t>(impl_.get(), name, {OptionType::Size});
}
std::chrono::milliseconds OptionValues::duration(std::string_view name) const {
  return getValue<std::chrono::milliseconds>(impl_.get(), name, {OptionType::Duration});
}
const std::vector<std::string>& OptionValues::list(std::string_view name) const {
  return getValue<std::vector<std::string>>(impl_.get(), name, {OptionType::StringList});
}
const std::map<std::string, std::string>& OptionValues::map(std::string_view name) const {
  return getValue<std::map<std::string, std::string>>(impl_.get(), name, {OptionType::StringMap});
}

bool OptionValues::isSet(std::string_view name) const {
  const Entry* e = findEntry(impl_.get(), name);
  assert(e != nullptr && "option not declared in the section's tables");
  return e != nullptr && e->set;
}

Mark OptionValues::mark(std::string_view name) const {
  const Entry* e = findEntry(impl_.get(), name);
  assert(e != nullptr && "option not declared in the section's tables");
  return e != nullptr && e->written ? e->mark : sectionMark();
}

Mark OptionValues::itemMark(std::string_view name, size_t index) const {
  const Entry* e = findEntry(impl_.get(), name);
  assert(e != nullptr && "option not declared in the section's tables");
  if (e != nullptr && e->written && index < e->item_marks.size()) return e->item_marks[index];
  return mark(name);
}

Mark OptionValues::keyMark(std::string_view name, std::string_view key) const {
  const auto& items = map(name);
  auto it = items.find(std::string(key));
  if (it == items.end()) return mark(name);
  return itemMark(name, static_cast<size_t>(std::distance(items.begin(), it)));
}

const Mark& OptionValues::sectionMark() const {
  static const Mark kNone;
  return impl_ ? impl_->section : kNone;
}

std::string OptionValues::fingerprint() const {
  std::string out;
  if (!impl_) return out;
  for (const auto& [name, e] : impl_->entries) {
    out += name;
    out += '=';
    std::visit(
        [&out](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string>) {
            fingerprintString(out, v);
          } else if constexpr (std::is_same_v<T, bool>) {
            out += v ? "true" : "false";
          } else if constexpr (std::is_same_v<T, std::chrono::milliseconds>) {
            out += std::to_string(v.count()) + "ms";
          } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
            out += '[';
            for (const std::string& s : v) fingerprintString(out, s);
            out += ']';
          } else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) {
            out += '{';
            for (const auto& [k, val] : v) {
              fingerprintString(out, k);
              fingerprintString(out, val);
            }
            out += '}';
          } else {
            out += std::to_string(v);
          }
        },
        e.value);
    out += '\n';
  }
  return out;
}

void rejectOutside(const OptionValues& values, std::span<const OptionSpec> group, std::string_view where,
                   ConfigErrors& errors) {
  for (const OptionSpec& spec : group) {
    if (values.isSet(spec.name)) {
      errors.add(values.mark(spec.name), std::string(spec.name) + " applies to " + std::string(where) + " only");
    }
  }
}

std::string describeOptions(std::span<const OptionSpec> table) {
  struct Row {
    std::string name, type, fallback, help, choices;
  };
  std::vector<Row> rows;
  rows.push_back({"NAME", "TYPE", "DEFAULT", "HELP", ""});
  for (const OptionSpec& spec : table) {
    Row r{std::string(spec.name), std::string(optionTypeName(spec.type)), "", std::string(spec.help), ""};
    if (!spec.scope.empty()) r.help = std::string(spec.scope) + ": " + r.help;
    if (!spec.fallback) {
      r.fallback = "required";
    } else if (spec.type == OptionType::Secret) {
      r.fallback = "(secret)";
    } else if (spec.fallback->empty()) {
      r.fallback = "\"\"";
    } else {
      r.fallback = std::string(*spec.fallback);
    }
    if (spec.type == OptionType::Enum) r.choices = "one of: " + joinNames(splitChoices(spec.choices));
    rows.push_back(std::move(r));
  }
  size_t wn = 0, wt = 0, wd = 0;
  for (const Row& r : rows) {
    wn = std::max(wn, r.name.size());
    wt = std::max(wt, r.type.size());
    wd = std::max(wd, r.fallback.size());
  }
  auto pad = [](const std::string& s, size_t w) { return s + std::string(w - s.size() + 2, ' '); };
  std::string out;
  for (const Row& r : rows) {
    std::string line = "  " + pad(r.name, wn) + pad(r.type, wt) + pad(r.fallback, wd) + r.help;
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
    if (!r.choices.empty()) out += std::string(2 + wn + 2 + wt + 2 + wd + 2, ' ') + r.choices + "\n";
  }
  return out;
}

std::string nearestName(std::string_view word, std::span<const std::string> candidates) {
  // The edit distance costs length × length: a key longer than any option name is no typo of one.
  if (word.size() > 64) return {};
  std::string w = lowerAscii(word);
  auto distance = [](const std::string& a, const std::string& b) {
    // Optimal string alignment (Damerau-Levenshtein without repeated edits of a substring): a swapped pair of
    // letters, the commonest typo, costs one edit.
    std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
    for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
      for (size_t j = 1; j <= b.size(); ++j) {
        size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
        d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
          d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.size()][b.size()];
  };
  size_t limit = std::max<size_t>(2, w.size() / 3);
  std::string best;
  size_t best_distance = SIZE_MAX;
  for (const std::string& c : candidates) {
    size_t dist = distance(w, lowerAscii(c));
    // Replacing every letter of a short word is no suggestion ("ab" is not a typo of "id").
    if (dist <= limit && dist < std::max(w.size(), c.size()) && dist < best_distance) {
      best = c;
      best_distance = dist;
    }
  }
  if (!best.empty() || w.size() < 3) return best;
  // A word cut short ("max_line" for "max_line_bytes") is far in edits but plain to a reader; only a unique
  // completion is suggested.
  for (const std::string& c : candidates) {
    if (lowerAscii(c).starts_with(w)) {
      if (!best.empty()) return {};
      best = c;
    }
  }
  return best;
}

}  // namespace sluice

// parseOptions: the walk over a YAML section, type conversion and env expansion. The values themselves, their
// getters and the help text are in options.cc.
// GCC 12 at -O2 reports std::variant's storage as "maybe uninitialized" when it is moved around below (a known
// false positive, GCC bug 105593 and friends); the sanitizer build checks the real thing.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <set>

#include "agent/config/env.h"
#include "agent/config/option_values_impl.h"
#include "agent/config/yaml_support.h"
#include "agent/core/result.h"
#include "agent/core/units.h"
#include "agent/core/url.h"

namespace sluice {
namespace {

using Entry = OptionValues::Impl::Entry;

// What an option's value must look like, for "must be a duration, not a list".
std::string expectedKind(const OptionSpec& spec) {
  switch (spec.type) {
    case OptionType::String:
    case OptionType::Secret:
      return "a string";
    case OptionType::Bool:
      return "true or false";
    case OptionType::Int:
      return "an integer";
    case OptionType::Count:
      return "a non-negative integer";
    case OptionType::Size:
      return "a size";
    case OptionType::Duration:
      return "a duration";
    case OptionType::Url:
      return "a URL";
    case OptionType::Enum:
      return "one of: " + joinNames(splitChoices(spec.choices));
    case OptionType::StringList:
      return "a list of strings";
    case OptionType::StringMap:
      return "a mapping of strings to strings";
  }
  return "a value";
}

OptionValue emptyValue(OptionType type) {
  switch (type) {
    case OptionType::Bool:
      return false;
    case OptionType::Int:
      return int64_t{0};
    case OptionType::Count:
    case OptionType::Size:
      return uint64_t{0};
    case OptionType::Duration:
      return std::chrono::milliseconds{0};
    case OptionType::StringList:
      return std::vector<std::string>{};
    case OptionType::StringMap:
      return std::map<std::string, std::string>{};
    default:
      return std::string{};
  }
}

// An Int or a Count ('+' allowed): `noun` names it when out of range, `expected` when it is no number at all.
template <class T>
Result<OptionValue> parseInteger(const std::string& text, std::string_view noun, std::string_view expected) {
  T v = 0;
  std::string_view s = text;
  if (s.starts_with('+')) s.remove_prefix(1);
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc::result_out_of_range) return makeError(std::string(noun) + " '" + text + "' is out of range");
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) {
    return makeError("expected " + std::string(expected) + ", got '" + text + "'");
  }
  return OptionValue{v};
}

// Converts the (already expanded) text of a scalar option. Messages never quote a Secret (it has no parse
// errors) and name no key: the caller prefixes it.
Result<OptionValue> convertScalar(const OptionSpec& spec, const std::string& text) {
  switch (spec.type) {
    case OptionType::String:
    case OptionType::Secret:
      return OptionValue{text};
    case OptionType::Bool: {
      std::string l = lowerAscii(text);
      if (l == "true" || l == "yes" || l == "on") return OptionValue{true};
      if (l == "false" || l == "no" || l == "off") return OptionValue{false};
      return makeError("expected true or false (or yes/no, on/off), got '" + text + "'");
    }
    case OptionType::Int:
      return parseInteger<int64_t>(text, "integer", "an integer");
    case OptionType::Count:
      return parseInteger<uint64_t>(text, "number", "a non-negative integer");
    case OptionType::Size: {
      Result<uint64_t> r = parseSize(text);
      if (!r) return r.takeError();
      return OptionValue{*r};
    }
    case OptionType::Duration: {
      Result<std::chrono::milliseconds> r = parseDuration(text);
      if (!r) return r.takeError();
      return OptionValue{*r};
    }
    case OptionType::Url: {
      // An optional URL (default "") may be left empty; a given one must parse.
      if (text.empty() && spec.fallback && spec.fallback->empty()) return OptionValue{text};
      Result<ParsedUrl> r = parseUrl(text);
      if (!r) return r.takeError();
      return OptionValue{text};
    }
    case OptionType::Enum: {
      std::vector<std::string> choices = splitChoices(spec.choices);
      std::string l = lowerAscii(text);
      for (const std::string& c : choices) {
        if (lowerAscii(c) == l) return OptionValue{c};
      }
      std::string msg = "value '" + text + "' is not one of: " + joinNames(choices);
      std::string near = nearestName(text, choices);
      if (!near.empty()) msg += " (did you mean '" + near + "'?)";
      return makeError(msg);
    }
    case OptionType::StringList:
    case OptionType::StringMap:
      break;
  }
  return makeError("not a single value");
}

class Parser {
 public:
  Parser(OptionValues::Impl& impl, ConfigErrors& errors, std::initializer_list<std::string_view> ignore)
      : impl_(impl), errors_(errors), file_(impl.section.file) {
    for (std::string_view i : ignore) ignore_.emplace(i);
  }

  void fillDefaults() {
    for (auto& [name, e] : impl_.entries) {
      e.value = emptyValue(e.spec.type);
      if (!e.spec.fallback) continue;
      Result<OptionValue> v = defaultValue(e.spec);
      if (v) {
        e.value = std::move(*v);
      } else {
        // A table bug, not a user error (a unit test parses every default); still reported, never fatal.
        errors_.add(impl_.section, "the default of '" + name + "' is invalid: " + v.error().message);
      }
    }
  }

  void walk(const YAML::Node& map, const std::string& prefix) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      // Copies: yaml-cpp's iterator hands out a temporary pair, so references would dangle.
      YAML::Node key_node = it->first;
      YAML::Node value = it->second;
      Mark key_mark = markOr(key_node, file_, impl_.section);
      if (!key_node.IsScalar()) {
        errors_.add(key_mark, "a key must be a plain name, not " + std::string(nodeKindName(key_node)));
        continue;
      }
      const std::string& key = key_node.Scalar();
      std::string full = prefix.empty() ? key : prefix + "." + key;
      if (ignore_.contains(full)) continue;
      if (auto found = impl_.entries.find(full); found != impl_.entries.end()) {
        readOption(found->second, full, value, key_mark);
      } else if (isGroup(full)) {
        if (value.IsNull()) continue;  // "batch:" with nothing under it
        if (!value.IsMap()) {
          errors_.add(markOr(value, file_, key_mark), "key '" + full + "' must be a mapping");
          continue;
        }
        walk(value, full);
      } else {
        errors_.add(key_mark, unknownKeyMessage(key, prefix));
      }
    }
  }

  void checkRequired() {
    for (const auto& [name, e] : impl_.entries) {
      if (!e.spec.fallback && !e.written) errors_.add(impl_.section, "missing required key '" + name + "'");
    }
  }

 private:
  Result<OptionValue> defaultValue(const OptionSpec& spec) {
    if (spec.type != OptionType::StringList && spec.type != OptionType::StringMap) {
      return convertScalar(spec, std::string(*spec.fallback));
    }
    YAML::Node node;
    try {
      node = YAML::Load(std::string(*spec.fallback));
    } catch (const YAML::Exception& ex) {
      return makeError(ex.msg);
    }
    std::string problem;
    OptionValue v = emptyValue(spec.type);
    if (!readCollection(spec, node, /*expand=*/false, v, problem)) return makeError(problem);
    return v;
  }

  bool isGroup(const std::string& full) const {
    std::string dotted = full + ".";
    auto it = impl_.entries.lower_bound(dotted);
    return it != impl_.entries.end() && it->first.starts_with(dotted);
  }

  // The names valid right under `prefix`: single segments, or whole dotted tails when the user wrote dots.
  std::vector<std::string> keysAt(const std::string& prefix, bool dotted) const {
    std::set<std::string> keys;
    std::string lead = prefix.empty() ? "" : prefix + ".";
    for (const auto& [name, e] : impl_.entries) {
      if (!name.starts_with(lead)) continue;
      std::string tail = name.substr(lead.size());
      keys.insert(dotted ? tail : tail.substr(0, tail.find('.')));
    }
    if (prefix.empty()) {
      for (const std::string& i : ignore_) keys.insert(i);
    }
    return {keys.begin(), keys.end()};
  }

  // "linger" or "lingr" written beside "batch" instead of under it: the nearest last segment of a deeper key, as
  // its whole path ("batch.linger"); nothing when two groups hold equally near names.
  std::string nestedKeyNear(const std::string& key, const std::string& prefix) const {
    std::string lead = prefix.empty() ? "" : prefix + ".";
    std::map<std::string, std::string> by_leaf;   // leaf -> full name; a leaf in two groups is ambiguous ("")
    for (const auto& [name, e] : impl_.entries) {
      if (!name.starts_with(lead)) continue;
      std::string tail = name.substr(lead.size());
      size_t dot = tail.rfind('.');
      if (dot == std::string::npos) continue;
      auto [it, fresh] = by_leaf.emplace(tail.substr(dot + 1), tail);
      if (!fresh) it->second.clear();
    }
    std::vector<std::string> leaves;
    for (const auto& [leaf, full] : by_leaf) leaves.push_back(leaf);
    std::string leaf = nearestName(key, leaves);
    if (leaf.empty()) return {};
    return by_leaf[leaf];
  }

  std::string unknownKeyMessage(const std::string& key, const std::string& prefix) const {
    std::string msg = "unknown key '" + key + "'";
    bool dotted = key.find('.') != std::string::npos;
    std::vector<std::string> valid = keysAt(prefix, dotted);
    std::string near = nearestName(key, valid);
    if (near.empty() && !dotted) near = nestedKeyNear(key, prefix);
    if (!near.empty()) return msg + " (did you mean '" + near + "'?)";
    if (dotted) valid = keysAt(prefix, false);
    return msg + " (valid keys: " + joinNames(valid) + ")";
  }

  // Lists and maps. On failure `problem` is the whole message and `where` (when given) points at the bad item.
  // `item_marks` (when given) receives where each item of a list was written, or each key of a map (in the map's
  // order: sorted by key).
  bool readCollection(const OptionSpec& spec, const YAML::Node& node, bool do_expand, OptionValue& out,
                      std::string& problem, Mark* where = nullptr, std::vector<Mark>* item_marks = nullptr) {
    auto scalarText = [&](const YAML::Node& n, std::string& text) {
      if (n.IsNull()) {
        text.clear();
        return true;
      }
      if (!n.IsScalar()) {
        problem = "'" + std::string(spec.name) + "' must be " +
                  (spec.type == OptionType::StringList ? "a list of strings" : "a mapping of strings to strings");
        if (where) *where = markOr(n, file_, *where);
        return false;
      }
      text = n.Scalar();
      if (!do_expand) return true;
      Result<std::string> r = expandEnv(text);
      if (!r) {
        problem = std::string(spec.name) + ": " + r.error().message;
        if (where) *where = markOr(n, file_, *where);
        return false;
      }
      text = std::move(*r);
      return true;
    };
    if (spec.type == OptionType::StringList) {
      std::vector<std::string> items;
      std::string text;
      if (node.IsNull()) {
        // "paths:" with nothing: an empty list.
      } else if (node.IsScalar()) {
        if (!scalarText(node, text)) return false;
        items.push_back(text);
        if (item_marks) item_marks->push_back(markOr(node, file_, where ? *where : Mark{}));
      } else if (node.IsSequence()) {
        for (const YAML::Node& item : node) {
          if (!scalarText(item, text)) return false;
          items.push_back(text);
          if (item_marks) item_marks->push_back(markOr(item, file_, where ? *where : Mark{}));
        }
      } else {
        problem = "'" + std::string(spec.name) + "' must be a list of strings";
        return false;
      }
      out = std::move(items);
      return true;
    }
    std::map<std::string, std::string> items;
    std::map<std::string, Mark> key_marks;
    if (node.IsMap()) {
      for (auto it = node.begin(); it != node.end(); ++it) {
        if (!it->first.IsScalar()) {
          problem = "'" + std::string(spec.name) + "' must be a mapping of strings to strings";
          if (where) *where = markOr(it->first, file_, *where);
          return false;
        }
        std::string text;
        if (!scalarText(it->second, text)) return false;
        items[it->first.Scalar()] = std::move(text);
        key_marks[it->first.Scalar()] = markOr(it->first, file_, where ? *where : Mark{});
      }
      if (item_marks) {
        for (auto& [key, mark] : key_marks) item_marks->push_back(mark);
      }
    } else if (!node.IsNull()) {
      problem = "'" + std::string(spec.name) + "' must be a mapping of strings to strings";
      return false;
    }
    out = std::move(items);
    return true;
  }

  void readOption(Entry& e, const std::string& name, const YAML::Node& value, const Mark& key_mark) {
    Mark mark = markOr(value, file_, key_mark);
    if (e.written) {
      errors_.add(key_mark, "duplicate key '" + name + "' (first at " + formatMark(e.key_mark) + ")");
      return;
    }
    e.written = true;
    e.mark = mark;
    e.key_mark = key_mark;
    const OptionSpec& spec = e.spec;
    if (spec.type == OptionType::StringList || spec.type == OptionType::StringMap) {
      OptionValue v;
      std::string problem;
      Mark where = mark;
      if (!readCollection(spec, value, /*expand=*/true, v, problem, &where, &e.item_marks)) {
        errors_.add(where, problem);
        return;
      }
      e.value = std::move(v);
      e.set = true;
      return;
    }
    std::string text;
    if (value.IsNull()) {
      // "token:" with nothing: an empty string for strings, a missing value for everything else.
      if (spec.type != OptionType::String && spec.type != OptionType::Secret) {
        errors_.add(mark, "'" + name + "' has no value (expected " + expectedKind(spec) + ")");
        return;
      }
    } else if (!value.IsScalar()) {
      errors_.add(mark, "'" + name + "' must be " + expectedKind(spec) + ", not " +
                            std::string(nodeKindName(value)));
      return;
    } else {
      Result<std::string> expanded = expandEnv(value.Scalar());
      if (!expanded) {
        errors_.add(mark, name + ": " + expanded.error().message);
        return;
      }
      text = std::move(*expanded);
    }
    Result<OptionValue> v = convertScalar(spec, text);
    if (!v) {
      errors_.add(mark, name + ": " + v.error().message);
      return;
    }
    e.value = std::move(*v);
    e.set = true;
  }

  OptionValues::Impl& impl_;
  ConfigErrors& errors_;
  std::string file_;
  std::set<std::string> ignore_;
};

}  // namespace

OptionValues parseOptions(const YAML::Node& node, const Mark& section_mark,
                          std::initializer_list<std::span<const OptionSpec>> tables, ConfigErrors& errors,
                          std::initializer_list<std::string_view> ignore) {
  OptionValues values;
  OptionValues::Impl& impl = values.impl();
  impl.section = section_mark;
  for (std::span<const OptionSpec> table : tables) {
    for (const OptionSpec& spec : table) {
      // The first table wins a name declared twice (core keys before a plugin's).
      auto [it, fresh] =
          impl.entries.try_emplace(std::string(spec.name), Entry{spec, {}, false, false, section_mark, section_mark});
      if (fresh) impl.order.push_back(it->first);
    }
  }
  Parser parser(impl, errors, ignore);
  try {
    parser.fillDefaults();
    if (node.IsDefined() && !node.IsNull()) {
      if (node.IsMap()) {
        parser.walk(node, "");
      } else {
        errors.add(markOr(node, section_mark.file, section_mark),
                   "expected a mapping of keys and values, not " + std::string(nodeKindName(node)));
      }
    }
    parser.checkRequired();
  } catch (const std::exception& ex) {
    // yaml-cpp throws on misuse; the configuration reports it rather than dying.
    errors.add(section_mark, std::string("cannot read this section: ") + ex.what());
  }
  return values;
}

}  // namespace sluice

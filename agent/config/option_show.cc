#include "agent/config/option_show.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <vector>

#include "agent/config/option_values_impl.h"
#include "agent/core/units.h"

namespace sluice {
namespace {

using Entry = OptionValues::Impl::Entry;

// A table that does not mark a credential (a plugin's older table, an external plugin's) still does not show
// one under the names credentials go by.
bool shownMasked(const OptionSpec& spec) {
  static constexpr std::array<std::string_view, 5> kNames = {"token", "tokens", "password", "passwords", "secret"};
  std::string_view leaf = spec.name.substr(spec.name.rfind('.') + 1);
  return isSecret(spec) || std::find(kNames.begin(), kNames.end(), leaf) != kNames.end();
}

std::string shownText(const std::string& text, bool masked) {
  if (!masked) return maskUrlPassword(text);
  return text.empty() ? text : std::string(kMasked);
}

void emitValue(YAML::Emitter& out, const Entry& e) {
  const bool masked = shownMasked(e.spec);
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          out << shownText(v, masked);
        } else if constexpr (std::is_same_v<T, bool>) {
          out << v;
        } else if constexpr (std::is_same_v<T, std::chrono::milliseconds>) {
          out << formatDuration(v);
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          out << YAML::Flow << YAML::BeginSeq;
          for (const std::string& s : v) out << shownText(s, masked);
          out << YAML::EndSeq;
        } else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) {
          out << YAML::Flow << YAML::BeginMap;
          for (const auto& [k, s] : v) out << YAML::Key << k << YAML::Value << shownText(s, masked);
          out << YAML::EndMap;
        } else if constexpr (std::is_same_v<T, uint64_t>) {
          if (e.spec.type == OptionType::Size) {
            out << formatSize(v);
          } else {
            out << v;
          }
        } else {
          out << v;
        }
      },
      e.value);
}

// The dotted names as a tree, each group where its first key is declared.
struct KeyNode {
  std::string key;
  const Entry* entry = nullptr;
  std::vector<KeyNode> children;
};

void insertKey(KeyNode& root, std::string_view name, const Entry& entry) {
  KeyNode* at = &root;
  for (size_t dot; (dot = name.find('.')) != std::string_view::npos; name.remove_prefix(dot + 1)) {
    std::string_view group = name.substr(0, dot);
    auto it = std::find_if(at->children.begin(), at->children.end(),
                           [&](const KeyNode& n) { return n.entry == nullptr && n.key == group; });
    if (it == at->children.end()) it = at->children.insert(at->children.end(), KeyNode{std::string(group)});
    at = &*it;
  }
  at->children.push_back(KeyNode{std::string(name), &entry});
}

void emitNode(YAML::Emitter& out, const KeyNode& node) {
  out << YAML::Key << node.key << YAML::Value;
  if (node.entry != nullptr) {
    emitValue(out, *node.entry);
    return;
  }
  out << YAML::BeginMap;
  for (const KeyNode& child : node.children) emitNode(out, child);
  out << YAML::EndMap;
}

}  // namespace

std::string showOptions(const OptionValues& values, std::string_view type) {
  const OptionValues::Impl& impl = values.impl();
  KeyNode root;
  const bool named = !type.empty() && impl.entries.contains("name");
  for (const std::string& name : impl.order) {
    if (named && name == "name") continue;
    insertKey(root, name, impl.entries.find(name)->second);
  }
  YAML::Emitter out;
  out << YAML::BeginMap;
  if (named) emitNode(out, KeyNode{"name", &impl.entries.find("name")->second});
  if (!type.empty()) out << YAML::Key << "type" << YAML::Value << std::string(type);
  for (const KeyNode& node : root.children) emitNode(out, node);
  out << YAML::EndMap;
  return out.c_str();
}

std::string maskUrlPassword(std::string_view text) {
  size_t scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return std::string(text);
  size_t start = scheme_end + 3;
  size_t end = text.find_first_of("/?#", start);
  if (end == std::string_view::npos) end = text.size();
  std::string_view authority = text.substr(start, end - start);
  size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return std::string(text);
  size_t colon = authority.substr(0, at).find(':');
  if (colon == std::string_view::npos) return std::string(text);
  std::string out(text.substr(0, start + colon + 1));
  out += kMasked;
  out += text.substr(start + at);
  return out;
}

}  // namespace sluice

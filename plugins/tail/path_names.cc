#include "plugins/tail/path_names.h"

#include "agent/core/path.h"

namespace sluice::plugins::tail {
namespace {

std::string_view parentOf(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
}

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool isHex(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  }
  return true;
}

bool isDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

constexpr std::string_view kPlaceholders[] = {"name", "file", "path", "pod", "namespace", "container"};

}  // namespace

std::optional<KubernetesName> parseKubernetesPath(std::string_view path) {
  std::string_view base = baseName(path);
  if (!endsWith(base, ".log")) return std::nullopt;
  std::string_view stem = base.substr(0, base.size() - 4);

  // /var/log/containers/<pod>_<namespace>_<container>-<id>.log. Pod names and namespaces never hold '_'
  // (DNS labels and subdomains); the id is the runtime's hex container id.
  size_t u1 = stem.find('_');
  size_t u2 = u1 == std::string_view::npos ? u1 : stem.find('_', u1 + 1);
  if (u2 != std::string_view::npos && stem.find('_', u2 + 1) == std::string_view::npos) {
    std::string_view rest = stem.substr(u2 + 1);
    size_t dash = rest.rfind('-');
    if (u1 > 0 && u2 > u1 + 1 && dash != std::string_view::npos && dash > 0 && isHex(rest.substr(dash + 1))) {
      return KubernetesName{std::string(stem.substr(0, u1)), std::string(stem.substr(u1 + 1, u2 - u1 - 1)),
                            std::string(rest.substr(0, dash)), std::string(rest.substr(dash + 1))};
    }
  }

  // /var/log/pods/<namespace>_<pod>_<uid>/<container>/<restart>.log
  if (!isDigits(stem)) return std::nullopt;
  std::string_view container_dir = parentOf(path);
  std::string_view container = baseName(container_dir);
  std::string_view pod_dir = baseName(parentOf(container_dir));
  size_t p1 = pod_dir.find('_');
  size_t p2 = p1 == std::string_view::npos ? p1 : pod_dir.find('_', p1 + 1);
  if (container.empty() || p2 == std::string_view::npos || p1 == 0 || p2 == p1 + 1 || p2 + 1 >= pod_dir.size() ||
      pod_dir.find('_', p2 + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  return KubernetesName{std::string(pod_dir.substr(p1 + 1, p2 - p1 - 1)), std::string(pod_dir.substr(0, p1)),
                        std::string(container), ""};
}

Status validateSourceNameTemplate(std::string_view tmpl) {
  size_t pos = 0;
  while ((pos = tmpl.find('{', pos)) != std::string_view::npos) {
    size_t close = tmpl.find('}', pos);
    if (close == std::string_view::npos) return makeError("unclosed '{' in source_name '" + std::string(tmpl) + "'");
    std::string_view name = tmpl.substr(pos + 1, close - pos - 1);
    bool known = false;
    for (std::string_view p : kPlaceholders) known = known || p == name;
    if (!known) {
      return makeError("unknown placeholder {" + std::string(name) +
                       "} in source_name (known: {name} {file} {path} {pod} {namespace} {container})");
    }
    pos = close + 1;
  }
  return {};
}

std::string fileSourceName(std::string_view tmpl, std::string_view source_name, std::string_view path) {
  std::optional<KubernetesName> k8s = parseKubernetesPath(path);
  if (tmpl.empty()) {
    if (k8s) return k8s->pod + "/" + k8s->container;
    return std::string(baseName(path));
  }
  std::string out;
  size_t pos = 0;
  while (pos < tmpl.size()) {
    size_t open = tmpl.find('{', pos);
    size_t close = open == std::string_view::npos ? open : tmpl.find('}', open);
    if (close == std::string_view::npos) break;
    out.append(tmpl.substr(pos, open - pos));
    std::string_view name = tmpl.substr(open + 1, close - open - 1);
    if (name == "name") {
      out.append(source_name);
    } else if (name == "file") {
      out.append(baseName(path));
    } else if (name == "path") {
      out.append(path);
    } else if (name == "pod") {
      if (k8s) out.append(k8s->pod);
    } else if (name == "namespace") {
      if (k8s) out.append(k8s->namespace_name);
    } else if (name == "container") {
      if (k8s) out.append(k8s->container);
    } else {
      out.append(tmpl.substr(open, close - open + 1));
    }
    pos = close + 1;
  }
  out.append(tmpl.substr(pos));
  return out;
}

}  // namespace sluice::plugins::tail

#pragma once
// The name each tailed file gets as its SourceInfo instance (the PROCID unless a sink says otherwise). Kubernetes
// lays container logs out as
//   /var/log/containers/<pod>_<namespace>_<container>-<container id>.log  (symlinks to the next form)
//   /var/log/pods/<namespace>_<pod>_<pod uid>/<container>/<restart>.log
// and both name the pod and the container, so such a file is named "<pod>/<container>"; any other file is named
// after its base name. The `source_name` option replaces that with a template.
#include <optional>
#include <string>
#include <string_view>

#include "agent/core/result.h"

namespace sluice::plugins::tail {

struct KubernetesName {
  std::string pod;
  std::string namespace_name;
  std::string container;
  std::string container_id;   // "" in the /var/log/pods form
};

// The pod, namespace and container that a path names, when it has one of the two Kubernetes forms.
std::optional<KubernetesName> parseKubernetesPath(std::string_view path);

// Checks a `source_name` template: only {name}, {file}, {path}, {pod}, {namespace} and {container}.
Status validateSourceNameTemplate(std::string_view tmpl);

// The name of a file: the template expanded, or, when the template is empty, "<pod>/<container>" for Kubernetes
// paths and the file's base name otherwise.
std::string fileSourceName(std::string_view tmpl, std::string_view source_name, std::string_view path);

}  // namespace sluice::plugins::tail

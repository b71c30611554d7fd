// Issue 15: the Kubernetes manifests under conf/kubernetes/, read with yaml-cpp: the shape of every object (what the
// API server would refuse or what would not run as meant), the hardening of every Sluice container, and the Sluice
// configuration each one runs, checked by `sluice check` with the container's own environment.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "tests/e2e/e2e.h"

using namespace sluice;
using namespace sluice::e2e;

namespace {

namespace fs = std::filesystem;

std::string str(const YAML::Node& n) { return n && n.IsScalar() ? n.Scalar() : std::string(); }

const std::map<std::string, std::string> kApiVersions = {
    {"ServiceAccount", "v1"}, {"ConfigMap", "v1"},  {"Pod", "v1"},
    {"DaemonSet", "apps/v1"}, {"NetworkPolicy", "networking.k8s.io/v1"},
};

// The objects of one manifest file.
struct Manifest {
  std::string file;
  std::vector<YAML::Node> docs;

  YAML::Node find(const std::string& kind, const std::string& name) const {
    for (const YAML::Node& d : docs) {
      if (str(d["kind"]) == kind && str(d["metadata"]["name"]) == name) return d;
    }
    return YAML::Node(YAML::NodeType::Undefined);
  }
};

bool isSluice(const YAML::Node& container) { return str(container["image"]).find("sluice") != std::string::npos; }

// The command line a container runs: command, then args.
std::vector<std::string> commandLine(const YAML::Node& c) {
  std::vector<std::string> out;
  for (const char* key : {"command", "args"}) {
    if (c[key]) {
      for (const YAML::Node& a : c[key]) out.push_back(a.as<std::string>());
    }
  }
  return out;
}

std::string flagValue(const std::vector<std::string>& cmd, const std::string& flag) {
  for (size_t i = 0; i + 1 < cmd.size(); ++i) {
    if (cmd[i] == "--") break;
    if (cmd[i] == flag) return cmd[i + 1];
  }
  return {};
}

// The container's environment as `sluice check` should see it: values as written, those from a Secret or a field
// as a plausible stand-in.
std::map<std::string, std::string> containerEnv(const YAML::Node& c) {
  std::map<std::string, std::string> env;
  if (!c["env"]) return env;
  for (const YAML::Node& e : c["env"]) {
    const std::string name = str(e["name"]);
    REQUIRE(!name.empty());
    if (e["value"]) {
      env[name] = str(e["value"]);
    } else if (e["valueFrom"]["secretKeyRef"]) {
      REQUIRE(!str(e["valueFrom"]["secretKeyRef"]["name"]).empty());
      env[name] = "https://token:SECRET@logs.example.com/logs";
    } else {
      REQUIRE(!str(e["valueFrom"]["fieldRef"]["fieldPath"]).empty());
      env[name] = "node-1";
    }
  }
  return env;
}

void checkProbe(const YAML::Node& probe, const YAML::Node& container) {
  REQUIRE(probe.IsMap());
  if (probe["exec"]) {
    std::vector<std::string> cmd = probe["exec"]["command"].as<std::vector<std::string>>();
    REQUIRE(cmd.size() >= 2);
    CHECK(cmd[0] == "sluice");
    CHECK(cmd[1] == "health");
    return;
  }
  REQUIRE(probe["httpGet"]);
  const std::string path = str(probe["httpGet"]["path"]);
  CHECK((path == "/healthz" || path == "/readyz"));
  const std::string port = str(probe["httpGet"]["port"]);
  bool declared = false;
  if (container["ports"]) {
    for (const YAML::Node& p : container["ports"]) {
      declared = declared || str(p["name"]) == port || str(p["containerPort"]) == port;
    }
  }
  CHECK(declared);
}

// Hardening of a Sluice container: no privilege to gain, nothing to write but its volumes, no capability at all,
// the runtime's seccomp profile, and either a non-root user or uid 0 said out loud.
void checkSecurity(const YAML::Node& pod_spec, const YAML::Node& c) {
  const YAML::Node sc = c["securityContext"];
  REQUIRE(sc.IsMap());
  CHECK(str(sc["allowPrivilegeEscalation"]) == "false");
  CHECK(str(sc["readOnlyRootFilesystem"]) == "true");
  CHECK(str(sc["privileged"]) != "true");
  std::vector<std::string> drop = sc["capabilities"]["drop"].as<std::vector<std::string>>();
  CHECK(std::find(drop.begin(), drop.end(), "ALL") != drop.end());
  CHECK(!sc["capabilities"]["add"]);  // not even DAC_READ_SEARCH (README: open_by_handle_at)
  std::string seccomp = str(sc["seccompProfile"]["type"]);
  if (seccomp.empty()) seccomp = str(pod_spec["securityContext"]["seccompProfile"]["type"]);
  CHECK(seccomp == "RuntimeDefault");
  const bool non_root = str(sc["runAsNonRoot"]) == "true";
  CHECK((non_root || (str(sc["runAsNonRoot"]) == "false" && str(sc["runAsUser"]) == "0")));
  if (non_root) CHECK(str(sc["runAsUser"]) != "0");
}

struct Mounts {
  std::map<std::string, YAML::Node> volumes;  // by name
  std::map<std::string, YAML::Node> mounts;   // by mountPath
  bool writable(const std::string& path) const {
    auto it = mounts.find(path);
    return it != mounts.end() && str(it->second["readOnly"]) != "true";
  }
  YAML::Node volumeAt(const std::string& path) const { return volumes.at(str(mounts.at(path)["name"])); }
};

// The Sluice configuration a container runs with --config: the ConfigMap key mounted at that path, checked by
// `sluice check` with the container's environment; its state_dir is a writable volume.
void checkMountedConfig(const Manifest& m, const YAML::Node& c, const Mounts& mounts, const std::string& config_path,
                        Env& env, size_t& checked) {
  const fs::path p(config_path);
  INFO("--config " << config_path);
  REQUIRE(mounts.mounts.count(p.parent_path().string()) == 1);
  const YAML::Node volume = mounts.volumeAt(p.parent_path().string());
  REQUIRE(volume["configMap"]);
  const YAML::Node config_map = m.find("ConfigMap", str(volume["configMap"]["name"]));
  REQUIRE(config_map);
  const std::string text = str(config_map["data"][p.filename().string()]);
  REQUIRE(!text.empty());
  const std::string file = env.writeFile(fs::path(m.file).stem().string() + "-" + str(c["name"]) + ".yaml", text);
  auto opts = env.agent({"check", "--config", file});
  opts.env = containerEnv(c);
  AgentProcess check(opts);
  INFO(check.stderrText());
  CHECK(finish(check, 30s) == 0);
  ++checked;
  const std::string state_dir = str(YAML::Load(text)["agent"]["state_dir"]);
  CHECK(mounts.writable(state_dir));
  const YAML::Node state = mounts.volumeAt(state_dir);
  if (state["hostPath"]) CHECK(str(state["hostPath"]["type"]) == "DirectoryOrCreate");
  for (const YAML::Node& source : YAML::Load(text)["sources"]) {
    if (str(source["type"]) != "tail") continue;
    for (const YAML::Node& glob : source["paths"]) {
      INFO("tail path " << str(glob));
      CHECK(mounts.mounts.count(fs::path(str(glob)).parent_path().string()) == 1);
    }
  }
}

void checkContainer(const Manifest& m, const YAML::Node& pod_spec, const YAML::Node& c, Mounts mounts, Env& env,
                    size_t& checked) {
  INFO("container " << str(c["name"]));
  CHECK(!str(c["name"]).empty());
  CHECK(!str(c["image"]).empty());
  CHECK(!str(c["resources"]["requests"]["cpu"]).empty());
  CHECK(!str(c["resources"]["requests"]["memory"]).empty());
  CHECK(!str(c["resources"]["limits"]["memory"]).empty());
  if (c["volumeMounts"]) {
    for (const YAML::Node& vm : c["volumeMounts"]) {
      INFO("volumeMount " << str(vm["name"]));
      CHECK(mounts.volumes.count(str(vm["name"])) == 1);
      mounts.mounts[str(vm["mountPath"])] = vm;
    }
  }
  if (!isSluice(c)) return;
  checkProbe(c["livenessProbe"], c);
  checkProbe(c["readinessProbe"], c);
  checkSecurity(pod_spec, c);
  const std::vector<std::string> cmd = commandLine(c);
  if (const std::string config = flagValue(cmd, "--config"); !config.empty()) {
    checkMountedConfig(m, c, mounts, config, env, checked);
  } else {
    // Quick mode: the drain from the environment, the spool in a writable volume.
    CHECK(containerEnv(c).count("SLUICE_DRAIN_URL") == 1);
    CHECK(mounts.writable(flagValue(cmd, "--state-dir")));
  }
}

void checkPodSpec(const Manifest& m, const YAML::Node& spec, Env& env, size_t& checked) {
  REQUIRE(spec.IsMap());
  Mounts mounts;
  if (spec["volumes"]) {
    for (const YAML::Node& v : spec["volumes"]) {
      INFO("volume " << str(v["name"]));
      CHECK(mounts.volumes.emplace(str(v["name"]), v).second);
      if (v["configMap"]) CHECK(m.find("ConfigMap", str(v["configMap"]["name"])));
      if (v["hostPath"]) CHECK(str(v["hostPath"]["path"]).rfind('/', 0) == 0);
    }
  }
  if (spec["serviceAccountName"]) CHECK(m.find("ServiceAccount", str(spec["serviceAccountName"])));
  REQUIRE(spec["containers"].IsSequence());
  REQUIRE(spec["containers"].size() >= 1);
  for (const YAML::Node& c : spec["containers"]) checkContainer(m, spec, c, mounts, env, checked);
}

void checkDaemonSet(const YAML::Node& ds) {
  const YAML::Node match = ds["spec"]["selector"]["matchLabels"];
  REQUIRE(match.IsMap());
  REQUIRE(match.size() >= 1);
  const YAML::Node labels = ds["spec"]["template"]["metadata"]["labels"];
  for (auto it = match.begin(); it != match.end(); ++it) {
    INFO("selector " << str(it->first));
    CHECK(str(labels[str(it->first)]) == str(it->second));
  }
}

}  // namespace

TEST_CASE("every Kubernetes manifest is well formed, its Sluice containers hardened, their configs pass check",
          "[e2e][packaging]") {
  Env env;
  std::set<std::string> files, kinds;
  size_t checked = 0;
  for (const auto& e : fs::directory_iterator(std::string(SLUICE_SOURCE_DIR) + "/conf/kubernetes")) {
    if (e.path().extension() != ".yaml") continue;
    Manifest m{e.path().filename().string(), YAML::LoadAllFromFile(e.path().string())};
    files.insert(m.file);
    std::set<std::pair<std::string, std::string>> names;
    for (const YAML::Node& d : m.docs) {
      const std::string kind = str(d["kind"]);
      INFO(m.file << ": " << kind << " " << str(d["metadata"]["name"]));
      REQUIRE(kApiVersions.count(kind) == 1);
      CHECK(str(d["apiVersion"]) == kApiVersions.at(kind));
      CHECK(!str(d["metadata"]["name"]).empty());
      CHECK(names.emplace(kind, str(d["metadata"]["name"])).second);  // no object twice in a file
      kinds.insert(kind);
      if (kind == "ConfigMap") CHECK(d["data"].IsMap());
      if (kind == "ServiceAccount") CHECK(str(d["automountServiceAccountToken"]) == "false");
      if (kind == "Pod") checkPodSpec(m, d["spec"], env, checked);
      if (kind == "DaemonSet") {
        checkDaemonSet(d);
        checkPodSpec(m, d["spec"]["template"]["spec"], env, checked);
      }
      if (kind == "NetworkPolicy") CHECK(d["spec"]["podSelector"].IsMap());
    }
  }
  CHECK(files.count("daemonset.yaml") == 1);
  CHECK(files.count("sidecar.yaml") == 1);
  CHECK(files.count("wrapper.yaml") == 1);
  CHECK(kinds.count("DaemonSet") == 1);
  CHECK(checked >= 2);
}

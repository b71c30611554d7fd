// Issue 15: the Grafana dashboard (conf/grafana/sluice.json) and the Prometheus alert rules
// (conf/prometheus/sluice-alerts.yaml) query only metrics a running agent exports: every metric name in their
// PromQL is looked up in the live /metrics of an agent with a sink, a spool and traffic.
#include <yaml-cpp/yaml.h>

#include <regex>
#include <set>

#include "tests/e2e/admin_e2e.h"

using namespace sluice;
using namespace sluice::e2e;

namespace {

// Names queried that no agent's /metrics has: Prometheus' own `up`, and the application's metrics, which the agent
// exports only where it runs the application (the dashboard's panels for them say so when they are empty).
const std::set<std::string> kNotFromAgent = {"up"};
const std::set<std::string> kAppMetrics = {"sluice_app_cpu_seconds_total", "sluice_app_memory_rss_bytes",
                                           "sluice_app_open_fds"};

bool identStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':'; }
bool identChar(char c) { return identStart(c) || std::isdigit(static_cast<unsigned char>(c)); }

// Skips a quoted string starting at e[i]; returns the index after it.
size_t skipString(std::string_view e, size_t i) {
  const char quote = e[i++];
  while (i < e.size() && e[i] != quote) i += e[i] == '\\' && quote != '`' ? 2 : 1;
  return i + 1;
}

// Skips from an opening bracket at e[i] to after its closing one (strings inside included).
size_t skipGroup(std::string_view e, size_t i, char open, char close) {
  int depth = 0;
  while (i < e.size()) {
    const char c = e[i];
    if (c == '"' || c == '\'' || c == '`') {
      i = skipString(e, i);
      continue;
    }
    if (c == open) ++depth;
    if (c == close && --depth == 0) return i + 1;
    ++i;
  }
  return i;
}

// The metric names a PromQL expression selects: identifiers that are not in label matchers, ranges, strings or
// grouping lists, are not functions (followed by '(') and not keywords.
std::set<std::string> promqlMetricNames(std::string_view e) {
  static const std::set<std::string> kGrouping = {"by", "without", "on", "ignoring", "group_left", "group_right"};
  static const std::set<std::string> kKeywords = {"bool", "and", "or", "unless", "offset", "atan2", "inf", "nan"};
  std::set<std::string> out;
  size_t i = 0;
  while (i < e.size()) {
    const char c = e[i];
    if (c == '"' || c == '\'' || c == '`') {
      i = skipString(e, i);
    } else if (c == '{') {
      i = skipGroup(e, i, '{', '}');
    } else if (c == '[') {
      i = skipGroup(e, i, '[', ']');
    } else if (c == '$' || std::isdigit(static_cast<unsigned char>(c))) {
      for (++i; i < e.size() && (identChar(e[i]) || e[i] == '.'); ++i) {
      }
    } else if (identStart(c)) {
      size_t end = i;
      while (end < e.size() && identChar(e[end])) ++end;
      const std::string word(e.substr(i, end - i));
      size_t next = end;
      while (next < e.size() && e[next] == ' ') ++next;
      size_t after = next;
      while (after < e.size() && identChar(e[after])) ++after;
      const std::string_view following = e.substr(next, after - next);
      // A function, or an aggregation with its grouping first: `sum by (le) (...)`.
      const bool call = (next < e.size() && e[next] == '(') || following == "by" || following == "without";
      if (kGrouping.count(word) != 0 && call) {
        i = skipGroup(e, next, '(', ')');
        continue;
      }
      if (!call && kKeywords.count(word) == 0 && kGrouping.count(word) == 0) out.insert(word);
      i = end;
    } else {
      ++i;
    }
  }
  return out;
}

// The sample names of Prometheus text (histograms as their _bucket, _sum and _count series).
std::set<std::string> sampleNames(const std::string& text) {
  std::set<std::string> out;
  for (const std::string& line : splitLines(text)) {
    if (line.empty() || line[0] == '#') continue;
    out.insert(line.substr(0, line.find_first_of("{ ")));
  }
  return out;
}

void collectPanelExprs(const YAML::Node& panels, std::vector<std::string>& exprs, std::set<int>& ids) {
  for (const YAML::Node& p : panels) {
    INFO("panel " << p["title"].as<std::string>(""));
    CHECK(ids.insert(p["id"].as<int>()).second);
    CHECK(p["gridPos"]["w"].as<int>() > 0);
    if (p["type"].as<std::string>() == "row") {
      if (p["panels"]) collectPanelExprs(p["panels"], exprs, ids);
      continue;
    }
    CHECK(p["datasource"]["uid"].as<std::string>() == "${datasource}");
    REQUIRE(p["targets"].IsSequence());
    REQUIRE(p["targets"].size() >= 1);
    for (const YAML::Node& t : p["targets"]) {
      CHECK(t["datasource"]["uid"].as<std::string>() == "${datasource}");
      exprs.push_back(t["expr"].as<std::string>());
    }
  }
}

// The dashboard's PromQL (panels and variables); checks its shape on the way.
std::vector<std::string> dashboardExprs() {
  // JSON is YAML: yaml-cpp reads the dashboard as it is.
  const YAML::Node dash = YAML::Load(readSource("conf/grafana/sluice.json"));
  CHECK(!dash["uid"].as<std::string>().empty());
  bool datasource_variable = false;
  std::vector<std::string> exprs;
  for (const YAML::Node& v : dash["templating"]["list"]) {
    if (v["type"].as<std::string>() == "datasource") {
      datasource_variable = v["name"].as<std::string>() == "datasource" && v["query"].as<std::string>() == "prometheus";
    } else {
      std::smatch m;
      const std::string def = v["definition"].as<std::string>();
      REQUIRE(std::regex_match(def, m, std::regex(R"(label_values\((.*), *[a-z_]+\))")));
      exprs.push_back(m[1].str());
    }
  }
  CHECK(datasource_variable);
  std::set<int> ids;
  collectPanelExprs(dash["panels"], exprs, ids);
  return exprs;
}

std::vector<std::string> alertExprs() {
  const YAML::Node rules = YAML::Load(readSource("conf/prometheus/sluice-alerts.yaml"));
  std::vector<std::string> exprs;
  std::set<std::string> names;
  for (const YAML::Node& group : rules["groups"]) {
    CHECK(!group["name"].as<std::string>().empty());
    for (const YAML::Node& r : group["rules"]) {
      const std::string alert = r["alert"].as<std::string>();
      INFO("alert " << alert);
      CHECK(names.insert(alert).second);
      CHECK(std::regex_match(alert, std::regex("Sluice[A-Za-z]+")));
      if (r["for"]) CHECK(std::regex_match(r["for"].as<std::string>(), std::regex("[0-9]+[smh]")));
      const std::string severity = r["labels"]["severity"].as<std::string>();
      CHECK((severity == "warning" || severity == "critical"));
      CHECK(!r["annotations"]["summary"].as<std::string>().empty());
      CHECK(!r["annotations"]["description"].as<std::string>().empty());
      exprs.push_back(r["expr"].as<std::string>());
    }
  }
  // What issue 15 asks to be alerted on: the agent down or unhealthy, a sink failing, drops, the spool filling.
  for (const char* wanted : {"SluiceDown", "SluiceUnhealthy", "SluiceSinkFailing", "SluiceDropping", "SluiceSpoolFilling"}) {
    CHECK(names.count(wanted) == 1);
  }
  return exprs;
}

}  // namespace

TEST_CASE("the PromQL reader finds metric names, not labels, functions, keywords or variables", "[e2e][monitoring]") {
  CHECK(promqlMetricNames(R"(histogram_quantile(0.99, sum by (instance, le) (rate(x_bucket{job=~"$job",a="}b"}[$__rate_interval]))))") ==
        std::set<std::string>{"x_bucket"});
  CHECK(promqlMetricNames("count(a > 0) or vector(0)") == std::set<std::string>{"a"});
  CHECK(promqlMetricNames("b / on (instance) group_left (version) c > 0.8 unless d offset 5m") ==
        std::set<std::string>{"b", "c", "d"});
  CHECK(promqlMetricNames(R"(up{job="sluice"} == 0)") == std::set<std::string>{"up"});
  CHECK(promqlMetricNames("sum without (instance) (e) / max by(job) (f)") == std::set<std::string>{"e", "f"});
}

TEST_CASE("every metric the Grafana dashboard and the alert rules query is in a running agent's /metrics",
          "[e2e][monitoring]") {
  std::vector<std::string> exprs = dashboardExprs();
  const size_t dashboard_count = exprs.size();
  std::vector<std::string> alerts = alertExprs();
  exprs.insert(exprs.end(), alerts.begin(), alerts.end());
  REQUIRE(dashboard_count >= 20);

  // A sink with a spool, a drain that refuses the first batch (errors, retries), and traffic.
  Env env;
  TestDrain drain(env.drainOptions());
  drain.failNext(1, 503);
  AgentProcess agent(env.agent({"--config", adminConfig(env, drain, "", "  - name: web-1\n    type: stdin\n",
                                                        "    buffer:\n      disk: 16MiB\n      mode: always\n")}));
  const uint16_t port = apiPort(agent);
  REQUIRE(agent.write(numberedLines(0, 200, 40)));
  REQUIRE(drain.waitForMessages(200, 60s));
  auto r = httpGet(port, "/metrics");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  const std::set<std::string> live = sampleNames(r->body);
  std::string live_names;
  for (const std::string& n : live) live_names += n + " ";
  INFO("in /metrics: " << live_names);

  std::set<std::string> used;
  for (const std::string& e : exprs) {
    INFO("expr: " << e);
    const std::set<std::string> names = promqlMetricNames(e);
    CHECK(!names.empty());
    for (const std::string& name : names) {
      INFO("metric " << name);
      used.insert(name);
      CHECK((live.count(name) == 1 || kNotFromAgent.count(name) == 1 || kAppMetrics.count(name) == 1));
    }
  }
  // The exceptions are all in use: the list cannot grow stale and hide a typo.
  for (const std::string& name : kAppMetrics) CHECK(used.count(name) == 1);
  for (const std::string& name : kNotFromAgent) CHECK(used.count(name) == 1);
  // What the dashboard must show (issue 15): throughput in and out, errors, drops, buffers, latency.
  for (const char* name : {"sluice_component_received_events_total", "sluice_component_sent_events_total",
                           "sluice_component_errors_total", "sluice_component_dropped_events_total",
                           "sluice_buffer_bytes", "sluice_buffer_events", "sluice_buffer_disk_bytes",
                           "sluice_delivery_latency_seconds_bucket"}) {
    CHECK(used.count(name) == 1);
  }
  CHECK(metricValue(r->body, "sluice_buffer_disk_max_bytes{component_id=\"drain\"") == 16 << 20);
  agent.closeStdin();
  CHECK(finish(agent) == 0);
}

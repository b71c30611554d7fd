// The clf_json sink: access-log lines read by the agent, written as NDJSON to a file, stdout or HTTP.
#include <cstdio>
#include <filesystem>

#include "tests/e2e/e2e.h"
#include "tests/support/ndjson_receiver.h"

using namespace sluice;
using namespace sluice::e2e;

namespace {

const char* kStatuses[] = {"200", "200", "200", "200", "200", "304", "404", "500", "301", "200", "201", "503", "200"};

// `count` access-log lines (combined format) with a known mix of statuses.
std::string accessLog(size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) {
    const char* status = kStatuses[i * 7 % std::size(kStatuses)];
    out += "192.0.2." + std::to_string(i % 250 + 1) + " - - [10/Mar/2020:12:24:" + (i % 60 < 10 ? "0" : "") +
           std::to_string(i % 60) + " +0100] \"GET /page/" + std::to_string(i) + " HTTP/1.1\" " + status + " " +
           std::to_string(i * 13 % 5000) + " \"-\" \"test-agent/1.0\"\n";
  }
  return out;
}


// Runs a shell pipeline and returns its standard output.
std::string shell(const std::string& command) {
  FILE* p = ::popen(command.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  CHECK(::pclose(p) == 0);
  return out;
}

std::string clfConfig(const Env& env, const std::string& output, const std::string& extra = "") {
  return env.writeFile("sluice.yaml", "agent:\n  hostname: h\n  shutdown_timeout: 20s\nsources:\n  - name: web\n    type: stdin\n"
                                      "sinks:\n  - name: access\n    type: clf_json\n    output: \"" + output +
                                          "\"\n    batch: {max_messages: 200, linger: 10ms}\n"
                                          "    retry: {initial: 20ms, max: 200ms}\n" + extra);
}

}  // namespace

TEST_CASE("clf_json: `jq .sC | sort | uniq -c` on the output counts what counting the CLF input counts",
          "[e2e][clf_json]") {
  Env env;
  std::string input = env.writeFile("access.log", accessLog(5000));
  std::string out = env.dir.file("access.ndjson");
  auto opts = env.agent({"--config", clfConfig(env, out)});
  opts.stdin_file = input;
  AgentProcess agent(opts);
  CHECK(finish(agent, 60s) == 0);
  REQUIRE(splitLines(readFile(out)).size() == 5000);
  // The seed's pipeline on the JSON, and the same count taken straight from the CLF lines (field 9: the status).
  std::string from_json = shell("jq .sC '" + out + "' | sort | uniq -c");
  std::string from_clf = shell("awk '{print $9}' '" + input + "' | sort | uniq -c");
  CHECK(from_json == from_clf);
  CHECK(from_json.find(" 200\n") != std::string::npos);
  // Every line is one JSON object with the seed's names.
  CHECK(shell("jq -c 'select(.ipS and .t and .vb == \"GET\" and .path and .sT) | .sC' '" + out + "' | wc -l") ==
        "5000\n");
}

TEST_CASE("clf_json: lines that are not access-log lines are written raw, and counted", "[e2e][clf_json]") {
  Env env;
  std::string out = env.dir.file("access.ndjson");
  AgentProcess agent(env.agent({"--config", clfConfig(env, out)}));
  REQUIRE(agent.write(accessLog(3) + "starting server on :8080\n" + accessLog(1) + "\xff\xfe oops\n"));
  agent.closeStdin();
  CHECK(finish(agent, 30s) == 0);
  auto lines = splitLines(readFile(out));
  REQUIRE(lines.size() == 6);
  CHECK(lines[3] == "{\"raw\":\"starting server on :8080\"}");
  CHECK(lines[5] == "{\"raw\":\"\\\\xff\\\\xfe oops\"}");
  CHECK(agent.stderrText().find("sink access: 2 unparsed lines sent as raw") != std::string::npos);
}

TEST_CASE("clf_json: unparsed: drop leaves such lines out, and counts them", "[e2e][clf_json]") {
  Env env;
  std::string out = env.dir.file("access.ndjson");
  AgentProcess agent(env.agent({"--config", clfConfig(env, out, "    unparsed: drop\n")}));
  REQUIRE(agent.write("noise\n" + accessLog(2) + "more noise\n"));
  agent.closeStdin();
  CHECK(finish(agent, 30s) == 0);
  CHECK(splitLines(readFile(out)).size() == 2);
  CHECK(agent.stderrText().find("sink access: 2 unparsed lines left out") != std::string::npos);
}

TEST_CASE("clf_json: output \"-\" writes Elastic Common Schema lines to standard output", "[e2e][clf_json]") {
  Env env;
  AgentProcess agent(env.agent({"--config", clfConfig(env, "-", "    schema: ecs\n")}));
  REQUIRE(agent.write(accessLog(2)));
  agent.closeStdin();
  CHECK(finish(agent, 30s) == 0);
  auto lines = splitLines(agent.stdoutText());
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].rfind("{\"@timestamp\":\"2020-03-10T11:24:00.000000Z\",\"source\":{\"address\":\"192.0.2.1\"", 0) == 0);
  CHECK(lines[0].find("\"response\":{\"status_code\":200") != std::string::npos);
  CHECK(lines[0].find("\"user_agent\":{\"original\":\"test-agent/1.0\"}") != std::string::npos);
}

TEST_CASE("clf_json: the output file is reopened on SIGHUP", "[e2e][clf_json]") {
  Env env;
  std::string out = env.dir.file("access.ndjson");
  AgentProcess agent(env.agent({"--config", clfConfig(env, out)}));
  REQUIRE(agent.write(accessLog(1)));
  REQUIRE(waitFor([&] { return !readFile(out).empty(); }, 30s));
  REQUIRE(std::rename(out.c_str(), (out + ".1").c_str()) == 0);
  agent.signal(SIGHUP);
  REQUIRE(waitFor([&] { return std::filesystem::exists(out); }, 30s));
  REQUIRE(agent.write(accessLog(2)));
  agent.closeStdin();
  CHECK(finish(agent, 30s) == 0);
  CHECK(splitLines(readFile(out + ".1")).size() == 1);
  CHECK(splitLines(readFile(out)).size() == 2);
}

TEST_CASE("clf_json: an https output gets NDJSON POSTs, retried like the drain's", "[e2e][clf_json]") {
  Env env;
  NdjsonReceiver::Options o;
  o.tls = true;
  o.cert_file = env.certs.server_cert;
  o.key_file = env.certs.server_key;
  o.expected_auth = "Basic dG9rZW46U0VDUkVU";  // token:SECRET
  NdjsonReceiver receiver(o);
  receiver.failNext(2, 503);
  std::string url = receiver.url();
  url.insert(url.find("://") + 3, "token:SECRET@");
  AgentProcess agent(env.agent({"--config", clfConfig(env, url, "    max_in_flight: 1\n    tls: {ca_file: " +
                                                                    env.certs.ca_cert + "}\n")}));
  REQUIRE(agent.write(accessLog(500)));
  agent.closeStdin();
  CHECK(finish(agent, 60s) == 0);
  CHECK(receiver.protocolErrors().empty());
  auto lines = receiver.lines();
  REQUIRE(lines.size() == 500);
  for (size_t i = 0; i < lines.size(); ++i) {
    INFO(lines[i]);
    REQUIRE(lines[i].find("\"path\":\"/page/" + std::to_string(i) + "\"") != std::string::npos);
  }
  CHECK(receiver.requests() >= 3);
  CHECK(agent.stderrText().find("HTTP 503") != std::string::npos);
}

#include "agent/core/clock.h"
#include "tests/e2e/tail_e2e.h"

using namespace sluice;
using namespace sluice::e2e;

namespace {

struct Message {
  int pri = 0;
  std::string timestamp;
  std::string procid;
  std::string body;
};

Message parse(const std::string& m) {
  Message out;
  out.pri = std::stoi(m.substr(1, m.find('>') - 1));
  std::vector<std::string> f;
  size_t pos = 0;
  for (int i = 0; i < 6; ++i) {
    size_t sp = m.find(' ', pos);
    f.push_back(m.substr(pos, sp - pos));
    pos = sp + 1;
  }
  out.timestamp = f[1];
  out.procid = f[4];
  out.body = std::string(syslogBody(m));
  return out;
}

const std::string kId1(64, 'a');
const std::string kId2 = std::string(63, '0') + "f";

}  // namespace

TEST_CASE("tail: Kubernetes symlinks to docker and CRI files give pod/container names, container times and stderr severity", "[e2e][tail]") {
  Env env;
  TestDrain drain(env.drainOptions());
  namespace fs = std::filesystem;
  const std::string pods = env.dir.file("pods"), containers = env.dir.file("containers");
  fs::create_directories(pods + "/shop_web-1_11111111-2222/nginx");
  fs::create_directories(pods + "/shop_api-7f9c_33333333-4444/app");
  fs::create_directories(containers);
  const std::string docker_file = pods + "/shop_web-1_11111111-2222/nginx/0.log";
  const std::string cri_file = pods + "/shop_api-7f9c_33333333-4444/app/0.log";
  fs::create_symlink(docker_file, containers + "/web-1_shop_nginx-" + kId1 + ".log");
  fs::create_symlink(cri_file, containers + "/api-7f9c_shop_app-" + kId2 + ".log");

  auto docker = std::make_unique<LogWriter>(docker_file);
  docker->write(R"({"log":"GET /index.html 200\n","stream":"stdout","time":"2024-05-01T10:00:00.123456789Z"})" "\n"
                R"({"log":"upstream timed out \"api\"\n","stream":"stderr","time":"2024-05-01T10:00:01.5Z"})" "\n"
                R"({"log":"a long line in ","stream":"stdout","time":"2024-05-01T10:00:02.000000100Z"})" "\n"
                R"({"log":"two parts: caf\u00e9\n","stream":"stdout","time":"2024-05-01T10:00:02.000000200Z"})" "\n");
  auto cri = std::make_unique<LogWriter>(cri_file);
  cri->write("2024-05-01T10:00:03.000000001Z stdout F started\n"
             "2024-05-01T10:00:04.2500004Z stderr P warn: part one, \n"
             "2024-05-01T10:00:05Z stderr F part two\n"
             "2024-05-01T12:00:06.25+02:00 stdout F in UTC+2\n");

  std::string source = tailSource("[\"" + containers + "/*.log\"]");
  AgentProcess agent(env.agent({"--config", env.config(drain, "", "", source)}));
  REQUIRE(drain.waitForMessages(6, 30s));

  // The kubelet rotates 0.log to 0.log.<timestamp> and creates a new 0.log; the symlink keeps its target path.
  cri->rotateByRename(cri_file + ".20240501-100010");
  cri->write("2024-05-01T10:00:10Z stdout F after rotation\n");
  REQUIRE(drain.waitForMessages(7, 30s));
  CHECK(terminateAndFinish(agent) == 0);
  CHECK(drain.protocolErrors().empty());

  std::map<std::string, Message> by_body;
  for (const auto& m : drain.messages()) {
    Message p = parse(m);
    by_body[p.body] = p;
  }
  REQUIRE(by_body.size() == 7);
  auto expect = [&](const std::string& body, const std::string& procid, const std::string& ts, int pri) {
    INFO(body);
    REQUIRE(by_body.count(body) == 1);
    CHECK(by_body[body].procid == procid);
    CHECK(by_body[body].timestamp == ts);
    CHECK(by_body[body].pri == pri);
  };
  expect("GET /index.html 200", "web-1/nginx", "2024-05-01T10:00:00.123457Z", 190);
  expect("upstream timed out \"api\"", "web-1/nginx", "2024-05-01T10:00:01.500000Z", 187);
  expect("a long line in two parts: caf\xc3\xa9", "web-1/nginx", "2024-05-01T10:00:02.000000Z", 190);
  expect("started", "api-7f9c/app", "2024-05-01T10:00:03.000000Z", 190);
  expect("warn: part one, part two", "api-7f9c/app", "2024-05-01T10:00:04.250000Z", 187);  // the first part's time
  expect("in UTC+2", "api-7f9c/app", "2024-05-01T10:00:06.250000Z", 190);
  expect("after rotation", "api-7f9c/app", "2024-05-01T10:00:10.000000Z", 190);
}

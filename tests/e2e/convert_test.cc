// `sluice convert`: the clf_json sink's code on standard input and output.
#include "tests/e2e/e2e.h"

using namespace sluice;
using namespace sluice::e2e;

namespace {

const std::string kFixtures = std::string(SLUICE_SOURCE_DIR) + "/tests/fixtures/clf/";


struct Run {
  int status;
  std::string out;
  std::string err;
};

Run convert(const Env& env, std::vector<std::string> args, const std::string& input_file) {
  args.insert(args.begin(), "convert");
  auto o = env.agent(args);
  o.stdin_file = input_file;
  AgentProcess p(o);
  int status = finish(p, 30s);
  return {status, p.stdoutText(), p.stderrText()};
}

}  // namespace

TEST_CASE("sluice convert --from clf --to json writes the golden NDJSON, in both schemas", "[e2e][clf_json]") {
  Env env;
  for (std::string name : {"variants", "odd", "malformed"}) {
    Run compact = convert(env, {"--from", "clf", "--to", "json"}, kFixtures + name + ".log");
    CHECK(compact.status == 0);
    CHECK(compact.out == readFile(kFixtures + name + ".compact.ndjson"));
    Run ecs = convert(env, {"--from", "clf", "--to", "json", "--schema", "ecs"}, kFixtures + name + ".log");
    CHECK(ecs.status == 0);
    CHECK(ecs.out == readFile(kFixtures + name + ".ecs.ndjson"));
  }
  Run malformed = convert(env, {"--from", "clf", "--to", "json"}, kFixtures + "malformed.log");
  CHECK(malformed.err.find("17 lines were not access-log lines") != std::string::npos);
}

TEST_CASE("sluice convert --from json --to clf gives back the access log", "[e2e][clf_json]") {
  Env env;
  Run back = convert(env, {"--from", "json", "--to", "clf"}, kFixtures + "variants.ecs.ndjson");
  CHECK(back.status == 0);
  CHECK(back.out == readFile(kFixtures + "variants.log"));
}

TEST_CASE("sluice convert reports JSON lines it cannot convert back, with their numbers, and exits 1",
          "[e2e][clf_json]") {
  Env env;
  std::string in = env.writeFile("in.ndjson", readFile(kFixtures + "variants.compact.ndjson").substr(0, 0) +
                                                  "{\"t\":\"2020-03-10T11:24:34Z\",\"ipS\":\"1.2.3.4\",\"sC\":200,\"bOut\":1}\n"
                                                  "not json\n\n{\"sC\":200}\n");
  Run r = convert(env, {"--from", "json", "--to", "clf"}, in);
  CHECK(r.status == 1);
  CHECK(r.out == "1.2.3.4 - - [10/Mar/2020:11:24:34 +0000] \"-\" 200 1\n");
  CHECK(r.err.find("line 2: not JSON") != std::string::npos);
  CHECK(r.err.find("line 4: no \"t\"") != std::string::npos);
}

TEST_CASE("sluice convert refuses what it does not know, exit 2", "[e2e][clf_json]") {
  Env env;
  std::string in = env.writeFile("empty", "");
  CHECK(convert(env, {"--from", "xml", "--to", "json"}, in).status == 2);
  CHECK(convert(env, {"--from", "clf", "--to", "json", "--schema", "otel"}, in).status == 2);
  CHECK(convert(env, {"--from", "clf"}, in).status == 2);
}

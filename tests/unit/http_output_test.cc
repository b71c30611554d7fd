// HttpOutput, the output every HTTP sink composes, against the test drain (real HTTPS on 127.0.0.1:0): the verdict
// on each answer, Retry-After, the credentials, and what a sink leaves to it.
#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <optional>

#include "agent/config/http_options.h"
#include "agent/sink/http_output.h"
#include "tests/support/certs.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_drain.h"
#include "tests/support/wait.h"

using namespace sluice;
using namespace std::chrono_literals;

namespace {

struct Fixture {
  TempDir dir{"sluice-http-output"};
  TestCerts certs;
  std::optional<TestDrain> drain;
  Loop loop;

  Fixture() {
    auto made = makeTestCerts(dir.path());
    REQUIRE(made.ok());
    certs = *made;
    TestDrain::Options o;
    o.cert_file = certs.server_cert;
    o.key_file = certs.server_key;
    drain.emplace(o);
  }
  ~Fixture() { CHECK(loop.close() == 0); }

  // The settings an HTTP sink would read: the drain's URL (with its token:SECRET@) and `yaml` (the shared group).
  HttpClientSettings settings(const std::string& url, const std::string& yaml = "{}") {
    ConfigErrors errors;
    YAML::Node node = YAML::Load(yaml);
    node["tls"]["ca_file"] = certs.ca_cert;
    OptionValues values = parseOptions(node, Mark{"test.yaml", 1, 1}, {kHttpClientOptions}, errors);
    Result<ParsedUrl> parsed = parseUrl(url);
    REQUIRE(parsed.ok());
    HttpClientSettings s = readHttpClientOptions(values, std::move(*parsed), errors);
    INFO(errors.joined());
    REQUIRE(errors.empty());
    return s;
  }

  std::unique_ptr<HttpOutput> output(HttpClientSettings s, HttpOutput::Compose compose = logplex) {
    auto out = HttpOutput::create(loop, "test", std::move(s), 2, std::move(compose));
    REQUIRE(out.ok());
    return std::move(*out);
  }

  // Delivers one batch and runs the loop until its verdict is in.
  Outcome deliver(HttpOutput& out, const Batch& batch) {
    std::optional<Outcome> outcome;
    out.deliver(batch, [&](Outcome o) { outcome = std::move(o); });
    REQUIRE(runLoopUntil(loop, [&] { return outcome.has_value(); }, 10s));
    return *outcome;
  }

  void stop(HttpOutput& out) {
    bool stopped = false;
    out.stop([&] { stopped = true; });
    REQUIRE(runLoopUntil(loop, [&] { return stopped; }, 10s));
  }

  // What the test drain wants besides the output's part: a logplex request.
  static void logplex(const Batch& batch, HttpPayload& p) {
    p.headers = {{"Content-Type", "application/logplex-1"},
                 {"Logplex-Msg-Count", std::to_string(batch.count)},
                 {"Logplex-Frame-Id", batch.frame_id}};
    p.body = batch.bytes.view();
  }
};

Batch batchOf(int messages, const std::string& frame_id = "frame-1") {
  Batch b;
  b.seq = 1;
  b.frame_id = frame_id;
  for (int i = 0; i < messages; ++i) {
    std::string msg = "<190>1 2024-05-01T10:00:00.000000Z host app web.1 - - line " + std::to_string(i);
    b.bytes.append(std::to_string(msg.size()) + " " + msg);
    ++b.count;
  }
  return b;
}

}  // namespace

TEST_CASE("an HTTP output delivers a batch on a 2xx, with the URL's credentials as basic auth", "[http_output]") {
  Fixture f;
  auto out = f.output(f.settings(f.drain->url()));
  Batch batch = batchOf(3);
  Outcome o = f.deliver(*out, batch);
  CHECK(o.verdict == Verdict::Delivered);
  CHECK(f.drain->messageCount() == 3);
  CHECK(f.drain->protocolErrors().empty());  // Authorization: Basic token:SECRET, User-Agent: sluice/...
  f.stop(*out);
}

TEST_CASE("an HTTP output sends the token as the basic-auth password, over the URL's", "[http_output]") {
  Fixture f;
  std::string url = "https://token:WRONG@127.0.0.1:" + std::to_string(f.drain->port()) + "/logs";
  auto out = f.output(f.settings(url, "{token: SECRET}"));
  Batch batch = batchOf(1);
  CHECK(f.deliver(*out, batch).verdict == Verdict::Delivered);

  auto wrong = f.output(f.settings(url));
  Outcome o = f.deliver(*wrong, batch);
  CHECK(o.verdict == Verdict::Rejected);  // the test drain answers a bad Authorization with 400
  CHECK(o.code == 400);
  CHECK(f.drain->messageCount() == 1);
  f.stop(*out);
  f.stop(*wrong);
}

TEST_CASE("an HTTP output retries a 429 and a 503 after their Retry-After", "[http_output]") {
  Fixture f;
  auto out = f.output(f.settings(f.drain->url()));
  Batch batch = batchOf(2);
  f.drain->failNext(1, 429, "7");
  f.drain->failNext(1, 503, "2");
  f.drain->failNext(1, 503);
  Outcome first = f.deliver(*out, batch);
  CHECK(first.verdict == Verdict::Retry);
  CHECK(first.code == 429);
  CHECK(first.retry_after == 7s);
  CHECK(first.reason == "HTTP 429: scripted failure");
  Outcome second = f.deliver(*out, batch);
  CHECK(second.verdict == Verdict::Retry);
  CHECK(second.code == 503);
  CHECK(second.retry_after == 2s);
  Outcome third = f.deliver(*out, batch);
  CHECK(third.verdict == Verdict::Retry);
  CHECK(third.retry_after == 0s);  // no Retry-After: the core's own backoff
  CHECK(f.deliver(*out, batch).verdict == Verdict::Delivered);
  CHECK(f.drain->messageCount() == 2);
  f.stop(*out);
}

TEST_CASE("an HTTP output rejects a 4xx other than 408 and 429", "[http_output]") {
  Fixture f;
  auto out = f.output(f.settings(f.drain->url()));
  Batch batch = batchOf(1);
  for (int status : {400, 401, 403, 404, 413}) {
    f.drain->failNext(1, status);
    Outcome o = f.deliver(*out, batch);
    CAPTURE(status);
    CHECK(o.verdict == Verdict::Rejected);
    CHECK(o.code == status);
  }
  f.drain->failNext(1, 408);
  CHECK(f.deliver(*out, batch).verdict == Verdict::Retry);
  CHECK(f.drain->messageCount() == 0);
  f.stop(*out);
}

TEST_CASE("an HTTP output retries when the drain cannot be reached", "[http_output]") {
  Fixture f;
  auto out = f.output(f.settings(f.drain->url()));
  f.drain->goDown();
  Batch batch = batchOf(1);
  Outcome o = f.deliver(*out, batch);
  CHECK(o.verdict == Verdict::Retry);
  CHECK(o.code == 0);
  f.stop(*out);
}

TEST_CASE("an HTTP output sends nothing for an empty body and calls the batch delivered", "[http_output]") {
  Fixture f;
  auto out = f.output(f.settings(f.drain->url()), [](const Batch&, HttpPayload& p) {
    p.encoded = std::make_shared<ByteBuffer>();  // every line left out
    p.body = p.encoded->view();
  });
  Batch batch = batchOf(2);
  CHECK(f.deliver(*out, batch).verdict == Verdict::Delivered);
  CHECK(f.drain->requestsArrived() == 0);
  f.stop(*out);
}

TEST_CASE("an HTTP request has the sink's headers, then basic auth, User-Agent and the configured ones",
          "[http_output]") {
  Fixture f;
  HttpClientSettings s = f.settings("https://token:SECRET@drain.example/logs?x=1", "{headers: {X-Env: prod}}");
  HttpPayload p;
  p.headers = {{"Content-Type", "application/x-ndjson"}};
  p.body = "{}\n";
  CHECK(encodeHttpRequest(s, p) ==
        "POST /logs?x=1 HTTP/1.1\r\n"
        "Host: drain.example\r\n"
        "Content-Type: application/x-ndjson\r\n"
        "Authorization: Basic dG9rZW46U0VDUkVU\r\n"
        "User-Agent: sluice/" SLUICE_VERSION "\r\n"
        "X-Env: prod\r\n"
        "Content-Length: 3\r\n"
        "\r\n"
        "{}\n");
  CHECK(s.url.redacted() == "https://drain.example/logs?x=1");  // the credentials left the URL
}

TEST_CASE("an answer's body is quoted in the verdict without the token", "[http_output]") {
  HttpResponse r;
  r.status = 401;
  r.body = "bad token SECRET\n";
  Outcome o = classifyHttpResponse(r, "SECRET", 0);
  CHECK(o.verdict == Verdict::Rejected);
  CHECK(o.reason == "HTTP 401: bad token ***.");
  r.status = 503;
  r.headers = {{"Retry-After", "Thu, 01 Jan 1970 00:01:40 GMT"}};
  CHECK(classifyHttpResponse(r, "SECRET", 40).retry_after == 60s);  // an HTTP date, 60 s after `now`
}

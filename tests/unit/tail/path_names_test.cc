#include <catch2/catch.hpp>

#include "plugins/tail/path_names.h"

using namespace sluice;
using namespace sluice::plugins::tail;

TEST_CASE("a /var/log/containers path names its pod and container") {
  auto k = parseKubernetesPath(
      "/var/log/containers/web-7d4b9c-x2x7q_shop_nginx-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.log");
  REQUIRE(k);
  CHECK(k->pod == "web-7d4b9c-x2x7q");
  CHECK(k->namespace_name == "shop");
  CHECK(k->container == "nginx");
  CHECK(k->container_id == "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  CHECK(fileSourceName("", "containers", "/var/log/containers/web-1_shop_side-car-abc123.log") == "web-1/side-car");
}

TEST_CASE("a /var/log/pods path names its pod and container") {
  auto k = parseKubernetesPath("/var/log/pods/shop_web-1_6f1c2b7a-1111-2222-3333-444455556666/nginx/0.log");
  REQUIRE(k);
  CHECK(k->pod == "web-1");
  CHECK(k->namespace_name == "shop");
  CHECK(k->container == "nginx");
  CHECK(fileSourceName("", "pods", "/var/log/pods/shop_web-1_6f1c2b7a-1111/nginx/3.log") == "web-1/nginx");
}

TEST_CASE("other paths are named after the file") {
  CHECK_FALSE(parseKubernetesPath("/var/log/syslog"));
  CHECK_FALSE(parseKubernetesPath("/var/log/app_x.log"));
  CHECK_FALSE(parseKubernetesPath("/var/log/a_b_c-notHex!.log"));
  CHECK_FALSE(parseKubernetesPath("/var/log/nginx/0.log"));
  CHECK(fileSourceName("", "logs", "/var/log/nginx/access.log") == "access.log");
  CHECK(fileSourceName("", "logs", "relative.log") == "relative.log");
}

TEST_CASE("source_name is a template") {
  const char* k8s = "/var/log/containers/web-1_shop_nginx-abc.log";
  CHECK(fileSourceName("{namespace}.{pod}.{container}", "c", k8s) == "shop.web-1.nginx");
  CHECK(fileSourceName("{name}:{file}", "c", "/x/y.log") == "c:y.log");
  CHECK(fileSourceName("{path}", "c", "/x/y.log") == "/x/y.log");
  CHECK(fileSourceName("{name}", "c", "/x/y.log") == "c");
  CHECK(fileSourceName("{pod}-", "c", "/x/y.log") == "-");
  CHECK(validateSourceNameTemplate("{name}/{file}").ok());
  CHECK_FALSE(validateSourceNameTemplate("{nope}").ok());
  CHECK_FALSE(validateSourceNameTemplate("{name").ok());
}

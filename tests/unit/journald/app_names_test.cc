// One SourceInfo per journal identifier, bounded: the least recently used goes, and the router hears of it so that
// the framers drop its cached header.
#include <catch2/catch.hpp>

#include <set>

#include "plugins/journald/app_names.h"

using namespace sluice;
using namespace sluice::plugins::journald;

TEST_CASE("journald: each identifier gets a SourceInfo of its own, the same one each time", "[journald]") {
  SourceInfo base{5, "sys", "journald"};
  std::vector<uint32_t> forgotten;
  AppNames names(base, [&](uint32_t id) { forgotten.push_back(id); });
  const SourceInfo& sshd = names.get("sshd");
  CHECK(sshd.app_name == "sshd");
  CHECK(sshd.name == "sys");
  CHECK(sshd.type == "journald");
  CHECK(sshd.instance.empty());
  CHECK(sshd.id != base.id);
  const SourceInfo& cron = names.get("cron");
  CHECK(cron.id != sshd.id);
  CHECK(&names.get("sshd") == &sshd);
  CHECK(&names.get("") == &base);   // no identifier: the source's own, app_name ""
  CHECK(names.size() == 2);
  CHECK(forgotten.empty());
}

TEST_CASE("journald: the identifiers are bounded, the least recently used one is evicted and forgotten",
          "[journald]") {
  SourceInfo base{5, "sys", "journald"};
  std::vector<uint32_t> forgotten;
  AppNames names(base, [&](uint32_t id) { forgotten.push_back(id); }, 3);
  const uint32_t a = names.get("a").id;
  const uint32_t b = names.get("b").id;
  names.get("c");
  names.get("a");   // used again: b is now the oldest
  names.get("d");
  CHECK(names.size() == 3);
  CHECK(forgotten == std::vector<uint32_t>{b});
  CHECK(names.get("a").id == a);
  CHECK(names.get("b").id != b);   // back, under a new id
  CHECK(names.evictions() == 2);
  std::set<uint32_t> live;
  for (const char* n : {"a", "b", "d"}) live.insert(names.get(n).id);
  CHECK(live.size() == 3);
  names.clear();
  CHECK(names.size() == 0);
  CHECK(forgotten.size() == 5);   // 2 evicted, then the 3 left
}

TEST_CASE("journald: 10,000 identifiers stay within the bound", "[journald]") {
  SourceInfo base{5, "sys", "journald"};
  size_t forgotten = 0;
  AppNames names(base, [&](uint32_t) { ++forgotten; });
  for (int i = 0; i < 10000; ++i) CHECK(names.get("app" + std::to_string(i)).app_name == "app" + std::to_string(i));
  CHECK(names.size() == AppNames::kDefaultCapacity);
  CHECK(forgotten == 10000 - AppNames::kDefaultCapacity);
  CHECK(names.get(std::string(1000, 'x')).app_name.size() == AppNames::kMaxAppName);
}

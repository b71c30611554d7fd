// libFuzzer target: `${VAR}` expansion, which every string of the config file goes through. It must never crash,
// read out of bounds or hang (defaults nest; the depth is bounded); a text with no `$` comes out as it is, and any
// text written with `$$` for each `$` comes out as that text.
#include <cstdlib>
#include <string>
#include <string_view>

#include "agent/config/env.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  sluice::fuzz::setCorpusEnv();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = sluice::fuzz::text(data, size);
  sluice::Result<std::string> out = sluice::expandEnv(text);
  if (!out.ok()) {
    FUZZ_CHECK(!out.error().message.empty());
  } else if (text.find('$') == std::string_view::npos) {
    FUZZ_CHECK(*out == text);
  }
  std::string escaped;
  for (char c : text) {
    escaped += c;
    if (c == '$') escaped += '$';
  }
  sluice::Result<std::string> literal = sluice::expandEnv(escaped);
  FUZZ_CHECK(literal.ok() && *literal == text);
  return 0;
}

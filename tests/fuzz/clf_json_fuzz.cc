// libFuzzer target: clf_json's JSON side. The input is read two ways:
// - as a JSON line, the way `sluice convert --from json` reads it (jsonToClf): never a crash, a hang or a read
//   out of bounds, whatever the nesting, and an error always says why;
// - as an access-log line: encoded to JSON in both schemas (the sink's output, `convert --to json`) and read back,
//   it gives exactly the line the access-log writer gives for the same fields (the README's round trip).
#include <string>
#include <string_view>

#include "agent/formats/access_line.h"
#include "agent/formats/clf_json_codec.h"
#include "tests/fuzz/fuzz_check.h"

namespace cj = sluice;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = sluice::fuzz::text(data, size);
  std::string out, why;
  if (cj::jsonToClf(in, out, &why)) {
    FUZZ_CHECK(why.empty());
  } else {
    FUZZ_CHECK(!why.empty());
  }

  sluice::AccessFields f;
  if (!sluice::parseAccessLine(in, &f)) {
    for (cj::Schema schema : {cj::Schema::Compact, cj::Schema::Ecs}) {
      // A line that is not an access line travels as {"raw": ...} and comes back as it was.
      if (in.find_first_of("\r\n") != std::string_view::npos) continue;
      cj::JsonEncoder encoder(schema);
      sluice::ByteBuffer json;
      encoder.encodeRaw(in, json);
      std::string back, reason;
      FUZZ_CHECK(cj::jsonToClf(json.view(), back, &reason));
      if (cj::validUtf8(in)) FUZZ_CHECK(back == in);
    }
    return 0;
  }
  std::string expected;
  sluice::formatAccessLine(f, expected);
  for (cj::Schema schema : {cj::Schema::Compact, cj::Schema::Ecs}) {
    cj::JsonEncoder encoder(schema);
    sluice::ByteBuffer json;
    encoder.encode(f, json);
    FUZZ_CHECK(json.view().find('\n') == std::string_view::npos);
    std::string back, reason;
    FUZZ_CHECK(cj::jsonToClf(json.view(), back, &reason));
    // Strings that are not UTF-8 are written as the text \xHH: those come back as that text, not the bytes.
    if (cj::validUtf8(in)) FUZZ_CHECK(back == expected);
  }
  return 0;
}

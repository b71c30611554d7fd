#include "agent/formats/ndjson_encoder.h"

#include "agent/formats/frame.h"
#include "agent/formats/syslog_header.h"

namespace sluice {

bool NdjsonEncoder::encodeLine(std::string_view line, ByteBuffer& out, NdjsonCounts& counts) {
  AccessFields fields;
  if (parseAccessLine(line, &fields)) {
    json_.encode(fields, out);
    out.push('\n');
    ++counts.lines;
    return true;
  }
  if (unparsed_ == Unparsed::Drop) {
    ++counts.unparsed_dropped;
    return false;
  }
  json_.encodeRaw(line, out);
  out.push('\n');
  ++counts.lines;
  ++counts.unparsed_raw;
  return false;
}

void NdjsonEncoder::encodeFrames(std::string_view frames, ByteBuffer& out, NdjsonCounts& counts) {
  // JSON is about twice the size of the line; reserve once per batch, not per line.
  out.reserve(out.size() + frames.size() * 2 + 64);
  for (std::string_view message : Frames(frames)) {
    SyslogHeader header;
    const char* error = nullptr;
    // A message without a valid header is taken whole.
    encodeLine(parseSyslogHeader(message, &header, &error) ? header.msg : message, out, counts);
  }
}

}  // namespace sluice

#include "agent/formats/logplex_body.h"

#include "agent/formats/frame.h"
#include "agent/formats/syslog_header.h"

namespace sluice {

Status parseLogplexBody(std::string_view body, std::vector<std::string_view>* messages, size_t max_messages) {
  if (body.empty()) return Error{"empty body: expected octet-counted RFC 5424 frames"};
  size_t offset = 0;
  size_t index = 0;
  while (offset < body.size()) {
    ++index;
    auto where = [&] { return "frame " + std::to_string(index) + " at byte " + std::to_string(offset) + ": "; };
    if (index > max_messages) return Error{where() + "more than " + std::to_string(max_messages) + " frames"};
    std::string_view msg;
    size_t used = 0;
    const char* error = "";
    FrameStatus st = parseFrame(body.substr(offset), &msg, &used, &error);
    if (st == FrameStatus::NeedMore) {
      return Error{where() + "the body ends inside the frame (truncated, or a length prefix larger than the frame)"};
    }
    if (st == FrameStatus::Malformed) return Error{where() + error};
    SyslogHeader header;
    if (!parseSyslogHeader(msg, &header, &error)) {
      return Error{where() + "not an RFC 5424 message (" + error + "); is the length prefix right?"};
    }
    messages->push_back(msg);
    offset += used;
  }
  return {};
}

}  // namespace sluice

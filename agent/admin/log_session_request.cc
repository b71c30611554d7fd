#include "agent/admin/log_session_request.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "agent/admin/log_filter.h"

namespace sluice {

Result<LogSessionRequest> parseLogSessionRequest(std::string_view body) {
  LogSessionRequest out;
  if (body.size() > kMaxLogSessionBody) {
    return Error{"the body is larger than " + std::to_string(kMaxLogSessionBody) + " bytes"};
  }
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return out;
  rapidjson::Document doc;
  // Iterative: the depth of a document never becomes the depth of the stack. Copied into a string first:
  // the view need not be terminated, and the parser reads by length only with kParseStopWhenDoneFlag off.
  std::string text(body);
  doc.Parse<rapidjson::kParseIterativeFlag>(text.c_str(), text.size());
  if (doc.HasParseError()) {
    return Error{std::string("the body is not valid JSON: ") + rapidjson::GetParseError_En(doc.GetParseError()) +
                 " at byte " + std::to_string(doc.GetErrorOffset())};
  }
  if (!doc.IsObject()) return Error{"the body must be a JSON object such as {\"lines\": 10, \"tail\": true}"};
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
    std::string_view key(it->name.GetString(), it->name.GetStringLength());
    const rapidjson::Value& v = it->value;
    if (key == "lines") {
      if (!v.IsUint64()) return Error{"'lines' must be a non-negative integer"};
      out.lines = v.GetUint64();
    } else if (key == "tail") {
      if (!v.IsBool()) return Error{"'tail' must be true or false"};
      out.tail = v.GetBool();
    } else if (key == "filter") {
      if (!v.IsString()) return Error{"'filter' must be a string"};
      out.filter.assign(v.GetString(), v.GetStringLength());
      if (out.filter.size() > LogFilter::kMaxPatternBytes) {
        return Error{"'filter' must be at most " + std::to_string(LogFilter::kMaxPatternBytes) + " bytes"};
      }
    } else {
      std::string shown(key.substr(0, 64));
      for (char& c : shown) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
      }
      return Error{"unknown field '" + shown + "' (the fields are lines, tail and filter)"};
    }
  }
  return out;
}

}  // namespace sluice

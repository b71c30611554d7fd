#include "plugins/kafka/record_encoder.h"

#include "agent/formats/syslog_header.h"
#include "agent/pipeline/rfc5424_framer.h"

namespace sluice::plugins::kafka {

RecordEncoder::RecordEncoder(std::string key_template, ValueFormat format)
    : template_(std::move(key_template)), format_(format) {
  if (template_.empty()) {
    key_kind_ = KeyKind::None;
  } else if (template_ == "{source}") {
    key_kind_ = KeyKind::Source;   // the usual case: a view of the frame, nothing built
  } else if (template_.find('{') == std::string::npos) {
    key_kind_ = KeyKind::Fixed;
  } else {
    key_kind_ = KeyKind::Template;
  }
}

void RecordEncoder::encode(std::string_view message, int64_t received_us, EncodedRecord& out) {
  SyslogHeader h;
  const char* err = nullptr;
  const bool parsed = parseSyslogHeader(message, &h, &err);
  out.source = parsed ? h.procid : std::string_view();
  out.has_key = key_kind_ != KeyKind::None;
  switch (key_kind_) {
    case KeyKind::None:
      out.key = {};
      break;
    case KeyKind::Source:
      out.key = out.source;
      break;
    case KeyKind::Fixed:
      out.key = template_;
      break;
    case KeyKind::Template:
      key_scratch_ = expandTemplate(template_, TemplateValues{.source = out.source,
                                                              .token = {},
                                                              .hostname = parsed ? h.hostname : std::string_view(),
                                                              .app_name = parsed ? h.app_name : std::string_view()});
      out.key = key_scratch_;
      break;
  }
  out.value_in_scratch = false;
  switch (format_) {
    case ValueFormat::Rfc5424:
      out.value = message;
      return;
    case ValueFormat::Raw:
      out.value = parsed ? h.msg : message;
      return;
    case ValueFormat::Ndjson: {
      LogLine line;
      line.received_us = received_us;
      line.source = out.source;
      line.preformatted = true;
      line.message = message;
      value_scratch_.clear();
      json_.append(line, LogFormat::Ndjson, value_scratch_);
      if (!value_scratch_.empty() && value_scratch_.back() == '\n') value_scratch_.pop_back();
      out.value = value_scratch_;
      out.value_in_scratch = true;
      return;
    }
  }
}

}  // namespace sluice::plugins::kafka

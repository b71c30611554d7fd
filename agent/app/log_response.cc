#include "agent/app/log_response.h"

#include <strings.h>

#include <algorithm>
#include <cstdio>

#include "agent/app/logs_command.h"

namespace sluice {
namespace {
constexpr size_t kMaxErrorBody = 4096;
}  // namespace

LogResponse::LogResponse(std::string format) : format_(std::move(format)) {
  llhttp_settings_init(&settings_);
  settings_.on_header_field = [](llhttp_t* p, const char* at, size_t n) {
    auto* self = static_cast<LogResponse*>(p->data);
    if (self->in_value_) self->field_.clear();
    self->in_value_ = false;
    self->field_.append(at, n);
    return 0;
  };
  settings_.on_header_value = [](llhttp_t* p, const char* at, size_t n) {
    auto* self = static_cast<LogResponse*>(p->data);
    self->in_value_ = true;
    if (self->field_.size() == 12 && strncasecmp(self->field_.data(), "content-type", 12) == 0) {
      self->sse_ = std::string_view(at, n).find("text/event-stream") != std::string_view::npos;
    }
    return 0;
  };
  settings_.on_headers_complete = [](llhttp_t* p) {
    static_cast<LogResponse*>(p->data)->status_ = p->status_code;
    return 0;
  };
  settings_.on_body = [](llhttp_t* p, const char* at, size_t n) {
    static_cast<LogResponse*>(p->data)->onBody(at, n);
    return 0;
  };
  settings_.on_message_complete = [](llhttp_t* p) {
    static_cast<LogResponse*>(p->data)->complete_ = true;
    return 0;
  };
  reset();
}

void LogResponse::reset() {
  llhttp_init(&parser_, HTTP_RESPONSE, &settings_);
  parser_.data = this;
  field_.clear();
  in_value_ = false;
  sse_ = false;
  status_ = 0;
  complete_ = false;
  error_body_.clear();
  events_.clear();
}

bool LogResponse::feed(const char* data, size_t len) { return llhttp_execute(&parser_, data, len) == HPE_OK; }

std::string LogResponse::errorBody() const {
  std::string body = error_body_;
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  return body;
}

void LogResponse::onBody(const char* at, size_t n) {
  if (status_ != 200) {
    if (error_body_.size() < kMaxErrorBody) error_body_.append(at, std::min(n, kMaxErrorBody - error_body_.size()));
    return;
  }
  std::string out;
  if (sse_) {
    events_.append(at, n);
    out = renderSseEvents(events_, format_, &last_id_);
  } else {
    out.assign(at, n);
  }
  if (out.empty()) return;
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
}

}  // namespace sluice

#include "agent/plugin/external_sink.h"

#include <spdlog/spdlog.h>

#include <cstring>

namespace sluice {

ExternalConfig::ExternalConfig(const ExternalPlugin& plugin, const OptionValues& values) : plugin_(plugin) {
  const size_t n = plugin.options.size();
  names_.reserve(n);
  texts_.reserve(n);
  values_.reserve(n);
  for (const OptionSpec& spec : plugin.options) {
    sluice_option_value v{};
    std::string text;
    switch (spec.type) {
      case OptionType::Bool:
        v.number = values.boolean(spec.name) ? 1 : 0;
        text = v.number != 0 ? "true" : "false";
        break;
      case OptionType::Int:
        v.number = values.integer(spec.name);
        text = std::to_string(v.number);
        break;
      case OptionType::Count:
        v.number = static_cast<int64_t>(values.count(spec.name));
        text = std::to_string(values.count(spec.name));
        break;
      case OptionType::Size:
        v.number = static_cast<int64_t>(values.size(spec.name));
        text = std::to_string(values.size(spec.name));
        break;
      case OptionType::Duration:
        v.number = values.duration(spec.name).count();
        text = std::to_string(v.number) + "ms";
        break;
      default:
        text = values.str(spec.name);
        break;
    }
    if (spec.name == "token" && (spec.type == OptionType::String || spec.type == OptionType::Secret)) token_ = text;
    v.is_set = values.isSet(spec.name) ? 1 : 0;
    names_.emplace_back(spec.name);
    texts_.push_back(std::move(text));
    values_.push_back(v);
  }
  bindViews();
}

ExternalConfig::ExternalConfig(const ExternalConfig& other)
    : PluginConfig(other),
      plugin_(other.plugin_),
      names_(other.names_),
      texts_(other.texts_),
      values_(other.values_),
      token_(other.token_) {
  bindViews();
}

void ExternalConfig::bindViews() {
  // The vectors are complete: their strings no longer move.
  for (size_t i = 0; i < values_.size(); ++i) {
    values_[i].name = names_[i].c_str();
    values_[i].text = texts_[i].c_str();
  }
  view_.values = values_.data();
  view_.count = values_.size();
}

namespace {

struct ReportContext {
  const ExternalPlugin* plugin;
  const OptionValues* values;
  ConfigErrors* errors;
  size_t reported = 0;
};

void reportProblem(void* ctx, const char* option, const char* message) {
  auto* r = static_cast<ReportContext*>(ctx);
  ++r->reported;
  std::string text = message != nullptr ? message : "invalid configuration";
  if (option != nullptr) {
    for (const OptionSpec& spec : r->plugin->options) {
      if (spec.name == option) {
        r->errors->add(r->values->mark(spec.name), std::string(option) + ": " + text);
        return;
      }
    }
  }
  r->errors->add(r->values->sectionMark(), text);
}

}  // namespace

std::unique_ptr<PluginConfig> validateExternal(const PluginDescriptor& self, const OptionValues& values,
                                               ConfigErrors& errors) {
  const auto* plugin = static_cast<const ExternalPlugin*>(self.context);
  auto config = std::make_unique<ExternalConfig>(*plugin, values);
  if (plugin->c->validate == nullptr) return config;
  ReportContext ctx{plugin, &values, &errors};
  int rc = plugin->c->validate(config->options(), &reportProblem, &ctx);
  if (rc != 0 && ctx.reported == 0) {
    errors.add(values.sectionMark(), "the plugin " + plugin->path + " refused this configuration (no reason given)");
  }
  if (rc != 0 || ctx.reported > 0) return nullptr;
  return config;
}

Result<std::unique_ptr<SinkTransport>> createExternalSink(const PluginConfig& base, SinkContext& context) {
  // The core keeps the configuration alive as long as the sink; the transport shares it (the option strings).
  auto config = std::make_shared<const ExternalConfig>(static_cast<const ExternalConfig&>(base));
  auto transport = std::make_unique<ExternalSinkTransport>(context.loop, context.name, std::move(config));
  Status st = transport->start();
  if (!st) return st.takeError();
  return std::unique_ptr<SinkTransport>(std::move(transport));
}

ExternalSinkTransport::ExternalSinkTransport(Loop& loop, std::string name,
                                             std::shared_ptr<const ExternalConfig> config)
    : loop_(loop),
      name_(std::move(name)),
      config_(std::move(config)),
      c_(config_->plugin().c),
      loop_thread_(uv_thread_self()),
      shared_(std::make_shared<Shared>()) {
  host_.abi_version = SLUICE_PLUGIN_ABI_VERSION;
  host_.sink_name = name_.c_str();
  host_.impl = this;
  host_.complete = &ExternalSinkTransport::hostComplete;
  host_.post = &ExternalSinkTransport::hostPost;
  host_.log = &ExternalSinkTransport::hostLog;
  host_.count = &ExternalSinkTransport::hostCount;
}

ExternalSinkTransport::~ExternalSinkTransport() {
  if (instance_ != nullptr) {
    if (!stopped_) stopPlugin();  // a start that failed later on: stop() never came
    c_->destroy(instance_);
    instance_ = nullptr;
  }
  closeShared();
}

Status ExternalSinkTransport::start() {
  int rc = async_.init(this, [&](uv_async_t* a) { return uv_async_init(loop_.get(), a, &ExternalSinkTransport::onAsync); });
  if (rc < 0) return makeError("sink " + name_ + ": " + uv_strerror(rc), rc);
  shared_->async = async_.get();
  char error[512] = {0};
  instance_ = c_->create(config_->options(), &host_, error, sizeof error);
  if (instance_ == nullptr) {
    error[sizeof error - 1] = '\0';
    closeShared();
    return makeError("sink " + name_ + ": the plugin " + config_->plugin().path + " could not start: " +
                     (error[0] != '\0' ? std::string(error) : std::string("no reason given")));
  }
  return {};
}

bool ExternalSinkTransport::onLoopThread() const {
  uv_thread_t self = uv_thread_self();
  return uv_thread_equal(&self, &loop_thread_) != 0;
}

void ExternalSinkTransport::deliver(const Batch& batch, DeliverCallback done) {
  if (stopped_ || instance_ == nullptr) {
    done(Outcome::retry("stopping"));
    return;
  }
  const uint64_t id = next_delivery_++;
  Pending& p = pending_.emplace(id, Pending{std::move(done), sluice_batch{}}).first->second;
  p.batch.bytes = batch.bytes.data();
  p.batch.size = batch.bytes.size();
  p.batch.frames = batch.count;
  p.batch.frame_id = batch.frame_id.c_str();
  p.batch.seq = batch.seq;
  c_->deliver(instance_, &p.batch, id);
}

void ExternalSinkTransport::complete(uint64_t delivery, int verdict, uint64_t retry_after_ms, std::string reason) {
  auto it = pending_.find(delivery);
  if (it == pending_.end()) {
    uint64_t suppressed = 0;
    if (misuse_log_.allow(&suppressed)) {
      spdlog::error("sink {}: the plugin {} completed delivery {}, which is not outstanding (completed twice?); "
                    "ignored{}", name_, config_->plugin().path, delivery,
                    suppressedNote(suppressed));
    }
    return;
  }
  DeliverCallback done = std::move(it->second.done);
  pending_.erase(it);
  switch (verdict) {
    case SLUICE_DELIVERED:
      done(Outcome::delivered());
      return;
    case SLUICE_REJECTED:
      done(Outcome::rejected(reason.empty() ? "rejected by the plugin" : std::move(reason)));
      return;
    case SLUICE_RETRY:
      done(Outcome::retry(reason.empty() ? "the plugin asked for a retry" : std::move(reason), 0,
                          std::chrono::milliseconds(static_cast<int64_t>(std::min<uint64_t>(retry_after_ms, 86400000)))));
      return;
    default:
      done(Outcome::retry("the plugin returned an unknown verdict " + std::to_string(verdict)));
      return;
  }
}

void ExternalSinkTransport::hostComplete(const sluice_host* host, uint64_t delivery, int verdict,
                                         uint64_t retry_after_ms, const char* reason) {
  auto* self = static_cast<ExternalSinkTransport*>(host->impl);
  std::string why = reason != nullptr ? reason : "";
  if (self->onLoopThread()) {
    self->complete(delivery, verdict, retry_after_ms, std::move(why));
    return;
  }
  // Another thread: the core's state belongs to the loop thread; hand the completion over.
  bool posted = self->postFn([self, delivery, verdict, retry_after_ms, why = std::move(why)]() mutable {
    self->complete(delivery, verdict, retry_after_ms, std::move(why));
  });
  if (!posted) {
    spdlog::error("sink {}: the plugin completed delivery {} after it was stopped; ignored", self->name_, delivery);
  }
}

bool ExternalSinkTransport::postFn(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(shared_->mu);
  if (shared_->closed || shared_->async == nullptr) return false;
  shared_->posted.push_back(std::move(fn));
  uv_async_send(shared_->async);
  return true;
}

int ExternalSinkTransport::hostPost(const sluice_host* host, void (*fn)(void*), void* arg) {
  auto* self = static_cast<ExternalSinkTransport*>(host->impl);
  if (fn == nullptr) return -1;
  return self->postFn([fn, arg] { fn(arg); }) ? 0 : -1;
}

void ExternalSinkTransport::hostLog(const sluice_host* host, int level, const char* message) {
  auto* self = static_cast<ExternalSinkTransport*>(host->impl);
  spdlog::level::level_enum l = spdlog::level::info;
  switch (level) {
    case SLUICE_LOG_DEBUG:
      l = spdlog::level::debug;
      break;
    case SLUICE_LOG_WARN:
      l = spdlog::level::warn;
      break;
    case SLUICE_LOG_ERROR:
      l = spdlog::level::err;
      break;
    default:
      break;
  }
  spdlog::log(l, "sink {}: {}", self->name_, message != nullptr ? message : "");
}

void ExternalSinkTransport::hostCount(const sluice_host* host, const char* what, uint64_t n) {
  auto* self = static_cast<ExternalSinkTransport*>(host->impl);
  std::string kind = what != nullptr && what[0] != '\0' ? what : "unnamed";
  if (self->onLoopThread()) {
    self->countEvent(kind, n);
    return;
  }
  self->postFn([self, kind = std::move(kind), n] { self->countEvent(kind, n); });
}

void ExternalSinkTransport::onAsync(uv_async_t* async) noexcept {
  auto* self = ownerOf<ExternalSinkTransport>(async);
  if (self != nullptr) self->runPosted();
}

void ExternalSinkTransport::runPosted() {
  for (;;) {
    std::deque<std::function<void()>> run;
    {
      std::lock_guard<std::mutex> lock(shared_->mu);
      run.swap(shared_->posted);
    }
    if (run.empty()) return;
    for (auto& fn : run) fn();
  }
}

void ExternalSinkTransport::stopPlugin() {
  stopped_ = true;
  if (instance_ != nullptr) c_->stop(instance_);
  // What the plugin posted before stop() returned still runs (completions, mostly); nothing is accepted after.
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    shared_->closed = true;
  }
  runPosted();
  while (!pending_.empty()) {
    auto it = pending_.begin();
    DeliverCallback done = std::move(it->second.done);
    pending_.erase(it);
    done(Outcome::retry("stopping"));
  }
}

void ExternalSinkTransport::closeShared() {
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    shared_->closed = true;
    shared_->async = nullptr;
    shared_->posted.clear();
  }
  async_.close();
}

void ExternalSinkTransport::stop(std::function<void()> done) {
  if (!stopped_) stopPlugin();
  closeShared();
  loop_.post(std::move(done));
}

void ExternalSinkTransport::reopen() {
  if (instance_ != nullptr && !stopped_ && c_->reopen != nullptr) c_->reopen(instance_);
}

}  // namespace sluice

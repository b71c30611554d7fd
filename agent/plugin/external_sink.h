#pragma once
// The C++ side of one loaded external plugin: its descriptor as the core sees it, its validated configuration
// and the SinkTransport that forwards batches across the C ABI.
#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/core/log.h"
#include "agent/loop/loop.h"
#include "agent/plugin/plugin.h"
#include "agent/sink/transport.h"
#include "agent/plugin/sluice_plugin.h"

namespace sluice {

struct ExternalPlugin {
  std::string path;                   // as found (for messages)
  void* handle = nullptr;             // dlopen's; never closed
  const sluice_sink_plugin* c = nullptr;
  std::vector<OptionSpec> options;    // views into the library's static strings
  PluginDescriptor descriptor;
};

// The option values as the C ABI hands them over; the strings live here, the views point into them.
class ExternalConfig : public PluginConfig {
 public:
  ExternalConfig(const ExternalPlugin& plugin, const OptionValues& values);
  ExternalConfig(const ExternalConfig& other);
  ExternalConfig& operator=(const ExternalConfig&) = delete;
  const ExternalPlugin& plugin() const { return plugin_; }
  const sluice_options* options() const { return &view_; }
  std::string token() const override { return token_; }

 private:
  void bindViews();  // points the C values at this object's strings

  const ExternalPlugin& plugin_;
  std::vector<std::string> names_;
  std::vector<std::string> texts_;
  std::vector<sluice_option_value> values_;
  sluice_options view_{};
  std::string token_;
};

std::unique_ptr<PluginConfig> validateExternal(const PluginDescriptor& self, const OptionValues& values,
                                               ConfigErrors& errors);
Result<std::unique_ptr<SinkTransport>> createExternalSink(const PluginConfig& config, SinkContext& context);

class ExternalSinkTransport : public SinkTransport {
 public:
  ExternalSinkTransport(Loop& loop, std::string name, std::shared_ptr<const ExternalConfig> config);
  ~ExternalSinkTransport() override;

  Status start();  // the plugin's create()
  void deliver(const Batch& batch, DeliverCallback done) override;
  void stop(std::function<void()> done) override;
  void reopen() override;

 private:
  // What other threads share with the loop thread: the posted functions and the wake-up handle. It outlives
  // the transport if a plugin thread still holds the host (it then finds `closed`).
  struct Shared {
    std::mutex mu;
    bool closed = false;
    std::deque<std::function<void()>> posted;
    uv_async_t* async = nullptr;  // owned by the transport's UvHandle; used under `mu` while !closed
  };

  static void hostComplete(const sluice_host* host, uint64_t delivery, int verdict, uint64_t retry_after_ms,
                           const char* reason);
  static int hostPost(const sluice_host* host, void (*fn)(void*), void* arg);
  static void hostLog(const sluice_host* host, int level, const char* message);
  static void hostCount(const sluice_host* host, const char* what, uint64_t n);
  static void onAsync(uv_async_t* async) noexcept;

  bool onLoopThread() const;
  bool postFn(std::function<void()> fn);
  void runPosted();
  void complete(uint64_t delivery, int verdict, uint64_t retry_after_ms, std::string reason);
  void closeShared();
  void stopPlugin();

  Loop& loop_;
  std::string name_;
  std::shared_ptr<const ExternalConfig> config_;
  const sluice_sink_plugin* c_;
  sluice_host host_{};
  void* instance_ = nullptr;
  uv_thread_t loop_thread_;
  std::shared_ptr<Shared> shared_;
  UvHandle<uv_async_t> async_;
  struct Pending {
    DeliverCallback done;
    sluice_batch batch;  // handed to the plugin: valid until the delivery completes (map nodes do not move)
  };
  std::map<uint64_t, Pending> pending_;
  uint64_t next_delivery_ = 1;
  bool stopped_ = false;
  RateLimitedLog misuse_log_;
};

}  // namespace sluice

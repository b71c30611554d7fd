#pragma once
// The local admin API (shared/ARCHITECTURE.md "Local API"): GET /healthz, /readyz, /metrics (Prometheus text),
// /logs (recent lines: dump, filter, live SSE/WebSocket streams; time windows from the archive). One HTTP/1.1
// server on the agent's loop, 127.0.0.1:8089 by default, with an optional Bearer token. It sees every routed
// line through the router's tap: a copy into the recent-lines ring (and the archive's buffer when it is on).
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "agent/admin/app_metrics.h"
#include "agent/admin/archive.h"
#include "agent/admin/live_streams.h"
#include "agent/admin/log_format.h"
#include "agent/admin/log_session_api.h"
#include "agent/admin/recent_lines.h"
#include "agent/admin/api_settings.h"
#include "agent/loop/loop.h"
#include "agent/net/http_server.h"
#include "agent/pipeline/router.h"
#include "agent/sink/sink_runner.h"
#include "agent/pipeline/source.h"

namespace sluice {

// What the API reads of the running agent.
struct AdminView {
  std::function<const std::vector<std::unique_ptr<Source>>&()> sources;
  std::function<const std::vector<std::unique_ptr<SinkRunner>>&()> sinks;
  std::function<bool()> stopping;
};

class AdminServer final : public Router::Tap {
 public:
  AdminServer(Loop& loop, ApiSettings settings, std::string state_dir, std::string hostname, AdminView view);
  ~AdminServer() override;
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Opens the archive (when on) and listens on api.listen.
  Status start();
  uint16_t port() const { return server_ ? server_->port() : 0; }

  // The hot path: every routed record.
  void onRecord(const Record& record) override {
    ring_.add(record);
    if (archive_) {
      archive_->add(record, lineSourceOf(record.source));
    }
  }

  // Shutdown: stops listening, ends the live streams cleanly, writes the archive's buffer, closes the
  // connections; `done` runs once all of that is over.
  void close(std::function<void()> done);

  std::string metricsText();

  struct WindowRun;

 private:
  void handle(HttpServerRequest&& request, HttpResponder responder);
  bool authorized(const HttpServerRequest& request) const;
  void healthz(HttpResponder& responder);
  void readyz(HttpResponder& responder);
  void logs(const HttpServerRequest& request, HttpResponder& responder);
  void window(const HttpServerRequest& request, HttpResponder& responder, const std::string* after,
              const std::string* before, LogFilter filter, LogFormat format);
  void nextChunk(const std::shared_ptr<WindowRun>& run);
  static void onCloseTimer(uv_timer_t* timer) noexcept;
  static void onWindowWait(uv_timer_t* timer) noexcept;
  void maybeClosed();

  Loop& loop_;
  ApiSettings settings_;
  std::string state_dir_;
  AdminView view_;
  std::string hostname_;
  LineFormatter formatter_;
  RecentLines ring_;
  std::unique_ptr<Archive> archive_;
  std::unique_ptr<LiveStreams> streams_;
  std::unique_ptr<LogSessionApi> log_sessions_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<AppMetrics> app_metrics_;
  std::set<std::shared_ptr<WindowRun>> runs_;
  bool closing_ = false;
  bool archive_closed_ = true;
  std::function<void()> on_closed_;
  UvHandle<uv_timer_t> close_timer_;
  uint64_t close_ticks_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sluice

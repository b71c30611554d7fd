// The agent's side of the admin API: created before the sources start (so it sees their first lines), closed
// once the agent has reported (it never keeps a finished agent alive).
#include <spdlog/spdlog.h>

#include "agent/admin/admin_server.h"
#include "agent/app/agent.h"

namespace sluice {

std::optional<Agent::StartError> Agent::startAdmin() {
  const ApiSettings& api = config_.api;
  if (api.listen.empty()) return std::nullopt;
  AdminView view;
  view.sources = [this]() -> const std::vector<std::unique_ptr<Source>>& { return sources_; };
  view.sinks = [this]() -> const std::vector<std::unique_ptr<SinkRunner>>& { return sinks_; };
  view.stopping = [this] { return shutting_down_; };
  admin_ = std::make_unique<AdminServer>(loop_, api, config_.agent.state_dir, config_.agent.hostname, std::move(view));
  Status st = admin_->start();
  if (!st) {
    admin_.reset();
    // The default address may be taken by another Sluice on this machine (several wrapped programs): the agent
    // runs on without its API. An address the config names must work.
    const std::string& key = config_.api_listen_key;
    const bool flag = key.starts_with("--");
    if (!api.listen_set && st.error().code == UV_EADDRINUSE) {
      spdlog::warn("{}; the admin API is off ({}, or {} to silence this)", st.error().message,
                   flag ? "start with " + key + " ADDR for another address (port 0: any free one)"
                        : "set " + key + " to another address",
                   flag ? key + " \"\"" : "\"\"");
      return std::nullopt;
    }
    std::string hint = st.error().code == UV_EADDRINUSE ? " (choose another address with " + key + ")" : "";
    return StartError{st.error().message + hint, kExitRuntimeError};
  }
  router_.setTap(admin_.get());
  return std::nullopt;
}

void Agent::closeAdmin() {
  if (!admin_) return;
  router_.setTap(nullptr);
  admin_->close([] {});
}

uint16_t Agent::adminPort() const { return admin_ ? admin_->port() : 0; }

}  // namespace sluice

#pragma once
#include <memory>

#include "agent/loop/loop.h"
#include "agent/net/http_client.h"
#include "agent/sink/transport.h"
#include "plugins/logplex_https/config.h"

namespace sluice::plugins::logplex_https {

// POSTs batches over a pool of keep-alive connections, one batch per connection at a time.
class LogplexTransport : public SinkTransport {
 public:
  LogplexTransport(Loop& loop, std::string name, LogplexConfig config, size_t max_connections,
                   std::shared_ptr<TlsContext> tls);
  ~LogplexTransport() override;

  void deliver(const Batch& batch, DeliverCallback done) override;
  void stop(std::function<void()> done) override;

 private:
  Loop& loop_;
  std::string name_;
  LogplexConfig config_;
  std::unique_ptr<HttpClient> client_;
  size_t in_flight_ = 0;
  std::function<void()> stop_done_;
};

}  // namespace sluice::plugins::logplex_https

#pragma once
// The log-session half of `sluice logs`: `--session` creates one (POST /log-sessions) and prints its URL;
// a URL argument reads one: a one-shot session's lines, or a tail session's lines and then its live stream,
// until the session is revoked or the agent stops (no reconnect: a session that ended is gone).
#include "agent/app/logs_command.h"

namespace sluice {

int createLogSession(const LogsOptions& options, const ApiEndpoint& endpoint);
int readLogSession(const LogsOptions& options);

}  // namespace sluice

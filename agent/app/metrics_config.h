#pragma once
// The metrics: section (what the app uses: GET /metrics/app): its option table and its settings.
#include <span>

#include "agent/admin/app_metrics_settings.h"
#include "agent/config/options.h"

namespace sluice {

std::span<const OptionSpec> metricsOptions();
// The settings from the section's validated values; bad values are added to `errors`.
void readMetricsSettings(const OptionValues& values, AppMetricsSettings& out, ConfigErrors& errors);

}  // namespace sluice

// GET /metrics: the component metrics of shared/ARCHITECTURE.md ("Metrics", after Vector's names) for every
// source and sink, the admin API's own, and the process's.
#include "agent/admin/admin_server.h"
#include "agent/admin/process_stats.h"
#include "agent/admin/prometheus.h"
#include "agent/core/clock.h"

namespace sluice {
namespace {

// Every family /metrics may show: name, Prometheus type, help. A family without samples is still declared, so
// that scrapers see the whole set from the first scrape.
constexpr PromFamily kFamilies[] = {
    {"sluice_component_received_events_total", "counter", "Lines (events) a component received."},
    {"sluice_component_received_bytes_total", "counter", "Bytes a source read."},
    {"sluice_component_sent_events_total", "counter", "Messages a sink delivered."},
    {"sluice_component_sent_bytes_total", "counter", "Frame bytes a sink delivered."},
    {"sluice_component_sent_batches_total", "counter", "Batches a sink delivered."},
    {"sluice_component_retries_total", "counter", "Batch deliveries retried."},
    {"sluice_component_split_events_total", "counter", "Lines longer than max_line_bytes, sent in pieces."},
    {"sluice_component_errors_total", "counter", "Errors by type (http_503, transport, unauthorized, ...)."},
    {"sluice_component_dropped_events_total", "counter", "Messages that will not be delivered, by reason."},
    {"sluice_component_plugin_events_total", "counter", "Messages a sink changed or left out on purpose (truncated or split datagrams, unparsed lines dropped, ...)."},
    {"sluice_component_files_open", "gauge", "Files a tail source holds open now."},
    {"sluice_component_files_tracked", "gauge", "Files a tail source follows, open or closed."},
    {"sluice_component_failing_seconds", "gauge", "How long a sink's deliveries have been failing (0: fine)."},
    {"sluice_component_kafka_brokers_up", "gauge", "Brokers a kafka sink's client is connected to (its statistics)."},
    {"sluice_component_kafka_outstanding_records", "gauge", "Records a kafka sink's client holds: queued, in flight or waiting for their delivery report."},
    {"sluice_component_kafka_request_rtt_microseconds", "gauge", "A kafka sink's average request round trip to its brokers (librdkafka's rtt.avg)."},
    {"sluice_buffer_bytes", "gauge", "Bytes held for a sink (open batch, queued, in flight)."},
    {"sluice_buffer_events", "gauge", "Messages queued or in flight for a sink."},
    {"sluice_buffer_disk_full", "gauge", "1 while a sink's spool has no disk space (batches wait in memory)."},
    {"sluice_buffer_disk_bytes", "gauge", "Bytes a sink's disk spool holds (records not yet acknowledged)."},
    {"sluice_buffer_disk_max_bytes", "gauge", "A sink's spool limit (buffer.disk): when disk_bytes reaches it, buffer.when_full applies."},
    {"sluice_delivery_latency_seconds", "histogram", "From receiving a line to its batch being delivered."},
    {"sluice_api_connections", "gauge", "Connections to the admin API open now."},
    {"sluice_api_connections_turned_away_total", "counter", "Admin API connections closed to make room (evicted: the one idle longest) or refused (all busy)."},
    {"sluice_api_recent_lines", "gauge", "Lines in the admin API's ring (GET /logs?n=)."},
    {"sluice_api_stream_clients", "gauge", "Live log streams (SSE and WebSocket) open now."},
    {"sluice_api_stream_dropped_events_total", "counter", "Lines live-stream clients missed by being slow."},
    {"sluice_api_archived_events_total", "counter", "Lines written to the local archive."},
    {"sluice_api_archive_dropped_events_total", "counter", "Lines not archived because the disk fell behind."},
    {"sluice_api_archive_bytes", "gauge", "Size of the local archive on disk."},
    {"sluice_build_info", "gauge", "The running version."},
    {"process_cpu_seconds_total", "counter", "User and system CPU time spent, in seconds."},
    {"process_resident_memory_bytes", "gauge", "Resident memory size in bytes."},
    {"process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes."},
    {"process_open_fds", "gauge", "Open file descriptors."},
    {"process_max_fds", "gauge", "The limit of open file descriptors."},
    {"process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch, in seconds."},
};

void declareFamilies(PrometheusText& p) {
  p.families(kFamilies);
}

void byKey(PrometheusText& p, std::string_view family, const PromLabels& labels, std::string_view key,
           const std::map<std::string, uint64_t>& values) {
  for (const auto& [k, v] : values) {
    PromLabels with = labels;
    with.emplace_back(key, k);
    p.sample(family, "", with, static_cast<double>(v));
  }
}

}  // namespace

std::string AdminServer::metricsText() {
  PrometheusText p;
  declareFamilies(p);
  for (const auto& source : view_.sources()) {
    const SourceInfo& info = source->info();
    const ComponentCounters& c = source->counters();
    PromLabels l{{"component_id", info.name}, {"component_kind", "source"}, {"component_type", info.type}};
    p.sample("sluice_component_received_events_total", "", l, static_cast<double>(c.received_events));
    p.sample("sluice_component_received_bytes_total", "", l, static_cast<double>(c.received_bytes));
    p.sample("sluice_component_split_events_total", "", l, static_cast<double>(c.split_lines));
    byKey(p, "sluice_component_errors_total", l, "error_type", c.errors);
    byKey(p, "sluice_component_dropped_events_total", l, "reason", c.dropped);
    for (const auto& [name, v] : c.gauges) p.sample("sluice_component_" + name, "", l, static_cast<double>(v));
  }
  const int64_t now = wallMicros();
  for (const auto& sink : view_.sinks()) {
    const ComponentCounters& c = sink->counters();
    PromLabels l{{"component_id", sink->name()}, {"component_kind", "sink"}, {"component_type", sink->settings().type}};
    p.sample("sluice_component_received_events_total", "", l, static_cast<double>(c.received_events));
    byKey(p, "sluice_component_plugin_events_total", l, "event", c.plugin_events);
    for (const auto& [name, v] : c.gauges) p.sample("sluice_component_" + name, "", l, static_cast<double>(v));
    p.sample("sluice_component_sent_events_total", "", l, static_cast<double>(c.sent_events));
    p.sample("sluice_component_sent_bytes_total", "", l, static_cast<double>(c.sent_bytes));
    p.sample("sluice_component_sent_batches_total", "", l, static_cast<double>(c.sent_batches));
    p.sample("sluice_component_retries_total", "", l, static_cast<double>(c.retries));
    byKey(p, "sluice_component_errors_total", l, "error_type", c.errors);
    // The usual reasons are always there, so a dashboard has a series before the first loss.
    std::map<std::string, uint64_t> dropped{{"buffer_full", 0}, {"rejected", 0}, {"shutdown", 0}};
    for (const auto& [k, v] : c.dropped) dropped[k] = v;
    byKey(p, "sluice_component_dropped_events_total", l, "reason", dropped);
    const int64_t since = sink->failingSinceUs();
    p.sample("sluice_component_failing_seconds", "", l, since != 0 ? static_cast<double>(now - since) / 1e6 : 0.0);
    p.sample("sluice_buffer_bytes", "", l, static_cast<double>(sink->bufferedBytes()));
    p.sample("sluice_buffer_events", "", l, static_cast<double>(sink->bufferedEvents()));
    if (sink->hasSpool()) {
      p.sample("sluice_buffer_disk_full", "", l, sink->spoolDiskFull() ? 1 : 0);
      p.sample("sluice_buffer_disk_bytes", "", l, static_cast<double>(sink->spoolBytes()));
      p.sample("sluice_buffer_disk_max_bytes", "", l, static_cast<double>(sink->settings().buffer_disk));
    }
    const LatencyHistogram& h = sink->latency();
    p.histogram("sluice_delivery_latency_seconds", l, LatencyHistogram::kBounds.data(), LatencyHistogram::kBounds.size(),
                h.buckets.data(), h.sum, h.count);
  }
  if (server_) {
    p.sample("sluice_api_connections", "", {}, static_cast<double>(server_->connectionCount()));
    p.sample("sluice_api_connections_turned_away_total", "", {{"reason", "evicted"}},
             static_cast<double>(server_->stats().evicted));
    p.sample("sluice_api_connections_turned_away_total", "", {{"reason", "refused"}},
             static_cast<double>(server_->stats().refused));
  }
  p.sample("sluice_api_recent_lines", "", {}, static_cast<double>(ring_.size()));
  p.sample("sluice_api_stream_clients", "", {}, static_cast<double>(streams_->clients()));
  p.sample("sluice_api_stream_dropped_events_total", "", {}, static_cast<double>(streams_->droppedTotal()));
  if (archive_) {
    p.sample("sluice_api_archived_events_total", "", {}, static_cast<double>(archive_->archivedLines()));
    p.sample("sluice_api_archive_dropped_events_total", "", {}, static_cast<double>(archive_->droppedLines()));
    p.sample("sluice_api_archive_bytes", "", {}, static_cast<double>(archive_->diskBytes()));
  }
  p.sample("sluice_build_info", "", {{"version", SLUICE_VERSION}}, 1);
  ProcessStats ps = readProcessStats();
  p.sample("process_cpu_seconds_total", "", {}, ps.cpu_seconds);
  p.sample("process_resident_memory_bytes", "", {}, static_cast<double>(ps.resident_bytes));
  p.sample("process_virtual_memory_bytes", "", {}, static_cast<double>(ps.virtual_bytes));
  p.sample("process_open_fds", "", {}, static_cast<double>(ps.open_fds));
  p.sample("process_max_fds", "", {}, static_cast<double>(ps.max_fds));
  p.sample("process_start_time_seconds", "", {}, ps.start_time_seconds);
  app_metrics_->appendPrometheus(p);
  return p.render();
}

}  // namespace sluice

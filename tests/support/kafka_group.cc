#include "tests/support/kafka_group.h"

#include <librdkafka/rdkafka.h>

#include <memory>

namespace sluice {
namespace {

struct RkDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
struct ListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const { rd_kafka_topic_partition_list_destroy(l); }
};

}  // namespace

int64_t GroupOffsets::committedTotal() const {
  int64_t n = 0;
  for (int64_t c : committed) n += c > 0 ? c : 0;
  return n;
}

int64_t GroupOffsets::endTotal() const {
  int64_t n = 0;
  for (int64_t e : end) n += e;
  return n;
}

bool GroupOffsets::allCommitted() const {
  if (!error.empty() || committed.size() != end.size()) return false;
  for (size_t i = 0; i < end.size(); ++i) {
    if ((committed[i] > 0 ? committed[i] : 0) != end[i]) return false;
  }
  return true;
}

GroupOffsets readGroupOffsets(const std::string& bootstrap, const std::string& group, const std::string& topic,
                              int partitions, std::chrono::milliseconds timeout) {
  GroupOffsets out;
  char reason[512] = {0};
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), reason, sizeof reason) != RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set(conf, "group.id", group.c_str(), reason, sizeof reason) != RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    out.error = reason;
    return out;
  }
  std::unique_ptr<rd_kafka_t, RkDeleter> rk(rd_kafka_new(RD_KAFKA_CONSUMER, conf, reason, sizeof reason));
  if (!rk) {
    out.error = reason;
    return out;
  }
  const int ms = static_cast<int>(timeout.count());
  std::unique_ptr<rd_kafka_topic_partition_list_t, ListDeleter> list(rd_kafka_topic_partition_list_new(partitions));
  for (int p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p);
  if (rd_kafka_resp_err_t err = rd_kafka_committed(rk.get(), list.get(), ms)) {
    out.error = std::string("committed: ") + rd_kafka_err2str(err);
    return out;
  }
  for (int p = 0; p < partitions; ++p) {
    const int64_t c = list->elems[p].offset;
    out.committed.push_back(c >= 0 ? c : -1);
    int64_t low = 0;
    int64_t high = 0;
    if (rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(rk.get(), topic.c_str(), p, &low, &high, ms)) {
      out.error = std::string("watermarks: ") + rd_kafka_err2str(err);
      return out;
    }
    out.end.push_back(high);
  }
  return out;
}

}  // namespace sluice

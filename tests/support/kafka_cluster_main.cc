// sluice-kafka-cluster: librdkafka's mock cluster (real Kafka protocol on real TCP ports of 127.0.0.1) for the
// tests, since Debian ships no broker. Usage: sluice-kafka-cluster [BROKERS]. Prints its bootstrap servers on one
// line, then reads commands on stdin, one per line, and answers each with "ok" or "error: WHY":
//   create-topic NAME PARTITIONS [REPLICATION]   broker-down ID   broker-up ID   leader TOPIC PARTITION BROKER
//   rtt ID MS   topic-error TOPIC ERRCODE (0 clears)   quit
// EOF on stdin is quit. Brokers are numbered from 1.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>

namespace {

std::string answer(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR_NO_ERROR ? "ok" : std::string("error: ") + rd_kafka_err2str(err);
}

// One command line; "" for quit.
std::string run(rd_kafka_mock_cluster_t* mc, const std::string& line) {
  std::istringstream in(line);
  std::string cmd;
  in >> cmd;
  if (cmd == "quit") return "";
  if (cmd == "create-topic") {
    std::string topic;
    int partitions = 0;
    int replication = 1;
    if (!(in >> topic >> partitions)) return "error: create-topic NAME PARTITIONS [REPLICATION]";
    in >> replication;
    return answer(rd_kafka_mock_topic_create(mc, topic.c_str(), partitions, replication));
  }
  if (cmd == "broker-down" || cmd == "broker-up") {
    int id = 0;
    if (!(in >> id)) return "error: " + cmd + " ID";
    return answer(cmd == "broker-down" ? rd_kafka_mock_broker_set_down(mc, id) : rd_kafka_mock_broker_set_up(mc, id));
  }
  if (cmd == "leader") {
    std::string topic;
    int partition = 0;
    int broker = 0;
    if (!(in >> topic >> partition >> broker)) return "error: leader TOPIC PARTITION BROKER";
    return answer(rd_kafka_mock_partition_set_leader(mc, topic.c_str(), partition, broker));
  }
  if (cmd == "rtt") {
    int id = 0;
    int ms = 0;
    if (!(in >> id >> ms)) return "error: rtt ID MS";
    return answer(rd_kafka_mock_broker_set_rtt(mc, id, ms));
  }
  if (cmd == "topic-error") {
    std::string topic;
    int code = 0;
    if (!(in >> topic >> code)) return "error: topic-error TOPIC ERRCODE";
    rd_kafka_mock_topic_set_error(mc, topic.c_str(), static_cast<rd_kafka_resp_err_t>(code));
    return "ok";
  }
  return "error: unknown command '" + cmd + "'";
}

}  // namespace

int main(int argc, char** argv) {
  int brokers = argc > 1 ? std::atoi(argv[1]) : 1;
  if (brokers < 1) {
    std::fprintf(stderr, "usage: sluice-kafka-cluster [BROKERS]\n");
    return 2;
  }
  char reason[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // The handle only hosts the cluster; it connects to nothing.
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, reason, sizeof reason);
  if (rk == nullptr) {
    std::fprintf(stderr, "rd_kafka_new: %s\n", reason);
    return 1;
  }
  rd_kafka_mock_cluster_t* mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (mc == nullptr) {
    std::fprintf(stderr, "rd_kafka_mock_cluster_new failed\n");
    rd_kafka_destroy(rk);
    return 1;
  }
  std::cout << rd_kafka_mock_cluster_bootstraps(mc) << std::endl;
  for (std::string line; std::getline(std::cin, line);) {
    if (line.empty()) continue;
    std::string reply = run(mc, line);
    if (reply.empty()) break;
    std::cout << reply << std::endl;
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  std::cout << "bye" << std::endl;
  return 0;
}

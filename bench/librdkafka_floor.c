// sluice-kafka-floor BROKERS RECORDS HEADERS(0|1) CODEC: what librdkafka alone costs to produce records like the
// kafka sink's (about 160 bytes, key "app", with or without its two headers, idempotent, acks=all, the sink's
// queue and batching properties), so the kafka sink's figures in `make bench` can be set against the library's
// own floor. Prints lines/s, CPU-s per million records (the whole process: librdkafka's threads included) and
// peak RSS. Start a cluster with tests/support's sluice-kafka-cluster and pass its bootstrap servers.
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static long delivered = 0;
static long failed = 0;

static void onReport(rd_kafka_t* rk, const rd_kafka_message_t* m, void* opaque) {
  (void)rk;
  (void)opaque;
  if (m->err) failed++;
  else delivered++;
}

static int set(rd_kafka_conf_t* c, const char* name, const char* value) {
  char why[512];
  if (rd_kafka_conf_set(c, name, value, why, sizeof why) == RD_KAFKA_CONF_OK) return 1;
  fprintf(stderr, "%s: %s\n", name, why);
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: sluice-kafka-floor BROKERS RECORDS HEADERS(0|1) CODEC\n");
    return 2;
  }
  const long n = atol(argv[2]);
  const int headers = atoi(argv[3]);
  rd_kafka_conf_t* c = rd_kafka_conf_new();
  if (!set(c, "bootstrap.servers", argv[1]) || !set(c, "enable.idempotence", "true") || !set(c, "acks", "all") ||
      !set(c, "compression.codec", argv[4]) || !set(c, "queue.buffering.max.messages", "200000") ||
      !set(c, "queue.buffering.max.kbytes", "65536") || !set(c, "linger.ms", "5") ||
      !set(c, "batch.num.messages", "10000")) {
    return 2;
  }
  rd_kafka_conf_set_dr_msg_cb(c, onReport);
  char why[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, why, sizeof why);
  if (rk == NULL) {
    fprintf(stderr, "%s\n", why);
    return 1;
  }
  rd_kafka_topic_t* topic = rd_kafka_topic_new(rk, "floor", NULL);
  char value[200];
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (long i = 0; i < n;) {
    int len = snprintf(value, sizeof value,
                       "<190>1 2026-12-03T05:00:00.123456+00:00 bench app app - - line %09ld %s", i,
                       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    rd_kafka_resp_err_t e =
        headers ? rd_kafka_producev(rk, RD_KAFKA_V_RKT(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                    RD_KAFKA_V_VALUE(value, (size_t)len), RD_KAFKA_V_KEY("app", 3),
                                    RD_KAFKA_V_HEADER("frame_id", "0123456789ab-1099511627777", 26),
                                    RD_KAFKA_V_HEADER("source", "app", 3), RD_KAFKA_V_END)
                : rd_kafka_producev(rk, RD_KAFKA_V_RKT(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                    RD_KAFKA_V_VALUE(value, (size_t)len), RD_KAFKA_V_KEY("app", 3), RD_KAFKA_V_END);
    if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(rk, 1);
      continue;
    }
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      fprintf(stderr, "produce: %s\n", rd_kafka_err2str(e));
      return 1;
    }
    if ((++i & 1023) == 0) rd_kafka_poll(rk, 0);
  }
  rd_kafka_flush(rk, 60000);
  clock_gettime(CLOCK_MONOTONIC, &end);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  double seconds = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
  printf("librdkafka alone, headers %s, %s: %ld delivered, %ld failed, %.0f lines/s, %.3f CPU-s/M, peak RSS %.1f MB\n",
         headers ? "on" : "off", argv[4], delivered, failed, (double)n / seconds, cpu / ((double)n / 1e6),
         (double)ru.ru_maxrss / 1024.0);
  rd_kafka_topic_destroy(topic);
  rd_kafka_destroy(rk);
  return failed == 0 && delivered == n ? 0 : 1;
}

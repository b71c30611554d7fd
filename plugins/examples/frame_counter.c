/* frame_counter: a tiny external sink, the example of the README's "Write your own sink".
 *
 * It appends one line per batch to a file: "<seq> <frame id> <frames> <bytes>". It includes nothing of Sluice
 * but agent/plugin/sluice_plugin.h and does not link against it: Sluice loads it with dlopen from a directory
 * listed in agent.plugin_dirs, and the core does the rest (batching, buffer, retries, acks, the core keys).
 *
 *   cc -shared -fPIC -O2 -I<sluice source> -o frame_counter.so frame_counter.c
 *
 *   agent:
 *     plugin_dirs: [/usr/local/lib/sluice]
 *   sinks:
 *     - name: counts
 *       type: frame_counter
 *       path: /tmp/counts.txt
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/plugin/sluice_plugin.h"

typedef struct counter {
  const sluice_host* host;
  char* path;
  FILE* file;          /* opened on first use, closed on SIGHUP (reopen) so logrotate can move it */
  uint64_t fail_first; /* deliveries still to answer with a retry (to watch the core retry) */
} counter;

static const sluice_option_spec kOptions[] = {
    {"path", SLUICE_OPTION_STRING, NULL, "the file one line per batch is appended to", NULL},
    {"fail_first", SLUICE_OPTION_COUNT, "0", "answer the first N deliveries with a retry (to try out retries)", NULL},
};

/* Pure: checks values, no I/O. */
static int counter_validate(const sluice_options* options, sluice_report_fn report, void* ctx) {
  const sluice_option_value* path = sluice_option(options, "path");
  if (path->text[0] == '\0') {
    report(ctx, "path", "must not be empty");
    return 1;
  }
  return 0;
}

static void* counter_create(const sluice_options* options, const sluice_host* host, char* error, size_t size) {
  counter* c = calloc(1, sizeof *c);
  if (c == NULL || (c->path = strdup(sluice_option(options, "path")->text)) == NULL) {
    snprintf(error, size, "out of memory");
    free(c);
    return NULL;
  }
  c->host = host;
  c->fail_first = (uint64_t)sluice_option(options, "fail_first")->number;
  /* Fail early, with a reason, rather than on the first batch. */
  c->file = fopen(c->path, "a");
  if (c->file == NULL) {
    snprintf(error, size, "cannot open %s: %s", c->path, strerror(errno));
    free(c->path);
    free(c);
    return NULL;
  }
  return c;
}

static void counter_deliver(void* instance, const sluice_batch* batch, uint64_t delivery) {
  counter* c = instance;
  if (c->fail_first > 0) {
    c->fail_first--;
    c->host->complete(c->host, delivery, SLUICE_RETRY, 0, "fail_first: retry on purpose");
    return;
  }
  /* Walk the frames (octet counting) rather than trust the count: that is what a real sink parses. */
  size_t pos = 0, length = 0, frames = 0;
  const char* message = NULL;
  while (sluice_next_frame(batch, &pos, &message, &length)) frames++;
  if (frames != batch->frames || pos != batch->size) {
    c->host->complete(c->host, delivery, SLUICE_REJECTED, 0, "the batch does not parse as octet-counted frames");
    return;
  }
  if (c->file == NULL) c->file = fopen(c->path, "a");
  if (c->file == NULL || fprintf(c->file, "%llu %s %zu %zu\n", (unsigned long long)batch->seq, batch->frame_id,
                                 frames, batch->size) < 0 || fflush(c->file) != 0) {
    char why[300];
    snprintf(why, sizeof why, "cannot write %s: %s", c->path, strerror(errno));
    c->host->complete(c->host, delivery, SLUICE_RETRY, 0, why);
    return;
  }
  c->host->complete(c->host, delivery, SLUICE_DELIVERED, 0, NULL);
}

static void counter_reopen(void* instance) {
  counter* c = instance;
  if (c->file != NULL) fclose(c->file);
  c->file = NULL;
  c->host->log(c->host, SLUICE_LOG_INFO, "reopening the file");
}

/* Every delivery completes inside deliver(): nothing is outstanding here. */
static void counter_stop(void* instance) { (void)instance; }

static void counter_destroy(void* instance) {
  counter* c = instance;
  if (c->file != NULL) fclose(c->file);
  free(c->path);
  free(c);
}

static const sluice_sink_plugin kFrameCounter = {
    .abi_version = SLUICE_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(sluice_sink_plugin),
    .name = "frame_counter",
    .help = "example external sink: appends '<seq> <frame id> <frames> <bytes>' per batch to a file",
    .options = kOptions,
    .option_count = sizeof kOptions / sizeof kOptions[0],
    .validate = counter_validate,
    .create = counter_create,
    .deliver = counter_deliver,
    .stop = counter_stop,
    .destroy = counter_destroy,
    .reopen = counter_reopen,
};

SLUICE_DEFINE_SINK_PLUGIN(kFrameCounter)

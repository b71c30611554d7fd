/* External plugins for the loader's tests, one variant per -DVARIANT_*: broken ones that must be refused with a
 * clear error naming the file, and a threaded one that completes deliveries from its own thread. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/plugin/sluice_plugin.h"

#if defined(VARIANT_NO_ABI)
/* No Sluice symbol at all. */
__attribute__((visibility("default"))) int not_a_plugin(void) { return 42; }

#elif defined(VARIANT_ABI_MISMATCH)
/* Built "for another version": only the version symbol is looked at. */
__attribute__((visibility("default"))) const uint32_t sluice_plugin_abi_version = 999;
__attribute__((visibility("default"))) const void* sluice_plugin_entry(void) {
  abort(); /* must never be called */
}

#elif defined(VARIANT_NO_ENTRY)
__attribute__((visibility("default"))) const uint32_t sluice_plugin_abi_version = SLUICE_PLUGIN_ABI_VERSION;

#else
/* A working plugin; the other variants change one thing of it. */
typedef struct job {
  struct job* next;
  const sluice_batch* batch;
  uint64_t delivery;
} job;

typedef struct threaded {
  const sluice_host* host;
  FILE* file;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  job* head;
  job* tail;
  int stopping;
} threaded;

static const sluice_option_spec kOptions[] = {
    {"path", SLUICE_OPTION_STRING, NULL, "where the messages are written, one per line", NULL},
#if defined(VARIANT_BAD_OPTION)
    {"batch.linger", SLUICE_OPTION_DURATION, "1s", "collides with a core key", NULL},
#elif defined(VARIANT_BAD_DEFAULT)
    {"every", SLUICE_OPTION_DURATION, "soon", "an invalid default", NULL},
#else
    {"mode", SLUICE_OPTION_ENUM, "plain", "plain or upper", "plain|upper"},
    {"limit", SLUICE_OPTION_SIZE, "1KiB", "a size, to see it converted", NULL},
#endif
};

/* The worker: writes the messages of each batch and completes it from this thread. */
static void* worker(void* arg) {
  threaded* t = arg;
  for (;;) {
    pthread_mutex_lock(&t->mu);
    while (t->head == NULL && !t->stopping) pthread_cond_wait(&t->cv, &t->mu);
    job* j = t->head;
    if (j != NULL) {
      t->head = j->next;
      if (t->head == NULL) t->tail = NULL;
    }
    pthread_mutex_unlock(&t->mu);
    if (j == NULL) return NULL; /* stopping and nothing left */
    size_t pos = 0, length = 0;
    const char* message = NULL;
    while (sluice_next_frame(j->batch, &pos, &message, &length)) {
      fwrite(message, 1, length, t->file);
      fputc('\n', t->file);
    }
    fflush(t->file);
    t->host->count(t->host, "batches_written_by_thread", 1);
    t->host->complete(t->host, j->delivery, SLUICE_DELIVERED, 0, NULL);
    free(j);
  }
}

static int t_validate(const sluice_options* options, sluice_report_fn report, void* ctx) {
  if (strstr(sluice_option(options, "path")->text, "invalid") != NULL) {
    report(ctx, "path", "must not contain 'invalid'");
    return 1;
  }
  return 0;
}

static void* t_create(const sluice_options* options, const sluice_host* host, char* error, size_t size) {
  const char* path = sluice_option(options, "path")->text;
  if (strstr(path, "refuse") != NULL) {
    snprintf(error, size, "refusing to start on %s", path);
    return NULL;
  }
  threaded* t = calloc(1, sizeof *t);
  t->host = host;
  t->file = fopen(path, "a");
  if (t->file == NULL) {
    snprintf(error, size, "cannot open %s", path);
    free(t);
    return NULL;
  }
  pthread_mutex_init(&t->mu, NULL);
  pthread_cond_init(&t->cv, NULL);
  pthread_create(&t->thread, NULL, worker, t);
  return t;
}

static void t_deliver(void* instance, const sluice_batch* batch, uint64_t delivery) {
  threaded* t = instance;
  job* j = calloc(1, sizeof *j);
  j->batch = batch;
  j->delivery = delivery;
  pthread_mutex_lock(&t->mu);
  if (t->tail != NULL) t->tail->next = j;
  else t->head = j;
  t->tail = j;
  pthread_cond_signal(&t->cv);
  pthread_mutex_unlock(&t->mu);
}

static void t_stop(void* instance) {
  threaded* t = instance;
  pthread_mutex_lock(&t->mu);
  t->stopping = 1;
  pthread_cond_signal(&t->cv);
  pthread_mutex_unlock(&t->mu);
  pthread_join(t->thread, NULL); /* the queue is drained first */
}

static void t_destroy(void* instance) {
  threaded* t = instance;
  fclose(t->file);
  pthread_mutex_destroy(&t->mu);
  pthread_cond_destroy(&t->cv);
  free(t);
}

#if defined(VARIANT_DUPLICATE)
#define PLUGIN_NAME "file" /* a built-in type */
#else
#define PLUGIN_NAME "threaded_sink"
#endif

static const sluice_sink_plugin kPlugin = {
    .abi_version = SLUICE_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(sluice_sink_plugin),
    .name = PLUGIN_NAME,
    .help = "test plugin: writes messages from its own thread",
    .options = kOptions,
    .option_count = sizeof kOptions / sizeof kOptions[0],
    .validate = t_validate,
    .create = t_create,
    .deliver = t_deliver,
    .stop = t_stop,
    .destroy = t_destroy,
    .reopen = NULL,
};

SLUICE_DEFINE_SINK_PLUGIN(kPlugin)
#endif

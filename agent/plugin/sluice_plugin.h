/* sluice_plugin.h: the C ABI of Sluice's external sink plugins, and the only header such a plugin includes.
 *
 * A plugin is a shared object (.so) in one of the directories of `agent.plugin_dirs`. It exports two symbols,
 * both defined by SLUICE_DEFINE_SINK_PLUGIN(descriptor):
 *   sluice_plugin_abi_version   a uint32_t, the SLUICE_PLUGIN_ABI_VERSION it was built against
 *   sluice_plugin_entry         a function returning its sluice_sink_plugin descriptor
 * Sluice reads the version first and refuses a plugin built for another version (or missing a symbol) with an
 * error naming the file, before calling anything in it.
 *
 * A sink only moves bytes and returns a verdict. Batching, the memory buffer, retries with backoff, ordering,
 * acknowledgements and the core keys every sink has (message.*, batch.*, buffer.*, retry.*, max_in_flight) stay
 * in Sluice, for external plugins as for built-in ones.
 *
 * Threads: every function of the descriptor is called on Sluice's loop thread and must not block it for long.
 * A plugin that does blocking work runs its own thread and reports back with host->complete (callable from any
 * thread) or host->post. Plain C (C99) so that a plugin built with another compiler, or in another language,
 * loads too. See plugins/examples/frame_counter.c and the README ("Write your own sink").
 */
#ifndef SLUICE_PLUGIN_H
#define SLUICE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#define SLUICE_PLUGIN_ABI_VERSION 1u

#ifdef __cplusplus
extern "C" {
#endif

/* The types an option may have; Sluice parses and checks the YAML value (units, ranges, choices, unknown keys
 * with the nearest valid name) exactly as it does for its own options, and prints them in --help-plugin. */
typedef enum sluice_option_type {
  SLUICE_OPTION_STRING = 1,   /* any text, ${VAR} expanded */
  SLUICE_OPTION_SECRET = 2,   /* like STRING, never printed */
  SLUICE_OPTION_BOOL = 3,     /* true/false/yes/no/on/off          -> number 0 or 1 */
  SLUICE_OPTION_INT = 4,      /* signed 64-bit                      -> number */
  SLUICE_OPTION_COUNT = 5,    /* non-negative integer               -> number */
  SLUICE_OPTION_SIZE = 6,     /* 512, 64KiB, 16MiB, 1GB             -> number of bytes */
  SLUICE_OPTION_DURATION = 7, /* 200ms, 5s, 1m30s                   -> number of milliseconds */
  SLUICE_OPTION_URL = 8,      /* an absolute URL, checked */
  SLUICE_OPTION_ENUM = 9      /* one of `choices` ("a|b|c")         -> text is the canonical choice */
} sluice_option_type;

/* One option the plugin declares, like Sluice's own option tables. Names may be dotted ("flush.every": written
 * flat or nested in YAML). They must not collide with the keys every sink has. */
typedef struct sluice_option_spec {
  const char* name;
  int type;              /* a sluice_option_type */
  const char* fallback;  /* the default, as YAML text ("10s", "true", ""); NULL when the key is required */
  const char* help;      /* one line, for --help-plugin */
  const char* choices;   /* ENUM only: "a|b|c"; NULL otherwise */
} sluice_option_spec;

/* A validated option value. Every declared option is present, in declaration order, defaults filled in. */
typedef struct sluice_option_value {
  const char* name;
  const char* text;   /* the value as text (numbers in decimal; BOOL "true"/"false"; DURATION "<n>ms") */
  int64_t number;     /* BOOL, INT, COUNT, SIZE, DURATION: the number; 0 for the text types */
  int is_set;         /* 1 when written in the configuration, 0 when defaulted */
} sluice_option_value;

typedef struct sluice_options {
  const sluice_option_value* values;
  size_t count;
} sluice_options;

/* One batch: `size` bytes of octet-counted RFC 5424 frames ("LEN SP MSG", concatenated without separator: the
 * application/logplex-1 body, RFC 6587 octet counting), `frames` of them. This struct and the bytes stay valid
 * and unchanged until the delivery is completed. */
typedef struct sluice_batch {
  const char* bytes;
  size_t size;
  uint32_t frames;
  const char* frame_id; /* NUL-terminated, unique per batch and the same on every retry of it */
  uint64_t seq;         /* per sink, increasing */
} sluice_batch;

typedef enum sluice_verdict {
  SLUICE_DELIVERED = 0, /* done: the batch is acknowledged to its sources */
  SLUICE_RETRY = 1,     /* try again later, after the core's backoff (or retry_after_ms if larger) */
  SLUICE_REJECTED = 2   /* permanent failure: not retried, counted as lost */
} sluice_verdict;

typedef enum sluice_log_level {
  SLUICE_LOG_DEBUG = 0,
  SLUICE_LOG_INFO = 1,
  SLUICE_LOG_WARN = 2,
  SLUICE_LOG_ERROR = 3
} sluice_log_level;

/* What Sluice offers an instance. Valid from create() until destroy() returns; pass it back as `host`. */
typedef struct sluice_host sluice_host;
struct sluice_host {
  uint32_t abi_version;
  const char* sink_name; /* the sink's `name:` */
  void* impl;            /* Sluice's; do not touch */

  /* Resolves `delivery` (the id deliver() was given): exactly once per delivery, from deliver() itself or
   * later, from any thread (other threads are handed over to the loop thread). `reason` (may be NULL) is
   * logged on failures. A second completion of the same delivery is ignored and logged. */
  void (*complete)(const sluice_host* host, uint64_t delivery, int verdict, uint64_t retry_after_ms,
                   const char* reason);
  /* Runs fn(arg) on the loop thread on a later turn. Callable from any thread until stop() returns; returns 0,
   * or -1 when the instance is stopping (fn will not run). */
  int (*post)(const sluice_host* host, void (*fn)(void* arg), void* arg);
  /* A line in Sluice's own log (stderr), prefixed with the sink's name. Any thread. */
  void (*log)(const sluice_host* host, int level, const char* message);
  /* Counts something the plugin changed or left out on purpose, by kind ("truncated"): reported at exit and in
   * metrics, not counted as lost. Any thread. */
  void (*count)(const sluice_host* host, const char* what, uint64_t n);
};

typedef void (*sluice_report_fn)(void* report_ctx, const char* option, const char* message);

/* The descriptor a plugin returns from sluice_plugin_entry(). Static storage: Sluice keeps pointers into it. */
typedef struct sluice_sink_plugin {
  uint32_t abi_version;       /* SLUICE_PLUGIN_ABI_VERSION */
  uint32_t struct_size;       /* sizeof(sluice_sink_plugin) */
  const char* name;           /* the `type:` value: lower case letters, digits, '_' and '-' */
  const char* help;           /* one line for --help-plugin */
  const sluice_option_spec* options;
  size_t option_count;

  /* Optional (NULL: the option table's checks are all). Pure: no I/O, no state; runs for `sluice check` too.
   * Calls report(report_ctx, option name or NULL, message) for each problem; returns 0 when the values are
   * usable. */
  int (*validate)(const sluice_options* options, sluice_report_fn report, void* report_ctx);
  /* Creates an instance when the agent starts; NULL on failure, with a message written to `error` (at most
   * error_size bytes, NUL-terminated). */
  void* (*create)(const sluice_options* options, const sluice_host* host, char* error, size_t error_size);
  /* Sends one batch; completes it with host->complete(host, delivery, ...). Several deliveries may be
   * outstanding at once (up to the sink's max_in_flight). */
  void (*deliver)(void* instance, const sluice_batch* batch, uint64_t delivery);
  /* The agent is stopping: finish or abandon what is outstanding and stop any thread. Deliveries still
   * outstanding when stop() returns are completed as SLUICE_RETRY by Sluice; functions posted before then still
   * run. After stop() returns the plugin must not call the host again. */
  void (*stop)(void* instance);
  /* Frees the instance. */
  void (*destroy)(void* instance);
  /* Optional (NULL: nothing to do): SIGHUP, reopen files that logrotate may have moved. */
  void (*reopen)(void* instance);
} sluice_sink_plugin;

#define SLUICE_PLUGIN_ABI_SYMBOL "sluice_plugin_abi_version"
#define SLUICE_PLUGIN_ENTRY_SYMBOL "sluice_plugin_entry"
typedef const sluice_sink_plugin* (*sluice_plugin_entry_fn)(void);

/* The value of option `name`, or NULL when the plugin declared no such option. */
static inline const sluice_option_value* sluice_option(const sluice_options* options, const char* name) {
  size_t i;
  for (i = 0; i < options->count; ++i) {
    const char* a = options->values[i].name;
    const char* b = name;
    while (*a != '\0' && *a == *b) {
      ++a;
      ++b;
    }
    if (*a == *b) return &options->values[i];
  }
  return NULL;
}

/* Walks the frames of a batch: call with *pos = 0 first; returns 1 and sets *message and *length to the next
 * message (the RFC 5424 text after "LEN "), or 0 at the end. Batches from Sluice are always well formed. */
static inline int sluice_next_frame(const sluice_batch* batch, size_t* pos, const char** message, size_t* length) {
  size_t p = *pos;
  size_t len = 0;
  int digits = 0;
  while (p < batch->size && batch->bytes[p] >= '0' && batch->bytes[p] <= '9' && digits < 10) {
    len = len * 10 + (size_t)(batch->bytes[p] - '0');
    ++p;
    ++digits;
  }
  if (digits == 0 || p >= batch->size || batch->bytes[p] != ' ' || batch->size - p - 1 < len) return 0;
  *message = batch->bytes + p + 1;
  *length = len;
  *pos = p + 1 + len;
  return 1;
}

#ifdef __cplusplus
}
#define SLUICE_PLUGIN_EXTERN_C extern "C"
#else
#define SLUICE_PLUGIN_EXTERN_C
#endif

#define SLUICE_PLUGIN_EXPORT __attribute__((visibility("default")))

/* Defines the two exported symbols for `descriptor` (a static sluice_sink_plugin). */
#define SLUICE_DEFINE_SINK_PLUGIN(descriptor)                                                              \
  SLUICE_PLUGIN_EXTERN_C SLUICE_PLUGIN_EXPORT const uint32_t sluice_plugin_abi_version =                   \
      SLUICE_PLUGIN_ABI_VERSION;                                                                           \
  SLUICE_PLUGIN_EXTERN_C SLUICE_PLUGIN_EXPORT const sluice_sink_plugin* sluice_plugin_entry(void) {        \
    return &(descriptor);                                                                                  \
  }

#endif /* SLUICE_PLUGIN_H */

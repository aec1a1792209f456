/* See fake_core.h. Built without the project's flags: it stands for a
 * library the project does not own. */
#include "fake_core.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Slices -------------------------------------------------------------------- */

/* Every slice is in the refcounted form; the "refcount" only says whether
 * the bytes are ours to free. */
static char owned, borrowed;

static grpc_slice make_slice(const void *p, size_t n, int copy) {
  grpc_slice s;
  memset(&s, 0, sizeof s);
  s.refcount = (struct grpc_slice_refcount *)(copy ? &owned : &borrowed);
  s.data.refcounted.length = n;
  if (copy) {
    s.data.refcounted.bytes = malloc(n ? n : 1);
    memcpy(s.data.refcounted.bytes, p, n);
  } else {
    s.data.refcounted.bytes = (uint8_t *)p;
  }
  return s;
}

grpc_slice grpc_slice_from_copied_buffer(const char *p, size_t n) { return make_slice(p, n, 1); }
grpc_slice grpc_slice_from_static_string(const char *s) { return make_slice(s, strlen(s), 0); }
grpc_slice grpc_slice_from_static_buffer(const void *p, size_t n) { return make_slice(p, n, 0); }

void grpc_slice_unref(grpc_slice s) {
  if (s.refcount == (struct grpc_slice_refcount *)&owned)
    free(s.data.refcounted.bytes);
}

void gpr_free(void *p) { free(p); }

gpr_timespec gpr_inf_future(gpr_clock_type type) {
  gpr_timespec t = {INT64_MAX, 0, type};
  return t;
}

/* Metadata the shim sent, by key ----------------------------------------- */

typedef struct seen {
  char key[64];
  char value[256];
} seen;
static seen sent_initial[16], sent_trailing[16];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void remember(seen *table, const grpc_metadata *md, size_t n) {
  memset(table, 0, 16 * sizeof *table);
  for (size_t i = 0; i < n && i < 16; i++) {
    snprintf(table[i].key, sizeof table[i].key, "%.*s", (int)GRPC_SLICE_LENGTH(md[i].key),
             (const char *)GRPC_SLICE_START_PTR(md[i].key));
    snprintf(table[i].value, sizeof table[i].value, "%.*s", (int)GRPC_SLICE_LENGTH(md[i].value),
             (const char *)GRPC_SLICE_START_PTR(md[i].value));
  }
}

static const char *lookup(seen *table, const char *key) {
  for (int i = 0; i < 16; i++)
    if (strcmp(table[i].key, key) == 0)
      return table[i].value;
  return "";
}

const char *fake_sent_initial(const char *key) { return lookup(sent_initial, key); }
const char *fake_sent_trailing(const char *key) { return lookup(sent_trailing, key); }

/* The core thread ------------------------------------------------------------ */

typedef struct job {
  grpc_completion_queue_functor *functor;
  int ok;
} job;
static job jobs[64];
static size_t njobs, running;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_t core_thread;
static int core_started;

static void *core_main(void *arg) {
  (void)arg;
  pthread_mutex_lock(&mu);
  for (;;) {
    while (njobs == 0)
      pthread_cond_wait(&cv, &mu);
    job j = jobs[0];
    memmove(jobs, jobs + 1, --njobs * sizeof jobs[0]);
    running = 1;
    pthread_mutex_unlock(&mu);
    j.functor->functor_run(j.functor, j.ok);
    /* Whatever context the functor ran with must be gone now: this line
     * is not part of any task. */
    fprintf(stderr, "core thread idle\n");
    pthread_mutex_lock(&mu);
    running = 0;
    pthread_cond_broadcast(&cv);
  }
  return NULL;
}

static void complete(void *tag, int ok) {
  pthread_mutex_lock(&mu);
  if (!core_started) {
    pthread_create(&core_thread, NULL, core_main, NULL);
    pthread_detach(core_thread);
    core_started = 1;
  }
  jobs[njobs++] = (job){tag, ok};
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
}

void fake_drain(void) {
  pthread_mutex_lock(&mu);
  while (njobs || running)
    pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
}

/* Queues, channels, calls -------------------------------------------------- */

struct grpc_completion_queue {
  int callback;
};
struct grpc_call {
  int server;
};

grpc_completion_queue *grpc_completion_queue_create_for_callback(
    grpc_completion_queue_functor *shutdown_callback, void *reserved) {
  (void)shutdown_callback;
  (void)reserved;
  grpc_completion_queue *cq = calloc(1, sizeof *cq);
  cq->callback = 1;
  return cq;
}

void grpc_completion_queue_destroy(grpc_completion_queue *cq) { free(cq); }

static char channel_storage, server_storage;
grpc_channel *fake_channel(void) { return (grpc_channel *)&channel_storage; }
grpc_server *fake_server(void) { return (grpc_server *)&server_storage; }

grpc_call *grpc_channel_create_call(grpc_channel *channel, grpc_call *parent, uint32_t mask,
                                    grpc_completion_queue *cq, grpc_slice method,
                                    const grpc_slice *host, gpr_timespec deadline,
                                    void *reserved) {
  (void)channel, (void)parent, (void)mask, (void)cq, (void)method, (void)host;
  (void)deadline, (void)reserved;
  return calloc(1, sizeof(grpc_call));
}

/* Like core, a channel gives the same handle each time a method is
 * registered again (grpc++ registers a service's methods per stub). */
static struct {
  char method[64];
} registered[8];
static pthread_mutex_t registered_mu = PTHREAD_MUTEX_INITIALIZER;

void *grpc_channel_register_call(grpc_channel *channel, const char *method, const char *host,
                                 void *reserved) {
  (void)channel, (void)host, (void)reserved;
  void *handle = NULL;
  pthread_mutex_lock(&registered_mu);
  for (size_t i = 0; i < sizeof registered / sizeof registered[0] && !handle; i++) {
    if (!registered[i].method[0])
      snprintf(registered[i].method, sizeof registered[i].method, "%s", method);
    if (strcmp(registered[i].method, method) == 0)
      handle = &registered[i];
  }
  pthread_mutex_unlock(&registered_mu);
  return handle;
}

grpc_call *grpc_channel_create_registered_call(grpc_channel *channel, grpc_call *parent,
                                               uint32_t mask, grpc_completion_queue *cq,
                                               void *handle, gpr_timespec deadline,
                                               void *reserved) {
  (void)channel, (void)parent, (void)mask, (void)cq, (void)handle, (void)deadline;
  (void)reserved;
  return calloc(1, sizeof(grpc_call));
}

void grpc_call_ref(grpc_call *call) { (void)call; }
void grpc_call_unref(grpc_call *call) { free(call); }

char *grpc_call_get_peer(grpc_call *call) {
  return strdup(call->server ? "ipv4:127.0.0.1:40000" : "127.0.0.1:50051");
}

static unsigned long long reply_event;
void fake_set_reply_event(unsigned long long event_id) { reply_event = event_id; }

static grpc_metadata reply_md[1], request_md[2];
static char reply_text[32], task_text[32], event_text[32];

static void fill_status(const grpc_op *op) {
  grpc_metadata_array *md = op->data.recv_status_on_client.trailing_metadata;
  memset(reply_md, 0, sizeof reply_md);
  md->count = 0;
  md->metadata = reply_md;
  if (reply_event) {
    snprintf(reply_text, sizeof reply_text, "%llu", reply_event);
    reply_md[0].key = grpc_slice_from_static_string("xtrace_event_id");
    reply_md[0].value = grpc_slice_from_static_string(reply_text);
    md->count = 1;
  }
  *op->data.recv_status_on_client.status = GRPC_STATUS_OK;
}

grpc_call_error grpc_call_start_batch(grpc_call *call, const grpc_op *ops, size_t nops,
                                      void *tag, void *reserved) {
  (void)call;
  (void)reserved;
  for (size_t i = 0; i < nops; i++) {
    const grpc_op *op = &ops[i];
    if (op->op == GRPC_OP_SEND_INITIAL_METADATA && !call->server)
      remember(sent_initial, op->data.send_initial_metadata.metadata,
               op->data.send_initial_metadata.count);
    else if (op->op == GRPC_OP_SEND_STATUS_FROM_SERVER)
      remember(sent_trailing, op->data.send_status_from_server.trailing_metadata,
               op->data.send_status_from_server.trailing_metadata_count);
    else if (op->op == GRPC_OP_RECV_STATUS_ON_CLIENT)
      fill_status(op);
  }
  complete(tag, 1);
  return GRPC_CALL_OK;
}

static struct {
  grpc_call **callp;
  grpc_metadata_array *md;
  void *tag;
} pending;

grpc_call_error grpc_server_request_call(grpc_server *server, grpc_call **call,
                                         grpc_call_details *details,
                                         grpc_metadata_array *md,
                                         grpc_completion_queue *cq_bound_to_call,
                                         grpc_completion_queue *cq_for_notification,
                                         void *tag) {
  (void)server, (void)details, (void)cq_bound_to_call, (void)cq_for_notification;
  pending.callp = call;
  pending.md = md;
  pending.tag = tag;
  return GRPC_CALL_OK;
}

void fake_deliver_call(unsigned long long task, unsigned long long event) {
  grpc_call *c = calloc(1, sizeof *c);
  c->server = 1;
  *pending.callp = c;
  memset(request_md, 0, sizeof request_md);
  pending.md->count = 0;
  pending.md->metadata = request_md;
  if (task) {
    snprintf(task_text, sizeof task_text, "%llu", task);
    snprintf(event_text, sizeof event_text, "%llu", event);
    request_md[0].key = grpc_slice_from_static_string("xtrace_task_id");
    request_md[0].value = grpc_slice_from_static_string(task_text);
    request_md[1].key = grpc_slice_from_static_string("xtrace_event_id");
    request_md[1].value = grpc_slice_from_static_string(event_text);
    pending.md->count = 2;
  }
  complete(pending.tag, 1);
}

/*
 * libFuzzer harness: a journal entry, as any local process can write one
 * (sd_journal_send takes any field names and bytes), made into an ECS
 * event. The input is read as journald's export format, "NAME=value"
 * lines (a value may hold any byte but a newline); a field may come
 * twice (the first wins, as sd_journal_get_data returns it). The event
 * must always serialise, MESSAGE must never exceed the cap, and integer
 * fields must stay in their ranges.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "soc/event.h"
#include "soc/journald_entry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FIELDS 64

typedef struct entry {
  const char *name[MAX_FIELDS];
  size_t name_len[MAX_FIELDS];
  const char *value[MAX_FIELDS];
  size_t value_len[MAX_FIELDS];
  size_t n;
} entry;

static const char *get(void *arg, const char *name, size_t *len) {
  const entry *e = arg;
  size_t nl = strlen(name);
  for (size_t i = 0; i < e->n; i++)
    if (e->name_len[i] == nl && memcmp(e->name[i], name, nl) == 0) {
      *len = e->value_len[i];
      return e->value[i];
    }
  return NULL;
}

static char json[SOC_EVENT_JSON_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static soc_event *ev;
  entry e = {.n = 0};
  const char *p = (const char *)data, *end = p + size;
  if (!ev && !(ev = soc_event_new())) abort();
  while (p < end && e.n < MAX_FIELDS) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *line_end = nl ? nl : end;
    const char *eq = memchr(p, '=', (size_t)(line_end - p));
    if (eq) {
      e.name[e.n] = p;
      e.name_len[e.n] = (size_t)(eq - p);
      e.value[e.n] = eq + 1;
      e.value_len[e.n] = (size_t)(line_end - eq - 1);
      e.n++;
    }
    p = nl ? nl + 1 : end;
  }
  size_t cap = 64 + size % 512;
  int cut = soc_journald_entry_event(ev, get, &e, (int64_t)size * 1000000000, cap);
  size_t mlen = 0;
  const char *m = get(&e, "MESSAGE", &mlen);
  if (cut != (m && mlen > cap)) abort();
  int64_t v;
  if (soc_event_get_int(ev, SOC_ECS_LOG_SYSLOG_SEVERITY_CODE, &v) == 0 && (v < 0 || v > 7)) abort();
  if (soc_event_get_int(ev, SOC_ECS_PROCESS_PID, &v) == 0 && v < 0) abort();
  if (soc_event_write_json(ev, json, sizeof json, NULL) != 0) abort();
  return 0;
}

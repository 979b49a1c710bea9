/*
 * json_event — foreign JSON lines into events (see the header).
 *
 * The paths for time and host are compared with the name as flattened
 * before the bytes an event name can not hold are replaced, so "@timestamp"
 * is found as "@timestamp" though it is stored as "_timestamp".
 */
#include "soc/json_event.h"

#include <errno.h>
#include <json.h> /* libfastjson */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "soc/tz.h"

#define DEPTH_MAX 16
#define PATH_MAX_BYTES (SOC_EVENT_KEY_MAX + 1)

typedef struct walk {
  soc_event *ev;
  const soc_json_event_opts *o;
  unsigned found;
  char raw[PATH_MAX_BYTES];  /* the dotted path as written */
  char name[PATH_MAX_BYTES]; /* the same, as an event field name */
} walk;

static int name_byte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

static void take_time(walk *w, fjson_object *v) {
  int64_t ns = 0;
  if (fjson_object_is_type(v, fjson_type_string)) {
    if (soc_time_parse_ns(fjson_object_get_string(v), &ns)) return;
  } else if (fjson_object_is_type(v, fjson_type_int)) {
    int64_t s = fjson_object_get_int64(v);
    if (s <= 0 || s > INT64_MAX / 1000000000LL) return;
    ns = s * 1000000000LL;
  } else {
    return;
  }
  soc_event_set_time(w->ev, ns);
  w->found |= SOC_JSON_EVENT_TIME;
}

static int add(walk *w, fjson_object *o, size_t rlen, size_t nlen, int depth) {
  if (depth > DEPTH_MAX) return 0;
  struct fjson_object_iterator it = fjson_object_iter_begin(o), end = fjson_object_iter_end(o);
  for (; !fjson_object_iter_equal(&it, &end); fjson_object_iter_next(&it)) {
    const char *k = fjson_object_iter_peek_name(&it);
    fjson_object *v = fjson_object_iter_peek_value(&it);
    size_t klen = strlen(k), r2 = rlen, n2 = nlen;
    int rc = 0;
    if (!v) continue; /* null: not there */
    if (strcmp(k, "#attributes") != 0) {
      if (rlen + 1 + klen >= PATH_MAX_BYTES || nlen + 1 + (klen ? klen : 1) >= PATH_MAX_BYTES)
        continue; /* a name no event can hold */
      if (rlen) w->raw[r2++] = '.';
      if (nlen) w->name[n2++] = '.';
      memcpy(w->raw + r2, k, klen);
      r2 += klen;
      for (size_t i = 0; i < klen; i++) w->name[n2++] = name_byte(k[i]) ? k[i] : '_';
      if (!klen) w->name[n2++] = '_';
      w->raw[r2] = w->name[n2] = '\0';
    }
    if (fjson_object_is_type(v, fjson_type_object) && !strcmp(w->raw, "Event.UserData")) {
      /* Windows XML: UserData's one child is a wrapper named by the
       * provider; its fields read as Event.UserData.X, like EventData's */
      struct fjson_object_iterator ci = fjson_object_iter_begin(v), ce = fjson_object_iter_end(v);
      for (; !rc && !fjson_object_iter_equal(&ci, &ce); fjson_object_iter_next(&ci)) {
        fjson_object *cv = fjson_object_iter_peek_value(&ci);
        if (cv && fjson_object_is_type(cv, fjson_type_object)) rc = add(w, cv, r2, n2, depth + 1);
      }
    } else if (fjson_object_is_type(v, fjson_type_object)) {
      rc = add(w, v, r2, n2, depth + 1);
    } else if (r2 == rlen) {
      /* a scalar "#attributes": nothing to name it by */
    } else {
      if (w->o && w->o->time_field && !strcmp(w->raw, w->o->time_field)) take_time(w, v);
      if (fjson_object_is_type(v, fjson_type_string)) {
        const char *s = fjson_object_get_string(v);
        size_t slen = (size_t)fjson_object_get_string_len(v);
        if (w->o && w->o->host_field && !strcmp(w->raw, w->o->host_field)) {
          soc_event_set_str(w->ev, SOC_ECS_HOST_NAME, s, slen);
          w->found |= SOC_JSON_EVENT_HOST;
        }
        rc = soc_event_set(w->ev, w->name, s, slen);
      } else if (fjson_object_is_type(v, fjson_type_array)) {
        const char *s = fjson_object_to_json_string_ext(v, FJSON_TO_STRING_PLAIN);
        rc = soc_event_set_json(w->ev, w->name, s, strlen(s));
      } else {
        const char *s = fjson_object_to_json_string_ext(v, FJSON_TO_STRING_PLAIN);
        rc = soc_event_set(w->ev, w->name, s, strlen(s));
      }
    }
    w->raw[rlen] = w->name[nlen] = '\0';
    if (rc == -ENOMEM) return rc;
  }
  return 0;
}

int soc_event_from_json_line(soc_event *ev, const char *line, size_t len,
                             const soc_json_event_opts *o) {
  int result = -EINVAL;
  fjson_tokener *tok = NULL;
  fjson_object *obj = NULL;
  walk *w = NULL;
  if (!ev || !line || len > INT32_MAX) goto out;
  result = -ENOMEM;
  if (!(tok = fjson_tokener_new()) || !(w = calloc(1, sizeof *w))) goto out;
  result = -EINVAL;
  obj = fjson_tokener_parse_ex(tok, line, (int)len);
  if (!obj || fjson_tokener_get_error(tok) != fjson_tokener_success ||
      !fjson_object_is_type(obj, fjson_type_object))
    goto out;
  w->ev = ev;
  w->o = o;
  result = add(w, obj, 0, 0, 0);
  if (result == 0) result = (int)w->found;
out:
  free(w);
  if (obj) fjson_object_put(obj);
  if (tok) fjson_tokener_free(tok);
  return result;
}

int soc_event_from_json_line_or_syslog(soc_event *ev, const char *line, size_t len,
                                       const soc_json_event_opts *o, const soc_syslog_opts *so) {
  size_t i = 0;
  const char *msg;
  char *copy;
  int rc;
  if (!ev || !line) return -EINVAL;
  while (i < len && (line[i] == ' ' || line[i] == '\t')) i++;
  if (i < len && line[i] == '{') return soc_event_from_json_line(ev, line + i, len - i, o);
  soc_syslog_parse(line, len, so, ev);
  msg = soc_event_get_str(ev, SOC_ECS_MESSAGE);
  if (!msg || msg[0] != '{') return -EINVAL;
  /* the object may set message again, which frees msg */
  if (!(copy = strdup(msg))) return -ENOMEM;
  rc = soc_event_from_json_line(ev, copy, strlen(copy), o);
  free(copy);
  return rc;
}

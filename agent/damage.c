/*
 * damage — naming, recording and alerting a damaged journal block
 * (damage.h).
 *
 * The record and the alert go in one savepoint: a savepoint works both
 * inside a reader's open transaction and on its own, and either both land
 * or neither does, so an alert is never raised twice nor lost after the
 * record.
 */
#include "damage.h"

#include <json.h> /* libfastjson */
#include <stdio.h>
#include <string.h>

#include "soc/json_obj.h"
#include "soc/tz.h"

/* The ECS alert for the center; the key is the agent's id. */
static int raise_alert(soc_store *s, const soc_config *cfg, const soc_block_meta *m,
                       const char *why, const char *message) {
  fjson_object *a = fjson_object_new_object(), *ev = fjson_object_new_object(),
               *ag = fjson_object_new_object(), *jb = fjson_object_new_object();
  soc_json_add_time(a, "@timestamp", soc_now_real_ns());
  soc_json_add_str(ev, "kind", "alert");
  soc_json_add_str(ev, "action", "journal.damaged");
  soc_json_add_str(ev, "dataset", "socagent.journal");
  soc_json_add_str(ev, "module", "socagent");
  fjson_object_object_add(a, "event", ev);
  soc_json_add_str(ag, "id", cfg->agent.id);
  soc_json_add_str(ag, "agency", cfg->agent.agency);
  fjson_object_object_add(a, "agent", ag);
  fjson_object_object_add(jb, "block", fjson_object_new_int64(m->id));
  soc_json_add_str(jb, "input", m->source);
  fjson_object_object_add(jb, "stream", fjson_object_new_int64(m->stream));
  fjson_object_object_add(jb, "first_pos", fjson_object_new_int64((int64_t)m->first_pos));
  fjson_object_object_add(jb, "last_pos", fjson_object_new_int64((int64_t)m->last_pos));
  fjson_object_object_add(jb, "lines", fjson_object_new_int64(m->lines));
  soc_json_add_str(jb, "reason", why);
  fjson_object_object_add(a, "journal", jb);
  soc_json_add_str(a, "message", message);
  const char *json = fjson_object_to_json_string_ext(a, FJSON_TO_STRING_PLAIN);
  int rc = soc_store_outbox_add(s, "alerts", cfg->agent.id, json, strlen(json), NULL);
  fjson_object_put(a);
  return rc;
}

int soc_damage_note(soc_store *s, const soc_config *cfg, const char *who,
                    const soc_block_meta *m, const char *why) {
  char message[512];
  int fresh = 0;
  snprintf(message, sizeof message,
           "DATA DAMAGED: journal block %lld (input %s, stream %lld, positions %llu-%llu, %u "
           "line(s)): %s; skipped",
           (long long)m->id, m->source, (long long)m->stream, (unsigned long long)m->first_pos,
           (unsigned long long)m->last_pos, m->lines, why);
  fprintf(stderr, "%s: %s\n", who, message);
  int result = soc_store_savepoint(s, "damage");
  if (result == 0) result = soc_store_block_damage_once(s, m, why, &fresh);
  if (result == 0 && fresh) result = raise_alert(s, cfg, m, why, message);
  if (result == 0) result = soc_store_release(s, "damage");
  else soc_store_rollback_to(s, "damage");
  if (result < 0)
    fprintf(stderr, "%s: cannot record the damaged block: %s\n", who, soc_store_errmsg(s));
  return result;
}

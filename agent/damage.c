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

#include <stdio.h>

#include "alert.h"
#include "soc/json_obj.h"

/* The alert's detail: what the block's row says. */
static fjson_object *block_detail(const soc_block_meta *m, const char *why) {
  fjson_object *jb = fjson_object_new_object();
  fjson_object_object_add(jb, "block", fjson_object_new_int64(m->id));
  soc_json_add_str(jb, "input", m->source);
  fjson_object_object_add(jb, "stream", fjson_object_new_int64(m->stream));
  fjson_object_object_add(jb, "first_pos", fjson_object_new_int64((int64_t)m->first_pos));
  fjson_object_object_add(jb, "last_pos", fjson_object_new_int64((int64_t)m->last_pos));
  fjson_object_object_add(jb, "lines", fjson_object_new_int64(m->lines));
  soc_json_add_str(jb, "reason", why);
  return jb;
}

int soc_damage_note(soc_store *s, const soc_config *cfg, const char *who, const soc_block_meta *m,
                    const char *why) {
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
  if (result == 0 && fresh)
    result = soc_alert_raise(s, cfg, "journal.damaged", "socagent.journal", "journal",
                             block_detail(m, why), message);
  if (result == 0)
    result = soc_store_release(s, "damage");
  else
    soc_store_rollback_to(s, "damage");
  if (result < 0)
    fprintf(stderr, "%s: cannot record the damaged block: %s\n", who, soc_store_errmsg(s));
  return result;
}

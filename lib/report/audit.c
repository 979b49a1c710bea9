/*
 * audit — the hash chain over the audit table (see include/soc/audit.h).
 *
 * The hash covers a length-prefixed encoding rather than, say, the fields
 * joined with a separator: with a separator, "a|b" + "c" and "a" + "b|c"
 * hash the same, and an editor could move text between fields unnoticed.
 * Integers are fixed 8-byte big-endian, so the encoding does not depend on
 * how a number was printed. A version tag leads, so a future encoding can
 * never be confused with this one.
 *
 * Append chains from the head recorded in meta, not from whatever row
 * happens to be last in the table: if the tail was deleted, the next entry
 * then still points at the deleted one, and verify keeps showing the gap
 * instead of the append papering over it.
 *
 * This is the one implementation of the chain: agent.db and center.db are
 * read through their soc_store, the center's PostgreSQL through the same
 * few callbacks (soc_audit_log), so both stores hash and check alike.
 */
#include "soc/audit.h"

#include <errno.h>
#include <inttypes.h>
#include <json.h> /* libfastjson */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soc/hash.h"
#include "soc/utf8.h"
#include "soc/tz.h"

#define ENCODING_TAG "socagent.audit.v1"
#define HEAD_MAX (24 + 1 + SOC_AUDIT_HASH_HEX + 1) /* "<seq>:<hash>" */

static const char zero_hash[SOC_AUDIT_HASH_HEX + 1] =
    "0000000000000000000000000000000000000000000000000000000000000000";

static void put_u64(uint8_t b[8], uint64_t v) {
  for (int i = 7; i >= 0; i--, v >>= 8) b[i] = (uint8_t)(v & 0xff);
}

static int update_bytes(soc_sha256_ctx *c, const void *p, size_t n) {
  uint8_t len[8];
  put_u64(len, (uint64_t)n);
  int result = soc_sha256_update(c, len, sizeof len);
  if (result == 0 && n) result = soc_sha256_update(c, p, n);
  return result;
}

static int update_int(soc_sha256_ctx *c, int64_t v) {
  uint8_t b[8];
  put_u64(b, (uint64_t)v);
  return update_bytes(c, b, sizeof b);
}

static int update_str(soc_sha256_ctx *c, const char *s) { return update_bytes(c, s, strlen(s)); }

int soc_audit_hash(const soc_audit_row *r, char out[SOC_AUDIT_HASH_HEX + 1]) {
  int result = -EINVAL;
  uint8_t digest[SOC_SHA256_LEN];
  soc_sha256_ctx *c = NULL;
  if (!r || !out || !r->actor || !r->action || !r->object || !r->details || !r->prev_hash) goto out;
  out[0] = '\0';
  result = -EIO;
  c = soc_sha256_new();
  if (!c) goto out;
  if (update_str(c, ENCODING_TAG) || update_int(c, r->seq) || update_int(c, r->ts_ns) ||
      update_str(c, r->actor) || update_str(c, r->action) || update_str(c, r->object) ||
      update_str(c, r->details) || update_str(c, r->prev_hash) || soc_sha256_final(c, digest))
    goto out;
  soc_hex(digest, sizeof digest, out);
  result = 0;
out:
  soc_sha256_free(c);
  return result;
}

/* Text within max bytes: what the CLI and JSON output can show faithfully. */
static int field_ok(const char *s, size_t max, int may_be_empty) {
  if (!s) return 0;
  size_t n = strnlen(s, max + 1);
  if (n > max || (!n && !may_be_empty)) return 0;
  return soc_utf8_valid_prefix(s, n) == n;
}

/* details must be one JSON object and nothing after it, so that readers
 * can always parse what verify vouches for. */
static int details_ok(const char *json) {
  if (!field_ok(json, SOC_AUDIT_DETAILS_MAX, 0)) return 0;
  size_t n = strlen(json);
  struct fjson_tokener *tok = fjson_tokener_new();
  if (!tok) return 0;
  fjson_object *o = fjson_tokener_parse_ex(tok, json, (int)n);
  int ok = o && fjson_object_is_type(o, fjson_type_object);
  if (ok) /* only whitespace may follow the object */
    for (size_t i = (size_t)tok->char_offset; i < n; i++)
      if (!strchr(" \t\r\n", json[i])) ok = 0;
  fjson_object_put(o);
  fjson_tokener_free(tok);
  return ok;
}

int soc_audit_hash_is_hex(const char *hex) {
  return hex && strlen(hex) == SOC_AUDIT_HASH_HEX &&
         strspn(hex, "0123456789abcdef") == SOC_AUDIT_HASH_HEX;
}

int soc_audit_anchor_parse(const char *text, int64_t *seq, char hash[SOC_AUDIT_HASH_HEX + 1]) {
  long long v = 0;
  int used = 0;
  if (!text || sscanf(text, "%lld:%n", &v, &used) != 1 || used == 0 || v < 1 ||
      !soc_audit_hash_is_hex(text + used))
    return -EINVAL;
  *seq = (int64_t)v;
  memcpy(hash, text + used, SOC_AUDIT_HASH_HEX + 1);
  return 0;
}

/* ---- agent.db's (and center.db's) log: the store's audit and meta tables ---- */

static int st_in_transaction(void *h) { return soc_store_in_transaction(h); }
static int st_begin(void *h) { return soc_store_begin(h); }
static int st_read_begin(void *h) { return soc_store_read_begin(h); }
static int st_commit(void *h) { return soc_store_commit(h); }
static void st_rollback(void *h) { soc_store_rollback(h); }
static int st_head_get(void *h, char *buf, size_t cap) {
  return soc_store_meta_get(h, SOC_AUDIT_HEAD_KEY, buf, cap, NULL);
}
static int st_head_set(void *h, const char *head) {
  return soc_store_meta_set(h, SOC_AUDIT_HEAD_KEY, head);
}
static int st_max_seq(void *h, int64_t *seq) { return soc_store_audit_max_seq(h, seq); }
static int st_insert(void *h, const soc_audit_row *r) { return soc_store_audit_insert(h, r); }
static int st_scan(void *h, int64_t after_seq, size_t limit, soc_audit_row_cb cb, void *arg) {
  return soc_store_audit_scan(h, after_seq, limit, cb, arg);
}

soc_audit_log soc_audit_store_log(soc_store *s) {
  return (soc_audit_log){.h = s,
                         .in_transaction = st_in_transaction,
                         .begin = st_begin,
                         .read_begin = st_read_begin,
                         .commit = st_commit,
                         .rollback = st_rollback,
                         .head_get = st_head_get,
                         .head_set = st_head_set,
                         .max_seq = st_max_seq,
                         .insert = st_insert,
                         .scan = st_scan};
}

/* Reads "audit.head". OUT: *found 0 when absent. -EBADMSG if unreadable. */
static int head_get(const soc_audit_log *l, int *found, int64_t *seq,
                    char hash[SOC_AUDIT_HASH_HEX + 1]) {
  char buf[HEAD_MAX];
  *found = 0;
  int result = l->head_get(l->h, buf, sizeof buf);
  if (result == -ENOENT) return 0;
  if (result == -ENOSPC) return -EBADMSG;
  if (result < 0) return result;
  *found = 1;
  return soc_audit_anchor_parse(buf, seq, hash) < 0 ? -EBADMSG : 0;
}

static int append_tx(const soc_audit_log *l, const char *actor, const char *action,
                     const char *object, const char *details_json, int64_t *seq_out) {
  int result = -EINVAL, found = 0;
  int64_t head_seq = 0, max_seq = 0;
  char prev[SOC_AUDIT_HASH_HEX + 1], hash[SOC_AUDIT_HASH_HEX + 1], head[HEAD_MAX];
  if (!details_json) details_json = "{}";
  if (!l->in_transaction(l->h) || !field_ok(actor, SOC_AUDIT_FIELD_MAX, 0) ||
      !field_ok(action, SOC_AUDIT_FIELD_MAX, 0) || !field_ok(object, SOC_AUDIT_FIELD_MAX, 1) ||
      !details_ok(details_json))
    goto out;
  memcpy(prev, zero_hash, sizeof prev);
  if ((result = head_get(l, &found, &head_seq, prev)) < 0) goto out;
  if ((result = l->max_seq(l->h, &max_seq)) < 0) goto out;
  if (!found && max_seq > 0) {
    /* Starting a fresh chain here would make the old entries' loss of
     * their head look like a clean log: refuse, and let verify say why. */
    result = -EBADMSG;
    goto out;
  }
  /* Past both the head and any row someone slipped in after it, so the
   * insert never collides, and the forged row stays visible to verify. */
  soc_audit_row r = {
      .seq = (head_seq > max_seq ? head_seq : max_seq) + 1,
      .ts_ns = soc_now_real_ns(),
      .actor = actor,
      .action = action,
      .object = object,
      .details = details_json,
      .prev_hash = prev,
      .hash = hash,
  };
  if ((result = soc_audit_hash(&r, hash)) < 0) goto out;
  if ((result = l->insert(l->h, &r)) < 0) goto out;
  snprintf(head, sizeof head, "%" PRId64 ":%s", r.seq, hash);
  if ((result = l->head_set(l->h, head)) < 0) goto out;
  if (seq_out) *seq_out = r.seq;
  result = 0;
out:
  return result;
}

int soc_audit_append_tx(soc_store *s, const char *actor, const char *action, const char *object,
                        const char *details_json, int64_t *seq_out) {
  if (!s) return -EINVAL;
  soc_audit_log l = soc_audit_store_log(s);
  return append_tx(&l, actor, action, object, details_json, seq_out);
}

int soc_audit_log_append(const soc_audit_log *l, const char *actor, const char *action,
                         const char *object, const char *details_json, int64_t *seq_out) {
  int result;
  if (!l || !l->h) return -EINVAL;
  if (l->in_transaction(l->h)) return append_tx(l, actor, action, object, details_json, seq_out);
  if ((result = l->begin(l->h)) < 0) return result;
  result = append_tx(l, actor, action, object, details_json, seq_out);
  if (result == 0) result = l->commit(l->h);
  if (result < 0) l->rollback(l->h);
  return result;
}

int soc_audit_append(soc_store *s, const char *actor, const char *action, const char *object,
                     const char *details_json, int64_t *seq_out) {
  if (!s) return -EINVAL;
  soc_audit_log l = soc_audit_store_log(s);
  return soc_audit_log_append(&l, actor, action, object, details_json, seq_out);
}

typedef struct walk {
  soc_audit_report *rep;
  int64_t expect_seq;
  char prev[SOC_AUDIT_HASH_HEX + 1];
  int io_error;
  int64_t anchor_seq; /* 0: none */
  const char *anchor_hash;
  int anchor_seen;
} walk;

#define WALK_STOP 1

static int bad(walk *w, int64_t seq, const char *what) {
  w->rep->ok = 0;
  w->rep->bad_seq = seq;
  snprintf(w->rep->what, sizeof w->rep->what, "%s", what);
  return WALK_STOP;
}

static int walk_row(void *arg, const soc_audit_row *r) {
  walk *w = arg;
  char hash[SOC_AUDIT_HASH_HEX + 1], what[256];
  if (r->seq < w->expect_seq) /* only possible before 1: seq is the primary key */
    return bad(w, r->seq, "an entry numbered before the first one (entry inserted)");
  if (r->seq != w->expect_seq) {
    snprintf(what, sizeof what, "entry missing (the next one present is %" PRId64 ")", r->seq);
    return bad(w, w->expect_seq, what);
  }
  if (soc_audit_hash(r, hash) < 0) {
    w->io_error = 1;
    return WALK_STOP;
  }
  /* Own hash first: an edited entry is named as such, not as a broken link. */
  if (strcmp(hash, r->hash) != 0)
    return bad(w, r->seq, "its contents do not match its hash (entry edited)");
  if (strcmp(r->prev_hash, w->prev) != 0)
    return bad(w, r->seq,
               "its prev_hash is not the hash of the entry before"
               " (an entry was removed, inserted or reordered)");
  if (r->seq == w->anchor_seq) {
    if (strcmp(r->hash, w->anchor_hash) != 0)
      return bad(w, r->seq,
                 "its hash is not the one recorded off this machine (the log was rewritten"
                 " from here on)");
    w->anchor_seen = 1;
  }
  memcpy(w->prev, r->hash, sizeof w->prev);
  w->expect_seq++;
  w->rep->entries++;
  return 0;
}

static void check_head(walk *w, const soc_audit_log *l) {
  int found = 0;
  int64_t head_seq = 0, last = w->expect_seq - 1;
  char head[SOC_AUDIT_HASH_HEX + 1], what[256];
  int rc = head_get(l, &found, &head_seq, head);
  if (rc == -EBADMSG) {
    bad(w, last + 1, "the head record (meta audit.head) is unreadable");
    return;
  }
  if (rc < 0) {
    w->io_error = 1;
    return;
  }
  if (!found) {
    if (last > 0) bad(w, last, "the head record (meta audit.head) is missing");
    return;
  }
  if (head_seq > last) {
    snprintf(what, sizeof what,
             "entry missing: the log ends at %" PRId64 " but its head is %" PRId64
             " (entries removed from the end)",
             last, head_seq);
    bad(w, last + 1, what);
  } else if (head_seq < last) {
    snprintf(what, sizeof what,
             "entry past the recorded head %" PRId64 " (entry added outside socagent)", head_seq);
    bad(w, head_seq + 1, what);
  } else if (strcmp(head, w->prev) != 0) {
    bad(w, last, "its hash is not the recorded head's (last entry replaced)");
  }
}

int soc_audit_head(soc_store *s, int64_t *seq, char hash[SOC_AUDIT_HASH_HEX + 1]) {
  int found = 0;
  *seq = 0;
  hash[0] = 0;
  soc_audit_log l = soc_audit_store_log(s);
  int rc = head_get(&l, &found, seq, hash);
  if (rc < 0 || !found) {
    *seq = 0;
    hash[0] = 0;
  }
  return rc;
}

int soc_audit_verify(soc_store *s, soc_audit_report *report) {
  return soc_audit_verify_anchored(s, 0, NULL, report);
}

int soc_audit_verify_anchored(soc_store *s, int64_t anchor_seq, const char *anchor_hash,
                              soc_audit_report *report) {
  if (!s) return -EINVAL;
  soc_audit_log l = soc_audit_store_log(s);
  return soc_audit_log_verify(&l, anchor_seq, anchor_hash, report);
}

int soc_audit_log_verify(const soc_audit_log *l, int64_t anchor_seq, const char *anchor_hash,
                         soc_audit_report *report) {
  int result = -EINVAL, own_txn = 0;
  walk w = {.rep = report, .expect_seq = 1, .anchor_seq = anchor_seq, .anchor_hash = anchor_hash};
  if (!l || !l->h || !report || anchor_seq < 0 || (anchor_seq > 0 && !anchor_hash)) goto out;
  memset(report, 0, sizeof *report);
  report->ok = 1;
  memcpy(w.prev, zero_hash, sizeof w.prev);
  /* One snapshot: an append committing mid-walk must not look like a
   * chain that runs past its head. */
  if (!l->in_transaction(l->h)) {
    if ((result = l->read_begin(l->h)) < 0) goto out;
    own_txn = 1;
  }
  /* from INT64_MIN: a row numbered 0 or below is a forgery to report too */
  result = l->scan(l->h, INT64_MIN, 0, walk_row, &w);
  if (result < 0) goto out;
  if (w.io_error) {
    result = -EIO;
    goto out;
  }
  if (report->ok) check_head(&w, l);
  if (report->ok && anchor_seq > 0 && !w.anchor_seen) {
    char what[160];
    snprintf(what, sizeof what,
             "entry missing: it was recorded off this machine, the log now ends at %" PRId64
             " (entries removed and the head rewritten)",
             w.expect_seq - 1);
    bad(&w, anchor_seq, what);
  }
  if (w.io_error) {
    result = -EIO;
    goto out;
  }
  result = 0;
out:
  if (report) {
    /* The last entry that checked out; when broken, where trust ends. */
    if (report->entries) memcpy(report->head, w.prev, sizeof report->head);
    if (report->ok && report->entries == 0) report->head[0] = '\0';
  }
  if (own_txn) l->commit(l->h);
  return result;
}

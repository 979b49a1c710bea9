/*
 * storemark — agent.db held to the marker beside it (storemark.h).
 *
 * The marker is one line, "socagent-store <id> <newest block>\n", replaced
 * whole by rename so that a reader never sees half of one.
 */
#include "storemark.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alert.h"
#include "soc/json_obj.h"

#define MARK_MAX 128

struct soc_storemark {
  soc_store *store;
  const soc_config *cfg;
  char path[4096];
  char id[SOC_STORE_ID_LEN + 1];
  int64_t block;    /* the newest block the marker says */
  int write_failed; /* said once */
};

static int read_id(soc_storemark *m) {
  int rc = soc_store_meta_get(m->store, "store.id", m->id, sizeof m->id, NULL);
  if (rc < 0) fprintf(stderr, "socagent: %s\n", soc_store_errmsg(m->store));
  return rc;
}

/* Same mode as the database (0660: the state folder's group uses socctl). */
static void write_mark(soc_storemark *m, int64_t block) {
  char tmp[4200], line[MARK_MAX];
  int n = snprintf(line, sizeof line, "socagent-store %s %" PRId64 "\n", m->id, block);
  snprintf(tmp, sizeof tmp, "%s.tmp", m->path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0660);
  int ok = fd >= 0 && fchmod(fd, 0660) == 0 && write(fd, line, (size_t)n) == n;
  if (fd >= 0 && close(fd) < 0) ok = 0;
  if (ok && rename(tmp, m->path) < 0) ok = 0;
  if (!ok) {
    if (!m->write_failed)
      fprintf(stderr, "socagent: cannot write %s: %s (a lost store would go unnoticed)\n", m->path,
              strerror(errno));
    m->write_failed = 1;
    unlink(tmp);
    return;
  }
  m->write_failed = 0;
  m->block = block;
}

/* Reads the marker. Returns 1 read, 0 absent, -1 unreadable. */
static int read_mark(const char *path, char *id, int64_t *block) {
  char line[MARK_MAX + 1];
  FILE *f = fopen(path, "re");
  if (!f) return errno == ENOENT ? 0 : -1;
  size_t n = fread(line, 1, MARK_MAX, f);
  fclose(f);
  line[n] = '\0';
  long long b = -1;
  _Static_assert(SOC_STORE_ID_LEN == 32, "the width below is the id's length");
  if (sscanf(line, "socagent-store %32s %lld", id, &b) != 2 || b < 0) return -1;
  *block = b;
  return 1;
}

static void say(soc_storemark *m, const char *action, const char *was_id, int64_t was_block,
                int64_t now_block, const char *message) {
  fprintf(stderr, "socagent: %s\n", message);
  fjson_object *d = fjson_object_new_object();
  soc_json_add_str(d, "id", m->id);
  soc_json_add_str(d, "marker_id", was_id);
  fjson_object_object_add(d, "marker_block", fjson_object_new_int64(was_block));
  fjson_object_object_add(d, "newest_block", fjson_object_new_int64(now_block));
  if (soc_alert_raise(m->store, m->cfg, action, "socagent.store", "store", d, message) < 0)
    fprintf(stderr, "socagent: cannot queue the alert: %s\n", soc_store_errmsg(m->store));
}

int soc_storemark_new(soc_store *s, const soc_config *cfg, const char *db_path,
                      soc_storemark **out) {
  int result = -ENOMEM;
  char was[SOC_STORE_ID_LEN + 1] = "", msg[2 * 4096 + 1024]; /* two paths and words */
  int64_t was_block = 0, now_block = 0;
  soc_storemark *m = calloc(1, sizeof *m);
  *out = NULL;
  if (!m) goto out;
  m->store = s;
  m->cfg = cfg;
  snprintf(m->path, sizeof m->path, "%s.marker", db_path);
  if ((result = read_id(m)) < 0 || (result = soc_store_block_last(s, &now_block)) < 0) {
    if (result != -ENOENT) fprintf(stderr, "socagent: %s\n", soc_store_errmsg(s));
    goto out;
  }
  int k = read_mark(m->path, was, &was_block);
  if (k < 0)
    fprintf(stderr,
            "socagent: %s is unreadable; written anew (the store is not checked this "
            "time)\n",
            m->path);
  if (k > 0 && strcmp(was, m->id) != 0) {
    snprintf(msg, sizeof msg,
             "STORE REPLACED: %s is not the store this agent last committed to (its id is %s; "
             "%s says %s, with journal blocks up to %" PRId64
             "): the lines committed to that "
             "store are not in this one (a lost -wal file after a crash, a removed or restored "
             "file); read them again from their sources if they still have them",
             db_path, m->id, m->path, was, was_block);
    say(m, "store.replaced", was, was_block, now_block, msg);
  } else if (k > 0 && now_block < was_block) {
    char old[SOC_STORE_ID_LEN + 1];
    memcpy(old, m->id, sizeof old);
    if ((result = soc_store_renew_id(s)) < 0 || (result = read_id(m)) < 0) goto out;
    snprintf(msg, sizeof msg,
             "STORE WENT BACKWARDS: %s holds journal blocks up to %" PRId64
             ", but blocks up to "
             "%" PRId64
             " were committed to it (%s): commits were lost (a lost -wal file after a "
             "crash, or a backup put back); its id changes from %s to %s so that no event.id "
             "repeats",
             db_path, now_block, was_block, m->path, old, m->id);
    say(m, "store.backwards", was, was_block, now_block, msg);
  }
  write_mark(m, now_block);
  result = 0;
out:
  if (result == 0)
    *out = m;
  else
    free(m);
  return result;
}

void soc_storemark_committed(soc_storemark *m) {
  int64_t last = 0;
  if (soc_store_block_last(m->store, &last) == 0 && last != m->block) write_mark(m, last);
}

void soc_storemark_free(soc_storemark *m) { free(m); }

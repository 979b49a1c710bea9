/*
 * spool — writing and taking back the emergency spool (spool.h).
 */
#define _GNU_SOURCE /* O_DIRECTORY, fdopendir */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "soc/hash.h"
#include "soc/tz.h"

#define MAGIC "SOCSPOOL 1\n"
#define TRAILER "END "
#define SPOOL_MAX (1024LL * 1024 * 1024) /* far past any journal's pending_max */
#define SOURCES_MAX 256
#define NAME_MAX_LEN 255

/* ---- writing ------------------------------------------------------------ */

typedef struct writer {
  int fd;
  soc_sha256_ctx *sum;
  int err;
  soc_spool_keep_cb keep;
  void *arg;
  int64_t lines;
} writer;

static void put(writer *w, const void *p, size_t n) {
  if (w->err) return;
  if (soc_sha256_update(w->sum, p, n) < 0) {
    w->err = -EIO;
    return;
  }
  for (const char *c = p; n;) {
    ssize_t k = write(w->fd, c, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) {
      w->err = k < 0 ? -errno : -EIO;
      return;
    }
    c += k;
    n -= (size_t)k;
  }
}

static void put_u64(writer *w, uint64_t v) {
  uint8_t le[8];
  for (int i = 0; i < 8; i++) le[i] = (uint8_t)(v >> (8 * i));
  put(w, le, sizeof le);
}

static int write_block(void *arg, const soc_block_meta *m, const void *enc, size_t len) {
  writer *w = arg;
  if (!w->keep(w->arg, m->source)) return 0;
  put_u64(w, strlen(m->source));
  put(w, m->source, strlen(m->source));
  put_u64(w, (uint64_t)m->stream);
  put_u64(w, m->first_pos);
  put_u64(w, (uint64_t)m->first_ts);
  put_u64(w, m->lines);
  put_u64(w, len);
  put(w, enc, len);
  w->lines += m->lines;
  return w->err;
}

int soc_spool_write(soc_journal *j, const char *dir, const char *agent_id, soc_spool_keep_cb keep,
                    void *arg, int64_t *lines) {
  int result = -ENOMEM;
  char tmp[4096 + 8], path[4096];
  uint8_t digest[SOC_SHA256_LEN];
  writer w = {.fd = -1, .keep = keep, .arg = arg};
  *lines = 0;
  if (mkdir(dir, 0700) < 0 && errno != EEXIST) return -errno;
  snprintf(path, sizeof path, "%s/%s.%lld.spool", dir, agent_id, (long long)soc_now_real_ns());
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  if (!(w.sum = soc_sha256_new())) goto out;
  w.fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (w.fd < 0) {
    result = -errno;
    goto out;
  }
  put(&w, MAGIC, strlen(MAGIC));
  result = soc_journal_pending_scan(j, write_block, &w);
  if (result == 0) result = w.err;
  if (result == 0) result = soc_sha256_final(w.sum, digest);
  if (result == 0) {
    /* the trailer is not part of what it sums */
    soc_sha256_free(w.sum);
    w.sum = soc_sha256_new();
    if (!w.sum) result = -ENOMEM;
  }
  if (result == 0) {
    put(&w, TRAILER, strlen(TRAILER));
    put(&w, digest, sizeof digest);
    result = w.err;
  }
  if (result == 0 && fsync(w.fd) < 0) result = -errno;
  if (result == 0 && close(w.fd) < 0) result = -errno;
  w.fd = -1;
  if (result == 0 && rename(tmp, path) < 0) result = -errno;
  if (result == 0) {
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      fsync(dfd);
      close(dfd);
    }
    *lines = w.lines;
  }
out:
  if (w.fd >= 0) close(w.fd);
  if (result < 0) unlink(tmp);
  soc_sha256_free(w.sum);
  return result;
}

/* ---- taking back ---------------------------------------------------------- */

typedef struct source_max {
  char id[SOC_STORE_META_KEY_MAX];
  uint64_t next; /* past the highest spooled position */
} source_max;

typedef struct taker {
  soc_journal *j;
  source_max src[SOURCES_MAX];
  size_t nsrc;
  int64_t lines;
} taker;

static int take_line(void *arg, const soc_jentry *e) {
  taker *t = arg;
  soc_jline l = e->line;
  int rc = soc_journal_append(t->j, e->source, e->stream, &l);
  if (rc < 0) return rc; /* -EAGAIN: more than the journal's memory; the spool stays */
  size_t i = 0;
  while (i < t->nsrc && strcmp(t->src[i].id, e->source) != 0) i++;
  if (i == t->nsrc) {
    if (t->nsrc == SOURCES_MAX || strlen(e->source) >= sizeof t->src[0].id) return -E2BIG;
    snprintf(t->src[t->nsrc].id, sizeof t->src[0].id, "%s", e->source);
    t->src[t->nsrc++].next = 0;
  }
  if (e->line.pos + 1 > t->src[i].next) t->src[i].next = e->line.pos + 1;
  t->lines++;
  return 0;
}

static int get_u64(const uint8_t **p, const uint8_t *end, uint64_t *v) {
  if (end - *p < 8) return -EBADMSG;
  *v = 0;
  for (int i = 0; i < 8; i++) *v |= (uint64_t)(*p)[i] << (8 * i);
  *p += 8;
  return 0;
}

/* Checks a whole spool and appends its lines to the journal. */
static int parse(taker *t, const uint8_t *data, size_t len) {
  size_t tl = strlen(TRAILER) + SOC_SHA256_LEN, ml = strlen(MAGIC);
  uint8_t digest[SOC_SHA256_LEN];
  if (len < ml + tl || memcmp(data, MAGIC, ml) != 0 ||
      memcmp(data + len - tl, TRAILER, strlen(TRAILER)) != 0)
    return -EBADMSG;
  if (soc_sha256(data, len - tl, digest) < 0) return -EIO;
  if (memcmp(digest, data + len - SOC_SHA256_LEN, SOC_SHA256_LEN) != 0) return -EBADMSG;
  const uint8_t *p = data + ml, *end = data + len - tl;
  while (p < end) {
    uint64_t slen, stream, first_pos, first_ts, lines, elen;
    char source[SOC_STORE_META_KEY_MAX];
    if (get_u64(&p, end, &slen) || slen >= sizeof source || (uint64_t)(end - p) < slen)
      return -EBADMSG;
    memcpy(source, p, slen);
    source[slen] = '\0';
    p += slen;
    if (get_u64(&p, end, &stream) || get_u64(&p, end, &first_pos) || get_u64(&p, end, &first_ts) ||
        get_u64(&p, end, &lines) || get_u64(&p, end, &elen) || lines > UINT32_MAX ||
        (uint64_t)(end - p) < elen)
      return -EBADMSG;
    soc_block_meta m = {.source = source,
                        .stream = (int64_t)stream,
                        .first_pos = first_pos,
                        .first_ts = (int64_t)first_ts,
                        .lines = (uint32_t)lines};
    int rc = soc_journal_decode(&m, p, (size_t)elen, take_line, t);
    if (rc) return rc;
    p += elen;
  }
  return 0;
}

/* Commits what parse appended, with the sequences and the record. */
static int commit_taken(soc_store *s, soc_journal *j, const taker *t, const char *key) {
  int rc = soc_store_begin(s);
  if (rc == 0) rc = soc_journal_flush(j);
  for (size_t i = 0; rc == 0 && i < t->nsrc; i++) {
    uint64_t seq = 0;
    rc = soc_store_seq_get(s, t->src[i].id, &seq);
    if (rc == 0 && t->src[i].next > seq) rc = soc_store_seq_set(s, t->src[i].id, t->src[i].next);
  }
  if (rc == 0) rc = soc_store_meta_set(s, key, "1");
  if (rc == 0) rc = soc_store_commit(s);
  if (rc < 0) soc_store_rollback(s);
  soc_journal_done(j, rc == 0);
  return rc;
}

static int read_all(int dfd, const char *name, uint8_t **data, size_t *len) {
  int result = -EIO;
  struct stat st;
  *data = NULL;
  int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return -errno;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > SPOOL_MAX) goto out;
  result = -ENOMEM;
  if (!(*data = malloc((size_t)st.st_size + 1))) goto out;
  size_t got = 0;
  while (got < (size_t)st.st_size) {
    ssize_t k = read(fd, *data + got, (size_t)st.st_size - got);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) {
      result = -EIO;
      goto out;
    }
    got += (size_t)k;
  }
  *len = got;
  result = 0;
out:
  close(fd);
  if (result < 0) {
    free(*data);
    *data = NULL;
  }
  return result;
}

/* One spool file. Returns 0 (taken, or already taken) or a negative errno. */
static int take_one(soc_store *s, soc_journal *j, const char *dir, int dfd, const char *name) {
  char key[SOC_STORE_META_KEY_MAX], v[8], bad[NAME_MAX_LEN + 8];
  uint8_t *data = NULL;
  size_t len = 0;
  snprintf(key, sizeof key, "spool.taken.%s", name);
  if (soc_store_meta_get(s, key, v, sizeof v, NULL) == 0) {
    fprintf(stderr, "socagent: spool %s/%s was taken back before; removed\n", dir, name);
    unlinkat(dfd, name, 0);
    return 0;
  }
  taker *t = calloc(1, sizeof *t);
  int result = t ? read_all(dfd, name, &data, &len) : -ENOMEM;
  if (result == 0) {
    t->j = j;
    result = parse(t, data, len);
  }
  if (result == -EBADMSG) {
    soc_journal_discard(j);
    snprintf(bad, sizeof bad, "%s.bad", name);
    renameat(dfd, name, dfd, bad);
    fprintf(stderr,
            "socagent: spool %s/%s is damaged (truncated, or changed); kept as %s, "
            "nothing of it taken\n",
            dir, name, bad);
    goto out;
  }
  if (result == 0) result = commit_taken(s, j, t, key);
  if (result < 0) {
    soc_journal_discard(j);
    fprintf(stderr, "socagent: cannot take back spool %s/%s: %s; kept for the next start\n", dir,
            name, result == -EAGAIN ? "larger than the journal's memory" : strerror(-result));
    goto out;
  }
  unlinkat(dfd, name, 0);
  fprintf(stderr, "socagent: took back %lld line(s) from the emergency spool %s/%s\n",
          (long long)t->lines, dir, name);
out:
  free(data);
  free(t);
  return result;
}

int soc_spool_take(soc_store *s, soc_journal *j, const char *dir, const char *agent_id) {
  int result = 0;
  size_t plen = strlen(agent_id);
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return errno == ENOENT ? 0 : -errno;
  DIR *d = fdopendir(dfd);
  if (!d) {
    close(dfd);
    return -errno;
  }
  struct dirent *de;
  while ((de = readdir(d))) {
    const char *n = de->d_name;
    size_t nl = strlen(n);
    /* "<agent id>.<time>.spool" */
    if (nl <= plen + 7 || strncmp(n, agent_id, plen) != 0 || n[plen] != '.' ||
        strcmp(n + nl - 6, ".spool") != 0)
      continue;
    int rc = take_one(s, j, dir, dirfd(d), n);
    if (rc < 0 && !result) result = rc;
  }
  closedir(d);
  return result;
}

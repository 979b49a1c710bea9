/*
 * input_file — tailing log files without losing or doubling a line.
 *
 * A file is known by its identity, not its name: (device, inode) plus a
 * fingerprint, the SHA-256 of its first bytes (up to FP_BYTES). Names move
 * (rotation renames app.log to app.log.1), inodes are reused after a
 * delete, and only the pair tells "the same file" from "a new file in the
 * old one's place". Each file we read is a stream with a row in the store
 * (store_files.c) holding its identity and the committed offset: every
 * byte before it is in the journal, every byte after it is not.
 *
 * How each hazard is met:
 *  - rename rotation: we keep the open descriptor, so the old file is read
 *    to its end however long that takes; once at the end, it stays open
 *    rotate_wait more for late writers, then is released. A rename while
 *    the agent was down is found by looking for the inode in the old
 *    file's folder.
 *  - copytruncate / truncation: a size below our offset, or a changed
 *    fingerprint, means the file was cut: we read it again from 0. A copy
 *    that matches the glob is recognised by its fingerprint and read only
 *    from where the original had got to, so its lines are not taken twice;
 *    one still being written (shorter than what we read of the original)
 *    is looked at again at the next scan. The cut may be seen, and the
 *    stream it ends committed, before the copy is (a scan that missed the
 *    copy under load, a copy moved in later, a restart in between): ended
 *    streams are remembered (ENDED_MAX, kept in the store too) for that.
 *  - inode reuse: a stored (device, inode) whose fingerprint does not match
 *    is a different file, read from 0.
 *  - deletion while open: the descriptor keeps the data readable; it is
 *    drained and released like a rotated file.
 *  - crash at any instant: positions are written in the same transaction
 *    as the lines (input.h), so a restart resumes at the exact byte.
 *  - over-long lines: the first max_line_bytes are taken, flagged; the rest
 *    of the line is skipped, and that "skipping" state is saved with the
 *    offset so a crash mid-line neither repeats nor invents a line.
 *  - a last line without its newline waits flush_partial_after, then is
 *    taken and flagged partial.
 *
 * Files are polled (poll_interval) rather than watched with inotify:
 * polling a handful of files costs microseconds, works on every file
 * system (NFS included) and can not miss an event under load. A file with
 * a backlog is read until it is empty or the journal asks us to wait.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <iconv.h>
#include <libgen.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingest.h"
#include "input.h"
#include "soc/hash.h"

#define FP_BYTES 1024u
#define READ_CHUNK (256u * 1024u)
#define FLAG_SKIPPING 1u /* row flag: the offset is inside an over-long line */
#define ENDED_MAX 64u    /* ended streams remembered for copy detection */

typedef struct tfile {
  soc_stream_row row; /* row.offset: committed position */
  int fd;
  uint64_t handed;   /* just past the last byte handed to the journal (or skipped) */
  uint64_t read_off; /* file offset of the end of carry */
  char *carry;       /* bytes after `handed` that do not make a line yet */
  size_t carry_len;
  int skipping; /* discarding the rest of an over-long line */
  int gone;     /* renamed away or deleted: drain, then release */
  int64_t gone_since_ms;
  int64_t last_growth_ms; /* when we last read new bytes */
  int64_t read_ns;        /* the real time of that read: the recv_ns of the lines it completed */
  int64_t mtime_ns;       /* the file's modification time at the last look */
  int seen;               /* matched in the current scan */
  int dirty;              /* row needs writing at the next checkpoint */
  int released;           /* done: free after the next commit */
  int at_eof;
  uint64_t checkpointed; /* the `handed` value written at the last checkpoint */
} tfile;

/* An ended stream, as much as copy detection needs: its fingerprint and how
 * far it was read. */
typedef struct ended {
  uint32_t fp_len;
  uint8_t fp[SOC_STREAM_FP_MAX];
  uint64_t offset;
} ended;

typedef struct file_state {
  soc_input *in;
  tfile **files;
  size_t n, cap;
  soc_timer *timer;
  int first_scan_done; /* read_from: end applies to the first scan only */
  int oneshot;
  int open_error;         /* the last open that failed (oneshot: said as the input's error) */
  ended ended[ENDED_MAX]; /* a ring, the newest at ended_next - 1 */
  size_t ended_next, nended;
  iconv_t cd; /* (iconv_t)-1 for UTF-8 input */
  char *conv; /* conversion buffer */
  size_t conv_cap;
} file_state;

static const char *input_id(const file_state *fs) { return fs->in->cfg->id; }

static void warn(const file_state *fs, const char *path, const char *what, int err) {
  fprintf(stderr, "socagent: %s: %s: %s%s%s\n", input_id(fs), path, what, err ? ": " : "",
          err ? strerror(err) : "");
}

/* ---- identity ------------------------------------------------------------ */

/* Hashes the first len bytes of fd. Returns 0, or -EIO if fewer could be read. */
static int fingerprint(int fd, uint32_t len, uint8_t out[SOC_STREAM_FP_MAX]) {
  uint8_t buf[FP_BYTES];
  ssize_t got = len ? pread(fd, buf, len, 0) : 0;
  if (got != (ssize_t)len) return -EIO;
  return soc_sha256(buf, len, out);
}

/* Whether fd (of size size) starts with the fp_len bytes fp is the hash of. */
static int same_prefix(int fd, uint64_t size, uint32_t fp_len, const uint8_t *fp) {
  uint8_t got[SOC_STREAM_FP_MAX];
  if (size < fp_len) return 0;
  if (fingerprint(fd, fp_len, got) < 0) return 0;
  return memcmp(got, fp, SOC_STREAM_FP_MAX) == 0 || fp_len == 0;
}

/* Whether fd (of size size) is the file that row describes. */
static int same_content(int fd, uint64_t size, const soc_stream_row *row) {
  return same_prefix(fd, size, row->fp_len, row->fp);
}

/* Remembers a stream that ended (read up to offset) for copy detection;
 * one whose fingerprint is not full length could match too much. */
static void remember_ended(file_state *fs, uint32_t fp_len, const uint8_t *fp, uint64_t offset) {
  if (fp_len < FP_BYTES) return;
  ended *e = &fs->ended[fs->ended_next];
  e->fp_len = fp_len;
  memcpy(e->fp, fp, SOC_STREAM_FP_MAX);
  e->offset = offset;
  fs->ended_next = (fs->ended_next + 1) % ENDED_MAX;
  if (fs->nended < ENDED_MAX) fs->nended++;
}

/* Grows the fingerprint while the file is shorter than FP_BYTES, so that a
 * file that started small still gets a strong identity. */
static void refresh_fingerprint(tfile *f, uint64_t size) {
  if (f->row.fp_len >= FP_BYTES || size <= f->row.fp_len) return;
  uint32_t len = size < FP_BYTES ? (uint32_t)size : FP_BYTES;
  if (fingerprint(f->fd, len, f->row.fp) == 0) {
    f->row.fp_len = len;
    f->dirty = 1;
  }
}

/* ---- the set of files ---------------------------------------------------- */

static tfile *find_by_inode(file_state *fs, uint64_t dev, uint64_t ino) {
  for (size_t i = 0; i < fs->n; i++)
    if (!fs->files[i]->released && fs->files[i]->row.dev == dev && fs->files[i]->row.ino == ino)
      return fs->files[i];
  return NULL;
}

static int add_file(file_state *fs, tfile *f) {
  if (fs->n == fs->cap) {
    size_t cap = fs->cap ? fs->cap * 2 : 8;
    tfile **v = realloc(fs->files, cap * sizeof *v);
    if (!v) return -ENOMEM;
    fs->files = v;
    fs->cap = cap;
  }
  fs->files[fs->n++] = f;
  return 0;
}

static void tfile_free(tfile *f) {
  if (!f) return;
  if (f->fd >= 0) close(f->fd);
  free(f->carry);
  free(f);
}

static tfile *tfile_new(file_state *fs, int fd, const char *path, const struct stat *st) {
  tfile *f = calloc(1, sizeof *f);
  if (!f) return NULL;
  f->carry = malloc((size_t)fs->in->cfg->max_line_bytes + 1);
  if (!f->carry) {
    free(f);
    return NULL;
  }
  f->fd = fd;
  snprintf(f->row.input, sizeof f->row.input, "%s", input_id(fs));
  snprintf(f->row.path, sizeof f->row.path, "%s", path);
  f->row.dev = (uint64_t)st->st_dev;
  f->row.ino = (uint64_t)st->st_ino;
  f->last_growth_ms = soc_now_mono_ms();
  return f;
}

/* Puts f at position off (committed or chosen), with the skipping state. */
static void tfile_seek(tfile *f, uint64_t off, int skipping) {
  f->row.offset = f->handed = f->read_off = f->checkpointed = off;
  f->carry_len = 0;
  f->skipping = skipping;
  f->at_eof = 0;
}

/* Opens a file found for the first time (no stored row matches it) and
 * records its stream row at once: lines need the stream id. Reading starts
 * at `start`; the row says `durable`, the position to come back to after a
 * crash (they differ for a copytruncate copy: see copy_origin). */
static int track_new(file_state *fs, const char *path, int fd, const struct stat *st,
                     uint64_t start, uint64_t durable) {
  tfile *f = tfile_new(fs, fd, path, st);
  if (!f) return -ENOMEM;
  uint32_t len = (uint64_t)st->st_size < FP_BYTES ? (uint32_t)st->st_size : FP_BYTES;
  if (fingerprint(fd, len, f->row.fp) == 0) f->row.fp_len = len;
  tfile_seek(f, durable, 0);
  int rc = soc_store_stream_insert(soc_ingest_store(fs->in->ingest), &f->row);
  f->handed = f->read_off = start;
  if (rc == 0) rc = add_file(fs, f);
  if (rc < 0) {
    f->fd = -1; /* the caller closes it */
    tfile_free(f);
    return rc;
  }
  fs->in->counters[SOC_CTR_FILES_OPENED]++;
  return 0;
}

/* A copytruncate copy: a new file whose first bytes are those of a file we
 * are reading, or of one a previous run left behind. Its lines up to where
 * the original had got are in the journal already, so it is read from
 * there. Two positions come out: *start, how far lines have been handed
 * (pending ones included), and *durable, how far they are committed; the
 * copy's row records the durable one, so that after a crash the lines that
 * were pending for the original are read again, from the copy. Returns
 * whether f is such a copy. */
static int copy_origin(file_state *fs, int fd, const struct stat *st, uint64_t *start,
                       uint64_t *durable) {
  uint64_t size = (uint64_t)st->st_size;
  for (size_t i = 0; i < fs->n; i++) {
    tfile *o = fs->files[i];
    if (o->row.fp_len < FP_BYTES || !same_content(fd, size, &o->row)) continue;
    *start = o->handed <= size ? o->handed : size;
    *durable = o->checkpointed <= *start ? o->checkpointed : *start;
    return 1;
  }
  /* newest first: a copy of a copy takes where the later one got to */
  for (size_t k = 1; k <= fs->nended; k++) {
    const ended *e = &fs->ended[(fs->ended_next + ENDED_MAX - k) % ENDED_MAX];
    if (!same_prefix(fd, size, e->fp_len, e->fp)) continue;
    *start = *durable = e->offset <= size ? e->offset : size;
    return 1;
  }
  return 0;
}

/* Whether a new file may be a copytruncate copy still being written: what
 * it holds so far is the start of a file we are reading, it holds less than
 * we have read of that one, and it was written to within the last second
 * (or rotate_wait). Deciding now would read it again from 0 (too short to be
 * known by its fingerprint) or from its current end (the rest doubled); the
 * next scan looks again. Not on the first scan (read_from: end applies to
 * what is there at start) nor in a oneshot (it has no next scan). */
static int copy_in_progress(file_state *fs, int fd, const struct stat *st) {
  uint8_t head[FP_BYTES], other[FP_BYTES];
  uint64_t size = (uint64_t)st->st_size;
  size_t n = size < FP_BYTES ? (size_t)size : FP_BYTES;
  int64_t wait_ms = fs->in->cfg->rotate_wait_ms > 1000 ? fs->in->cfg->rotate_wait_ms : 1000;
  int64_t mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
  if (fs->oneshot || !fs->first_scan_done || (soc_now_real_ns() - mtime_ns) / 1000000 >= wait_ms ||
      pread(fd, head, n, 0) != (ssize_t)n)
    return 0;
  for (size_t i = 0; i < fs->n; i++) {
    tfile *o = fs->files[i];
    if (o->fd < 0 || o->released || size >= o->handed) continue;
    if (pread(o->fd, other, n, 0) == (ssize_t)n && memcmp(head, other, n) == 0) return 1;
  }
  return 0;
}

/* One path from a glob: known file, renamed known file, or new. */
static void consider(file_state *fs, const char *path) {
  struct stat st;
  if (soc_input_excluded(fs->in->cfg, path) || stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return;
  tfile *f = find_by_inode(fs, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
  if (f) {
    f->seen = 1;
    if (strcmp(f->row.path, path) != 0) {
      /* Renamed to a name that still matches: same file, same stream. */
      snprintf(f->row.path, sizeof f->row.path, "%s", path);
      f->dirty = 1;
    }
    return;
  }
  /* out of descriptors a moment ago: this scan leaves new files for later
   * (a oneshot tries them all: it has no later) */
  if (!fs->oneshot && soc_ingest_resources_short(fs->in->ingest)) return;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    fs->in->counters[SOC_CTR_READ_ERRORS]++;
    fs->open_error = errno;
    if (errno == EMFILE || errno == ENFILE || errno == ENOMEM)
      soc_ingest_resource_error(fs->in->ingest, input_id(fs), path, "cannot open", errno);
    else
      warn(fs, path, "cannot open", errno);
    return;
  }
  if (copy_in_progress(fs, fd, &st)) {
    close(fd);
    return;
  }
  uint64_t start = 0, durable = 0;
  if (!copy_origin(fs, fd, &st, &start, &durable) && !fs->first_scan_done &&
      strcmp(fs->in->cfg->read_from, "end") == 0)
    start = durable = (uint64_t)st.st_size;
  if (track_new(fs, path, fd, &st, start, durable) < 0) {
    close(fd);
    return;
  }
  fs->files[fs->n - 1]->seen = 1;
}

/* ---- reading ------------------------------------------------------------- */

/* Converts a line to UTF-8 when the input is not UTF-8. Bytes iconv can not
 * convert are kept as they are (the event layer escapes them) and flagged. */
static int convert(file_state *fs, soc_jline *l) {
  size_t need = l->len * 2 + 16;
  if (need > fs->conv_cap) {
    char *p = realloc(fs->conv, need);
    if (!p) return -ENOMEM;
    fs->conv = p;
    fs->conv_cap = need;
  }
  char *in = (char *)l->data, *out = fs->conv;
  size_t inleft = l->len, outleft = fs->conv_cap;
  iconv(fs->cd, NULL, NULL, NULL, NULL);
  while (inleft) {
    if (iconv(fs->cd, &in, &inleft, &out, &outleft) != (size_t)-1) break;
    if (errno == E2BIG || !outleft) break;
    /* EILSEQ / EINVAL: keep the byte raw and go on */
    *out++ = *in++;
    inleft--;
    outleft--;
    l->flags |= SOC_JLINE_BAD_ENCODING;
  }
  l->flags |= SOC_JLINE_CONVERTED;
  if (l->flags & SOC_JLINE_BAD_ENCODING) fs->in->counters[SOC_CTR_CONVERT_ERRORS]++;
  l->data = fs->conv;
  l->len = (size_t)(out - fs->conv);
  return 0;
}

/* Hands one line at file offset pos, received at recv_ns. Returns 0 or
 * -EAGAIN. */
static int hand(file_state *fs, tfile *f, const char *data, size_t len, uint64_t pos,
                uint32_t flags, int64_t recv_ns) {
  soc_jline l = {.data = data, .len = len, .pos = pos, .recv_ns = recv_ns, .flags = flags};
  if (len && data[len - 1] == '\r') l.len--; /* CRLF files */
  if (fs->cd != (iconv_t)-1 && convert(fs, &l) < 0) return -ENOMEM;
  return soc_ingest_line(fs->in, input_id(fs), f->row.id, &l);
}

/* Takes the complete lines out of carry. Returns 0 or -EAGAIN (the rest
 * stays in carry, `handed` tells how far we got). A line's receive time is
 * that of the read that completed it, as the syslog input's is that of the
 * read its bytes came in: one clock reading per read of up to 256 KiB,
 * not one per line. */
static int take_lines(file_state *fs, tfile *f) {
  size_t max = (size_t)fs->in->cfg->max_line_bytes;
  size_t start = 0;
  int rc = 0;
  while (start < f->carry_len) {
    char *nl = memchr(f->carry + start, '\n', f->carry_len - start);
    if (f->skipping) {
      if (!nl) {
        start = f->carry_len; /* all of it is the rest of the long line */
        break;
      }
      f->skipping = 0;
      start = (size_t)(nl - f->carry) + 1;
      continue;
    }
    size_t end = nl ? (size_t)(nl - f->carry) : f->carry_len;
    size_t len = end - start;
    if (!nl && len < max) break; /* an unfinished line: wait for more */
    uint32_t flags = len > max || !nl ? SOC_JLINE_TRUNCATED : 0;
    if (len > max) len = max;
    rc = hand(fs, f, f->carry + start, len, f->handed + start, flags, f->read_ns);
    if (rc < 0) break;
    if (nl) {
      start = end + 1;
    } else {
      /* the line goes on past what we have: skip the rest as it comes */
      f->skipping = 1;
      start += len;
    }
  }
  f->handed += start;
  memmove(f->carry, f->carry + start, f->carry_len - start);
  f->carry_len -= start;
  return rc;
}

/* The last line has had no newline for flush_partial_after: take it. A
 * oneshot run goes by the file's modification time, since it has not
 * watched the file grow. */
static int flush_partial(file_state *fs, tfile *f) {
  if (!f->carry_len || f->skipping) return 0;
  int64_t idle_ms = fs->oneshot ? (soc_now_real_ns() - f->mtime_ns) / 1000000
                                : soc_now_mono_ms() - f->last_growth_ms;
  if (idle_ms < fs->in->cfg->flush_partial_ms) return 0;
  int rc = hand(fs, f, f->carry, f->carry_len, f->handed, SOC_JLINE_PARTIAL, soc_now_real_ns());
  if (rc < 0) return rc;
  f->handed += f->carry_len;
  f->carry_len = 0;
  return 0;
}

/* A file cut in place (copytruncate, `> file`) is read again from 0 as a
 * new stream: its new lines must not get the positions, and so the
 * event.ids, of the old ones. The old stream is closed at the next commit
 * by a stand-in that holds its last position. */
static int restart_truncated(file_state *fs, tfile *f, const struct stat *st) {
  tfile *old = calloc(1, sizeof *old);
  if (!old) return -ENOMEM;
  old->fd = -1;
  old->row = f->row;
  old->row.state = SOC_STREAM_DONE;
  old->handed = f->handed;
  old->checkpointed = f->checkpointed;
  old->skipping = f->skipping;
  old->released = old->dirty = 1;
  if (add_file(fs, old) < 0) {
    free(old);
    return -ENOMEM;
  }
  fs->in->counters[SOC_CTR_TRUNCATIONS]++;
  tfile_seek(f, 0, 0);
  f->row.fp_len = 0;
  refresh_fingerprint(f, (uint64_t)st->st_size);
  return soc_store_stream_insert(soc_ingest_store(fs->in->ingest), &f->row);
}

/* Reads what is new in f, up to `budget` bytes. Returns 0, or -EAGAIN
 * when the journal asked us to wait. */
static int read_file(file_state *fs, tfile *f, size_t budget) {
  struct stat st;
  if (fstat(f->fd, &st) != 0) {
    fs->in->counters[SOC_CTR_READ_ERRORS]++;
    return 0;
  }
  if (!f->gone && st.st_nlink == 0) {
    f->gone = 1; /* deleted while open */
    f->gone_since_ms = soc_now_mono_ms();
  }
  uint64_t size = (uint64_t)st.st_size;
  f->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
  if (size < f->read_off || (f->row.fp_len && !same_content(f->fd, size, &f->row))) {
    int trc = restart_truncated(fs, f, &st);
    if (trc < 0) return trc;
  }
  refresh_fingerprint(f, size);
  size_t max = (size_t)fs->in->cfg->max_line_bytes;
  int rc = take_lines(fs, f); /* what a previous -EAGAIN left */
  while (rc == 0 && budget) {
    size_t room = max + 1 - f->carry_len;
    size_t want = room < READ_CHUNK ? room : READ_CHUNK;
    ssize_t got = pread(f->fd, f->carry + f->carry_len, want, (off_t)f->read_off);
    if (got < 0) {
      if (errno == EINTR) continue;
      fs->in->counters[SOC_CTR_READ_ERRORS]++;
      warn(fs, f->row.path, "read error", errno);
      break;
    }
    if (got == 0) {
      f->at_eof = 1;
      break;
    }
    f->at_eof = 0;
    f->last_growth_ms = soc_now_mono_ms();
    f->read_ns = soc_now_real_ns();
    f->read_off += (uint64_t)got;
    f->carry_len += (size_t)got;
    budget = (size_t)got > budget ? 0 : budget - (size_t)got;
    rc = take_lines(fs, f);
  }
  if (rc == 0 && f->at_eof) rc = flush_partial(fs, f);
  if (f->handed != f->checkpointed || f->skipping != !!(f->row.flags & FLAG_SKIPPING)) f->dirty = 1;
  return rc;
}

/* A rotated or deleted file, read to its end and quiet for rotate_wait. */
static void maybe_release(file_state *fs, tfile *f, int64_t now_ms) {
  if (!f->gone || !f->at_eof || f->carry_len) return;
  int64_t quiet =
      now_ms - (f->gone_since_ms > f->last_growth_ms ? f->gone_since_ms : f->last_growth_ms);
  if (!fs->oneshot && quiet < fs->in->cfg->rotate_wait_ms) return;
  close(f->fd);
  f->fd = -1;
  f->released = 1;
  f->row.state = SOC_STREAM_DONE;
  f->dirty = 1;
  fs->in->counters[SOC_CTR_ROTATIONS]++;
}

/* ---- scanning ------------------------------------------------------------ */

static void scan(file_state *fs) {
  const soc_input_config *c = fs->in->cfg;
  for (size_t i = 0; i < fs->n; i++) fs->files[i]->seen = 0;
  for (size_t p = 0; p < c->npaths; p++) {
    glob_t g;
    if (glob(c->paths[p], GLOB_NOSORT, NULL, &g) != 0) continue;
    for (size_t i = 0; i < g.gl_pathc; i++) consider(fs, g.gl_pathv[i]);
    globfree(&g);
  }
  fs->first_scan_done = 1;
  int64_t now = soc_now_mono_ms();
  for (size_t i = 0; i < fs->n; i++) {
    tfile *f = fs->files[i];
    if (f->released || f->seen || f->gone) continue;
    /* Not matched any more: renamed away, or deleted. Keep reading it. */
    f->gone = 1;
    f->gone_since_ms = now;
  }
}

/* Reads every file, round-robin in chunks, until all are at their end,
 * the budget is spent (then *more is set) or the journal asks us to wait.
 * Returns 0 or -EAGAIN. */
static int read_all(file_state *fs, size_t budget, int *more) {
  *more = 1;
  while (*more && budget) {
    *more = 0;
    for (size_t i = 0; i < fs->n; i++) {
      tfile *f = fs->files[i];
      if (f->released) continue;
      uint64_t before = f->read_off;
      int rc = read_file(fs, f, READ_CHUNK * 4);
      if (rc < 0) return rc;
      size_t used = (size_t)(f->read_off - before);
      budget = used > budget ? 0 : budget - used;
      if (!f->at_eof) *more = 1;
    }
  }
  int64_t now = soc_now_mono_ms();
  for (size_t i = 0; i < fs->n; i++)
    if (!fs->files[i]->released) maybe_release(fs, fs->files[i], now);
  return 0;
}

/* A turn reads at most this much, so that other inputs and commits are not
 * starved by a file with a large backlog; the next turn comes at once. */
#define TURN_BUDGET (8u * 1024u * 1024u)

static void on_poll(void *arg) {
  file_state *fs = arg;
  int more = 0;
  if (fs->in->paused) return;
  scan(fs);
  if (read_all(fs, TURN_BUDGET, &more) < 0) return;
  if (more) soc_loop_timer_kick(fs->timer);
  /* positions are saved by the next commit, within commit_interval */
  for (size_t i = 0; i < fs->n; i++)
    if (fs->files[i]->dirty) soc_ingest_touch(fs->in->ingest);
}

/* ---- restart: the streams a previous run left open ------------------------ */

/* Looks in dir for the inode of row (a rename while we were down). */
static int find_renamed(const char *dir, const soc_stream_row *row, char *out, size_t outlen) {
  DIR *d = opendir(dir);
  struct dirent *e;
  int found = 0;
  while (d && !found && (e = readdir(d))) {
    if ((uint64_t)e->d_ino != row->ino) continue;
    if ((size_t)snprintf(out, outlen, "%s/%s", dir, e->d_name) >= outlen) continue;
    struct stat st;
    found = stat(out, &st) == 0 && (uint64_t)st.st_dev == row->dev &&
            (uint64_t)st.st_ino == row->ino && S_ISREG(st.st_mode);
  }
  if (d) closedir(d);
  return found;
}

static int resume_stream(file_state *fs, const soc_stream_row *row) {
  char path[SOC_STREAM_PATH_MAX];
  struct stat st;
  int renamed = 0;
  snprintf(path, sizeof path, "%s", row->path);
  if (stat(path, &st) != 0 || (uint64_t)st.st_ino != row->ino || (uint64_t)st.st_dev != row->dev) {
    char tmp[SOC_STREAM_PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", row->path);
    renamed = find_renamed(dirname(tmp), row, path, sizeof path);
  }
  int fd = -1;
  if (stat(path, &st) == 0 && (uint64_t)st.st_ino == row->ino && (uint64_t)st.st_dev == row->dev)
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOMEM)) {
    /* The file is there but we are out of descriptors: taking it for gone
     * would drop the rest of it for good. */
    int err = errno;
    warn(fs, path, "cannot resume (the agent does not start)", err);
    return -err;
  }
  if (fd < 0 || !same_content(fd, (uint64_t)st.st_size, row) ||
      (uint64_t)st.st_size < row->offset) {
    /* Gone, or replaced by another file with the same inode: this stream
     * is over. What it had not been read of can not be had any more. */
    if (fd >= 0) close(fd);
    remember_ended(fs, row->fp_len, row->fp, row->offset);
    soc_stream_row done = *row;
    done.state = SOC_STREAM_DONE;
    fprintf(stderr,
            "socagent: %s: %s: the file read up to byte %llu is gone or was replaced while "
            "the agent was stopped\n",
            input_id(fs), row->path, (unsigned long long)row->offset);
    return soc_store_stream_update(soc_ingest_store(fs->in->ingest), &done);
  }
  tfile *f = tfile_new(fs, fd, path, &st);
  if (!f) {
    close(fd);
    return -ENOMEM;
  }
  f->row = *row;
  if (renamed) memcpy(f->row.path, path, sizeof f->row.path);
  tfile_seek(f, row->offset, !!(row->flags & FLAG_SKIPPING));
  int rc = add_file(fs, f);
  if (rc < 0) tfile_free(f);
  return rc;
}

/* ---- the input's callbacks ----------------------------------------------- */

static int file_create(soc_input *in) {
  int result = -ENOMEM;
  soc_stream_row *rows = NULL;
  size_t n = 0;
  file_state *fs = calloc(1, sizeof *fs);
  if (!fs) goto out;
  fs->in = in;
  fs->cd = (iconv_t)-1;
  in->state = fs;
  const char *enc = in->cfg->encoding;
  if (enc && strcasecmp(enc, "utf-8") && strcasecmp(enc, "utf8")) {
    fs->cd = iconv_open("UTF-8", enc);
    if (fs->cd == (iconv_t)-1) {
      result = -EINVAL;
      fprintf(stderr, "socagent: %s: unknown encoding %s\n", in->cfg->id, enc);
      goto out;
    }
  }
  /* oldest first into the ring, so that the newest stays newest */
  result = soc_store_streams_ended(soc_ingest_store(in->ingest), in->cfg->id, FP_BYTES, ENDED_MAX,
                                   &rows, &n);
  for (size_t i = n; result == 0 && i > 0; i--)
    remember_ended(fs, rows[i - 1].fp_len, rows[i - 1].fp, rows[i - 1].offset);
  free(rows);
  rows = NULL;
  if (result == 0)
    result = soc_store_streams_load(soc_ingest_store(in->ingest), in->cfg->id, &rows, &n);
  for (size_t i = 0; result == 0 && i < n; i++) result = resume_stream(fs, &rows[i]);
  /* read_from: end is for a first start; after that, nothing is skipped */
  if (n) fs->first_scan_done = 1;
out:
  free(rows);
  return result;
}

static int file_start(soc_input *in) {
  file_state *fs = in->state;
  fs->timer = soc_loop_add_timer(soc_ingest_loop(in->ingest), in->cfg->poll_ms, on_poll, fs);
  if (!fs->timer) return -ENOMEM;
  soc_loop_timer_kick(fs->timer);
  return 0;
}

static int file_drain(soc_input *in) {
  file_state *fs = in->state;
  int more = 1;
  fs->oneshot = 1;
  fs->open_error = 0;
  scan(fs);
  while (more) {
    int rc = read_all(fs, TURN_BUDGET, &more);
    if (rc < 0) return rc;
  }
  return fs->open_error ? -fs->open_error : 0;
}

static int file_checkpoint(soc_input *in, soc_store *store) {
  file_state *fs = in->state;
  for (size_t i = 0; i < fs->n; i++) {
    tfile *f = fs->files[i];
    if (!f->dirty) continue;
    f->row.offset = f->handed;
    f->row.flags = f->skipping ? FLAG_SKIPPING : 0;
    int rc = soc_store_stream_update(store, &f->row);
    if (rc < 0) return rc;
  }
  return 0;
}

static void file_committed(soc_input *in) {
  file_state *fs = in->state;
  size_t kept = 0;
  for (size_t i = 0; i < fs->n; i++) {
    tfile *f = fs->files[i];
    if (f->dirty && f->row.offset == f->handed) {
      f->dirty = 0;
      f->checkpointed = f->handed;
    }
    if (f->released && !f->dirty) {
      remember_ended(fs, f->row.fp_len, f->row.fp, f->row.offset);
      tfile_free(f);
    } else
      fs->files[kept++] = f;
  }
  fs->n = kept;
}

static void file_resume(soc_input *in) {
  file_state *fs = in->state;
  if (fs->timer) soc_loop_timer_kick(fs->timer);
}

static void file_destroy(soc_input *in) {
  file_state *fs = in->state;
  if (!fs) return;
  for (size_t i = 0; i < fs->n; i++) tfile_free(fs->files[i]);
  free(fs->files);
  if (fs->cd != (iconv_t)-1) iconv_close(fs->cd);
  free(fs->conv);
  free(fs);
  in->state = NULL;
}

const soc_input_ops soc_input_file_ops = {
    .type = SOC_INPUT_FILE,
    .create = file_create,
    .start = file_start,
    .drain = file_drain,
    .checkpoint = file_checkpoint,
    .committed = file_committed,
    .resume = file_resume,
    .destroy = file_destroy,
};

/*
 * journal_dump — a helper of the integration tests: prints every line of
 * an agent's journal with what `socctl journal export` leaves out (the
 * input, the position, the flags and the sender), so a test can check
 * that each message arrived exactly once, from whom, and how it was cut.
 *
 *   journal_dump STATE_DIR/agent.db
 *
 * One line per journal line, tab-separated:
 *   source  pos  flags  peer  host  data
 * flags: "-" or letters T (truncated) P (partial); peer and host "-" when
 * none. In data, a backslash, a tab, a newline and every byte below 0x20
 * or from 0x7f are written \xHH, so each record is one line whatever the
 * message held.
 */
#include <stdio.h>
#include <string.h>

#include "soc/journal.h"
#include "soc/store.h"

static void put_escaped(const char *p, size_t n, FILE *out) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    if (c < 0x20 || c >= 0x7f || c == '\\')
      fprintf(out, "\\x%02x", c);
    else
      fputc(c, out);
  }
}

static int print_entry(void *arg, const soc_jentry *e) {
  FILE *out = arg;
  char flags[8];
  size_t nf = 0;
  if (e->line.flags & SOC_JLINE_TRUNCATED) flags[nf++] = 'T';
  if (e->line.flags & SOC_JLINE_PARTIAL) flags[nf++] = 'P';
  if (!nf) flags[nf++] = '-';
  flags[nf] = '\0';
  fprintf(out, "%s\t%llu\t%s\t%s\t%s\t", e->source, (unsigned long long)e->line.pos, flags,
          e->line.peer && *e->line.peer ? e->line.peer : "-",
          e->line.host && *e->line.host ? e->line.host : "-");
  put_escaped(e->line.data, e->line.len, out);
  fputc('\n', out);
  return 0;
}

int main(int argc, char **argv) {
  char err[512];
  soc_store *store = NULL;
  if (argc != 2) {
    fprintf(stderr, "usage: journal_dump STATE_DIR/agent.db\n");
    return 2;
  }
  int rc = soc_store_open(argv[1], SOC_STORE_AGENT, &store, err, sizeof err);
  if (rc < 0) {
    fprintf(stderr, "journal_dump: %s\n", err);
    return 1;
  }
  soc_block_query q;
  memset(&q, 0, sizeof q);
  rc = soc_journal_scan(store, &q, print_entry, stdout);
  if (rc < 0) fprintf(stderr, "journal_dump: scan failed: %s\n", soc_store_errmsg(store));
  soc_store_close(store);
  return rc < 0 ? 1 : 0;
}

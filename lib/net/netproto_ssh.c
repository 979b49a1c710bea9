/*
 * netproto_ssh — SSH identification strings (RFC 4253 4.2) and the first
 * key-exchange message of each side, for HASSH.
 *
 * A side sends "SSH-protoversion-softwareversion [comments]\r\n" (a server
 * may send other lines before it: at most PRE_LINES are skipped), then
 * binary packets, the first of which is SSH_MSG_KEXINIT in the clear. HASSH
 * is the MD5 of "kex;ciphers;macs;compression" in the client-to-server
 * lists for the client, server-to-client lists for the server.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soc/hash.h"
#include "soc/netproto.h"

#define KEX_MAX (64 * 1024)
#define PRE_LINES 8

typedef struct sdir {
  char line[256];
  size_t llen;
  int lines;
  uint8_t *pkt; /* the KEXINIT packet being collected */
  size_t plen, need;
  int done;
} sdir;

struct soc_ssh {
  soc_netproto_stats *stats;
  sdir d[2];
  soc_ssh_info info;
};

soc_ssh *soc_ssh_new(soc_netproto_stats *stats) {
  soc_ssh *s = calloc(1, sizeof *s);
  if (s) s->stats = stats;
  return s;
}

void soc_ssh_free(soc_ssh *s) {
  if (!s) return;
  free(s->d[0].pkt);
  free(s->d[1].pkt);
  free(s);
}

const soc_ssh_info *soc_ssh_info_get(const soc_ssh *s) { return &s->info; }

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void kexinit(soc_ssh *s, int dir, const uint8_t *p, size_t n) {
  /* p: padding_length, payload (type 20, cookie, 10 name-lists) */
  const uint8_t *list[10];
  uint32_t len[10];
  size_t off = 2 + 16;
  if (n < 18 || p[1] != 20) goto bad;
  for (int i = 0; i < 10; i++) {
    if (n - off < 4) goto bad;
    len[i] = be32(p + off);
    off += 4;
    if (len[i] > n - off) goto bad;
    list[i] = p + off;
    off += len[i];
  }
  /* kex 0, ciphers 2/3, macs 4/5, compression 6/7 (client/server) */
  int c = dir ? 1 : 0;
  size_t total = (size_t)len[0] + len[2 + c] + len[4 + c] + len[6 + c] + 4;
  char *str = malloc(total);
  if (!str) return;
  int k = snprintf(str, total, "%.*s;%.*s;%.*s;%.*s", (int)len[0], (const char *)list[0],
                   (int)len[2 + c], (const char *)list[2 + c], (int)len[4 + c],
                   (const char *)list[4 + c], (int)len[6 + c], (const char *)list[6 + c]);
  uint8_t md[EVP_MAX_MD_SIZE];
  unsigned mdlen = 0;
  if (k > 0 && EVP_Digest(str, (size_t)k, md, &mdlen, EVP_md5(), NULL))
    soc_hex(md, mdlen < 16 ? mdlen : 16, s->info.hassh[dir]);
  free(str);
  s->info.have_kex[dir] = 1;
  s->stats->ssh_kexinits++;
  return;
bad:
  s->stats->ssh_errors++;
}

int soc_ssh_data(soc_ssh *s, int dir, const uint8_t *p, size_t n) {
  sdir *d = &s->d[dir];
  while (n && !d->done) {
    if (!s->info.have_banner[dir]) {
      uint8_t c = *p++;
      n--;
      if (c == '\r') continue;
      if (c != '\n') {
        if (d->llen < sizeof d->line - 1)
          d->line[d->llen++] = (char)(c >= 0x20 && c < 0x7f ? c : '?');
        continue;
      }
      d->line[d->llen] = '\0';
      if (!strncmp(d->line, "SSH-", 4)) {
        memcpy(s->info.banner[dir], d->line, d->llen + 1);
        s->info.have_banner[dir] = 1;
        s->stats->ssh_banners++;
      } else if (++d->lines > PRE_LINES || dir == 0) {
        s->stats->ssh_errors++;
        d->done = 1;
      }
      d->llen = 0;
      continue;
    }
    if (!d->pkt && !(d->pkt = malloc(KEX_MAX))) {
      d->done = 1;
      break;
    }
    if (!d->need) d->need = 4;
    size_t k = d->need - d->plen < n ? d->need - d->plen : n;
    memcpy(d->pkt + d->plen, p, k);
    d->plen += k;
    p += k;
    n -= k;
    if (d->plen < d->need) break;
    if (d->need == 4) {
      uint32_t pl = be32(d->pkt);
      if (pl < 2 || pl > KEX_MAX - 4) {
        s->stats->ssh_errors++;
        d->done = 1;
        break;
      }
      d->need = 4 + pl;
      continue;
    }
    kexinit(s, dir, d->pkt + 4, d->plen - 4);
    d->done = 1;
    free(d->pkt);
    d->pkt = NULL;
  }
  return s->d[0].done && s->d[1].done;
}

/* "SSH-2.0-OpenSSH_7.4 comment" -> proto "2.0", software "OpenSSH_7.4". */
static void side(soc_event *ev, const char *who, const char *banner) {
  char name[48];
  const char *v = banner + 4, *dash = strchr(v, '-');
  if (!dash) return;
  snprintf(name, sizeof name, "ssh.%s.proto_version", who);
  soc_event_set(ev, name, v, (size_t)(dash - v));
  const char *sw = dash + 1, *sp = strchr(sw, ' ');
  snprintf(name, sizeof name, "ssh.%s.software", who);
  soc_event_set(ev, name, sw, sp ? (size_t)(sp - sw) : strlen(sw));
  if (sp) {
    snprintf(name, sizeof name, "ssh.%s.comment", who);
    soc_event_set(ev, name, sp + 1, strlen(sp + 1));
  }
}

void soc_ssh_to_event(const soc_ssh_info *i, soc_event *ev) {
  static const char *const who[2] = {"client", "server"};
  char name[32];
  for (int d = 0; d < 2; d++) {
    if (i->have_banner[d]) side(ev, who[d], i->banner[d]);
    if (i->have_kex[d]) {
      snprintf(name, sizeof name, "ssh.%s.hassh", who[d]);
      soc_event_set(ev, name, i->hassh[d], strlen(i->hassh[d]));
    }
  }
}

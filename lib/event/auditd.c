/*
 * auditd — audit.log records into events (see the header).
 */
#include "soc/auditd.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 64

static int hexval(char c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Whether auditd may have hex-encoded this key's value. */
static int hex_key(const char *type, size_t tlen, const char *k) {
  static const char *const keys[] = {"proctitle", "comm", "exe", "name", "cwd", NULL};
  if (tlen == 6 && !memcmp(type, "EXECVE", 6) && k[0] == 'a' && k[1] >= '0' && k[1] <= '9')
    return 1;
  for (size_t i = 0; keys[i]; i++)
    if (!strcmp(k, keys[i])) return 1;
  return 0;
}

/* "audit(1700000000.123:42)" -> ns. */
static void take_time(soc_event *ev, const char *v, size_t n) {
  int64_t s = 0, ms = 0;
  size_t i = 6, digits = 0;
  if (n < 8 || memcmp(v, "audit(", 6)) return;
  for (; i < n && v[i] >= '0' && v[i] <= '9' && s < INT64_MAX / 100; i++) s = s * 10 + (v[i] - '0');
  if (i < n && v[i] == '.')
    for (i++; i < n && v[i] >= '0' && v[i] <= '9'; i++)
      if (digits++ < 3) ms = ms * 10 + (v[i] - '0');
  while (digits && digits < 3) ms *= 10, digits++;
  if (s > 0 && s < INT64_C(9000000000)) soc_event_set_time(ev, s * 1000000000 + ms * 1000000);
}

int soc_event_from_audit_line(soc_event *ev, const char *line, size_t len) {
  const char *type = NULL;
  size_t tlen = 0, i = 0;
  char *buf = NULL;
  int result = -ENOMEM;
  if (!ev || !line) return -EINVAL;
  soc_event_set_str(ev, SOC_ECS_MESSAGE, line, len);
  if (!(buf = malloc(len + 1))) goto out;
  while (i < len) {
    char key[KEY_MAX + 8];
    size_t kb, kn, vb, vn;
    int quoted = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\x1d' || line[i] == ':')) i++;
    kb = i;
    while (i < len && line[i] != '=' && line[i] != ' ' && line[i] != '\x1d') i++;
    kn = i - kb;
    if (i >= len || line[i] != '=' || !kn) {
      if (i < len && line[i] == '=') i++; /* "=x": no key */
      continue;                           /* a word without '=' */
    }
    i++;
    if (i < len && (line[i] == '"' || line[i] == '\'')) {
      char q = line[i++];
      vb = i;
      while (i < len && line[i] != q) i++;
      vn = i - vb;
      if (i < len) i++;
      quoted = 1;
    } else {
      vb = i;
      /* msg=audit(...): ends at the colon after the parenthesis */
      while (i < len && line[i] != ' ' && line[i] != '\x1d' &&
             !(line[i] == ':' && i > vb && line[i - 1] == ')'))
        i++;
      vn = i - vb;
    }
    if (kn > KEY_MAX) continue;
    memcpy(key, "auditd.", 7);
    memcpy(key + 7, line + kb, kn);
    key[7 + kn] = '\0';
    if (kn == 3 && !memcmp(line + kb, "msg", 3) && !quoted) {
      take_time(ev, line + vb, vn);
      continue;
    }
    if (kn == 4 && !memcmp(line + kb, "type", 4)) {
      type = line + vb;
      tlen = vn;
    }
    const char *v = line + vb;
    size_t n = vn;
    if (!quoted && type && n && n % 2 == 0 && hex_key(type, tlen, key + 7)) {
      size_t k = 0;
      for (; k < n && hexval(v[k]) >= 0; k++) {
      }
      if (k == n) {
        for (k = 0; k < n / 2; k++) {
          char c = (char)(hexval(v[2 * k]) << 4 | hexval(v[2 * k + 1]));
          buf[k] = c ? c : ' ';
        }
        v = buf;
        n /= 2;
      }
    }
    /* a key an event name can not hold is left out */
    if (soc_event_set(ev, key, v, n) == -ENOMEM) goto out;
  }
  result = type ? 0 : -EINVAL;
out:
  free(buf);
  return result;
}

/*
 * libFuzzer harness: one HTTP request as the console's and the metrics'
 * listener reads it from a socket (soc_http_parse), then the header, cookie
 * and form look-ups the console makes on it.
 * Invariants: a parsed request's strings lie inside the buffer and its body
 * is exactly body_len bytes before a NUL; a request larger than the limit
 * is never parsed; every look-up's result fits its buffer and is
 * NUL-terminated.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "soc/metrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void look(const char *s, size_t n) {
  static const char *const keys[] = {"csrf", "user", "password", "id", "text", "lang"};
  char out[64];
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    if (soc_http_form_get(s, n, keys[i], out, sizeof out) == 0 && strlen(out) >= sizeof out)
      abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static char buf[SOC_HTTP_REQUEST_MAX + 1];
  soc_http_request r;
  char out[128];
  if (size > SOC_HTTP_REQUEST_MAX) size = SOC_HTTP_REQUEST_MAX;
  memcpy(buf, data, size);
  buf[size] = '\0';
  int rc = soc_http_parse(buf, size, SOC_HTTP_REQUEST_MAX, &r);
  if (rc != 0) {
    if (rc != -EAGAIN && rc != -EMSGSIZE && rc != -EINVAL) abort();
    return 0;
  }
  const char *end = buf + size;
  if (r.method != buf || r.target <= buf || r.target >= end || r.headers >= end || r.body > end ||
      r.body + r.body_len > end || r.body[r.body_len] != '\0')
    abort();
  if (soc_http_header(&r, "Content-Type", out, sizeof out) == 0 && strlen(out) >= sizeof out)
    abort();
  if (soc_http_cookie(&r, "soc_session", out, sizeof out) == 0 && strlen(out) >= sizeof out)
    abort();
  look(r.body, r.body_len);
  const char *q = strchr(r.target, '?');
  if (q) look(q + 1, strlen(q + 1));
  return 0;
}

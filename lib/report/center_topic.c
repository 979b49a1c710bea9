/* center_topic — see include/soc/center_topic.h for the encoding and why. */
#include "soc/center_topic.h"

#include <errno.h>
#include <string.h>

int soc_center_topic(const char *prefix, const char *agency, char *out, size_t cap) {
  static const char hex[] = "0123456789abcdef";
  if (!prefix || !*prefix || !agency || !*agency || !out || !cap) return -EINVAL;
  size_t limit = cap - 1 < SOC_CENTER_TOPIC_MAX ? cap - 1 : SOC_CENTER_TOPIC_MAX;
  size_t n = strlen(prefix);
  if (n + 8 > limit) return -ENAMETOOLONG;
  memcpy(out, prefix, n);
  memcpy(out + n, ".center.", 8);
  n += 8;
  for (const unsigned char *p = (const unsigned char *)agency; *p; p++) {
    int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                *p == '.' || *p == '-';
    size_t need = plain ? 1 : *p == '_' ? 2 : 3;
    if (n + need > limit) return -ENAMETOOLONG;
    if (plain) {
      out[n++] = (char)*p;
    } else if (*p == '_') {
      out[n++] = '_';
      out[n++] = '_';
    } else {
      out[n++] = '_';
      out[n++] = hex[*p >> 4];
      out[n++] = hex[*p & 15];
    }
  }
  out[n] = '\0';
  return (int)n;
}

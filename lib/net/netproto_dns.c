/*
 * netproto_dns — one DNS message (RFC 1035) into dns.* fields.
 *
 * Names are read label by label into a bounded buffer; a compression
 * pointer must point backwards (so no loop can form), and a name may take
 * at most 128 labels. Answers are reported up to MAX_ANSWERS; record data
 * is rendered for the types an analyst reads (A, AAAA, CNAME, NS, PTR, MX,
 * TXT, SOA's primary name) and given as its length otherwise.
 */
#include <errno.h>
#include <json.h> /* libfastjson */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "soc/decode.h"
#include "soc/netproto.h"

#define NAME_MAX_TEXT 1024
#define MAX_ANSWERS 32

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Reads the name at *off into out (dotted, "" for the root) and moves *off
 * past it. Returns 0 or -EBADMSG. */
static int read_name(const uint8_t *m, size_t len, size_t *off, char *out, size_t cap) {
  size_t o = *off, n = 0, end = 0;
  int jumped = 0, labels = 0;
  for (;;) {
    if (o >= len || ++labels > 128) return -EBADMSG;
    uint8_t l = m[o];
    if (l == 0) {
      if (!jumped) end = o + 1;
      break;
    }
    if ((l & 0xc0) == 0xc0) {
      if (o + 1 >= len) return -EBADMSG;
      size_t to = (size_t)(l & 0x3f) << 8 | m[o + 1];
      if (to >= o) return -EBADMSG; /* only backwards: no loops */
      if (!jumped) end = o + 2;
      jumped = 1;
      o = to;
      continue;
    }
    if (l & 0xc0) return -EBADMSG;
    if (o + 1 + l > len) return -EBADMSG;
    if (n + l + 2 > cap) return -EBADMSG;
    if (n) out[n++] = '.';
    for (size_t i = 0; i < l; i++) {
      uint8_t c = m[o + 1 + i];
      out[n++] = (char)(c > 0x20 && c < 0x7f ? c : '?');
    }
    o += 1 + (size_t)l;
  }
  out[n] = '\0';
  *off = end;
  return 0;
}

static const char *type_name(uint16_t t, char *buf, size_t cap) {
  switch (t) {
    case 1:
      return "A";
    case 2:
      return "NS";
    case 5:
      return "CNAME";
    case 6:
      return "SOA";
    case 12:
      return "PTR";
    case 15:
      return "MX";
    case 16:
      return "TXT";
    case 28:
      return "AAAA";
    case 33:
      return "SRV";
    case 35:
      return "NAPTR";
    case 41:
      return "OPT";
    case 43:
      return "DS";
    case 46:
      return "RRSIG";
    case 47:
      return "NSEC";
    case 48:
      return "DNSKEY";
    case 64:
      return "SVCB";
    case 65:
      return "HTTPS";
    case 255:
      return "ANY";
    default:
      snprintf(buf, cap, "TYPE%u", t);
      return buf;
  }
}

static const char *class_name(uint16_t c, char *buf, size_t cap) {
  if (c == 1) return "IN";
  if (c == 3) return "CH";
  if (c == 255) return "ANY";
  snprintf(buf, cap, "CLASS%u", c);
  return buf;
}

static const char *rcode_name(unsigned r, char *buf, size_t cap) {
  static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                      "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                      "NXRRSET", "NOTAUTH", "NOTZONE"};
  if (r < sizeof names / sizeof *names) return names[r];
  snprintf(buf, cap, "RCODE%u", r);
  return buf;
}

/* Renders the data of one record; rd is at m[off..off+rdlen). */
static void rdata_text(const uint8_t *m, size_t len, size_t off, uint16_t type, uint16_t rdlen,
                       char *out, size_t cap) {
  size_t o = off;
  out[0] = '\0';
  if (type == 1 && rdlen == 4) {
    soc_ip_addr_str(4, m + off, out, cap);
  } else if (type == 28 && rdlen == 16) {
    soc_ip_addr_str(6, m + off, out, cap);
  } else if (type == 5 || type == 2 || type == 12 || type == 6) {
    if (read_name(m, len, &o, out, cap) < 0) snprintf(out, cap, "(bad name)");
  } else if (type == 15 && rdlen >= 3) {
    int k = snprintf(out, cap, "%u ", be16(m + off));
    o += 2;
    if (k < 0 || (size_t)k >= cap || read_name(m, len, &o, out + k, cap - (size_t)k) < 0)
      out[0] = '\0';
  } else if (type == 16 && rdlen >= 1) {
    size_t n = 0;
    for (size_t i = 0; i + 1 < rdlen && n + 1 < cap; i++) {
      uint8_t c = m[off + 1 + i];
      out[n++] = (char)(c >= 0x20 && c < 0x7f ? c : '?');
    }
    out[n] = '\0';
  } else {
    snprintf(out, cap, "(%u bytes)", rdlen);
  }
}

enum {
  F_ID,
  F_TYPE,
  F_OP_CODE,
  F_HEADER_FLAGS,
  F_RESPONSE_CODE,
  F_QUESTION_NAME,
  F_QUESTION_TYPE,
  F_QUESTION_CLASS,
  F_ANSWERS,
  F_RESOLVED_IP,
  F_COUNT
};
static soc_net_name fields[F_COUNT] = {
    [F_ID] = {.name = "dns.id"},
    [F_TYPE] = {.name = "dns.type"},
    [F_OP_CODE] = {.name = "dns.op_code"},
    [F_HEADER_FLAGS] = {.name = "dns.header_flags"},
    [F_RESPONSE_CODE] = {.name = "dns.response_code"},
    [F_QUESTION_NAME] = {.name = "dns.question.name"},
    [F_QUESTION_TYPE] = {.name = "dns.question.type"},
    [F_QUESTION_CLASS] = {.name = "dns.question.class"},
    [F_ANSWERS] = {.name = "dns.answers"},
    [F_RESOLVED_IP] = {.name = "dns.resolved_ip"},
};
static pthread_once_t fields_once = PTHREAD_ONCE_INIT;

static void fields_build(void) { soc_net_names_init(fields, F_COUNT); }

static void set_cstr(soc_event *ev, int f, const char *v) {
  soc_net_set(ev, &fields[f], v, strlen(v));
}

static void set_json_obj(soc_event *ev, int f, fjson_object *o) {
  const char *s = fjson_object_to_json_string_ext(o, FJSON_TO_STRING_PLAIN);
  soc_net_set_json(ev, &fields[f], s, strlen(s));
}

int soc_dns_to_event(const uint8_t *m, size_t len, soc_event *ev) {
  int result = -EBADMSG;
  char name[NAME_MAX_TEXT], buf[32], data[NAME_MAX_TEXT];
  fjson_object *answers = NULL, *ips = NULL;
  if (len < 12) goto out;
  pthread_once(&fields_once, fields_build);
  uint16_t id = be16(m), fl = be16(m + 2), qd = be16(m + 4), an = be16(m + 6);
  size_t off = 12;
  /* Parse everything before setting anything: a bad message sets nothing. */
  uint16_t qtype = 0, qclass = 0;
  name[0] = '\0';
  if (qd) {
    if (read_name(m, len, &off, name, sizeof name) < 0 || off + 4 > len) goto out;
    qtype = be16(m + off);
    qclass = be16(m + off + 2);
    off += 4;
    for (unsigned i = 1; i < qd; i++) { /* rare: skip the others */
      char skip[NAME_MAX_TEXT];
      if (read_name(m, len, &off, skip, sizeof skip) < 0 || off + 4 > len) goto out;
      off += 4;
    }
  }
  /* most messages have no answer: the arrays are made for the first */
  for (unsigned i = 0; i < an && i < MAX_ANSWERS; i++) {
    char rname[NAME_MAX_TEXT];
    if (read_name(m, len, &off, rname, sizeof rname) < 0 || off + 10 > len) goto out;
    uint16_t type = be16(m + off), cls = be16(m + off + 2), rdlen = be16(m + off + 8);
    uint32_t ttl = be32(m + off + 4);
    off += 10;
    if (off + rdlen > len) goto out;
    rdata_text(m, len, off, type, rdlen, data, sizeof data);
    fjson_object *a = fjson_object_new_object();
    if (!a || (!answers && !(answers = fjson_object_new_array())) ||
        (!ips && !(ips = fjson_object_new_array()))) {
      if (a) fjson_object_put(a);
      result = -ENOMEM;
      goto out;
    }
    fjson_object_object_add(a, "name", fjson_object_new_string(rname));
    fjson_object_object_add(a, "type", fjson_object_new_string(type_name(type, buf, sizeof buf)));
    fjson_object_object_add(a, "class", fjson_object_new_string(class_name(cls, buf, sizeof buf)));
    fjson_object_object_add(a, "ttl", fjson_object_new_int64(ttl));
    fjson_object_object_add(a, "data", fjson_object_new_string(data));
    fjson_object_array_add(answers, a);
    if ((type == 1 || type == 28) && data[0])
      fjson_object_array_add(ips, fjson_object_new_string(data));
    off += rdlen;
  }
  static const struct {
    uint16_t bit;
    const char *name;
  } fbits[] = {{0x0400, "AA"}, {0x0200, "TC"}, {0x0100, "RD"},
               {0x0080, "RA"}, {0x0020, "AD"}, {0x0010, "CD"}};
  /* the flags' JSON written as libfastjson writes it: ["RD","RA"] */
  char flags[sizeof fbits / sizeof *fbits * 5 + 2];
  size_t nf = 0;
  for (size_t i = 0; i < sizeof fbits / sizeof *fbits; i++)
    if (fl & fbits[i].bit) { /* every name is two letters */
      flags[nf] = nf ? ',' : '[';
      nf++;
      flags[nf++] = '"';
      memcpy(flags + nf, fbits[i].name, 2);
      nf += 2;
      flags[nf++] = '"';
    }
  int response = (fl & 0x8000) != 0;
  soc_event_decimal(id, buf); /* ECS: a keyword */
  set_cstr(ev, F_ID, buf);
  set_cstr(ev, F_TYPE, response ? "answer" : "query");
  static const char *const opcodes[16] = {"QUERY", "IQUERY", "STATUS", NULL, "NOTIFY", "UPDATE"};
  unsigned op = (fl >> 11) & 0xf;
  if (opcodes[op])
    set_cstr(ev, F_OP_CODE, opcodes[op]);
  else {
    snprintf(buf, sizeof buf, "%u", op);
    set_cstr(ev, F_OP_CODE, buf);
  }
  if (nf) {
    flags[nf++] = ']';
    soc_net_set_json(ev, &fields[F_HEADER_FLAGS], flags, nf);
  }
  if (response) set_cstr(ev, F_RESPONSE_CODE, rcode_name(fl & 0xf, buf, sizeof buf));
  if (qd) {
    set_cstr(ev, F_QUESTION_NAME, name);
    set_cstr(ev, F_QUESTION_TYPE, type_name(qtype, buf, sizeof buf));
    set_cstr(ev, F_QUESTION_CLASS, class_name(qclass, buf, sizeof buf));
  }
  if (answers) set_json_obj(ev, F_ANSWERS, answers);
  if (ips && fjson_object_array_length(ips)) set_json_obj(ev, F_RESOLVED_IP, ips);
  result = 0;
out:
  if (answers) fjson_object_put(answers);
  if (ips) fjson_object_put(ips);
  return result;
}

/*
 * console_user — `soccollector user add|passwd|disable`: the console's
 * accounts (console.h). The password is read from standard input (its
 * first line), never from the command line, where ps and the shell's
 * history would keep it; it is hashed with Argon2id (libsodium's
 * crypto_pwhash_str, interactive limits: 64 MiB, about 0.1 s per login).
 * Every change is recorded in the console's audit with the operating
 * system's user who ran it.
 */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "center.h"
#include "console.h"
#include "soc/store_center.h"
#include "soc/utf8.h"

#define PASSWORD_MIN 12
#define PASSWORD_MAX 256

static void usage(void) {
  fprintf(stderr,
          "usage: soccollector -c FILE user add NAME --role analyst --agency AGENCY\n"
          "       soccollector -c FILE user add NAME --role reviewer --authority N\n"
          "       soccollector -c FILE user add NAME --role center\n"
          "       soccollector -c FILE user passwd NAME\n"
          "       soccollector -c FILE user disable NAME\n"
          "  add and passwd read the password (at least %d characters) from the first line\n"
          "  of standard input\n",
          PASSWORD_MIN);
}

/* Letters, digits, '.', '_', '-', '@', and any other script's characters
 * (valid UTF-8, as 王小明), up to 64 bytes: a name is shown on every page
 * and in the audit. */
static int valid_name(const char *s) {
  size_t n = strlen(s);
  if (!n || n > 64 || soc_utf8_valid_prefix(s, n) != n) return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
          *s == '.' || *s == '_' || *s == '-' || *s == '@' || (unsigned char)*s >= 0x80))
      return 0;
  return 1;
}

int soc_console_hash(const char *password, size_t len, char out[SOC_CONSOLE_HASH_MAX]) {
  _Static_assert(SOC_CONSOLE_HASH_MAX == crypto_pwhash_STRBYTES, "the hash's size");
  return crypto_pwhash_str_alg(out, password, len, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                               crypto_pwhash_MEMLIMIT_INTERACTIVE,
                               crypto_pwhash_ALG_ARGON2ID13) == 0
             ? 0
             : -ENOMEM;
}

/* The first line of stdin, hashed. OUT: hash. 0 or 2 (message printed). */
static int read_hash(char hash[crypto_pwhash_STRBYTES]) {
  char pw[PASSWORD_MAX + 2];
  int status = 2;
  if (!fgets(pw, sizeof pw, stdin)) {
    fprintf(stderr, "soccollector: user: expected the password on standard input\n");
    goto out;
  }
  size_t n = strcspn(pw, "\r\n");
  if (pw[n] == '\0' && n > PASSWORD_MAX) {
    fprintf(stderr, "soccollector: user: the password is longer than %d bytes\n", PASSWORD_MAX);
    goto out;
  }
  pw[n] = '\0';
  if (n < PASSWORD_MIN) {
    fprintf(stderr, "soccollector: user: the password must have at least %d characters\n",
            PASSWORD_MIN);
    goto out;
  }
  if (soc_console_hash(pw, n, hash) < 0) {
    fprintf(stderr, "soccollector: user: out of memory hashing the password\n");
    status = 1;
    goto out;
  }
  status = 0;
out:
  sodium_memzero(pw, sizeof pw);
  return status;
}

int soc_console_user_command(const soc_collector_config *cfg, int argc, char **argv) {
  static const struct option opts[] = {{"role", required_argument, NULL, 'r'},
                                       {"agency", required_argument, NULL, 'a'},
                                       {"authority", required_argument, NULL, 'A'},
                                       {NULL, 0, NULL, 0}};
  const char *role = NULL, *agency = "", *authority = NULL;
  char hash[crypto_pwhash_STRBYTES], os_user[128] = "?";
  soc_centerdb *db = NULL;
  int status = 2, opt;
  if (strcmp(argv[0], "user") != 0) return -1;
  if (argc < 3) {
    usage();
    return 2;
  }
  const char *sub = argv[1], *name = argv[2];
  optind = 3;
  while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    if (opt == 'r')
      role = optarg;
    else if (opt == 'a')
      agency = optarg;
    else if (opt == 'A')
      authority = optarg;
    else
      goto out;
  }
  if (optind != argc || !valid_name(name) ||
      (strcmp(sub, "add") && strcmp(sub, "passwd") && strcmp(sub, "disable"))) {
    usage();
    goto out;
  }
  int64_t auth = 0;
  if (!strcmp(sub, "add")) {
    char *end = NULL;
    if (authority) auth = strtoll(authority, &end, 10);
    int ok = role &&
             ((!strcmp(role, "analyst") && agency[0] && !authority) ||
              (!strcmp(role, "reviewer") && authority && *end == '\0' && auth > 0 && !agency[0]) ||
              (!strcmp(role, "center") && !agency[0] && !authority));
    if (!ok) {
      fprintf(stderr,
              "soccollector: user add: an analyst needs --agency, a reviewer "
              "--authority N (N > 0), center staff neither\n");
      goto out;
    }
  } else if (role || agency[0] || authority) {
    usage();
    goto out;
  }
  if (sodium_init() < 0) {
    status = 1;
    goto out;
  }
  if (strcmp(sub, "disable") && (status = read_hash(hash)) != 0) goto out;
  status = 1;
  if (soc_centerdb_open(cfg, &db) < 0) goto out;
  struct passwd *pw = getpwuid(getuid());
  if (pw) snprintf(os_user, sizeof os_user, "os:%s", pw->pw_name);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  int64_t at = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
  int rc;
  if (!strcmp(sub, "add")) {
    soc_console_user u = {.name = name,
                          .hash = hash,
                          .role = role,
                          .agency = agency,
                          .authority = auth,
                          .changed_ns = at};
    rc = soc_centerdb_user_add(db, &u);
  } else {
    rc = soc_centerdb_user_set(db, name, !strcmp(sub, "passwd") ? hash : NULL, at);
  }
  if (rc == -EEXIST || rc == -ENOENT) {
    fprintf(stderr, "soccollector: user %s: %s %s\n", sub, name,
            rc == -EEXIST ? "exists already" : "is no account");
    status = 2;
    goto out;
  }
  if (rc == 0) rc = soc_console_audit(db, os_user, sub, name, role ? role : "");
  if (rc < 0) {
    fprintf(stderr, "soccollector: user %s: %s\n", sub, soc_centerdb_errmsg(db));
    goto out;
  }
  printf("user %s: %s\n", sub, name);
  status = 0;
out:
  sodium_memzero(hash, sizeof hash);
  soc_centerdb_free(db);
  return status;
}

/*
 * privdrop — from root to agent.user, keeping at most CAP_NET_RAW.
 *
 * The order matters and is the classic one: the bounding set is trimmed
 * while we still hold CAP_SETPCAP; PR_SET_KEEPCAPS lets the permitted set
 * survive the change of uid; groups go before the uid (a non-root process
 * can not change its groups); then capset() puts back exactly the one
 * capability kept into the effective set. Done by hand with capset(2)
 * rather than libcap: it is a handful of bit operations, and the agent's
 * dependency list is what an agency's auditors read.
 *
 * The state folder and agent.db are handed to the user because the store
 * may have been created a moment ago by root (inputs open before the drop,
 * and the ingest loop opens its store with them). Only the folder itself and
 * the store's three files are touched, never followed through a symlink, and
 * a file with more than one link is left alone: a hard link planted in the
 * folder must not make root give away the file it points to.
 */
#define _GNU_SOURCE /* setresuid, setresgid */
#include "privdrop.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int fail(const char *what, int err) {
  fprintf(stderr, "socagent: cannot drop privileges: %s: %s\n", what, strerror(err));
  return -err;
}

static int needs_net_raw(const soc_config *cfg) {
  for (size_t i = 0; i < cfg->ninputs; i++)
    if (cfg->inputs[i].type == SOC_INPUT_PCAP && cfg->inputs[i].interface) return 1;
  return 0;
}

static int give(int dirfd, const char *name, uid_t uid, gid_t gid) {
  struct stat st;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) return errno == ENOENT ? 0 : -errno;
  if (!S_ISREG(st.st_mode) || st.st_nlink != 1) {
    fprintf(stderr, "socagent: %s in agent.state_dir is not a plain file; left as it is\n", name);
    return 0;
  }
  if (st.st_uid == uid && st.st_gid == gid) return 0;
  return fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

static int give_state_dir(const char *dir, uid_t uid, gid_t gid) {
  static const char *const files[] = {"agent.db",        "agent.db-wal", "agent.db-shm",
                                      "agent.db.marker", "agent.key",    "agent.key.pub",
                                      "agent.key.cert"};
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return fail(dir, errno);
  int rc = 0;
  struct stat st;
  if (fstat(fd, &st) < 0) rc = -errno;
  if (rc == 0 && (st.st_uid != uid || st.st_gid != gid) && fchown(fd, uid, gid) < 0) rc = -errno;
  for (size_t i = 0; rc == 0 && i < sizeof files / sizeof files[0]; i++)
    rc = give(fd, files[i], uid, gid);
  close(fd);
  return rc < 0 ? fail(dir, -rc) : 0;
}

static int last_cap(void) {
  int last = CAP_LAST_CAP;
  FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
  if (f) {
    if (fscanf(f, "%d", &last) != 1) last = CAP_LAST_CAP;
    fclose(f);
  }
  return last;
}

static int set_caps(int keep_raw) {
  struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  if (keep_raw) {
    data[CAP_NET_RAW / 32].effective = 1u << (CAP_NET_RAW % 32);
    data[CAP_NET_RAW / 32].permitted = 1u << (CAP_NET_RAW % 32);
  }
  return syscall(SYS_capset, &hdr, data) < 0 ? -errno : 0;
}

int soc_privdrop(const soc_config *cfg) {
  const char *user = cfg->agent.user;
  if (!user) return 0;
  if (geteuid() != 0) {
    struct passwd *me = getpwuid(geteuid());
    if (!me || strcmp(me->pw_name, user) != 0)
      fprintf(stderr,
              "socagent: agent.user is '%s' but the agent was started as '%s', not root; "
              "it runs as '%s'\n",
              user, me ? me->pw_name : "?", me ? me->pw_name : "?");
    return 0;
  }
  struct passwd *pw = getpwnam(user);
  if (!pw) return fail(user, ENOENT);
  uid_t uid = pw->pw_uid;
  gid_t gid = pw->pw_gid;
  if (cfg->agent.group) {
    struct group *gr = getgrnam(cfg->agent.group);
    if (!gr) return fail(cfg->agent.group, ENOENT);
    gid = gr->gr_gid;
  }
  if (uid == 0) return fail("agent.user is root", EINVAL);
  int keep_raw = needs_net_raw(cfg);
  int rc = give_state_dir(cfg->agent.state_dir, uid, gid);
  if (rc < 0) return rc;
  for (int c = 0; c <= last_cap(); c++)
    if (!(keep_raw && c == CAP_NET_RAW) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 &&
        errno != EINVAL)
      return fail("trimming the capability bounding set", errno);
  /* the user's supplementary groups (e.g. adm, to read /var/log), then the
   * chosen group as the primary one */
  if (initgroups(user, gid) < 0) return fail("initgroups", errno);
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return fail("PR_SET_KEEPCAPS", errno);
  if (setresgid(gid, gid, gid) < 0) return fail("setresgid", errno);
  if (setresuid(uid, uid, uid) < 0) return fail("setresuid", errno);
  if ((rc = set_caps(keep_raw)) < 0) return fail("capset", -rc);
  prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  /* nothing we run may gain privileges again (setuid binaries, file caps) */
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return fail("PR_SET_NO_NEW_PRIVS", errno);
  if (setuid(0) == 0 || (gid != 0 && setgid(0) == 0))
    return fail("root could be regained after the change", EPERM);
  fprintf(stderr, "socagent: running as user %s (uid %u, gid %u) with %s\n", user, (unsigned)uid,
          (unsigned)gid, keep_raw ? "CAP_NET_RAW only" : "no capabilities");
  return 0;
}

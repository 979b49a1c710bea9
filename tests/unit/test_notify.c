/* notify: the sd_notify datagram reaches a socket named by $NOTIFY_SOCKET
 * (a path, or '@' for the abstract namespace), and the watchdog interval is
 * half of $WATCHDOG_USEC, only for the process it names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "soc/notify.h"

/* A datagram socket bound to name ('@...': abstract), as systemd has. */
static int listener(const char *name) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  size_t len = strlen(name);
  memcpy(sa.sun_path, name, len);
  if (name[0] == '@') sa.sun_path[0] = '\0';
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  assert_true(fd >= 0);
  assert_int_equal(
      bind(fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)),
      0);
  return fd;
}

static void expect_message(int fd, const char *want) {
  char buf[256];
  ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
  assert_true(n >= 0);
  buf[n] = '\0';
  assert_string_equal(buf, want);
}

static void test_path_socket(void **state) {
  (void)state;
  char dir[] = "/tmp/test_notify_XXXXXX", path[128];
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/notify", dir);
  int fd = listener(path);
  setenv("NOTIFY_SOCKET", path, 1);
  assert_int_equal(soc_notify("READY=1"), 1);
  expect_message(fd, "READY=1");
  assert_int_equal(soc_notify("WATCHDOG=1"), 1);
  expect_message(fd, "WATCHDOG=1");
  close(fd);
  unlink(path);
  rmdir(dir);
  /* the manager went away: an error, never a crash or a hang */
  assert_true(soc_notify("STOPPING=1") < 0);
  unsetenv("NOTIFY_SOCKET");
}

static void test_abstract_socket(void **state) {
  (void)state;
  char name[64];
  snprintf(name, sizeof name, "@socagent-test-notify-%ld", (long)getpid());
  int fd = listener(name);
  setenv("NOTIFY_SOCKET", name, 1);
  assert_int_equal(soc_notify("STOPPING=1"), 1);
  expect_message(fd, "STOPPING=1");
  close(fd);
  unsetenv("NOTIFY_SOCKET");
}

static void test_no_manager(void **state) {
  (void)state;
  unsetenv("NOTIFY_SOCKET");
  assert_int_equal(soc_notify("READY=1"), 0);
  setenv("NOTIFY_SOCKET", "relative/path", 1);
  assert_int_equal(soc_notify("READY=1"), -EINVAL);
  unsetenv("NOTIFY_SOCKET");
}

static void test_watchdog_interval(void **state) {
  (void)state;
  char pid[32];
  unsetenv("WATCHDOG_PID");
  unsetenv("WATCHDOG_USEC");
  assert_int_equal(soc_notify_watchdog_ms(), 0);
  setenv("WATCHDOG_USEC", "30000000", 1);
  assert_int_equal(soc_notify_watchdog_ms(), 15000);
  snprintf(pid, sizeof pid, "%ld", (long)getpid());
  setenv("WATCHDOG_PID", pid, 1);
  assert_int_equal(soc_notify_watchdog_ms(), 15000);
  setenv("WATCHDOG_PID", "1", 1); /* meant for another process */
  assert_int_equal(soc_notify_watchdog_ms(), 0);
  unsetenv("WATCHDOG_PID");
  setenv("WATCHDOG_USEC", "junk", 1);
  assert_int_equal(soc_notify_watchdog_ms(), 0);
  setenv("WATCHDOG_USEC", "1000", 1); /* 1 ms: never 0, which means off */
  assert_int_equal(soc_notify_watchdog_ms(), 1);
  unsetenv("WATCHDOG_USEC");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_path_socket),
      cmocka_unit_test(test_abstract_socket),
      cmocka_unit_test(test_no_manager),
      cmocka_unit_test(test_watchdog_interval),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

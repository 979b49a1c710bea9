/*
 * Replays a fuzz corpus through a harness without libFuzzer, so that every
 * ordinary build (gcc included) runs the corpus as a test. Arguments are
 * files or folders; folders are read one level deep.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Each input gets a heap buffer of exactly its size, as libFuzzer gives it,
 * so that ASan reports a harness or parser reading one byte past the end. */
static int replay_file(const char *path) {
  int result = -1;
  uint8_t *buf = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    goto out;
  }
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || st.st_size < 0) {
    perror(path);
    goto out;
  }
  size_t size = (size_t)st.st_size;
  /* malloc(0) gives a unique pointer that nothing may read, like an empty input */
  buf = malloc(size);
  if (!buf && size) {
    fprintf(stderr, "%s: out of memory for %zu bytes\n", path, size);
    goto out;
  }
  if (fread(buf, 1, size, f) != size) {
    fprintf(stderr, "%s: expected %zu bytes, read fewer\n", path, size);
    goto out;
  }
  LLVMFuzzerTestOneInput(buf, size);
  result = 0;
out:
  free(buf);
  if (f) fclose(f);
  return result;
}

int main(int argc, char **argv) {
  size_t count = 0;
  for (int i = 1; i < argc; i++) {
    struct stat st;
    if (stat(argv[i], &st) != 0) {
      perror(argv[i]);
      return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
      if (replay_file(argv[i]) < 0) return 1;
      count++;
      continue;
    }
    DIR *d = opendir(argv[i]);
    struct dirent *e;
    while (d && (e = readdir(d))) {
      char path[4096];
      if (e->d_name[0] == '.') continue;
      snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
      if (replay_file(path) < 0) return 1;
      count++;
    }
    if (d) closedir(d);
  }
  printf("replayed %zu input(s)\n", count);
  return count ? 0 : 1;
}

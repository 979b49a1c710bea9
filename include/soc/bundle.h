/*
 * bundle — evidence bundles: a BagIt bag (RFC 8493) in a POSIX ustar
 * archive, cut into chunk messages plus one manifest message for the
 * evidence topic. The layout and the messages are specified in
 * docs/REPORTS.md, "Evidence bundles".
 *
 * The sending side (the agent) builds a bag in memory under a hard byte cap,
 * finishes it and asks for its messages one at a time. The receiving side
 * (the collector) parses each message, rebuilds the archive from the chunks,
 * verifies it against the manifest message and may extract it. Everything
 * the receiving side reads is untrusted and bounded: malformed input is an
 * error with a reason in words, never a crash.
 *
 * What the checks prove: that the archive is the one the agent described
 * and that the bag is internally consistent. They do not authenticate the
 * agent: whoever can write to the topic can recompute every hash.
 *
 * No store, no Kafka: a pure library.
 */
#ifndef SOC_BUNDLE_H
#define SOC_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#define SOC_BUNDLE_ID_MAX 160
#define SOC_BUNDLE_PATH_MAX 200         /* a file path inside the bag, e.g. "data/logs/LabSZ.log" */
#define SOC_BUNDLE_DEFAULT_CHUNK 262144 /* bytes of archive per chunk message (before base64) */

#define SOC_BUNDLE_SCHEMA "socagent.evidence/1"
/* Limits both sides hold to. A bundle can not be built past them, and a
 * message claiming more is malformed. */
#define SOC_BUNDLE_ARCHIVE_MAX (1024u * 1024u * 1024u) /* max_bytes and a manifest's size */
#define SOC_BUNDLE_CHUNK_MAX (4u * 1024u * 1024u)      /* decoded bytes of one chunk */
#define SOC_BUNDLE_CHUNKS_MAX 65536u                   /* chunks of one bundle */
#define SOC_BUNDLE_FILES_MAX 16384u                    /* payload files of one bundle */
/* Longest message text: a chunk of SOC_BUNDLE_CHUNK_MAX in base64 (5.6 MB),
 * or a manifest listing SOC_BUNDLE_FILES_MAX files, plus its custody. */
#define SOC_BUNDLE_MSG_MAX (8u * 1024u * 1024u)
#define SOC_BUNDLE_CUSTODY_MAX (64u * 1024u) /* bytes of custody.json */
#define SOC_BUNDLE_INFO_MAX 64               /* extra bag-info.txt lines */
#define SOC_BUNDLE_INFO_LINE_MAX 1024        /* bytes in one of them */

typedef struct soc_bundle soc_bundle; /* a bag being built, in memory, capped */

/* id: [A-Za-z0-9._/-], no "..", not ".", at most SOC_BUNDLE_ID_MAX-1 bytes;
   it is also the archive's top folder (with "/" replaced by "_"). max_bytes:
   hard cap on the whole archive, at most SOC_BUNDLE_ARCHIVE_MAX. OUT: *out.
   -EINVAL bad args, -ENOMEM. */
int soc_bundle_new(const char *id, size_t max_bytes, soc_bundle **out);
/* NULL is a no-op. */
void soc_bundle_free(soc_bundle *b);

/* Payload files, under data/. path is relative to data/ ("logs/LabSZ.log"):
   at most SOC_BUNDLE_PATH_MAX-6 bytes of UTF-8, components separated by
   "/", none empty, "." or "..", no leading "/", no control characters, no
   backslash or "%" (which manifests would have to escape). -EINVAL for a
   bad path or a call out of order, -EEXIST for a duplicate, -ENOSPC past
   SOC_BUNDLE_FILES_MAX files. A file can be written in pieces: begin,
   write..., end. -EFBIG when the archive would pass max_bytes (the bundle
   is then unusable: every later call returns -EFBIG). */
int soc_bundle_file_begin(soc_bundle *b, const char *path);
int soc_bundle_file_write(soc_bundle *b, const void *data, size_t len);
int soc_bundle_file_end(soc_bundle *b);
int soc_bundle_add(soc_bundle *b, const char *path, const void *data,
                   size_t len); /* begin+write+end */

/* Tag data. info: extra "Key: value" lines for bag-info.txt (NULL-terminated
   array of "Key: value" strings, may be NULL; at most SOC_BUNDLE_INFO_MAX
   lines of SOC_BUNDLE_INFO_LINE_MAX bytes, no line breaks, and neither
   Bagging-Date nor Payload-Oxum, which this function adds: Bagging-Date is
   today's date in UTC). custody_json: one JSON object (who, what, when,
   where from), at most SOC_BUNDLE_CUSTODY_MAX bytes, stored as custody.json
   byte for byte. Writes bagit.txt, bag-info.txt, custody.json,
   manifest-sha256.txt, tagmanifest-sha256.txt, and ends the ustar archive.
   OUT: *archive (owned by b until soc_bundle_free), *len, sha256_hex (65
   bytes). After finish, no more files may be added (-EINVAL). -EINVAL for
   bad args (the bundle is left as it was), -EFBIG past the cap. */
int soc_bundle_finish(soc_bundle *b, const char *const *info, const char *custody_json,
                      const uint8_t **archive, size_t *len, char sha256_hex[65]);

/* The manifest message (see docs/REPORTS.md) for a finished bundle: report
   is the report id (same rules as a bundle id), chunk the chunk size used
   (1..SOC_BUNDLE_CHUNK_MAX, and at most SOC_BUNDLE_CHUNKS_MAX chunks).
   OUT: *json (malloc'd, caller frees). -EINVAL for bad args or an
   unfinished bundle, -EMSGSIZE past SOC_BUNDLE_MSG_MAX, -ENOMEM. */
int soc_bundle_manifest_json(const soc_bundle *b, const char *report, size_t chunk, char **json);
/* Chunk message seq (0-based) of a finished bundle. OUT: *json (malloc'd).
   -ERANGE when seq is past the last chunk. soc_bundle_nchunks tells how
   many (0 for an unfinished bundle or a chunk size of 0). */
size_t soc_bundle_nchunks(const soc_bundle *b, size_t chunk);
int soc_bundle_chunk_json(const soc_bundle *b, const char *report, size_t chunk, size_t seq,
                          char **json);

/* ---- the receiving side (untrusted input) ---- */
typedef struct soc_bundle_msg {
  int is_manifest; /* 0: chunk */
  char bundle[SOC_BUNDLE_ID_MAX], report[SOC_BUNDLE_ID_MAX];
  char sha256[65]; /* chunk: of the decoded data; manifest: of the whole archive */
  size_t seq, offset,
      size;            /* chunk: its index, offset, decoded size; manifest: size = archive size */
  size_t chunks;       /* manifest only */
  uint8_t *data;       /* chunk only: decoded bytes, owned by the msg (soc_bundle_msg_clear) */
  char *manifest_json; /* manifest only: the whole message text, owned */
} soc_bundle_msg;

/* Parses one message from the evidence topic into *out (cleared first;
   clear it with soc_bundle_msg_clear whatever the result). Errors:
   -EBADMSG with a reason in why (why_len bytes, may be 0) for anything
   malformed (not JSON, wrong schema, bad base64, size/sha mismatch of a
   chunk, a chunk past the bundle's limits, limits: a message over
   SOC_BUNDLE_MSG_MAX, a chunk larger than 4 MiB decoded, a manifest
   claiming > 1 GiB or > 65536 chunks or > SOC_BUNDLE_FILES_MAX files),
   -EINVAL for bad arguments, -ENOMEM. */
int soc_bundle_msg_parse(const void *buf, size_t len, soc_bundle_msg *out, char *why,
                         size_t why_len);
/* Frees what the message owns and zeroes it. NULL is a no-op. */
void soc_bundle_msg_clear(soc_bundle_msg *m);

typedef struct soc_bundle_check {
  int ok;         /* 1: the archive is the one the manifest describes and the bag is valid */
  size_t files;   /* payload files that checked out */
  char what[256]; /* when !ok: the first problem, in words ("data/logs/x.log: sha256 mismatch") */
} soc_bundle_check;

/* Verifies a rebuilt archive against its manifest message (manifest_json
   as received, NUL-terminated): the archive's size and SHA-256, a
   well-formed ustar stream (checksums, sizes within the archive, nothing
   but zeros after its end, no path escaping the bundle folder, no
   duplicate paths, no links/devices), bagit.txt present, every payload
   file listed in manifest-sha256.txt with the right SHA-256 and no
   unlisted payload file, bag-info.txt's Payload-Oxum, the tag manifest
   (listing every other tag file), and the manifest message's "files" list
   equal to manifest-sha256.txt (paths, hashes and sizes). Returns 0
   whatever the verdict (see check->ok), negative errno only for bad
   arguments or out of memory. */
int soc_bundle_verify(const uint8_t *archive, size_t len, const char *manifest_json,
                      soc_bundle_check *check);

/* Extracts a verified archive under dir (created 0700 if missing; folders
   0700, files 0600), refusing any path that would leave dir, symbolic links
   on the way (O_NOFOLLOW) and files that already exist. Returns 0 or
   negative errno (-EBADMSG for a malformed archive). A failure can leave
   part of the archive extracted. */
int soc_bundle_extract(const uint8_t *archive, size_t len, const char *dir);

#endif

/*
 * bundle_internal — what the writing side (bundle.c) and the reading side
 * (bundle_read.c) of evidence bundles must agree on: the ustar header
 * layout and the rules for names. Nothing outside those two files uses it.
 */
#ifndef SOC_BUNDLE_INTERNAL_H
#define SOC_BUNDLE_INTERNAL_H

#include <stddef.h>

#include "soc/bundle.h"

/* POSIX ustar (IEEE Std 1003.1, "pax" chapter): 512-byte blocks, a header
 * per entry, data padded to a block, two zero blocks at the end. */
#define TAR_BLOCK 512u
#define TAR_END (2u * TAR_BLOCK)
#define TAR_NAME 0u /* offsets and widths of the header fields we use */
#define TAR_NAME_LEN 100u
#define TAR_MODE 100u
#define TAR_UID 108u
#define TAR_GID 116u
#define TAR_SIZE 124u
#define TAR_SIZE_LEN 12u
#define TAR_MTIME 136u
#define TAR_CHKSUM 148u
#define TAR_CHKSUM_LEN 8u
#define TAR_TYPE 156u
#define TAR_MAGIC 257u /* "ustar\0" then version "00" */
#define TAR_PREFIX 345u
#define TAR_PREFIX_LEN 155u
/* A name that fits neither name nor prefix/name goes in a pax extended
 * header ('x') before its entry, as one "path" record. This bounds it. */
#define TAR_PAX_MAX 1024u

/* The tag files this library writes, relative to the bundle folder. */
#define BAG_BAGIT "bagit.txt"
#define BAG_INFO "bag-info.txt"
#define BAG_CUSTODY "custody.json"
#define BAG_MANIFEST "manifest-sha256.txt"
#define BAG_TAGMANIFEST "tagmanifest-sha256.txt"
#define BAG_BAGIT_TEXT "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"

/* s[0..n) is a bundle or report id: [A-Za-z0-9._/-], 1..SOC_BUNDLE_ID_MAX-1
 * bytes, no "..", not ".". */
int soc_bundle_id_ok(const char *s, size_t n);
/* The archive's top folder for an id: "/" becomes "_". top holds
 * SOC_BUNDLE_ID_MAX bytes; the id must be valid. */
void soc_bundle_top(const char *id, char *top);
/* s[0..n) is a relative path we write or accept: UTF-8, components
 * separated by "/", none empty, "." or "..", no control characters, no
 * backslash, no "%". */
int soc_bundle_path_ok(const char *s, size_t n);
/* s[0..n) is n lower-case hex digits. */
int soc_bundle_hex_ok(const char *s, size_t n);

#endif

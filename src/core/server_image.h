/* server_image.h - which server a container image holds, read from its
 * reference (repository and tag), as a server_kind: the same identity the
 * survey reads off a running node (INFO server), so one table of data
 * formats (server_kind.h) judges both.  Pure: no I/O.
 */
#ifndef SHARDCTL_SERVER_IMAGE_H
#define SHARDCTL_SERVER_IMAGE_H

#include "core/server_kind.h"

/* Split "REPO:TAG" (the tag after the last ':' that follows the last '/';
 * "@sha256:..." digests leave the tag empty, "REPO:TAG@sha256:..." keeps
 * TAG) into repo and tag buffers. */
void server_image_split(const char *image, char *repo, int rlen, char *tag, int tlen);

/* The server an image holds: its family is `flavor` when given ("valkey" or
 * "redis"), else the one the repository's last component names
 * ("valkey/valkey", "docker.io/library/redis"); its version the tag's
 * leading MAJOR.MINOR[.PATCH] ("9.1.3-alpine").  0 when both are known; -1
 * when not (k->family may still be set): a digest, "latest", a tag without
 * a minor version (too vague for the data format), a private name. */
int server_kind_from_image(struct server_kind *k, const char *repository, const char *tag, const char *flavor);

#endif

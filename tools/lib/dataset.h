/* dataset.h - the deterministic test data of sc-load: key names and the
 * value every key must hold.  Pure: no I/O, no globals.
 *
 * Key i of a data set with prefix P is "P:i".  Its value is a function of
 * (data seed, i, version, size) only, so a verifier needs no record of what
 * was written: it derives the expected bytes again.  Values are printable
 * ("i.version." followed by letters and digits) so they read well in
 * redis-cli, and differ for any change of seed, index or version.
 */
#ifndef SHARDCTL_DATASET_H
#define SHARDCTL_DATASET_H

#include <stddef.h>
#include <stdint.h>

#define DATASET_KEY_MAX 128

/* Write "prefix:index" into buf (NUL-terminated); returns its length, or -1
 * when it does not fit in len bytes. */
int dataset_key(char *buf, int len, const char *prefix, long long index);

/* Fill buf with exactly `size` bytes: the value of key `index` at `version`
 * (fill writes version 0) under data seed `seed`.  Not NUL-terminated. */
void dataset_value(char *buf, size_t size, uint64_t seed, long long index, uint64_t version);

/* The value seed of database db (several databases hold different values
 * under one data seed): database 0 keeps the data seed itself. */
uint64_t dataset_db_seed(uint64_t seed, int db);

/* 1 when got[0..glen) is exactly the value dataset_value would derive. */
int dataset_value_equal(const char *got, size_t glen, size_t size, uint64_t seed,
			long long index, uint64_t version);

#endif

/* vec.h - growing arrays: the one place capacity doubling lives. */
#ifndef SHARDCTL_VEC_H
#define SHARDCTL_VEC_H

#include <stddef.h>

/* Make *v (an array of elements of `size` bytes with capacity *cap) hold at
 * least `need` elements, doubling from `first` when it must grow.  On
 * failure *v and *cap are unchanged and -1 is returned (out of memory). */
int vec_grow(void **v, int *cap, int need, size_t size, int first);

#endif

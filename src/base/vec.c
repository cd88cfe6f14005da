/* vec.c - see vec.h */
#include "base/vec.h"

#include <stdlib.h>

int vec_grow(void **v, int *cap, int need, size_t size, int first)
{
	void *tmp;
	int ncap;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : first;
	while (ncap < need)
		ncap *= 2;
	tmp = realloc(*v, (size_t)ncap * size);
	if (!tmp)
		return -1;
	*v = tmp;
	*cap = ncap;
	return 0;
}

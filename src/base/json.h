/* json.h - the little JSON output needs: strings written escaped.  The
 * commands write their objects with fprintf; only strings need care. */
#ifndef SHARDCTL_JSON_H
#define SHARDCTL_JSON_H

#include <stdio.h>

/* Write s as a JSON string (quoted, escaped; NULL as null). */
void json_str(FILE *f, const char *s);

#endif

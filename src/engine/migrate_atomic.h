/* migrate_atomic.h - the atomic method of a move job (Valkey >= 9 CLUSTER
 * MIGRATESLOTS or Redis >= 8.4 CLUSTER MIGRATION, atomic_ops.h), behind
 * migrate.h's API: see "Methods" there.
 *
 * Internal: included only by engine/migrate.c, which dispatches to it.  It
 * works on the job's object (migrate_job.h) and never calls back up.
 */
#ifndef SHARDCTL_MIGRATE_ATOMIC_H
#define SHARDCTL_MIGRATE_ATOMIC_H

#include "engine/migrate_job.h"

/* Work for about budget_ms.  Returns 1 when every move is done, 0 when
 * there is more to do, -1 once the job failed and every job it started has
 * ended, 2 when the moves left MOVE_PENDING (only the slots not moved yet)
 * are now the legacy method's: no atomic job of this migration runs any
 * more. */
int atomic_step(struct migrate *m, int budget_ms);

/* A stop was requested (sig): cancel the jobs started (where the family
 * cancels: Valkey on their sources, Redis on their targets), start no
 * more, and fail the job with a message; atomic_step then waits for the
 * jobs to end. */
void atomic_stop(struct migrate *m, int sig);

/* Free the method's state.  Accepts NULL. */
void atomic_free(struct atomic *a);

#endif

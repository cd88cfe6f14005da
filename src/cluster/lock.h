/* lock.h - one reconcile at a time per cluster.
 *
 * The lock is a lease held as live connections, one to every master, each
 * named `shardctl-lock-<pid>` (CLIENT SETNAME).  A contender first registers
 * on every master, then reads CLIENT LIST on each: it holds the lock only if
 * on no master another shardctl-lock client has a lower client id.  Client
 * ids only grow on a server, so on any master both contenders registered on,
 * exactly one is lower: two contenders sharing a master can never both win
 * (whoever registered there second sees the first, which keeps its
 * connection for as long as it holds the lock).  A loser closes its
 * connections and retries after a random pause until its wait runs out.
 *
 * A run that dies (killed, crashed, OOM) loses its sockets with it, so the
 * lease is gone at once: nothing to clean up, nothing to expire.
 *
 * Limits: a holder that hangs without dying (SIGSTOP, a frozen host) keeps
 * the lock until its connections drop (TCP keepalive, or the server's
 * `timeout`); a master restarted while the lock is held forgets the
 * registration (the holder's other masters still guard it); two runs that
 * see disjoint sets of masters (two different clusters) do not exclude each
 * other, by design.
 */
#ifndef SHARDCTL_LOCK_H
#define SHARDCTL_LOCK_H

#include "base/addr.h"
#include "cluster/conn.h"
#include "base/err.h"

struct cluster_lock;

/* Take the lock on the masters given, waiting at most wait_ms for a holder
 * to finish.  NULL with ERR_FAIL naming the holder when the wait ran out
 * ("another reconcile holds the cluster lock ..."), ERR_IO when a master
 * cannot be reached. */
struct cluster_lock *lock_acquire(const struct addr *masters, int n, const struct conn_opts *o,
				  int wait_ms, struct sc_err *e);

/* 1 while every connection of the lease is still open (cheap PING). */
int lock_held(struct cluster_lock *l);

/* Release (close the connections).  Accepts NULL. */
void lock_release(struct cluster_lock *l);

#endif

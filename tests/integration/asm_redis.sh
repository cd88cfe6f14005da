#!/usr/bin/env bash
# asm_redis.sh - asm.sh on redis-8.6: Redis's own atomic slot migration
# (CLUSTER MIGRATION IMPORT/STATUS/CANCEL on the target, one task per node)
# driven by shardctl through the same scenario (4x1 -> 5x1 -> 5x2 -> 5x1
# -> 4x1 under a client, SIGINT and SIGKILL mid-task and a rerun, cancelled
# attempts then legacy, a password), plus a Valkey node among Redis ones.
ASM_SERVER=redis-8.6 exec bash "$(dirname "$0")/asm.sh" "$@"

#!/usr/bin/env bash
# asm_target_kill_redis.sh - asm_target_kill.sh on redis-8.6: the target of
# Redis's CLUSTER MIGRATION tasks killed mid-task, (a) its replica taking
# over, (b) restarted with no takeover; each time a rerun converges.
ASM_SERVER=redis-8.6 exec bash "$(dirname "$0")/asm_target_kill.sh" "$@"

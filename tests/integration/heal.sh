#!/usr/bin/env bash
# heal.sh - every node of a 3x1 cluster restarts on a new address with its
# nodes.conf kept (the pods-restart case: cluster-announce-hostname set to
# the pod DNS name, IPs all changed); `shardctl heal --nodes NAMES` restores
# membership without moving a slot, every key is verified one by one.
# Also: heal on a healthy cluster does nothing, a list reaching two clusters
# or a node that is not cluster-enabled is refused with nothing changed, a
# lone node is left alone.  Names resolve through nss_wrapper.
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/cluster.bash"

NKEYS=2000
P=$(t_free_ports 1) || exit 1
OLD=127.0.10 NEW=127.0.11
NSS=$(for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib; do [ -f "$d/libnss_wrapper.so" ] && echo "$d/libnss_wrapper.so" && break; done)
[ -n "$NSS" ] || { t_not_ok "libnss_wrapper.so not found (apt-get install libnss-wrapper)"; t_done; }

# nss_wrapper: a hosts file standing in for the headless Service's DNS
echo "root:x:0:0:root:/root:/bin/sh" >"$T_DIR/passwd"
echo "root:x:0:" >"$T_DIR/group"
hosts() { for i in 1 2 3 4 5 6; do echo "$1.$i rc-$i.rc-headless"; done >"$T_DIR/hosts"; }
hosts $OLD
names=$(for i in 1 2 3 4 5 6; do printf 'rc-%d.rc-headless:%d,' "$i" "$P"; done)
names=${names%,}
heal() {
	LD_PRELOAD="$NSS" NSS_WRAPPER_HOSTS="$T_DIR/hosts" NSS_WRAPPER_PASSWD="$T_DIR/passwd" \
		NSS_WRAPPER_GROUP="$T_DIR/group" NSS_WRAPPER_DISABLE_DEEPBIND=1 ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
		"$SHARDCTL" heal "$@"
}
pod() { # pod I NET: start "pod" I on NET.I with its own folder (kept across restarts)
	local d="$T_DIR/pod-$1"
	mkdir -p "$d"
	[ -d "$T_DIR/node-$2.$1-$P" ] || ln -s "$d" "$T_DIR/node-$2.$1-$P"
	t_start_node "$2.$1" "$P" --cluster-announce-hostname "rc-$1.rc-headless" \
		--cluster-node-timeout 2000 --appendonly yes --appendfsync always
}
rcli() { cli "$1:$P" "${@:2}"; } # rcli HOST args...: the node on HOST
all_ok() { for i in 1 2 3 4 5 6; do [ "$(rcli "$1.$i" cluster info | tr -d '\r' | grep -c cluster_state:ok)" = 1 ] || return 1; done; }
links_up() { # every node sees 5 peers connected, none failing
	for i in 1 2 3 4 5 6; do
		[ "$(rcli "$1.$i" cluster nodes | grep -v myself | grep -v fail | grep -c ' connected')" = 5 ] || return 1
	done
}
for i in 1 2 3 4 5 6; do pod $i $OLD || { t_not_ok "start pod $i"; t_done; }; done
t_run cli_cluster create $(for i in 1 2 3 4 5 6; do printf '%s.%d:%d ' $OLD "$i" "$P"; done) \
	--cluster-replicas 1 --cluster-yes
t_eq 0 "$T_RC" "fixture: redis-cli --cluster create 3x1"
t_wait 20 all_ok $OLD && t_wait 20 links_up $OLD
repl_up() { # N replicas of NET with their master link up
	local up=0 i
	for i in 1 2 3 4 5 6; do
		[ "$(rcli "$2.$i" info replication | tr -d '\r' | grep -c master_link_status:up)" = 1 ] && up=$((up + 1))
	done
	[ "$up" = "$1" ]
}
t_wait 20 repl_up 3 $OLD
t_eq 0 $? "fixture: cluster formed, replicas in sync"
C_SEED=$OLD.1:$P fill_keys $NKEYS
C_SEED=$OLD.1:$P verify_keys "fixture" $NKEYS
before=$(slot_map $OLD.1:$P)

# healthy: nothing to do, nothing done
t_run heal --nodes "$names"
t_eq 0 "$T_RC" "heal on a healthy cluster exits 0"
t_contains "$T_OUT" "nothing to heal" "heal on a healthy cluster says nothing to heal"
t_not_contains "$T_OUT" "meets '" "heal on a healthy cluster sends no meet"

# refusals: another cluster in the list; a node that is not cluster-enabled
t_start_node $OLD.7 "$P" --cluster-node-timeout 2000
rcli $OLD.7 cluster addslots 0 1 2 >/dev/null
t_run heal --nodes "rc-1.rc-headless:$P,$OLD.7:$P"
t_eq 2 "$T_RC" "a list reaching two clusters is refused (exit 2)"
t_contains "$T_ERR" "belong to different clusters" "refusal names the two clusters"
t_eq 1 "$(rcli $OLD.7 cluster nodes | wc -l)" "refused: the other cluster's node still knows only itself"
t_start_plain $OLD.8 "$P"
t_run heal --nodes "rc-1.rc-headless:$P,$OLD.8:$P"
t_eq 2 "$T_RC" "a node that is not cluster-enabled is refused (exit 2)"
t_contains "$T_ERR" "'$OLD.8:$P' is not cluster-enabled" "refusal names the node"
t_eq "$before" "$(slot_map $OLD.1:$P)" "refusals changed no slot"

# every pod restarts on a new IP, nodes.conf and data kept
for i in 1 2 3 4 5 6; do rcli $OLD.$i shutdown >/dev/null 2>&1; done
t_wait 15 bash -c "! pgrep -f '$T_SERVER_NAME $OLD\.[1-6]:$P' >/dev/null"
for i in 1 2 3 4 5 6; do mv "$T_DIR/node-$OLD.$i-$P" "$T_DIR/node-$NEW.$i-$P"; done
hosts $NEW
for i in 1 2 3 4 5 6; do pod $i $NEW || t_not_ok "restart pod $i"; done
t_contains "$(rcli $NEW.1 cluster nodes)" "$OLD." "after the restart the nodes still look for old addresses"

t_run heal --nodes "$names" --dry-run
t_eq 0 "$T_RC" "heal --dry-run exits 0"
t_contains "$T_OUT" "would: 'rc-1.rc-headless:$P' meets 'rc-2.rc-headless:$P'" "heal --dry-run says which meets it would send"
t_contains "$(rcli $NEW.1 cluster nodes)" "$OLD." "heal --dry-run changed nothing"

t_run heal --nodes "$names" --wait 45
t_eq 0 "$T_RC" "heal exits 0: $(echo "$T_ERR" | tail -n 2)"
t_contains "$T_OUT" "meets 'rc-" "heal met peers at their new addresses"
t_contains "$T_OUT" "healed:" "heal reports the cluster healed"
t_wait 20 links_up $NEW
t_eq 0 $? "every node sees its 5 peers connected"
t_not_contains "$(for i in 1 2 3 4 5 6; do rcli $NEW.$i cluster nodes; done)" "$OLD." "no node remembers an old address"
t_wait 20 all_ok $NEW
t_eq 0 $? "every node reports cluster_state:ok"
t_eq "$before" "$(slot_map $NEW.1:$P)" "heal moved no slot (same masters, same slots)"
t_run cli_cluster check $NEW.1:"$P"
t_eq 0 "$T_RC" "redis-cli --cluster check passes"
t_contains "$T_OUT" "[OK] All 16384 slots covered." "redis-cli --cluster check: all slots covered"
t_not_contains "$T_OUT" "[ERR]" "redis-cli --cluster check: no error"
t_wait 20 repl_up 3 $NEW
t_eq 0 $? "3 replicas with their master link up"
C_SEED=$NEW.1:$P verify_keys "after heal" $NKEYS
if "$SHARDCTL" check --help >/dev/null 2>&1; then
	t_run "$SHARDCTL" check $NEW.1:"$P" --shards 3 --replicas 1
	t_eq 0 "$T_RC" "shardctl check passes: $T_OUT $T_ERR"
fi

# idempotent; a lone new node in the list is left alone
t_start_node $NEW.9 "$P" --cluster-node-timeout 2000
t_run heal --nodes "$names,$NEW.9:$P"
t_eq 0 "$T_RC" "heal run again exits 0"
t_contains "$T_OUT" "nothing to heal" "heal run again says nothing to heal"
t_contains "$T_OUT" "'$NEW.9:$P' knows no other node" "a lone node is reported"
t_eq 1 "$(rcli $NEW.9 cluster nodes | wc -l)" "the lone node was not added"
t_done

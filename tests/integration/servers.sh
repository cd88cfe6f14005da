#!/usr/bin/env bash
# servers.sh - the server matrix of scripts/servers.sh: it prints the five
# servers in order, each of which starts in cluster mode on a loopback port
# under its own process name and is what its name says: the family and
# version INFO server reports (valkey_version present -> Valkey, else Redis
# redis_version), CLUSTER INFO answering, the RDB version of a DUMP payload
# (Redis 7.0 10, Valkey 8.0 11, Redis 8.0 12, Valkey 9.1 80, Redis 8.6 13),
# and atomic slot migration: COMMAND INFO cluster|migrateslots on Valkey 9.1
# only, cluster|migration (Redis's own family) on Redis 8.6 only.
# Needs no shardctl.
source "$(dirname "$0")/../lib/test-lib.bash"
H=127.0.15.1

t_run "$T_ROOT/scripts/servers.sh"
t_eq 0 "$T_RC" "scripts/servers.sh: exit 0 ($(printf '%s' "$T_ERR" | tail -n 3))"
t_eq "redis-7.0 valkey-8.0 redis-8.0 valkey-9.1 redis-8.6" "$(printf '%s\n' "$T_OUT" | awk '{print $1}' | xargs)" \
	"scripts/servers.sh: five servers, in order"
[ "$T_RC" -eq 0 ] || t_done
lines=$T_OUT

t_run "$T_ROOT/scripts/servers.sh" valkey-9.1
t_eq "$(printf '%s\n' "$lines" | grep '^valkey-9.1 ')" "$T_OUT" "scripts/servers.sh NAME: that server's line only"
t_run "$T_ROOT/scripts/servers.sh" redis-6.2
t_eq 2 "$T_RC" "scripts/servers.sh of an unknown name: exit 2"
t_contains "$T_ERR" "unknown server 'redis-6.2'" "scripts/servers.sh of an unknown name: message"

P=$(t_free_ports 5 $H) || exit 1

# info_field TEXT FIELD: the value of FIELD:value in an INFO reply
info_field() { printf '%s\n' "$1" | tr -d '\r' | sed -n "s/^$2://p"; }

# rdb_version CLI PORT KEY: the RDB version of KEY's DUMP payload, the two
# bytes (little-endian) before its final 8-byte CRC.  redis-cli --raw writes
# the payload as it is, followed by a newline.
rdb_version() {
	"$1" -h $H -p "$2" --raw dump "$3" | od -An -tu1 -v | xargs -n 1 |
		awk '{b[NR] = $1} END {if (NR < 11 || b[NR] != 10) print "bad"; else print b[NR-10] + 256 * b[NR-9]}'
}

i=0
while read -r name server cli; do
	port=$((P + i))
	i=$((i + 1))
	fam=${name%-*} mm=${name#*-}
	case $name in
	redis-7.0) rdb=10 ;;
	valkey-8.0) rdb=11 ;;
	redis-8.0) rdb=12 ;;
	valkey-9.1) rdb=80 ;;
	redis-8.6) rdb=13 ;;
	esac
	d="$T_DIR/$name"
	mkdir -p "$d"
	"$server" --bind $H --port "$port" --cluster-enabled yes --cluster-config-file "$d/nodes.conf" \
		--save "" --appendonly no --dir "$d" --logfile "$d/server.log" --daemonize no &
	pid=$!
	T_PIDS+=("$pid")
	disown "$pid" 2>/dev/null
	if ! t_wait 10 "$cli" -h $H -p "$port" ping; then
		t_not_ok "$name: started on $H:$port ($(tail -n 5 "$d/server.log" 2>/dev/null))"
		continue
	fi
	t_ok "$name: started on $H:$port"
	t_eq "$(basename "$server")" "$(cat /proc/"$pid"/comm 2>/dev/null)" "$name: process name"

	info=$("$cli" -h $H -p "$port" info server)
	if [ -n "$(info_field "$info" valkey_version)" ]; then
		got="valkey $(info_field "$info" valkey_version)"
	else
		got="redis $(info_field "$info" redis_version)"
	fi
	case $got in
	"$fam $mm".*) t_ok "$name: INFO server says $got" ;;
	*) t_not_ok "$name: INFO server says '$got', want $fam $mm.x" ;;
	esac

	t_contains "$("$cli" -h $H -p "$port" cluster info)" "cluster_known_nodes:1" "$name: CLUSTER INFO answers"
	# one node owning every slot, so that it serves keys
	"$cli" -h $H -p "$port" cluster addslotsrange 0 16383 >/dev/null
	if t_wait 10 bash -c "'$cli' -h $H -p $port cluster info | grep -q '^cluster_state:ok'"; then
		t_ok "$name: cluster_state:ok after ADDSLOTSRANGE"
	else
		t_not_ok "$name: cluster_state:ok after ADDSLOTSRANGE"
	fi
	"$cli" -h $H -p "$port" set "key:$name" "value of $name" >/dev/null
	t_eq "$rdb" "$(rdb_version "$cli" "$port" "key:$name")" "$name: RDB version of a DUMP payload is $rdb"
	# the payload goes back in through RESTORE on the same server
	"$cli" -h $H -p "$port" --raw dump "key:$name" | head -c -1 |
		"$cli" -h $H -p "$port" -x restore "copy:$name" 0 >/dev/null
	t_eq "value of $name" "$("$cli" -h $H -p "$port" get "copy:$name")" "$name: RESTORE of its own DUMP"

	asm=$("$cli" -h $H -p "$port" --no-raw command info 'cluster|migrateslots')
	if [ "$name" = valkey-9.1 ]; then
		t_not_contains "$asm" "(nil)" "$name: COMMAND INFO cluster|migrateslots is non-nil"
	else
		t_eq "1) (nil)" "$asm" "$name: COMMAND INFO cluster|migrateslots is nil"
	fi
	asm=$("$cli" -h $H -p "$port" --no-raw command info 'cluster|migration')
	if [ "$name" = redis-8.6 ]; then
		t_not_contains "$asm" "(nil)" "$name: COMMAND INFO cluster|migration is non-nil"
	else
		t_eq "1) (nil)" "$asm" "$name: COMMAND INFO cluster|migration is nil"
	fi

	"$cli" -h $H -p "$port" shutdown nosave >/dev/null 2>&1
	t_wait 10 bash -c "! kill -0 $pid 2>/dev/null"
	t_eq 1 "$(kill -0 "$pid" 2>/dev/null && echo 0 || echo 1)" "$name: shut down"
done <<<"$lines"
t_eq 5 "$i" "five servers tried"

t_done

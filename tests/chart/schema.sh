#!/usr/bin/env bash
# schema.sh - values.schema.json (and the chart's own checks) refuse bad values
# with a message naming the value, and render nothing.
source "$(dirname "$0")/../lib/test-lib.bash"
source "$(dirname "$0")/lib/chart.bash"

# refused WHAT MESSAGE-PART... -- HELM-ARGS...
refused() {
	local what=$1 part
	shift
	local parts=()
	while [ "$1" != -- ]; do parts+=("$1"); shift; done
	shift
	t_run "$HELM" template rc "$CHART" -n shop "$@"
	t_eq 1 "$T_RC" "$what: refused"
	t_eq "" "$T_OUT" "$what: nothing rendered"
	for part in "${parts[@]}"; do
		t_contains "$T_ERR" "$part" "$what: message"
	done
}

refused "shards 2" "at '/shards'" "minimum: got 2, want 3" -- --set shards=2
refused "shards 0" "at '/shards'" "minimum" -- --set shards=0
refused "replicasPerShard -1" "at '/replicasPerShard'" "minimum: got -1, want 0" -- --set replicasPerShard=-1
refused "shards \"four\"" "at '/shards'" "got string, want integer" -- --set shards=four
refused "shards 4.5" "at '/shards'" "want integer" -- --set shards=4.5
refused "quoted shards" "at '/shards'" "got string, want integer" -- --set-string shards=4
refused "a typo (shard)" "additional properties 'shard' not allowed" -- --set shard=5
refused "port 0" "at '/port'" "minimum" -- --set port=0
refused "unknown pull policy" "at '/image/pullPolicy'" -- --set image.pullPolicy=Sometimes
refused "endpoint type" "at '/clusterPreferredEndpointType'" -- --set clusterPreferredEndpointType=dns
refused "hook deadline 10" "at '/hooks/deadlineSeconds'" "minimum" -- --set hooks.deadlineSeconds=10
refused "negative backoffLimit" "at '/hooks/backoffLimit'" -- --set hooks.backoffLimit=-1
refused "negative maxLatencyMs" "at '/hooks/maxLatencyMs'" "minimum" -- --set hooks.maxLatencyMs=-1
refused "maxLatencyMs in words" "at '/hooks/maxLatencyMs'" -- --set hooks.maxLatencyMs=low
refused "auth without a password" "auth.enabled is true but neither auth.password nor auth.existingSecret is set" -- \
	--set auth.enabled=true
refused "password on two lines" "at '/auth/password'" -- --set-string auth.password=$'a\nb'
refused "volume size" "at '/persistence/size'" -- --set persistence.size=lots
refused "retention policy" "at '/persistence/retentionPolicy/whenScaled'" -- --set persistence.retentionPolicy.whenScaled=Keep
refused "empty server tag" "at '/image/tag'" -- --set image.tag=
refused "unknown server flavor" "at '/image/flavor'" -- --set image.flavor=keydb
refused "unknown shardctl pull policy" "at '/shardctl/image/pullPolicy'" -- --set shardctl.image.pullPolicy=Sometimes
refused "a typo under shardctl" "additional properties 'imag' not allowed" -- --set shardctl.imag.tag=x
refused "handoff deadline 0" "at '/rollingRestart/handoffSeconds'" "minimum" -- --set rollingRestart.handoffSeconds=0
refused "grace period 10" "at '/terminationGracePeriodSeconds'" "minimum" -- --set terminationGracePeriodSeconds=10
refused "handoff longer than the grace period" \
	"terminationGracePeriodSeconds (60) must be at least rollingRestart.handoffSeconds + 10 (130)" -- \
	--set rollingRestart.handoffSeconds=120

# The limits themselves are accepted.
t_run "$HELM" template rc "$CHART" -n shop --set rollingRestart.handoffSeconds=50
t_eq 0 "$T_RC" "handoff of 50 s in a grace period of 60 accepted"
t_run "$HELM" template rc "$CHART" -n shop --set image.repository=redis --set image.tag=7.2.5 --set image.flavor=redis
t_eq 0 "$T_RC" "the official Redis image accepted"
t_run "$HELM" template rc "$CHART" -n shop --set shards=3 --set replicasPerShard=0
t_eq 0 "$T_RC" "3 shards, 0 replicas accepted"
t_run "$HELM" template rc "$CHART" -n shop --set auth.enabled=true --set auth.existingSecret=s
t_eq 0 "$T_RC" "auth with an existing Secret accepted"

t_done

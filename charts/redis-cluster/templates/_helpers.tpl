{{/*
Helpers of the redis-cluster chart; every name is prefixed "redis-cluster.".
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "redis-cluster.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The prefix of every resource name: RELEASE-CHART, or just RELEASE when it
already contains the chart name, or fullnameOverride.  Kept to 52 characters
so that suffixed names ("-headless", "-post-rollback") stay within 63.
*/}}
{{- define "redis-cluster.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "redis-cluster.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object. */}}
{{- define "redis-cluster.labels" -}}
helm.sh/chart: {{ include "redis-cluster.chart" . }}
{{ include "redis-cluster.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: redis-cluster
{{- end }}

{{/* Labels selecting the redis-server pods (never change: selectors are immutable). */}}
{{- define "redis-cluster.selectorLabels" -}}
app.kubernetes.io/name: {{ include "redis-cluster.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "redis-cluster.headlessName" -}}
{{- printf "%s-headless" (include "redis-cluster.fullname" .) }}
{{- end }}

{{/* The server image (official Valkey or Redis). */}}
{{- define "redis-cluster.image" -}}
{{- printf "%s:%s" .Values.image.repository (toString .Values.image.tag) }}
{{- end }}

{{/* The shardctl image (hooks, helm test, the pods' sidecar); tag = appVersion by default. */}}
{{- define "redis-cluster.shardctlImage" -}}
{{- printf "%s:%s" .Values.shardctl.image.repository (default .Chart.AppVersion .Values.shardctl.image.tag) }}
{{- end }}

{{/* Where the sidecar's preStop leaves its handoff marker for the server's preStop. */}}
{{- define "redis-cluster.handoffDir" -}}
/run/redis-cluster-handoff
{{- end }}

{{/* Number of pods: shards * (1 + replicasPerShard). */}}
{{- define "redis-cluster.podCount" -}}
{{- mul (int .Values.shards) (add 1 (int .Values.replicasPerShard)) }}
{{- end }}

{{/* DNS suffix of the pods: HEADLESS.NAMESPACE.svc.DOMAIN */}}
{{- define "redis-cluster.podDomain" -}}
{{- printf "%s.%s.svc.%s" (include "redis-cluster.headlessName" .) .Release.Namespace .Values.clusterDomain }}
{{- end }}

{{/*
The node list handed to shardctl, from the values being applied (the NEW
values on upgrade and rollback): NAME-i.HEADLESS.NS.svc.DOMAIN:PORT for
i < shards * (1 + replicasPerShard), comma-separated.
*/}}
{{- define "redis-cluster.nodeList" -}}
{{- $fullname := include "redis-cluster.fullname" . }}
{{- $domain := include "redis-cluster.podDomain" . }}
{{- $nodes := list }}
{{- range $i := until (int (include "redis-cluster.podCount" .)) }}
{{- $nodes = append $nodes (printf "%s-%d.%s:%d" $fullname $i $domain (int $.Values.port)) }}
{{- end }}
{{- join "," $nodes }}
{{- end }}

{{/* The client Service's address, used by `helm test`. */}}
{{- define "redis-cluster.serviceAddress" -}}
{{- printf "%s.%s.svc.%s:%d" (include "redis-cluster.fullname" .) .Release.Namespace .Values.clusterDomain (int .Values.port) }}
{{- end }}

{{/* The Secret holding the password, and its key. */}}
{{- define "redis-cluster.secretName" -}}
{{- default (include "redis-cluster.fullname" .) .Values.auth.existingSecret }}
{{- end }}
{{- define "redis-cluster.secretKey" -}}
{{- if .Values.auth.existingSecret }}{{ .Values.auth.existingSecretPasswordKey }}{{ else }}password{{ end }}
{{- end }}

{{/* Where the password is mounted as a file (never passed on a command line). */}}
{{- define "redis-cluster.passwordFile" -}}
/etc/redis-cluster-auth/password
{{- end }}

{{/* Fails rendering on combinations the schema cannot express. */}}
{{- define "redis-cluster.validate" -}}
{{- if and .Values.auth.enabled (not .Values.auth.existingSecret) (not .Values.auth.password) }}
{{- fail "auth.enabled is true but neither auth.password nor auth.existingSecret is set: give one of them" }}
{{- end }}
{{- if lt (int .Values.terminationGracePeriodSeconds) (add (int .Values.rollingRestart.handoffSeconds) 10 | int) }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must be at least rollingRestart.handoffSeconds + 10 (%d): the server needs time to stop after the handoff" (int .Values.terminationGracePeriodSeconds) (add (int .Values.rollingRestart.handoffSeconds) 10)) }}
{{- end }}
{{- end }}

{{/* The password volume, for pods and hook Jobs. */}}
{{- define "redis-cluster.authVolume" -}}
{{- if .Values.auth.enabled }}
- name: auth
  secret:
    secretName: {{ include "redis-cluster.secretName" . }}
    defaultMode: 0440
    items:
      - key: {{ include "redis-cluster.secretKey" . }}
        path: password
{{- end }}
{{- end }}

{{- define "redis-cluster.authVolumeMount" -}}
{{- if .Values.auth.enabled }}
- name: auth
  mountPath: /etc/redis-cluster-auth
  readOnly: true
{{- end }}
{{- end }}

{{/* shardctl's authentication option (empty without auth). */}}
{{- define "redis-cluster.authArgs" -}}
{{- if .Values.auth.enabled }}
- --password-file
- {{ include "redis-cluster.passwordFile" . }}
{{- end }}
{{- end }}

{{/* Environment shared by the pods' containers. */}}
{{- define "redis-cluster.env" -}}
- name: REDIS_PORT
  value: {{ .Values.port | quote }}
{{- if .Values.auth.enabled }}
- name: REDIS_PASSWORD_FILE
  value: {{ include "redis-cluster.passwordFile" . }}
{{- end }}
{{- end }}

{{/*
A hook Job: one pod running shardctl (the shardctl image) with ARGS, after
optional init containers: wait-for-nodes (post-* hooks: `shardctl ready`
until every node of the list serves; the pods of a new StatefulSet size may
still be starting) and upgrade-check (pre-upgrade, pre-rollback: `shardctl
upgrade-check` refuses a server image that cannot read the running data).
Call with (dict "root" $ "hook" "post-upgrade" "weight" 10 "args" (list ...)
"waitForNodes" true "upgradeCheck" false).
*/}}
{{- define "redis-cluster.hookJob" -}}
{{- $root := .root }}
{{- $fullname := include "redis-cluster.fullname" $root }}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ printf "%s-%s" $fullname .hook | trunc 63 | trimSuffix "-" }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "redis-cluster.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ printf "hook-%s" .hook }}
  annotations:
    helm.sh/hook: {{ .hook }}
    helm.sh/hook-weight: {{ .weight | quote }}
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
spec:
  backoffLimit: {{ $root.Values.hooks.backoffLimit }}
  activeDeadlineSeconds: {{ $root.Values.hooks.deadlineSeconds }}
  template:
    metadata:
      labels:
        {{- include "redis-cluster.labels" $root | nindent 8 }}
        app.kubernetes.io/component: {{ printf "hook-%s" .hook }}
    spec:
      restartPolicy: Never
      automountServiceAccountToken: false
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      {{- with $root.Values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $root.Values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- if or .waitForNodes .upgradeCheck }}
      initContainers:
        {{- if .waitForNodes }}
        # Every node of the list must serve (answer, not loading, replicas
        # in sync) before reconcile runs: the pods of a new size may still
        # be starting.  Bounded by the Job's deadline.
        - name: wait-for-nodes
          image: {{ include "redis-cluster.shardctlImage" $root }}
          imagePullPolicy: {{ $root.Values.shardctl.image.pullPolicy }}
          command:
            - shardctl
            - ready
            - {{ include "redis-cluster.nodeList" $root | quote }}
            - --wait
            - {{ $root.Values.hooks.deadlineSeconds | quote }}
            {{- with include "redis-cluster.authArgs" $root }}{{ . | trim | nindent 12 }}{{ end }}
          securityContext:
            {{- toYaml $root.Values.containerSecurityContext | nindent 12 }}
          resources:
            {{- toYaml $root.Values.hooks.resources | nindent 12 }}
          {{- if $root.Values.auth.enabled }}
          volumeMounts:
            {{- with include "redis-cluster.authVolumeMount" $root }}{{ . | trim | nindent 12 }}{{ end }}
          {{- end }}
        {{- end }}
        {{- if .upgradeCheck }}
        # Before any pod restarts: refuses a server image that cannot read
        # the running nodes' data (a downgrade of the data format).
        - name: upgrade-check
          image: {{ include "redis-cluster.shardctlImage" $root }}
          imagePullPolicy: {{ $root.Values.shardctl.image.pullPolicy }}
          command:
            - shardctl
            - upgrade-check
            - --nodes
            - {{ include "redis-cluster.nodeList" $root | quote }}
            - --to-image
            - {{ include "redis-cluster.image" $root | quote }}
            {{- with $root.Values.image.flavor }}
            - --flavor
            - {{ . | quote }}
            {{- end }}
            {{- with include "redis-cluster.authArgs" $root }}{{ . | trim | nindent 12 }}{{ end }}
          securityContext:
            {{- toYaml $root.Values.containerSecurityContext | nindent 12 }}
          resources:
            {{- toYaml $root.Values.hooks.resources | nindent 12 }}
          {{- if $root.Values.auth.enabled }}
          volumeMounts:
            {{- with include "redis-cluster.authVolumeMount" $root }}{{ . | trim | nindent 12 }}{{ end }}
          {{- end }}
        {{- end }}
      {{- end }}
      containers:
        - name: shardctl
          image: {{ include "redis-cluster.shardctlImage" $root }}
          imagePullPolicy: {{ $root.Values.shardctl.image.pullPolicy }}
          command:
            - shardctl
            {{- range .args }}
            - {{ . | quote }}
            {{- end }}
            {{- with include "redis-cluster.authArgs" $root }}{{ . | trim | nindent 12 }}{{ end }}
          securityContext:
            {{- toYaml $root.Values.containerSecurityContext | nindent 12 }}
          resources:
            {{- toYaml $root.Values.hooks.resources | nindent 12 }}
          {{- if $root.Values.auth.enabled }}
          volumeMounts:
            {{- with include "redis-cluster.authVolumeMount" $root }}{{ . | trim | nindent 12 }}{{ end }}
          {{- end }}
      {{- if $root.Values.auth.enabled }}
      volumes:
        {{- with include "redis-cluster.authVolume" $root }}{{ . | trim | nindent 8 }}{{ end }}
      {{- end }}
{{- end }}

{{/* reconcile's arguments from the values being applied. */}}
{{- define "redis-cluster.reconcileArgs" -}}
{{- $args := list "reconcile" "--nodes" (include "redis-cluster.nodeList" .) "--shards" (toString .Values.shards) "--replicas" (toString .Values.replicasPerShard) }}
{{- if not (kindIs "invalid" .Values.hooks.maxLatencyMs) }}
{{- $args = concat $args (list "--max-latency" (toString .Values.hooks.maxLatencyMs)) }}
{{- end }}
{{- $args | toJson }}
{{- end }}

{{/* Names and labels. */}}
{{- define "inventory.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "inventory.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The labels of a resource: (dict "ctx" $ "component" "worker" "pool" "high"); component and
pool may be left out.  The selector labels are the name, instance, component and pool.
*/}}
{{- define "inventory.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version | replace "+" "_" }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
{{ include "inventory.selectorLabels" . }}
{{- end }}

{{- define "inventory.selectorLabels" -}}
app.kubernetes.io/name: {{ include "inventory.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- with .pool }}
inventory/pool: {{ . }}
{{- end }}
{{- end }}

{{- define "inventory.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "inventory.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "inventory.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The Secret holding the config file: the user's, or the chart's. */}}
{{- define "inventory.configSecretName" -}}
{{- default (printf "%s-config" (include "inventory.fullname" .)) .Values.configSecret.existingSecret }}
{{- end }}

{{- define "inventory.configKey" -}}
{{- if .Values.configSecret.existingSecret }}{{ .Values.configSecret.key }}{{ else }}inventory.yaml{{ end }}
{{- end }}

{{/* The config file as the chart writes it. */}}
{{- define "inventory.configFile" -}}
{{- toYaml .Values.config }}
{{- end }}

{{/* The annotations every pod gets: a changed config file rolls the pods. */}}
{{- define "inventory.podAnnotations" -}}
{{- $a := dict }}
{{- if not .ctx.Values.configSecret.existingSecret }}
{{- $_ := set $a "checksum/config" (include "inventory.configFile" .ctx | sha256sum) }}
{{- end }}
{{- $a = merge $a (.extra | default dict) (.ctx.Values.podAnnotations | default dict) }}
{{- if $a }}{{ toYaml $a }}{{ end }}
{{- end }}

{{/*
The environment of every role.  Connection settings are INVENTORY_<SECTION>__<KEY>
overrides (they win over the config file); secrets are files, named by *_FILE.
*/}}
{{- define "inventory.env" -}}
- name: INVENTORY_CONFIG
  value: /etc/inventory/config/inventory.yaml
# The root filesystem is read-only: HOME and TMPDIR on the /tmp emptyDir.
- name: HOME
  value: /tmp
- name: TMPDIR
  value: /tmp
{{- with .Values.neo4j }}
{{- if .uri }}
- name: INVENTORY_NEO4J__URI
  value: {{ tpl .uri $ | quote }}
{{- end }}
{{- if .user }}
- name: INVENTORY_NEO4J__USER
  value: {{ .user | quote }}
{{- end }}
{{- if .passwordSecret.name }}
- name: INVENTORY_NEO4J__PASSWORD_FILE
  value: /etc/inventory/neo4j/password
{{- end }}
{{- end }}
{{- with .Values.redis }}
{{- if .sentinels }}
- name: INVENTORY_REDIS__SENTINELS
  value: {{ .sentinels | toJson | quote }}
- name: INVENTORY_REDIS__MASTER_NAME
  value: {{ required "redis.masterName is required with redis.sentinels" .masterName | quote }}
{{- else if .url }}
- name: INVENTORY_REDIS__URL
  value: {{ tpl .url $ | quote }}
{{- end }}
{{- if .passwordSecret.name }}
- name: INVENTORY_REDIS__PASSWORD_FILE
  value: /etc/inventory/redis/password
{{- end }}
{{- if .sentinelPasswordSecret.name }}
- name: INVENTORY_REDIS__SENTINEL_PASSWORD_FILE
  value: /etc/inventory/redis/sentinel-password
{{- end }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Volumes of every role; (dict "ctx" $ "configSecret" name) names the config's Secret. */}}
{{- define "inventory.volumes" -}}
{{- $v := .ctx.Values -}}
- name: config
  secret:
    secretName: {{ .configSecret }}
    items:
      - key: {{ include "inventory.configKey" .ctx }}
        path: inventory.yaml
- name: tmp
  emptyDir:
    {{- with $v.tmpVolume.medium }}
    medium: {{ . }}
    {{- end }}
    {{- with $v.tmpVolume.sizeLimit }}
    sizeLimit: {{ . }}
    {{- end }}
{{- with $v.neo4j.passwordSecret }}
{{- if .name }}
- name: neo4j-password
  secret:
    secretName: {{ .name }}
    items:
      - key: {{ .key }}
        path: password
{{- end }}
{{- end }}
{{- if or $v.redis.passwordSecret.name $v.redis.sentinelPasswordSecret.name }}
- name: redis-passwords
  projected:
    sources:
      {{- with $v.redis.passwordSecret }}
      {{- if .name }}
      - secret:
          name: {{ .name }}
          items:
            - key: {{ .key }}
              path: password
      {{- end }}
      {{- end }}
      {{- with $v.redis.sentinelPasswordSecret }}
      {{- if .name }}
      - secret:
          name: {{ .name }}
          items:
            - key: {{ .key }}
              path: sentinel-password
      {{- end }}
      {{- end }}
{{- end }}
{{- range $v.secretFiles }}
- name: {{ include "inventory.secretVolume" . }}
  secret:
    secretName: {{ .secretName }}
{{- end }}
{{- end }}

{{/* A secretFiles entry's volume name: a DNS label, whatever the Secret's name. */}}
{{- define "inventory.secretVolume" -}}
{{- printf "secret-%s" .secretName | replace "." "-" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "inventory.volumeMounts" -}}
- name: config
  mountPath: /etc/inventory/config
  readOnly: true
- name: tmp
  mountPath: /tmp
{{- if .Values.neo4j.passwordSecret.name }}
- name: neo4j-password
  mountPath: /etc/inventory/neo4j
  readOnly: true
{{- end }}
{{- if or .Values.redis.passwordSecret.name .Values.redis.sentinelPasswordSecret.name }}
- name: redis-passwords
  mountPath: /etc/inventory/redis
  readOnly: true
{{- end }}
{{- range .Values.secretFiles }}
- name: {{ include "inventory.secretVolume" . }}
  mountPath: /etc/inventory/secrets/{{ .secretName }}
  readOnly: true
{{- end }}
{{- end }}

{{/*
What every pod spec shares; (dict "ctx" $ "part" .Values.<component> "sa" name):
the security context, pull secrets, placement (the component's own, else the global).
*/}}
{{- define "inventory.podCommon" -}}
{{- $v := .ctx.Values -}}
serviceAccountName: {{ .sa }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml $v.podSecurityContext | nindent 2 }}
{{- with $v.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with (.part.nodeSelector | default $v.nodeSelector) }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with (.part.tolerations | default $v.tolerations) }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with (.part.affinity | default .defaultAffinity | default $v.affinity) }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* The container fields every role shares. */}}
{{- define "inventory.containerCommon" -}}
image: {{ include "inventory.image" . }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
{{- with .Values.extraEnvFrom }}
envFrom:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumeMounts:
  {{- include "inventory.volumeMounts" . | nindent 2 }}
{{- end }}

{{/* A pool's resources: its own, else sized from its processes (values: workers.sizing). */}}
{{- define "inventory.poolResources" -}}
{{- if .pool.resources }}
{{- toYaml .pool.resources }}
{{- else }}
{{- $b := .sizing.base }}
{{- $p := .sizing.perProcess }}
{{- $n := int .pool.processes -}}
requests:
  cpu: {{ add (include "inventory.milli" $b.cpuRequest) (mul $n (include "inventory.milli" $p.cpuRequest)) }}m
  memory: {{ add (include "inventory.mebi" $b.memoryRequest) (mul $n (include "inventory.mebi" $p.memoryRequest)) }}Mi
limits:
  cpu: {{ mul $n (include "inventory.milli" $p.cpuLimit) }}m
  memory: {{ add (include "inventory.mebi" $b.memoryLimit) (mul $n (include "inventory.mebi" $p.memoryLimit)) }}Mi
{{- end }}
{{- end }}

{{/* A CPU quantity ("500m", "1", 2) in millicores. */}}
{{- define "inventory.milli" -}}
{{- $s := toString . }}
{{- if hasSuffix "m" $s }}{{ trimSuffix "m" $s | int }}{{ else }}{{ mulf (float64 $s) 1000 | int }}{{ end }}
{{- end }}

{{/* A memory quantity in Mi or Gi, in MiB. */}}
{{- define "inventory.mebi" -}}
{{- $s := toString . }}
{{- if hasSuffix "Gi" $s }}{{ mul (trimSuffix "Gi" $s | int) 1024 }}
{{- else if hasSuffix "Mi" $s }}{{ trimSuffix "Mi" $s | int }}
{{- else }}{{ fail (printf "workers.sizing: give memory in Mi or Gi, not %q" $s) }}{{ end }}
{{- end }}

{{/* The queues a pool consumes, as a regex: its own and those above it (app.config.pool_queues). */}}
{{- define "inventory.poolQueues" -}}
{{- $queues := list }}
{{- $done := false }}
{{- range (list "high" "default" "low") }}
{{- if not $done }}{{ $queues = append $queues (printf "inventory.%s" .) }}{{ end }}
{{- if eq . $.pool }}{{ $done = true }}{{ end }}
{{- end }}
{{- join "|" $queues }}
{{- end }}

{{/* Names and labels, the usual way: <release>-farrier unless the release name contains it. */}}
{{- define "farrier.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "farrier.fullname" -}}
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

{{- define "farrier.selectorLabels" -}}
app.kubernetes.io/name: {{ include "farrier.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "farrier.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "farrier.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: {{ .Values.layout }}
{{- end }}

{{- define "farrier.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The credential type: auth.type, else password in layout cluster and none in layout sidecar. */}}
{{- define "farrier.authType" -}}
{{- if .Values.auth.type }}{{ .Values.auth.type }}{{ else if eq .Values.layout "cluster" }}password{{ else }}none{{ end }}
{{- end }}

{{/* The Secret's key holding the credential. */}}
{{- define "farrier.secretKey" -}}
{{- $type := include "farrier.authType" . }}
{{- if .Values.auth.secretKey }}{{ .Values.auth.secretKey }}
{{- else }}{{ get (dict "password" "password" "creds" "creds" "nkey" "nkey-seed" "token" "token" "none" "") $type }}
{{- end }}
{{- end }}

{{- define "farrier.secretName" -}}
{{- if .Values.auth.value }}{{ printf "%s-auth" (include "farrier.fullname" .) }}{{ else }}{{ .Values.auth.existingSecret }}{{ end }}
{{- end }}

{{/* Where the credential's Secret is mounted, in the Farrier container (both layouts). */}}
{{- define "farrier.secretDir" -}}/etc/farrier/secret{{- end }}
{{- define "farrier.configDir" -}}/etc/farrier/config{{- end }}

{{/*
farrier.json: the layout's defaults, then .Values.config over them. The connection, the listen
address and the credential file follow the values above; config.nats.* still wins.
*/}}
{{- define "farrier.config" -}}
{{- $type := include "farrier.authType" . }}
{{- $nats := dict }}
{{- if eq .Values.layout "cluster" }}
{{- $_ := set $nats "system_account" true }}
{{- $_ := set $nats "url" .Values.nats.url }}
{{- else }}
{{- $_ := set $nats "monitor_url" "http://127.0.0.1:8222" }}
{{- $_ := set $nats "url" "nats://127.0.0.1:4222" }}
{{- end }}
{{- $file := printf "%s/%s" (include "farrier.secretDir" .) (include "farrier.secretKey" .) }}
{{- if eq $type "password" }}
{{- $_ := set $nats "user" .Values.auth.user }}
{{- $_ := set $nats "password_file" $file }}
{{- else if eq $type "creds" }}
{{- $_ := set $nats "creds_file" $file }}
{{- else if eq $type "nkey" }}
{{- $_ := set $nats "nkey_seed_file" $file }}
{{- else if eq $type "token" }}
{{- $_ := set $nats "token_file" $file }}
{{- end }}
{{- $defaults := dict "nats" $nats "web" (dict "listen_address" (printf ":%d" (int .Values.port))) }}
{{- if eq .Values.layout "cluster" }}
{{- $_ := set $defaults "cluster" (dict "expected_servers" (int .Values.nats.expectedServers)) }}
{{- end }}
{{- $config := mustMergeOverwrite $defaults (deepCopy .Values.config) }}
{{- /* Empty lists say nothing: leave them out of the file. */}}
{{- range $key := list "services" "consumers" }}
{{- if empty (get $config $key) }}{{ $_ := unset $config $key }}{{ end }}
{{- end }}
{{- toPrettyJson $config }}
{{- end }}

{{/* Is the credential's Secret mounted (a type other than none)? */}}
{{- define "farrier.hasSecret" -}}
{{- if ne (include "farrier.authType" .) "none" }}true{{ end }}
{{- end }}

{{/* Checks of values that the schema cannot express. */}}
{{- define "farrier.validate" -}}
{{- if and (include "farrier.hasSecret" .) (not .Values.auth.existingSecret) (not .Values.auth.value) }}
{{- fail (printf "auth: type %s needs a Secret: set auth.existingSecret (a Secret with the key %q) or, for a test, auth.value" (include "farrier.authType" .) (include "farrier.secretKey" .)) }}
{{- end }}
{{- if and (eq .Values.layout "cluster") .Values.podMonitor.enabled }}
{{- fail "podMonitor: the PodMonitor selects NATS pods with Farrier sidecars (layout sidecar); in layout cluster use serviceMonitor" }}
{{- end }}
{{- if and (eq .Values.layout "cluster") (eq (include "farrier.authType" .) "password") (not .Values.auth.user) }}
{{- fail "auth.user: type password needs the system-account user's name" }}
{{- end }}
{{- range .Values.keda.scaledObjects }}
{{- if eq (len (compact (list .service .consumer))) 0 }}
{{- fail (printf "keda.scaledObjects %s: set service (a services[].name) or consumer (stream and name)" .name) }}
{{- end }}
{{- if and .service .consumer }}
{{- fail (printf "keda.scaledObjects %s: set service or consumer, not both" .name) }}
{{- end }}
{{- $so := . }}
{{- if .service }}
{{- $names := list }}
{{- range ($.Values.config.services | default list) }}{{ $names = append $names .name }}{{ end }}
{{- if not (has .service $names) }}
{{- fail (printf "keda.scaledObjects %s: service %q is not a name in config.services" .name .service) }}
{{- end }}
{{- end }}
{{- if .consumer }}
{{- $found := false }}
{{- range ($.Values.config.consumers | default list) }}
{{- if and (eq .stream $so.consumer.stream) (eq .consumer $so.consumer.name) }}{{ $found = true }}{{ end }}
{{- end }}
{{- if not $found }}
{{- fail (printf "keda.scaledObjects %s: consumer %s/%s is not in config.consumers" .name .consumer.stream .consumer.name) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* The Farrier container's mounts and the pod's volumes: its config, the credential's Secret,
     and extraVolumes/extraVolumeMounts. Shared by the Deployment and the `helm test` pod. */}}
{{- define "farrier.volumeMounts" -}}
- name: config
  mountPath: {{ include "farrier.configDir" . }}
  readOnly: true
{{- if include "farrier.hasSecret" . }}
- name: secret
  mountPath: {{ include "farrier.secretDir" . }}
  readOnly: true
{{- end }}
{{- with .Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "farrier.volumes" -}}
- name: config
  configMap:
    name: {{ include "farrier.fullname" . }}-config
    defaultMode: 0440
    items:
      - key: farrier.json
        path: farrier.json
{{- if include "farrier.hasSecret" . }}
- name: secret
  secret:
    secretName: {{ include "farrier.secretName" . }}
    defaultMode: 0440
    items:
      - key: {{ include "farrier.secretKey" . }}
        path: {{ include "farrier.secretKey" . }}
{{- end }}
{{- with .Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- /*
Names and labels as the official chart derives them (its templates/_helpers.tpl), under the same
template names, because values files call them through $tplYaml (e.g.
{{ include "nats.selectorLabels" $ }}). Written for this test double, not copied.
*/ -}}

{{- /* The chart name, or nameOverride. */ -}}
{{- define "nats.name" -}}
{{- .Values.nameOverride | default .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- /* fullnameOverride, else the release name if it already contains the chart name, else
       "<release>-<name>"; at most 63 characters. */ -}}
{{- define "nats.fullname" -}}
{{- $full := .Values.fullnameOverride -}}
{{- if not $full -}}
  {{- $name := .Values.nameOverride | default .Chart.Name -}}
  {{- $full = ternary .Release.Name (printf "%s-%s" .Release.Name $name) (contains $name .Release.Name) -}}
{{- end -}}
{{- $full | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- /* namespaceOverride, else the release's namespace. */ -}}
{{- define "nats.namespace" -}}
{{- .Values.namespaceOverride | default .Release.Namespace -}}
{{- end -}}

{{- /* What the StatefulSet selects its pods by (and what the chart's PodMonitor selects). */ -}}
{{- define "nats.selectorLabels" -}}
app.kubernetes.io/name: {{ include "nats.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: nats
{{- end -}}

{{- /* The same for the nats-box Deployment: only the component differs. */ -}}
{{- define "natsBox.selectorLabels" -}}
app.kubernetes.io/name: {{ include "nats.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: nats-box
{{- end -}}

{{- /* Every object's labels: the selector labels plus chart, version and manager. */ -}}
{{- define "nats.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "nats.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- /* metadata.namespace only with namespaceOverride, as the official objects do. */ -}}
{{- define "nats.metadataNamespace" -}}
{{- with .Values.namespaceOverride }}
namespace: {{ . | quote }}
{{- end }}
{{- end -}}

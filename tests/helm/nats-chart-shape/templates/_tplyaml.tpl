{{- /*
shape.tplYaml: the official chart's "$tplYaml" rule, applied to the whole values tree before
anything is rendered (its _tplYaml.tpl, called from nats.defaultValues). A map whose ONLY key is
$tplYaml is replaced by its string run through `tpl` with the root context (.Release, .Values,
.Chart and the named templates of _helpers.tpl), the result read as YAML (a scalar, a list or a
map). Any other map, list or scalar stays as it is, strings with {{ }} included. The official
"$tplYamlSpread" (splice a list or map into its parent) is not reproduced: it fails here.

input:  dict "value" <any>, "ctx" <root context>, "at" <JSON pointer of value, for errors>
output: JSON {"v": <value with every $tplYaml map replaced>}
*/ -}}
{{- define "shape.tplYaml" -}}
{{- $value := .value -}}
{{- $out := $value -}}
{{- if kindIs "map" $value -}}
  {{- if and (eq (len $value) 1) (hasKey $value "$tplYaml") -}}
    {{- $text := tpl (toString (get $value "$tplYaml")) .ctx -}}
    {{- $read := fromYaml (printf "v:\n%s" (indent 2 $text)) -}}
    {{- if hasKey $read "Error" -}}
      {{- fail (printf "%s: $tplYaml gave %q, which is not YAML: %s" .at $text (get $read "Error")) -}}
    {{- end -}}
    {{- $out = get $read "v" -}}
  {{- else if and (eq (len $value) 1) (hasKey $value "$tplYamlSpread") -}}
    {{- fail (printf "%s: $tplYamlSpread is not reproduced by the shape chart (tests/helm/nats-chart-shape)" .at) -}}
  {{- else -}}
    {{- $out = dict -}}
    {{- range $k, $v := $value -}}
      {{- $at := printf "%s/%s" $.at ($k | replace "~" "~0" | replace "/" "~1") -}}
      {{- $_ := set $out $k (get (include "shape.tplYaml" (dict "value" $v "ctx" $.ctx "at" $at) | fromJson) "v") -}}
    {{- end -}}
  {{- end -}}
{{- else if kindIs "slice" $value -}}
  {{- $out = list -}}
  {{- range $i, $v := $value -}}
    {{- $out = append $out (get (include "shape.tplYaml" (dict "value" $v "ctx" $.ctx "at" (printf "%s/%d" $.at $i)) | fromJson) "v") -}}
  {{- end -}}
{{- end -}}
{{- toJson (dict "v" $out) -}}
{{- end -}}

{{- /*
shape.values: .Values with every $tplYaml resolved, as every official template sees them.
output: JSON {"v": <values>}
*/ -}}
{{- define "shape.values" -}}
{{- include "shape.tplYaml" (dict "value" .Values "ctx" . "at" "values") -}}
{{- end -}}

{{- /*
An RFC 6902 JSON patch, as the official chart applies its `patch` values (its _jsonpatch.tpl,
through nats.loadMergePatch): the operations in order on a copy of the document; a path that
does not exist, an index past the end or a missing "value" fails the whole render. Written for
this test double, not copied. Operations: add (a map key is set; "-" appends to a list; an index
inserts before that element), remove, replace (the target must exist), test (deep equality).
The official copy and move are not reproduced: they fail here.

shape.jsonPatch
input:  dict "doc" <any>, "patch" <list of operations>, "what" <name for errors>
output: JSON {"doc": <patched document>}
*/ -}}
{{- define "shape.jsonPatch" -}}
{{- $doc := get (fromJson (toJson (dict "d" .doc))) "d" -}}
{{- range $i, $op := .patch | default list -}}
  {{- $where := printf "%s patch[%d]" $.what $i -}}
  {{- if not (kindIs "map" $op) -}}
    {{- fail (printf "%s: an operation is an object with op and path, got %s" $where (toJson $op)) -}}
  {{- end -}}
  {{- $name := toString ($op.op | default "") -}}
  {{- if not (has $name (list "add" "remove" "replace" "test")) -}}
    {{- fail (printf "%s: invalid op %s: not one of add, remove, replace, test (copy and move are not reproduced by the shape chart)" $where $name) -}}
  {{- end -}}
  {{- if not (hasKey $op "path") -}}
    {{- fail (printf "%s: no path" $where) -}}
  {{- end -}}
  {{- if and (ne $name "remove") (not (hasKey $op "value")) -}}
    {{- fail (printf "%s: op %s needs a value" $where $name) -}}
  {{- end -}}
  {{- $path := toString $op.path -}}
  {{- $tokens := list -}}
  {{- if ne $path "" -}}
    {{- if not (hasPrefix "/" $path) -}}
      {{- fail (printf "%s: path %q must be empty or start with /" $where $path) -}}
    {{- end -}}
    {{- range rest (splitList "/" $path) -}}
      {{- $tokens = append $tokens (. | replace "~1" "/" | replace "~0" "~") -}}
    {{- end -}}
  {{- end -}}
  {{- $where = printf "%s (%s %s)" $where $name $path -}}
  {{- $doc = get (include "shape.patchAt" (dict "node" $doc "tokens" $tokens "op" $name "value" $op.value "where" $where "at" "") | fromJson) "node" -}}
{{- end -}}
{{- toJson (dict "doc" $doc) -}}
{{- end -}}

{{- /*
shape.patchAt: one operation at the path `tokens` below `node`; recursive, one token per level.
input:  dict "node", "tokens", "op", "value", "where" (for errors), "at" (pointer walked so far)
output: JSON {"node": <node after the operation>}
*/ -}}
{{- define "shape.patchAt" -}}
{{- $node := .node -}}
{{- if not .tokens -}}
  {{- /* The whole document. */ -}}
  {{- if eq .op "remove" -}}
    {{- fail (printf "%s: cannot remove the whole document" .where) -}}
  {{- else if eq .op "test" -}}
    {{- if ne (toJson $node) (toJson .value) -}}
      {{- fail (printf "%s: test failed: %s is not %s" .where (toJson $node) (toJson .value)) -}}
    {{- end -}}
  {{- else -}}
    {{- $node = .value -}}
  {{- end -}}
{{- else -}}
  {{- $key := first .tokens -}}
  {{- $rest := rest .tokens -}}
  {{- $at := printf "%s/%s" .at $key -}}
  {{- if kindIs "map" $node -}}
    {{- $exists := hasKey $node $key -}}
    {{- if and (not $exists) (or $rest (ne .op "add")) -}}
      {{- fail (printf "%s: %s does not exist" .where $at) -}}
    {{- end -}}
    {{- if $rest -}}
      {{- $child := get (include "shape.patchAt" (dict "node" (get $node $key) "tokens" $rest "op" .op "value" .value "where" .where "at" $at) | fromJson) "node" -}}
      {{- $_ := set $node $key $child -}}
    {{- else if eq .op "remove" -}}
      {{- $_ := unset $node $key -}}
    {{- else if eq .op "test" -}}
      {{- if ne (toJson (get $node $key)) (toJson .value) -}}
        {{- fail (printf "%s: test failed: %s is %s, not %s" .where $at (toJson (get $node $key)) (toJson .value)) -}}
      {{- end -}}
    {{- else -}}
      {{- $_ := set $node $key .value -}}
    {{- end -}}
  {{- else if kindIs "slice" $node -}}
    {{- $n := len $node -}}
    {{- $i := 0 -}}
    {{- if and (eq $key "-") (eq .op "add") (not $rest) -}}
      {{- $i = $n -}}
    {{- else if regexMatch "^(0|[1-9][0-9]*)$" $key -}}
      {{- $i = atoi $key -}}
    {{- else -}}
      {{- fail (printf "%s: %s: %q is not an index of the list there" .where $at $key) -}}
    {{- end -}}
    {{- $limit := $n -}}
    {{- if and (eq .op "add") (not $rest) -}}
      {{- $limit = add $n 1 -}}
    {{- end -}}
    {{- if ge $i $limit -}}
      {{- fail (printf "%s: %s does not exist (the list has %d elements)" .where $at $n) -}}
    {{- end -}}
    {{- $before := slice $node 0 $i -}}
    {{- if $rest -}}
      {{- $child := get (include "shape.patchAt" (dict "node" (index $node $i) "tokens" $rest "op" .op "value" .value "where" .where "at" $at) | fromJson) "node" -}}
      {{- $node = concat $before (list $child) (slice $node (add $i 1)) -}}
    {{- else if eq .op "add" -}}
      {{- $node = concat $before (list .value) (slice $node $i) -}}
    {{- else if eq .op "remove" -}}
      {{- $node = concat $before (slice $node (add $i 1)) -}}
    {{- else if eq .op "replace" -}}
      {{- $node = concat $before (list .value) (slice $node (add $i 1)) -}}
    {{- else if ne (toJson (index $node $i)) (toJson .value) -}}
      {{- fail (printf "%s: test failed: %s is %s, not %s" .where $at (toJson (index $node $i)) (toJson .value)) -}}
    {{- end -}}
  {{- else -}}
    {{- fail (printf "%s: %s does not exist (%s is a %s, not a map or list)" .where $at (.at | default "the document") (kindOf $node)) -}}
  {{- end -}}
{{- end -}}
{{- toJson (dict "node" $node) -}}
{{- end -}}

{{- /*
shape.mergePatch: what the official nats.loadMergePatch does with a rendered part and its values:
the part's `merge` map merged over it (maps merge, lists and scalars replace: sprig's
mergeOverwrite), then its `patch` applied.
input:  dict "doc" <map>, "values" <the part's values, with merge and patch>, "what"
output: JSON {"doc": <result>}
*/ -}}
{{- define "shape.mergePatch" -}}
{{- $doc := mergeOverwrite (deepCopy .doc) (deepCopy (.values.merge | default dict)) -}}
{{- include "shape.jsonPatch" (dict "doc" $doc "patch" (.values.patch | default list) "what" .what) -}}
{{- end -}}

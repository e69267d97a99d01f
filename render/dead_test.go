package render

import (
	"slices"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	chart "helm.sh/helm/v4/pkg/chart/v2"
)

// TestChartReads follows .Values through ranges, withs, variables and
// includes: a key is read when a template reads it or what holds it
// whole, and a key beside the ones read under a ranged map is not.
func TestChartReads(t *testing.T) {
	cases := []struct {
		name, tpl    string
		read, unread []string
	}{{
		name: "range over a map of env vars prints each value",
		tpl: `env:
{{- range $k, $v := .Values.env }}
  - name: {{ $k }}
    value: {{ $v | quote }}
{{- end }}`,
		read: []string{"env.DEBUG", "env.DATABASE_HOST"},
	}, {
		name: "range over services reads only the fields the body names (call_bot)",
		tpl: `{{- range $name, $svc := .Values.microservices }}
replicas: {{ $svc.replicaCount }}
image: {{ $svc.image | default $.Values.image }}
{{- if $svc.env }}{{ range $k, $v := $svc.env }}{{ $k }}={{ $v }}{{ end }}{{ end }}
resources: {{ toYaml $svc.resources | nindent 2 }}
{{- end }}`,
		read:   []string{"microservices.app.replicaCount", "microservices.app.env.DEBUG", "microservices.app.resources.limits.cpu", "image"},
		unread: []string{"microservices.app.imagePullSecrets", "microservices.app.service.port"},
	}, {
		name:   "with rebinds dot",
		tpl:    `{{ with .Values.sso }}issuer: {{ .issuerUrl }}{{ end }}`,
		read:   []string{"sso.issuerUrl"},
		unread: []string{"sso.clientId"},
	}, {
		name:   "a variable bound to the top",
		tpl:    `{{ $root := . }}{{ range .Values.hosts }}{{ $root.Values.domain }}{{ end }}`,
		read:   []string{"domain", "hosts"},
		unread: []string{"other"},
	}, {
		name:   "toYaml hands a map on whole",
		tpl:    `data: {{ toYaml .Values.config | nindent 2 }}`,
		read:   []string{"config.LOG_LEVEL", "config.nested.key"},
		unread: []string{"configs"},
	}, {
		name: "a define reads what its caller hands it",
		tpl: `{{- define "app.env" }}{{ range $k, $v := .env }}{{ $k }}: {{ $v }}{{ end }}{{ end -}}
{{ include "app.env" .Values.web }}`,
		read:   []string{"web.env.PORT"},
		unread: []string{"web.replicas"},
	}, {
		name: "a define handed the top in a dict",
		tpl: `{{- define "app.image" }}{{ .context.Values.image.tag }}{{ $.context.Values.registry }}{{ .svc.port }}{{ end -}}
{{ include "app.image" (dict "context" $ "svc" .Values.web) }}`,
		read:   []string{"image.tag", "registry", "web.port"},
		unread: []string{"image.pullPolicy", "web.replicas"},
	}, {
		name: "a define handed .Values in a dict reads what it reads of them (eval13 cause 4)",
		tpl: `{{- define "api.env" }}value: {{ .Values.infra.tableName | quote }}{{ end -}}
{{ include "api.env" (dict "Values" .Values "service" "api") }}`,
		read:   []string{"infra.tableName"},
		unread: []string{"infra.bucketName", "image.tag"},
	}, {
		name: "a dict's members read through get, index, with and a variable",
		tpl: `{{- $d := dict "cfg" .Values.config "top" $ }}{{ get $d.cfg "a" }}{{ index $d "cfg" "b" }}
{{- with $d.top }}{{ .Values.c }}{{ end }}`,
		read:   []string{"config.a", "config.b", "c"},
		unread: []string{"config.z", "d"},
	}, {
		name:   "a dict printed, ranged or handed to a function reads what it holds",
		tpl:    `{{ toYaml (dict "a" .Values.a) }}{{ range (dict "b" .Values.b) }}{{ . }}{{ end }}{{ include "missing" (dict "c" .Values.c) }}`,
		read:   []string{"a.x", "b.y", "c.z"},
		unread: []string{"d"},
	}, {
		name: "a dict of computed keys is used whole",
		tpl:  `{{ include "x" (dict (printf "k") .Values) }}{{ define "x" }}{{ end }}`,
		read: []string{"anything"},
	}, {
		name:   "index with constant keys",
		tpl:    `{{ index .Values "sso" "issuerUrl" }}{{ index .Values.extraEnv 0 }}`,
		read:   []string{"sso.issuerUrl", "extraEnv"},
		unread: []string{"sso.clientId"},
	}, {
		name:   "an if tests a key, not what is under it",
		tpl:    `{{ if .Values.ingress }}host: {{ .Values.ingress.host }}{{ end }}`,
		read:   []string{"ingress.host"},
		unread: []string{"ingress.annotations.foo"},
	}, {
		name: "toYaml .Values reads everything",
		tpl:  `{{ toYaml .Values }}`,
		read: []string{"anything.at.all"},
	}, {
		name: "a template that does not parse judges no key",
		tpl:  `{{ if .Values.a }}`,
		read: []string{"b"},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &chart.Chart{Metadata: &chart.Metadata{Name: "app"},
				Templates: []*common.File{{Name: "templates/t.yaml", Data: []byte(tc.tpl)}}}
			vr := chartReads(c)
			for _, p := range tc.read {
				if !vr.whole && !vr.read(p) {
					t.Errorf("%s is not read (paths %v, nodes %v)", p, vr.paths, vr.nodes)
				}
			}
			for _, p := range tc.unread {
				if vr.whole || vr.read(p) {
					t.Errorf("%s is read (paths %v, nodes %v)", p, vr.paths, vr.nodes)
				}
			}
		})
	}
}

// TestListImages finds the images values lists name, map or reference,
// and leaves single images and untagged maps to others.
func TestListImages(t *testing.T) {
	vals := map[string]any{
		"image": map[string]any{"repository": "ghcr.io/acme/api", "tag": "1.0.0"},
		"images": []any{
			map[string]any{"name": "api", "registry": "ghcr.io", "repository": "acme/api", "tag": 1.5},
			map[string]any{"name": "migrate", "repository": "ghcr.io/acme/migrate", "digest": "sha256:abc"},
		},
		"sidecars": []any{
			map[string]any{"name": "proxy", "image": "gcr.io/cloud-sql-proxy:latest"},
			map[string]any{"name": "shipper", "image": map[string]any{"repository": "fluent/fluent-bit"}},
			map[string]any{"name": "tpl", "image": "{{ .Values.x }}"},
		},
	}
	var got []ValuesImage
	listImages(vals, "", false, &got)
	want := []ValuesImage{
		{Path: "images[0]", Image: "ghcr.io/acme/api:1.5"},
		{Path: "images[1]", Image: "ghcr.io/acme/migrate@sha256:abc"},
		{Path: "sidecars[0].image", Image: "gcr.io/cloud-sql-proxy:latest"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("listImages = %+v, want %+v", got, want)
	}
}

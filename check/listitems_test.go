package check

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestItemReads(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		reads      []string // list|field|plain|test, "" field for the item whole
		uses       []string
	}{
		{name: "dot fields and a whole map",
			text:  "{{- range .Values.es.secrets }}\n- secretKey: {{ .target.key }}\n  remoteRef: {{- toYaml .remoteRef | nindent 4 }}\n{{- end }}",
			reads: []string{"es.secrets|target.key|true|false", "es.secrets|remoteRef|true|false"}},
		{name: "range variable, $ root, with rebinding",
			text:  "{{ range $i, $h := .Values.hosts }}{{ $h.name }}{{ $.Values.domain }}{{ with $h.tls }}{{ .secret }}{{ end }}{{ end }}",
			reads: []string{"hosts|name|true|false", "hosts|tls|false|true", "hosts|tls.secret|true|false"},
			uses:  []string{"domain"}},
		{name: "defaulted, tested and handed to a helper",
			text:  "{{ range .Values.ports }}{{ .port | default 80 }}{{ if .tls }}x{{ end }}{{ include \"x\" . }}{{ end }}",
			reads: []string{"ports|port|false|true", "ports|tls|false|true", "ports||false|false"}},
		{name: "an item's own list is read whole",
			text:  "{{ range .Values.ingress.hosts }}{{ .host }}{{ range .paths }}{{ .path }}{{ end }}{{ end }}",
			reads: []string{"ingress.hosts|host|true|false", "ingress.hosts|paths|true|false"}},
		{name: "the list used whole elsewhere",
			text: "{{ toYaml .Values.extraEnv }}{{ with .Values.extra }}{{ . }}{{ end }}{{ if .Values.on }}{{ end }}",
			uses: []string{"extraEnv", "extra"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reads, uses, ok := itemReads("t.yaml", tc.text)
			if !ok {
				t.Fatal("does not parse")
			}
			var got []string
			for _, r := range reads {
				got = append(got, fmt.Sprintf("%s|%s|%t|%t", r.list, strings.Join(r.field, "."), r.plain, r.test))
			}
			if !slices.Equal(got, tc.reads) {
				t.Errorf("reads %q, want %q", got, tc.reads)
			}
			if !slices.Equal(uses, tc.uses) {
				t.Errorf("uses %q, want %q", uses, tc.uses)
			}
		})
	}
	if _, _, ok := itemReads("t.yaml", "{{ range .Values.x }}"); ok {
		t.Error("an unclosed range parses")
	}
}

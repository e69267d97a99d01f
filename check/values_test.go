package check

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUnknownValuesKey(t *testing.T) {
	chart := map[string]string{
		"chart/Chart.yaml":  "apiVersion: v2\nname: app\nversion: 0.1.0\n",
		"chart/values.yaml": "replicas: 1\nimage:\n  repository: app\n  tag: \"1\"\nresources: {}\nconfig:\n  LOG_LEVEL: INFO\n",
		"chart/templates/deployment.yaml": "replicas: {{ .Values.replicas }}\nimage: {{ .Values.image.repository }}:{{ .Values.image.tag }}\n" +
			"{{- with .Values.podAnnotations }}{{ toYaml . }}{{ end }}\nmax: {{ index .Values \"autoscaling\" \"max\" }}\n",
		"chart/templates/configmap.yaml": "data:\n{{- range $k, $v := .Values.config }}\n  {{ $k }}: {{ $v | quote }}\n{{- end }}\n",
	}
	tests := []struct {
		name   string
		values string
		schema string
		want   []string
	}{
		{
			name:   "misspelt key",
			values: "replicas: 2\nimage:\n  tga: \"2\"\n",
			want:   []string{"values-prod.yaml:3 image.tga"},
		},
		{
			name:   "near miss: a config map key that a template reads via range, an open map, a with block, index",
			values: "config:\n  NEW_KEY: x\nresources:\n  limits:\n    cpu: 1\npodAnnotations:\n  a: b\nautoscaling:\n  max: 3\n",
		},
		{
			name:   "schema decides where present",
			values: "replicas: 2\nextra: 1\n",
			schema: `{"type":"object","additionalProperties":false,"properties":{"replicas":{"type":"integer"}}}`,
			want:   []string{"values-prod.yaml:2 extra"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"values-prod.yaml": tt.values}
			for k, v := range chart {
				files[k] = v
			}
			if tt.schema != "" {
				files["chart/values.schema.json"] = tt.schema
			}
			in := inputOf(envOf("prod"))
			in.Project.Dir, in.Project.Chart = writeFiles(t, files), "chart"
			var got []string
			for _, f := range findings(t, "FERRY080", in) {
				got = append(got, f.File+":"+itoa(f.Line)+" "+f.Key)
				if !strings.Contains(f.Message, "chart/values.yaml lacks") {
					t.Errorf("FERRY080 message = %q", f.Message)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("FERRY080 findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUnknownValuesKeySuggests(t *testing.T) {
	m := &chartModel{base: map[string]bool{"image": true, "image.tag": true}}
	if got := m.suggest("image.tga"); got != "image.tag" {
		t.Errorf("suggest(image.tga) = %q, want image.tag", got)
	}
}

func TestReadValuesAnchors(t *testing.T) {
	dir := t.TempDir()
	doc := `dataPath: &data /data/
defaults: &defaults
  timeout: 30s
  retries: 3
unusedAnchor: &lonely /tmp
env:
  DATA_ROUTE: *data
worker:
  <<: *defaults
  queue: mail
`
	if err := os.WriteFile(filepath.Join(dir, "values-dev.yaml"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	ps, err := readValues(newTree(dir), filepath.Join(dir, "values-dev.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, p := range ps {
		got[strings.Join(p.Path, ".")] = p.Anchor
	}
	want := map[string]bool{
		"dataPath": true, "defaults.timeout": true, "defaults.retries": true,
		// Near misses: an anchor nothing aliases, and the keys that alias.
		"unusedAnchor": false, "env.DATA_ROUTE": false, "worker.queue": false,
	}
	for k, w := range want {
		if a, ok := got[k]; !ok || a != w {
			t.Errorf("%s: anchor %v (listed %v), want %v", k, a, ok, w)
		}
	}
}

package artifact

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/internal/testtree"
	"github.com/ferrydev/ferry/project"
)

const chartYAML = "apiVersion: v2\nname: svc\nversion: 0.1.0\n"

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  template:
    spec:
      containers:
        - name: svc
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          env:
            {{- range $k, $v := .Values.env }}
            - name: {{ $k }}
              value: {{ $v | quote }}
            {{- end }}
`

// TestLeanTags: the kit tags leave out exactly the datasource clients that
// nothing in the service's configuration (configs/, chart, ferry.yaml env,
// secrets file, database section) could ask for, and keep every client
// when a chart imports keys it cannot see.
func TestLeanTags(t *testing.T) {
	all := []string{tagNoPostgres, tagNoRedis, tagNoSQLite} // sorted
	tests := []struct {
		name  string
		files map[string]string // over the stand-in service
		want  []string
	}{
		{"nothing configured", nil, all},
		{"sqlite in configs/.env", map[string]string{"configs/.env": "APP_NAME=svc\nDB_DIALECT=sqlite\nDB_NAME=orders\n"}, []string{tagNoRedis}},
		{"redis in an APP_ENV overlay", map[string]string{"configs/.prod.env": "REDIS_HOST=cache\n"}, []string{tagNoPostgres, tagNoSQLite}},
		{"near miss: a service's own key ending in DB_", map[string]string{"configs/.env": "APP_NAME=svc\nORDERS_DB_URL=x\nMYREDIS_HOST=y\n"}, all},
		{"postgres in the chart's values", map[string]string{
			"chart/Chart.yaml": chartYAML, "chart/templates/deployment.yaml": deployment,
			"chart/values.yaml": "image:\n  repository: svc\n  tag: v1\nenv:\n  DB_DIALECT: postgres\n  DB_HOST: db\n",
		}, []string{tagNoRedis}},
		{"chart without datasource keys", map[string]string{
			"chart/Chart.yaml": chartYAML, "chart/templates/deployment.yaml": deployment,
			"chart/values.yaml": "image:\n  repository: svc\n  tag: v1\nenv:\n  APP_NAME: svc\n",
		}, all},
		{"chart importing a Secret's keys with envFrom", map[string]string{
			"chart/Chart.yaml": chartYAML, "chart/values.yaml": "image:\n  repository: svc\n  tag: v1\n",
			"chart/templates/deployment.yaml": strings.Replace(deployment, "          env:\n", "          envFrom:\n            - secretRef:\n                name: db-credentials\n          env:\n", 1),
		}, nil},
		{"redis in a local environment's env", map[string]string{
			"ferry.yaml": "service: svc\nmain: .\npath: [staging, prod]\nenvironments:\n  staging:\n    target: local\n    env:\n      REDIS_HOST: localhost\n  prod:\n    soak: 1h\n",
		}, []string{tagNoPostgres, tagNoSQLite}},
		{"database section in ferry.yaml", map[string]string{
			"ferry.yaml": "service: svc\nmain: .\npath: [staging, prod]\ndatabase:\n  maxConnections: 50\nenvironments:\n  staging:\n    soak: 1s\n  prod:\n    soak: 1h\n",
		}, []string{tagNoRedis}},
		{"near miss: a service that does not use kit", map[string]string{"go.mod": "module example.com/svc\n\ngo 1.26\n"}, nil},
		{"secrets file that cannot be read", map[string]string{
			"ferry.yaml": "service: svc\nmain: .\npath: [staging, prod]\nenvironments:\n  staging:\n    target: local\n    secretsFile: ../missing-secrets.env\n  prod:\n    soak: 1h\n",
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := kitService(t, tt.files)
			p, err := project.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := tt.files["chart/Chart.yaml"]; ok && p.Chart == "" {
				t.Fatal("project.Load found no chart: the case would test nothing")
			}
			root, err := confine.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer root.Close()
			configs, err := readConfigs(root, p.Configs)
			if err != nil {
				t.Fatal(err)
			}
			if got := leanTags(root, ".", p, configs); !slices.Equal(got, tt.want) {
				t.Errorf("leanTags = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestBuildPassesLeanTags: the binary Build makes carries the tags in its
// build information, and Build reports them.
func TestBuildPassesLeanTags(t *testing.T) {
	p := svcProject(t)
	requireKit(t, p.Dir)
	img, err := Build(t.Context(), p, NewStore(p.Dir), BuildOptions{Revision: "abc123"})
	if err != nil {
		t.Fatal(err)
	}
	want := "kit_nopostgres,kit_noredis,kit_nosqlite"
	if got := strings.Join(img.BuildTags, ","); got != want {
		t.Errorf("BuildTags = %q, want %q", got, want)
	}
	bin, err := buildOutput(mustOpen(t, p.Dir), p.Service)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	if !strings.Contains(string(out), "-tags="+want) {
		t.Errorf("build info lacks -tags=%s:\n%s", want, out)
	}
}

func mustOpen(t *testing.T, dir string) *confine.Root {
	t.Helper()
	root, err := confine.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	return root
}

// requireKit makes the stand-in service in dir a kit service by its
// go.mod, as the tags are only for one: it requires kit (replaced by this
// tree's, so nothing is fetched) without importing it.
// kitService is a copy of the stand-in service requiring kit, with
// files over it.
func kitService(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../platform/local/testdata/svc")); err != nil {
		t.Fatal(err)
	}
	requireKit(t, dir)
	testtree.WriteIn(t, dir, files)
	return dir
}

func requireKit(t *testing.T, dir string) {
	t.Helper()
	kit, err := filepath.Abs("../kit")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "go.mod"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = fmt.Fprintf(f, "\nrequire %s v0.1.0\n\nreplace %s => %s\n", kitModule, kitModule, kit)
	if err := errors.Join(err, f.Close()); err != nil {
		t.Fatal(err)
	}
}

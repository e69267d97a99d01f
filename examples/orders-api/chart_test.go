package main

import (
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/ferrydev/ferry/envfile"
	"github.com/ferrydev/ferry/kit"
)

// TestChartConfigAccepted keeps the chart and the code coherent: each
// environment's config (chart/values.yaml's config map under
// values-<env>.yaml's, plus DB_PASSWORD from the Secret) over configs/ is
// accepted by kit, with the ports and probes the chart declares.
func TestChartConfigAccepted(t *testing.T) {
	base := readConfig(t, filepath.Join("chart", "values.yaml"))
	for _, env := range []string{"staging", "prod"} {
		t.Run(env, func(t *testing.T) {
			vars := map[string]string{}
			for k, v := range base {
				vars[k] = v
			}
			for k, v := range readConfig(t, "values-"+env+".yaml") {
				vars[k] = v
			}
			environ := []string{"DB_PASSWORD=from-the-secret"}
			for k, v := range vars {
				environ = append(environ, k+"="+v)
			}
			cfg, err := envfile.Load(os.DirFS("."), "configs", environ)
			if err != nil {
				t.Fatal(err)
			}
			s, err := kit.ParseSettings(cfg)
			if err != nil {
				t.Fatalf("kit refuses %s's config: %v", env, err)
			}
			if s.AppEnv != env || s.HTTPPort != 8000 || s.MetricsPort != 2121 || s.SQL == nil || !s.SQL.Postgres() ||
				s.SQL.Password != "from-the-secret" || s.Trace.Exporter != "otlp" || s.Trace.Environment != env {
				t.Errorf("%s settings = %+v", env, s)
			}
		})
	}
}

func readConfig(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Config map[string]string `yaml:"config"`
	}
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v.Config
}

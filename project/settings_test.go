package project

import (
	"strings"
	"testing"
	"time"

	"github.com/ferrydev/ferry/internal/testtree"
)

// clusterSettings stands in for a target's settings struct.
type clusterSettings struct {
	Context string   `yaml:"context"`
	Timeout Duration `yaml:"timeout"`
	Object  struct {
		Name string `yaml:"name"`
	} `yaml:"object"`
}

// TestDecodeSettings: a target's keys reach its settings; a key neither
// the target nor project knows is refused at its line, naming the target.
func TestDecodeSettings(t *testing.T) {
	tests := []struct {
		name, section string
		want          clusterSettings
		err           string
	}{
		{name: "own and shared keys", section: "    target: kube\n    namespace: orders\n    context: kind-prod\n    timeout: 90s\n",
			want: clusterSettings{Context: "kind-prod", Timeout: Duration{90 * time.Second}}},
		{name: "typo'd nested key", section: "    target: kube\n    object:\n      nmae: api\n", err: `ferry.yaml:6: environment "prod": unknown field "nmae"`},
		{name: "typo'd key", section: "    target: kube\n    contxt: kind-prod\n", err: `ferry.yaml:5: environment "prod": unknown field "contxt" for target kube (its own: context, timeout, object; every target's: target,`},
		{name: "another target's key", section: "    target: kube\n    secretsFile: ~/.config/x.env\n", err: `ferry.yaml:5: environment "prod": unknown field "secretsFile" for target kube`},
		{name: "bad value", section: "    target: kube\n    timeout: soon\n", err: `ferry.yaml:5: environment "prod": "soon" is not a duration such as 30m`},
		{name: "no section", section: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := "path: [prod]\nenvironments:\n  prod:\n" + tt.section
			if tt.section == "" {
				body = "path: [prod]\n"
			}
			dir := testtree.Write(t, map[string]string{"configs/.env": "", "configs/.prod.env": "", FileName: body})
			p, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			e, _ := p.Env("prod")
			var got clusterSettings
			err = e.DecodeSettings("kube", &got)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("DecodeSettings error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("DecodeSettings = %+v, %v; want %+v", got, err, tt.want)
			}
			if ctx, line := e.Setting("context"); tt.want.Context != "" && (ctx != tt.want.Context || line != 6) {
				t.Errorf("Setting(context) = %q, %d; want %q at line 6", ctx, line, tt.want.Context)
			}
		})
	}
}

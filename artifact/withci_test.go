package artifact

import (
	"maps"
	"slices"
	"testing"

	"github.com/ferrydev/ferry/project"
)

// TestBuildWithCI: a project loaded without its deploy commands
// (project.LoadOwn) builds with the tags the full load gives. Build asks
// for the deploy commands only while the tags still leave a client out,
// since a CI --set flag can only keep one in.
func TestBuildWithCI(t *testing.T) {
	chart := map[string]string{
		"chart/Chart.yaml": chartYAML, "chart/templates/deployment.yaml": deployment,
		"chart/values.yaml": "image:\n  repository: svc\n  tag: v1\nenv:\n  APP_NAME: svc\n",
		"values-prod.yaml":  "image:\n  tag: v2\n",
	}
	deploy := "#!/bin/sh\nset -e\nhelm upgrade --install svc ./chart -n prod -f values-prod.yaml --set env.REDIS_HOST=cache\n"
	tests := []struct {
		name      string
		files     map[string]string // over the stand-in service and chart
		wantAsked bool
		want      []string
	}{
		{"CI sets a Redis key", map[string]string{"deploy.sh": deploy}, true, []string{tagNoPostgres, tagNoSQLite}},
		{"near miss: CI sets no datasource key", map[string]string{"deploy.sh": "#!/bin/sh\nhelm upgrade --install svc ./chart -n prod -f values-prod.yaml --set replicaCount=2\n"},
			true, []string{tagNoPostgres, tagNoRedis, tagNoSQLite}},
		{"every client kept without CI", map[string]string{"deploy.sh": deploy, "configs/.prod.env": "DB_DIALECT=postgres\nREDIS_HOST=cache\n"}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := maps.Clone(chart)
			maps.Copy(files, tt.files)
			dir := kitService(t, files)
			full, err := project.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(full.Deploys) == 0 {
				t.Fatal("project.Load read no deploy command: the case would test nothing")
			}
			own, err := project.LoadOwn(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(own.Deploys) != 0 {
				t.Errorf("project.LoadOwn read %d deploy commands, want none", len(own.Deploys))
			}
			asked := false
			img, err := Build(t.Context(), own, NewStore(dir), BuildOptions{Revision: "abc123", WithCI: func() (*project.Project, error) {
				asked = true
				return full, nil
			}})
			if err != nil {
				t.Fatal(err)
			}
			if asked != tt.wantAsked {
				t.Errorf("WithCI asked = %v, want %v", asked, tt.wantAsked)
			}
			if !slices.Equal(img.BuildTags, tt.want) {
				t.Errorf("BuildTags = %v, want %v", img.BuildTags, tt.want)
			}
		})
	}
}

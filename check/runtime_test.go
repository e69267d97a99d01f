package check

import (
	"strings"
	"testing"

	"github.com/ferrydev/ferry/project"
)

func TestRuntimeFromConfig(t *testing.T) {
	tests := []struct {
		name    string
		file    string // ferry.yaml runtime:
		pairs   []string
		want    string
		because string
	}{
		{
			name:    "GoFr's contract keys",
			pairs:   []string{"HTTP_PORT=8000", "METRICS_PORT=2121", "TRACE_EXPORTER=otlp", "TRACER_URL=collector:4317", "SHUTDOWN_GRACE_PERIOD=25s", "DB_DIALECT=postgres"},
			want:    project.RuntimeGoFr,
			because: "METRICS_PORT=2121, SHUTDOWN_GRACE_PERIOD, TRACER_URL, TRACE_EXPORTER, DB_DIALECT, HTTP_PORT=8000",
		},
		{
			name:  "Sequelize's DB_DIALECT and a port 8000 are not GoFr",
			pairs: []string{"HTTP_PORT=8000", "DB_DIALECT=postgres", "APP_NAME=payments", "LOG_LEVEL=info"},
			want:  project.RuntimeGeneric,
		},
		{
			name:  "one GoFr-only key is not enough",
			pairs: []string{"TRACER_URL=collector:4317", "HTTP_PORT=8000", "DB_DIALECT=mysql"},
			want:  project.RuntimeGeneric,
		},
		{
			name:  "ferry.yaml says generic",
			file:  project.RuntimeGeneric,
			pairs: []string{"METRICS_PORT=2121", "TRACE_EXPORTER=otlp", "TRACER_URL=collector:4317"},
			want:  project.RuntimeGeneric,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := inputOf(envOf("prod", tt.pairs...))
			in.Project.Runtime, in.Project.RuntimeReason = project.RuntimeGeneric, "no go.mod"
			in.Project.File = &project.File{Runtime: tt.file}
			in.runtimeFromConfig()
			if in.Project.Runtime != tt.want {
				t.Fatalf("runtime %s (%s), want %s", in.Project.Runtime, in.Project.RuntimeReason, tt.want)
			}
			if tt.because != "" && !strings.Contains(in.Project.RuntimeReason, tt.because) {
				t.Errorf("reason %q does not name %s", in.Project.RuntimeReason, tt.because)
			}
		})
	}
}

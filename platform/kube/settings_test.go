package kube

import (
	"strings"
	"testing"
	"time"

	"github.com/ferrydev/ferry/internal/testtree"
	"github.com/ferrydev/ferry/project"
)

// TestSettings: context and timeout reach the environment's Env; a near
// miss is refused at its ferry.yaml line.
func TestSettings(t *testing.T) {
	tests := []struct {
		name, section string
		ctx           string
		timeout       time.Duration
		err           string
	}{
		{name: "context and timeout", section: "    context: kind-prod\n    namespace: orders\n    timeout: 90s\n", ctx: "kind-prod", timeout: 90 * time.Second},
		{name: "defaults", section: "    namespace: orders\n", timeout: 5 * time.Minute},
		{name: "negative timeout", section: "    timeout: -1m\n", err: `ferry.yaml:6: environment "prod": timeout -1m0s is negative`},
		{name: "typo'd key", section: "    kubeContext: kind-prod\n", err: `ferry.yaml:6: environment "prod": unknown field "kubeContext" for target kube (its own: context, timeout;`},
		{name: "the local target's key", section: "    env: {HTTP_PORT: \"8080\"}\n", err: `ferry.yaml:6: environment "prod": unknown field "env" for target kube`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := testtree.Write(t, map[string]string{
				"configs/.env": "APP_NAME=orders\n", "configs/.prod.env": "",
				project.FileName: "service: orders\n\nenvironments:\n  prod:\n    target: kube\n" + tt.section,
			})
			p, err := project.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			e, _ := p.Env("prod")
			s, err := decode(p, e)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("decode error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			e.Settings = s
			env := NewTarget(p, nil, "").Env(e)
			if env.Context != tt.ctx || env.Timeout != tt.timeout || env.Namespace != "orders" {
				t.Errorf("Env = context %q, timeout %v, namespace %q; want %q, %v, orders", env.Context, env.Timeout, env.Namespace, tt.ctx, tt.timeout)
			}
		})
	}
}

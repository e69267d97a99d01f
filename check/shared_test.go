package check

import (
	"maps"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/render"
)

func TestMergeShared(t *testing.T) {
	at := func(env string, sev Severity, file string, line int, msg string) Finding {
		return Finding{
			Rule: "FERRY082", Severity: sev, Environments: []string{env}, Key: "SUPPORT_EMAIL", File: file, Line: line,
			Message:   strings.ReplaceAll(msg, "ENV", env),
			Locations: []Location{{Environment: env, Key: "SUPPORT_EMAIL", Value: "x@yourcompany.com", Source: file, File: file, Line: line}},
		}
	}
	const msg = "ENV: SUPPORT_EMAIL is the placeholder (set at values.yaml:3): set ENV's real value."
	tests := []struct {
		name string
		in   []Finding
		want []string // environments of each finding out, in order
		sev  Severity // of the first finding out
	}{
		{"one base line, worst severity kept", []Finding{at("dev", Warning, "values.yaml", 3, msg), at("prod", Error, "values.yaml", 3, msg)}, []string{"dev,prod"}, Error},
		{"different lines stay apart", []Finding{at("dev", Warning, "values.yaml", 3, msg), at("prod", Error, "values-prod.yaml", 3, msg)}, []string{"dev", "prod"}, Warning},
		{"a template without a line is shared too", []Finding{at("dev", Error, "templates/x.yaml", 0, msg), at("prod", Error, "templates/x.yaml", 0, msg)}, []string{"dev,prod"}, Error},
		{"an environment's name inside a host is no word", []Finding{
			at("dev", Warning, "templates/x.yaml", 0, "ENV on database server db.dev.svc may open too many connections."),
			at("prod", Warning, "templates/x.yaml", 0, "ENV on database server db.prod.svc may open too many connections."),
		}, []string{"dev", "prod"}, Warning},
		{"another message stays apart", []Finding{at("dev", Error, "values.yaml", 3, msg), at("prod", Error, "values.yaml", 3, "ENV: something else")}, []string{"dev", "prod"}, Error},
		{"an accepted finding stays its own", func() []Finding {
			a := at("dev", Error, "values.yaml", 3, msg)
			a.Accepted = true
			return []Finding{a, at("prod", Error, "values.yaml", 3, msg)}
		}(), []string{"dev", "prod"}, Error},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := mergeShared(tc.in)
			var got []string
			for _, f := range out {
				got = append(got, strings.Join(f.Environments, ","))
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("environments %v, want %v", got, tc.want)
			}
			if out[0].Severity != tc.sev {
				t.Errorf("severity %s, want %s", out[0].Severity, tc.sev)
			}
			if len(out) == 1 {
				f := out[0]
				if !strings.HasPrefix(f.Message, "dev and prod: ") || !strings.Contains(f.Message, "set dev and prod's real value") {
					t.Errorf("message %q does not name both environments", f.Message)
				}
				if l := f.Locations[0]; l.Environment != "dev" || strings.Join(l.Environments, ",") != "dev,prod" {
					t.Errorf("location %+v: want environment dev and environments dev,prod", l)
				}
			}
		})
	}
}

func TestSlotName(t *testing.T) {
	env := func(name, release string) *Env {
		return &Env{Name: name, Spec: &project.Environment{Name: name, Release: release}}
	}
	tests := []struct {
		a, b   *Env
		na, nb string
		same   bool
	}{
		{env("dev", "shop-dev"), env("prod", "shop-prod"), "shop-dev-worker", "shop-prod-worker", true},
		{env("dev", "shop"), env("prod", "shop"), "orders-dev", "orders-prod", true},
		{env("dev", "shop"), env("prod", "shop"), "shop", "shop", true},
		{env("dev", "shop"), env("prod", "shop"), "shop-api", "shop-worker", false},
		{env("dev", "shop"), env("prod", "shop"), "devtools", "prodtools", false},
		// {{ .Values.env }}-{{ .Release.Name }}-deployment: both parts.
		{env("dev", "petclinic"), env("prod", "petclinic"), "dev-petclinic-deployment", "prod-petclinic-deployment", true},
	}
	for _, tt := range tests {
		if got := slotName(tt.a, tt.na) == slotName(tt.b, tt.nb); got != tt.same {
			t.Errorf("%s in %s and %s in %s: same slot %v, want %v", tt.na, tt.a.Name, tt.nb, tt.b.Name, got, tt.same)
		}
	}
}

func TestMergeSecretLines(t *testing.T) {
	f := func(rule, key, file string, line int) Finding {
		return Finding{Rule: rule, Key: key, Environments: []string{"prod"}, File: file, Line: line, Message: "prod: " + key + " is a literal."}
	}
	out := mergeSecretLines([]Finding{
		f("FERRY040", "SPRING_DATASOURCE_PASSWORD", "values.yaml", 12),
		f("FERRY040", "POSTGRES_PASSWORD", "values.yaml", 12),
		f("FERRY041", "DB_PASSWORD", "values.yaml", 12),
		f("FERRY041", "API_TOKEN", "values.yaml", 14), // another line stays
		f("FERRY082", "X", "values.yaml", 12),         // another rule stays
	})
	if len(out) != 3 {
		t.Fatalf("%d findings, want 3: %+v", len(out), out)
	}
	if m := out[0].Message; !strings.Contains(m, "also reaches POSTGRES_PASSWORD (FERRY040)") || !strings.Contains(m, "also reaches DB_PASSWORD (FERRY041)") {
		t.Errorf("message %q does not name the other keys", m)
	}

	// One line split upstream by environment group is one finding.
	dev := Finding{Rule: "FERRY040", Key: "JWT_SECRET", Environments: []string{"dev", "test"}, File: "values.yaml", Line: 4, Message: "dev and test: JWT_SECRET is a literal."}
	web := Finding{Rule: "FERRY040", Key: "JWT_SECRET", Environments: []string{"web"}, File: "values.yaml", Line: 4, Message: "web: JWT_SECRET is a literal."}
	out = mergeSecretLines([]Finding{dev, web})
	if len(out) != 1 || strings.Join(out[0].Environments, ",") != "dev,test,web" || out[0].Message != "dev, test and web: JWT_SECRET is a literal." {
		t.Errorf("split line not merged: %+v", out)
	}
}

// TestGluedNames: a fullnameOverride per environment with the
// environment's name glued on (aiservicedev, aiservicestg,
// aiserviceprod) is one workload; a name that only ends like an
// environment (backstage in stage) is not cut, and neither is one glued
// in a single environment.
func TestGluedNames(t *testing.T) {
	env := func(name string, ws ...string) *Env {
		res := &render.Result{}
		for _, w := range ws {
			res.Workloads = append(res.Workloads, render.Workload{Kind: "Deployment", Name: w, Containers: []render.Container{{Name: w, Config: render.NewConfig(nil)}}})
		}
		return &Env{Name: name, Spec: &project.Environment{Name: name}, Result: res}
	}
	in := &Input{Envs: []*Env{
		env("dev", "aiservicedev", "backstage", "toolsdev"),
		env("stg", "aiservicestg", "backstage"),
		env("stage", "backstage"),
		env("prod", "aiserviceprod", "backstage"),
	}}
	got := map[string]string{}
	for _, v := range in.views() {
		got[v.labelFor(names(v.in.Envs))] = strings.Join(names(v.in.Envs), ",")
	}
	want := map[string]string{
		"Deployment/aiservicedev, Deployment/aiservicestg, Deployment/aiserviceprod": "dev,stg,prod",
		"Deployment/backstage": "dev,stg,stage,prod",
		"Deployment/toolsdev":  "dev",
	}
	if !maps.Equal(got, want) {
		t.Errorf("views %v, want %v", got, want)
	}
}

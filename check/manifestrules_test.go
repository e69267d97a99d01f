package check

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ferrydev/ferry/project"
)

func TestRegexPath(t *testing.T) {
	for _, tc := range []struct {
		path string
		want bool
	}{
		{"/media-server(/|$)(.*)", true},
		{".*", true},
		{"/static/*", true},
		{"/api/v[12]/", true},
		{"/", false},
		{"/api/v1", false},
		{"/files/report.pdf", false},
		{"/~user/", false},
	} {
		if got := regexPath(tc.path); got != tc.want {
			t.Errorf("regexPath(%q) = %v, want %v", tc.path, got, tc.want)
		}
	}
}

func TestHoldsExpr(t *testing.T) {
	for _, tc := range []struct {
		v, expr string
		want    bool
	}{
		{"Password=${{ secrets.PROD_DB_PASSWORD }};", "${{ secrets.PROD_DB_PASSWORD }}", true},
		{"$DB_PASS", "$DB_PASS", true},
		{"$DB_PASSWORD", "$DB_PASS", false},
		{"$DB_PASSWORD and $DB_PASS;", "$DB_PASS", true},
		{"${DB_PASS}x", "${DB_PASS}", true},
		{"plain", "$DB_PASS", false},
	} {
		if got := holdsExpr(tc.v, tc.expr); got != tc.want {
			t.Errorf("holdsExpr(%q, %q) = %v, want %v", tc.v, tc.expr, got, tc.want)
		}
	}
}

func TestCISecret(t *testing.T) {
	for _, tc := range []struct {
		flag project.SetFlag
		want bool
	}{
		{project.SetFlag{Path: "services.database.password", Value: "${{ secrets.PROD_DB_PASSWORD }}", ByCI: true}, true},
		{project.SetFlag{Path: "auth.next.token", Value: "${{ secrets.PROD_NEXT_SECRET }}", ByCI: true}, true},
		{project.SetFlag{Path: "db.pw", Value: "$PRODUCTION_DB_PASSWORD", ByCI: true}, true},
		{project.SetFlag{Path: "auth.clientId", Value: "${{ secrets.PROD_CLIENT_ID }}", ByCI: true}, false},
		{project.SetFlag{Path: "image.tag", Value: "${{ github.sha }}", ByCI: true}, false},
		{project.SetFlag{Path: "db.host", Value: "$DB_HOST", ByCI: true}, false},
		// a literal is committed, not passed from the pipeline's store
		{project.SetFlag{Path: "db.password", Value: "hunter2"}, false},
	} {
		if got := ciSecret(tc.flag); got != tc.want {
			t.Errorf("ciSecret(%+v) = %v, want %v", tc.flag, got, tc.want)
		}
	}
}

func TestPathValue(t *testing.T) {
	vals := map[string]any{"ingress": map[string]any{
		"host":  "",
		"hosts": []any{map[string]any{"host": "a.example.org", "paths": []any{map[string]any{"path": "/x(.*)"}}}},
	}}
	for _, tc := range []struct {
		path string
		want any
		ok   bool
	}{
		{"ingress.host", "", true},
		{"ingress.hosts[0].host", "a.example.org", true},
		{"ingress.hosts[0].paths[0].path", "/x(.*)", true},
		{"ingress.hosts[1].host", nil, false},
		{"ingress.missing", nil, false},
	} {
		got, ok := pathValue(vals, tc.path)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("pathValue(%q) = %v, %v; want %v, %v", tc.path, got, ok, tc.want, tc.ok)
		}
	}
	if got := leaf("ingress.hosts[0].host"); got != "host" {
		t.Errorf("leaf = %q, want host", got)
	}
}

func TestObjectLine(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("one.yaml", "{{- if .Values.sa.create }}\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  labels:\n    app: x\n  name: {{ .Values.sa.name }}\n{{- end }}\n")
	write("two.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n")
	write("computed.yaml", "{{- range .Values.maps }}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .name }}\n{{- end }}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.other }}\n")
	files := newTree(dir)
	for _, tc := range []struct {
		file, kind, name string
		want             int
	}{
		{"one.yaml", "ServiceAccount", "sa", 7},
		{"two.yaml", "ConfigMap", "b", 9},
		{"two.yaml", "ConfigMap", "a", 4},
		// two documents of the kind, neither naming it literally: no line
		{"computed.yaml", "ConfigMap", "x", 0},
		{"one.yaml", "Secret", "sa", 0},
	} {
		if got := objectLine(files, dir, tc.file, tc.kind, tc.name); got != tc.want {
			t.Errorf("objectLine(%s, %s/%s) = %d, want %d", tc.file, tc.kind, tc.name, got, tc.want)
		}
	}
}

func TestObjectLineLiteralElsewhere(t *testing.T) {
	dir := t.TempDir()
	// the template's own ConfigMap is "a"; a helper it includes renders "b"
	text := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n{{ include \"chart.extra\" . }}\n"
	if err := os.WriteFile(filepath.Join(dir, "cm.yaml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := objectLine(newTree(dir), dir, "cm.yaml", "ConfigMap", "b"); got != 0 {
		t.Errorf("objectLine for an object the template does not name = %d, want 0", got)
	}
	if got := objectLine(newTree(dir), dir, "cm.yaml", "ConfigMap", "a"); got != 4 {
		t.Errorf("objectLine(a) = %d, want 4", got)
	}
}

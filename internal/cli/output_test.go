package cli

import (
	"strings"
	"testing"

	"github.com/ferrydev/ferry/view"
)

// TestWriteProjectJSON: the project and environment go first; a field of
// the view's own is never doubled or overwritten.
func TestWriteProjectJSON(t *testing.T) {
	proj := &view.Project{Name: "svc", Dir: ".", Chart: "chart", Runtime: "gofr"}
	p := `"project":{"name":"svc","dir":".","chart":"chart","runtime":"gofr"}`
	tests := []struct {
		name string
		proj *view.Project
		env  string
		v    any
		want string
	}{
		{"empty view", proj, "", struct{}{}, `{` + p + `}`},
		{"env added before the view's fields", proj, "prod", map[string]int{"revision": 3}, `{` + p + `,"environment":"prod","revision":3}`},
		{"the view's own environment wins", proj, "prod", map[string]string{"environment": "staging"}, `{` + p + `,"environment":"staging"}`},
		{"the view's own project wins", proj, "", map[string]string{"project": "x"}, `{"project":"x"}`},
		{"no project outside one", nil, "", map[string]string{"version": "v1"}, `{"version":"v1"}`},
		{"no HTML escaping", nil, "", map[string]string{"limit": "<1s & >0"}, `{"limit":"<1s & >0"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := writeProjectJSON(&b, tt.proj, tt.env, tt.v); err != nil {
				t.Fatal(err)
			}
			got := strings.NewReplacer("\n", "", " ", "").Replace(b.String())
			want := strings.ReplaceAll(tt.want, " ", "")
			if got != want || !strings.HasSuffix(b.String(), "}\n") {
				t.Errorf("got %s\nwant %s", b.String(), tt.want)
			}
		})
	}
	if err := writeProjectJSON(&strings.Builder{}, proj, "", []int{1}); err == nil {
		t.Error("a JSON array took a project field")
	}
}

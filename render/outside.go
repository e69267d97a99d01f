package render

import (
	"context"
	"fmt"

	"helm.sh/helm/v4/pkg/strvals"
)

// Values set outside the repository: a chart that requires a value no
// file of the repository sets ({{ required "…" .Values.app.key }}, filled
// in at deploy time from the infrastructure's secrets) does not render as
// committed, yet its manifests are what a check is about. A check renders
// it again with a stand-in for each such value, marked as set outside the
// repository, and says which keys it stood in for.

// Outside is a values path the chart requires that a check renders with
// a stand-in, and the template line that requires it.
type Outside struct {
	Path string
	File string // relative to the project directory
	Line int
}

// standIn is the value an Outside path renders with: no host, secret or
// placeholder shape, so no rule takes it for one; n keeps two
// environments' stand-ins apart.
func standIn(n int) string { return fmt.Sprintf("set-outside-the-repository-%d", n) }

// RenderOutside is Render with a stand-in for each of outside's paths
// (n numbers the environment, see standIn). Their source is external,
// "set outside the repository (required at file:line)", and known only
// at deploy time as a CI-filled value is: the configuration shows them
// as such, and no rule judges the stand-in. For a check only.
func (r *Renderer) RenderOutside(ctx context.Context, env string, n int, outside []Outside) (*Result, error) {
	return r.render(ctx, env, func(user map[string]any, sources map[string]Source) error {
		for _, o := range outside {
			// As --set would: the path is a template's .Values.a.b.
			if err := strvals.ParseLiteralInto(o.Path+"="+standIn(n), user); err != nil {
				return fmt.Errorf("values path %q: %w", o.Path, err)
			}
			sources[o.Path] = Source{Kind: KindExternal, File: o.File, Line: o.Line, CI: true,
				Detail: fmt.Sprintf("set outside the repository (required at %s:%d)", o.File, o.Line)}
		}
		return nil
	})
}

package check

import (
	"fmt"
	"path"

	"github.com/ferrydev/ferry/render"
)

// GoFr keeps every variable the process started with over its files: a
// key the chart sets in the container's environment wins over the
// environment's own overlay (configs/.<APP_ENV>.env), so an overlay line
// that says something else never applies, though it reads as the
// environment's setting.

func init() {
	register(Rule{
		ID: "FERRY090", Name: "overlay-overridden", Severity: Warning,
		Summary: "The chart overrides a key the environment's configs/.<APP_ENV>.env sets, with another value",
		Help: "GoFr loads configs/.env, then the overlay the process's APP_ENV names, and then puts " +
			"back every variable the process started with: a key the chart sets in the container's " +
			"environment (a ConfigMap through envFrom, env:) wins over the overlay. When the two " +
			"disagree, the overlay's line never applies though it reads as that environment's " +
			"setting. Drop the key from the chart (the image's files then decide), or from the overlay.",
		Check: checkOverlayOverridden,
	})
	gofrContract["FERRY090"] = true
}

func checkOverlayOverridden(in *Input) []Finding {
	var out []Finding
	for _, e := range in.Envs {
		if e.Result == nil {
			continue
		}
		for _, en := range e.Result.Config.Entries {
			if en.Source.Kind == render.KindFile {
				continue
			}
			sh, ok := overlayShadow(en)
			if !ok || sh.Value == en.Value {
				continue
			}
			set := en.Display()
			was := sh.Value
			if en.Secret || sh.Secret {
				set, was = "another value", "its own"
			}
			out = append(out, Finding{
				Environments: []string{e.Name}, Key: en.Key,
				Locations: []Location{
					{Environment: e.Name, Key: en.Key, Value: set, Source: en.Source.String(), File: en.Source.File, Line: en.Source.Line},
					{Environment: e.Name, Key: en.Key, Value: was, Source: sh.Source.String(), File: sh.Source.File, Line: sh.Source.Line},
				},
				Message: fmt.Sprintf("%s: %s sets %s=%s, but the chart sets %s=%s in the container's environment (%s), which GoFr keeps over the overlay: the overlay's line never applies. Drop %s from the chart, or from the overlay.",
					e.Name, sh.Source, en.Key, was, en.Key, set, en.Source, en.Key),
			})
		}
	}
	return out
}

// overlayShadow is the overlay line an entry hides: a GoFr file layer
// other than the base configs/.env.
func overlayShadow(en render.Entry) (render.Shadowed, bool) {
	for _, sh := range en.Shadows {
		if sh.Source.Kind == render.KindFile && path.Base(sh.Source.File) != ".env" {
			return sh, true
		}
	}
	return render.Shadowed{}, false
}

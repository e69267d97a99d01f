package check

import (
	"fmt"
	"slices"
	"strings"
)

// One artifact, many environments, seen from the tags: when each
// environment pulls a tag that names it (v1-dev in dev, v1-prod in
// prod), each is a build of its own, and prod never runs the image dev
// and staging tested.

func init() {
	register(Rule{
		ID: "FERRY101", Name: "image-built-per-environment", Severity: Warning,
		Summary: "Each environment pulls an image tag that names it: a build per environment",
		Help: "Environments pull tags that differ by their own names (v1-dev, v1-prod; 2.3.0-staging, " +
			"2.3.0-production): each is built on its own, so what reaches production is not the " +
			"image the earlier environments tested, and a rebuild can bring other dependencies. " +
			"Build one image per commit, tag it once (a version or the commit), and promote that " +
			"tag or its digest from one environment to the next; let configuration, not the " +
			"build, differ.",
		Check: checkImageBuiltPerEnv,
	})
}

// stageAliases are the words a tag may use for an environment's name.
var stageAliases = map[string][]string{
	"production":  {"prod", "prd", "live"},
	"prod":        {"production", "prd", "live"},
	"staging":     {"stage", "stg"},
	"stage":       {"staging", "stg"},
	"development": {"dev"},
	"dev":         {"development"},
	"qa":          {"test"},
	"test":        {"qa"},
	"uat":         {"preprod"},
	"preprod":     {"uat", "pre"},
}

// tagNaming returns tag without the word that names environment env
// (v1-prod for prod: "v1"), and whether it has one.
func tagNaming(tag, env string) (string, bool) {
	words := append([]string{env}, stageAliases[env]...)
	parts := strings.FieldsFunc(strings.ToLower(tag), func(r rune) bool { return r == '-' || r == '.' || r == '_' })
	for i, p := range parts {
		if slices.Contains(words, p) {
			return strings.Join(slices.Delete(slices.Clone(parts), i, i+1), "-"), true
		}
	}
	return "", false
}

func checkImageBuiltPerEnv(in *Input) []Finding {
	type named struct {
		e         *Env
		tag, rest string
	}
	var ns []named
	for _, e := range in.Envs {
		if e.Result == nil || e.Result.Image == "" {
			continue
		}
		repo, tag, digest := imageRef(e.Result.Image)
		if repo == "" || tag == "" || digest != "" || e.tokenFilled(tag) || strings.ContainsAny(tag, "${}") {
			continue
		}
		if rest, ok := tagNaming(tag, e.Name); ok {
			ns = append(ns, named{e, tag, rest})
		}
	}
	if len(ns) < 2 {
		return nil
	}
	f := Finding{Key: "image.tag"}
	var said []string
	for _, n := range ns {
		f.Environments = append(f.Environments, n.e.Name)
		f.Locations = append(f.Locations, imageLoc(n.e, "tag", n.tag))
		said = append(said, n.tag+" in "+n.e.Name)
	}
	last := ns[len(ns)-1]
	f.Message = fmt.Sprintf("each environment pulls a tag that names it (%s): each is a build of its own, so %s never runs the image %s tested; build one image, tag it once and promote that tag or its digest.",
		strings.Join(said, ", "), last.e.Name, andList(f.Environments[:len(f.Environments)-1]))
	return []Finding{f}
}

package check

import (
	"cmp"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ferrydev/ferry/internal/lazyre"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/render"
)

// Image rules: one artifact, many environments. Every environment runs
// the same image repository, and what reaches the last environment is
// pinned by digest.

func init() {
	register(
		Rule{
			ID: "FERRY001", Name: "one-image", Severity: Error,
			Summary: "The image repository differs between environments",
			Help: "The same artifact must run everywhere: an environment that pulls another repository " +
				"runs a build that never passed the earlier environments' gates. Set image.repository " +
				"once, in the chart's values.yaml, and let only tags or digests vary. One repository path " +
				"in several registries (a mirror in each cloud account) is a warning: CI must push the " +
				"same digest to each; nothing is said when every deploy pins a digest.",
			Check: checkOneImage,
		},
		Rule{
			ID: "FERRY002", Name: "mutable-image", Severity: Error,
			Summary: "Image tag empty or latest, or the last environment pinned by tag",
			Help: "A missing or latest tag (error) pulls whatever was pushed last; a tag in the last " +
				"environment of the path (warning) can be re-pushed after it soaked. In the first, " +
				"dev-like environment latest or a branch tag (dev, develop) is a warning: each push " +
				"moves it, and what dev ran cannot be promoted by digest. Use an immutable " +
				"version tag everywhere, and a digest (or ferry deploy, which pins it) for the last " +
				"environment.",
			Check: checkMutableImage,
		},
		Rule{
			ID: "FERRY003", Name: "image-without-repository", Severity: Error,
			Summary: "An image reference has no repository, or renders empty",
			Help: "An image such as \":1.0.0\" (image.repository empty or misspelt, so only the tag " +
				"renders) is refused by the kubelet: the pod never starts (InvalidImageName). An image " +
				"that renders empty (image: {{ .Values.image }} that no values file sets) is refused by " +
				"the API server. Set image.repository (or the image) in the chart's values.yaml.",
			Check: checkImageWithoutRepository,
		},
	)
}

// imageRef splits an image reference into repository, tag and digest.
// A registry port ("host:5000/app") is part of the repository.
func imageRef(ref string) (repo, tag, digest string) {
	ref = strings.TrimSpace(ref)
	// A CI expression's own ':' and '/' do not delimit: in
	// app:$(shell git rev-parse origin/dev) the tag is the expression.
	shape := project.MaskCIExprs(ref)
	if i := strings.Index(shape, "@"); i >= 0 {
		ref, digest, shape = ref[:i], ref[i+1:], shape[:i]
	}
	if i := strings.LastIndex(shape, ":"); i > strings.LastIndex(shape, "/") {
		ref, tag = ref[:i], ref[i+1:]
	}
	return ref, tag, digest
}

// imageLoc locates the image of env: the values path that set the part
// named (repository, tag or digest), else the workload template.
// A tag is where render traced this container's own tag to
// (Container.ImageTag: postgresql.image.tag in a subchart's values, not
// the service's image.tag); a traced repository names the values path
// it came from. What cannot be told is "unknown", never another image's
// line.
func imageLoc(e *Env, part, value string) Location {
	c := imageContainer(e)
	if c == nil {
		if e.imagePath != "" {
			if l := e.valuesLoc(e.imagePath+"."+part, value); l.File != "" || !strings.HasSuffix(e.imagePath, ".image") {
				return l
			}
			return e.valuesLoc(e.imagePath, value) // a reference string (sidecars[0].image)
		}
		return e.valuesLoc("image."+part, value)
	}
	if part == "tag" && c.ImageTag.Kind != "" && c.ImageTag.Kind != render.KindUnknown {
		return tagLoc(e, c, value)
	}
	// render could not tell (or was not asked): a values path is cited
	// only when it holds the very value the image shows.
	holds := func(p string) bool {
		v, ok := valueAt(e.Result.Values, p)
		return ok && v == value && value != ""
	}
	unknown := Location{Environment: e.Name, Key: "image." + part, Value: value, Source: "unknown (the image could not be traced to its values)"}
	if c.ImageTraced {
		for _, p := range c.ImageFrom {
			if p == part || strings.HasSuffix(p, "."+part) {
				if part == "tag" && c.ImageTag.Kind == render.KindUnknown && !holds(p) {
					return unknown
				}
				return e.valuesLoc(p, value)
			}
		}
		return Location{Environment: e.Name, Key: "image", Value: value, Source: "template " + c.Template, File: c.Template}
	}
	if holds("image." + part) {
		return e.valuesLoc("image."+part, value)
	}
	return unknown
}

// imageContainer is the container whose image env's image findings are
// about: in a per-container view its only one, else the primary
// container of the primary workload.
func imageContainer(e *Env) *render.Container {
	w := e.primary()
	if w == nil || len(w.Containers) == 0 {
		return nil
	}
	for i := range w.Containers {
		if w.Containers[i].Primary {
			return &w.Containers[i]
		}
	}
	for i := range w.Containers {
		if w.Containers[i].Image == e.Result.Image {
			return &w.Containers[i]
		}
	}
	return &w.Containers[0]
}

// tagLoc locates c's tag from render's ImageTag, keyed by the values
// path that set it when one did.
func tagLoc(e *Env, c *render.Container, value string) Location {
	s := c.ImageTag
	l := Location{Environment: e.Name, Key: "image", Value: value, Source: s.String(), File: s.File, Line: s.Line}
	switch s.Kind {
	case render.KindTemplate:
		return l
	}
	// The path that holds the tag's value, before another set on the
	// same line (image: {repository: x, tag: 0.1.0} is one line for both).
	holds := func(p string) bool {
		x, ok := pathValue(e.Result.Values, p)
		return ok && fmt.Sprint(x) == value
	}
	first := ""
	for _, p := range c.ImageFrom {
		if src, ok := e.Result.ValueSources[p]; ok && src == s {
			if holds(p) {
				l.Key = p
				return l
			}
			first = cmp.Or(first, p)
		}
	}
	if first != "" {
		l.Key = first
		return l
	}
	// Else the first values path, in sorted order, set at the tag's
	// source: the least one, found without sorting them all.
	found := false
	for p, src := range e.Result.ValueSources {
		if src == s && (!found || p < l.Key) {
			l.Key, found = p, true
		}
	}
	return l
}

func checkOneImage(in *Input) []Finding {
	g := groupBy(in.Envs, func(e *Env) (string, bool) {
		if e.Result == nil || e.Result.Image == "" {
			return "", false
		}
		repo, tag, _ := imageRef(e.Result.Image)
		// FERRY003 and FERRY082 report empty and placeholder repositories;
		// a developer's own build (kairos-node:local, localhost:5000/app)
		// is not the artifact the path promotes.
		return repo, repo != "" && !strings.HasSuffix(repo, "/") && !isPlaceholder(repo) && !localBuild(e.Result.Image, tag)
	})
	if len(g.order) < 2 {
		return nil
	}
	if f, ok := mirroredImage(g.order, g.envs); ok {
		return f
	}
	parts, ls, all := pulls(g.order, g.envs)
	return []Finding{{
		Environments: names(all), Key: "image.repository", Locations: ls,
		Message: fmt.Sprintf("the environments run different images: %s; set image.repository once in the chart's values.yaml.",
			strings.Join(parts, ", ")),
	}}
}

// mirroredImage reports one repository path pulled from several
// registries (two cloud accounts' registries, …/htapi in each): a mirror,
// not another build. Only CI can make it the same artifact, so it is a
// warning, and nothing when every environment's deploy pins a digest.
func mirroredImage(order []string, envs map[string][]*Env) ([]Finding, bool) {
	path := ""
	for _, repo := range order {
		host, rest, ok := strings.Cut(repo, "/")
		if !ok || !strings.ContainsAny(host, ".:") && host != "localhost" {
			return nil, false
		}
		if path != "" && rest != path {
			return nil, false
		}
		path = rest
	}
	parts, ls, all := pulls(order, envs)
	if !slices.ContainsFunc(all, func(e *Env) bool { return !pinsDigest(e) }) {
		return nil, true
	}
	return []Finding{{
		Environments: names(all), Key: "image.repository", Severity: Warning, Locations: ls,
		Message: fmt.Sprintf("the environments pull %s from different registries: %s; a mirror runs the same build only if CI pushes the same digest to each registry: make sure it does, and deploy by digest (image.digest) so that it can be told.",
			path, strings.Join(parts, ", ")),
	}}, true
}

// pulls says which environment pulls which repository, from where.
func pulls(order []string, envs map[string][]*Env) (parts []string, ls []Location, all []*Env) {
	for _, repo := range order {
		for _, e := range envs[repo] {
			all = append(all, e)
			l := imageLoc(e, "repository", repo)
			ls = append(ls, l)
			parts = append(parts, fmt.Sprintf("%s pulls %s (%s)", e.Name, repo, where(l)))
		}
	}
	return parts, ls, all
}

// pinsDigest reports whether e's image is pulled by digest: rendered so,
// or a digest the deploy command sets.
func pinsDigest(e *Env) bool {
	if _, _, d := imageRef(e.Result.Image); d != "" {
		return true
	}
	if e.Spec != nil {
		for _, s := range e.Spec.Set {
			if strings.HasSuffix(strings.ToLower(s.Path), "digest") && s.Value != "" {
				return true
			}
		}
	}
	return false
}

func checkMutableImage(in *Input) []Finding {
	var out []Finding
	last := in.last()
	for _, e := range in.Envs {
		if e.Result == nil || e.Result.Image == "" {
			continue
		}
		if ciSetImage(e, e.Result.Image) {
			continue // CI writes the whole reference: its tag is what CI built
		}
		repo, tag, digest := imageRef(e.Result.Image)
		if repo == "" || strings.HasSuffix(repo, "/") {
			// FERRY003: an image with no repository never starts, whatever
			// its tag; the tag is not a second mistake.
			continue
		}
		if e.tokenFilled(tag) || tag == "" && e.tokenFilled(repo[strings.LastIndex(repo, "/")+1:]) {
			// CI writes the tag (or the whole reference) into the chart
			// before it deploys: what it writes is not known here.
			continue
		}
		written := tag
		if d, ok := ciDefault(tag); ok {
			tag = d // what runs whenever CI leaves the variable unset
		}
		switch {
		case digest != "":
			continue
		case devStage(in, e) && e != last && !isPlaceholder(repo) && (tag == "" || tag == "latest" || movingTag(tag) || branchTag(tag)):
			// A developer's first stage runs latest or its branch's tag on
			// purpose: a warning, since what it tested cannot be promoted.
			l := imageLoc(e, "tag", tag)
			out = append(out, Finding{
				Environments: []string{e.Name}, Key: "image.tag", Severity: Warning, Locations: []Location{l},
				Message: fmt.Sprintf("%s: image %s is tagged %s (set at %s), which each push moves: what %s ran cannot be told or promoted; promote by digest (or tag builds with a version or commit).",
					e.Name, e.Result.Image, orLatest(written), where(l), e.Name),
			})
		case devStage(in, e) && e != last:
			continue
		case written == tag && placeholderTag(e, tag):
			continue // a placeholder tag (CHANGE_COMMIT_ID) is FERRY082's
		case tag == "" || tag == "latest" || movingTag(tag) || branchTag(tag):
			l := imageLoc(e, "tag", tag)
			what := "has no tag (so it pulls latest)"
			switch {
			case written != tag:
				what = fmt.Sprintf("is tagged %s, which is %q whenever CI leaves it unset", written, tag)
			case tag == "latest":
				what = "is tagged latest"
			case branchTag(tag):
				what = fmt.Sprintf("is tagged %s, a branch or environment name each push moves", tag)
			case tag != "":
				what = fmt.Sprintf("is tagged %s, a tag each build moves", tag)
			}
			out = append(out, Finding{
				Environments: []string{e.Name}, Key: "image.tag", Severity: Error, Locations: []Location{l},
				Message: fmt.Sprintf("%s: image %s %s (set at %s): set an immutable version tag or a digest.",
					e.Name, e.Result.Image, what, where(l)),
			})
		case nameTag(tag) && !tagSetByCI(e, tag) && !localBuild(e.Result.Image, tag):
			l := imageLoc(e, "tag", tag)
			out = append(out, Finding{
				Environments: []string{e.Name}, Key: "image.tag", Severity: Warning, Locations: []Location{l},
				Message: fmt.Sprintf("%s: image %s is tagged %s, a name rather than a version or commit (set at %s): whoever pushes that name next changes what runs; tag builds with a version or commit.",
					e.Name, e.Result.Image, tag, where(l)),
			})
		case e == last:
			// A version, commit or CI-substituted tag is pinned by
			// convention: pinning the digest is advice, not a problem.
			l := imageLoc(e, "tag", tag)
			out = append(out, Finding{
				Environments: []string{e.Name}, Key: "image.tag", Severity: Info, Locations: []Location{l},
				Message: fmt.Sprintf("%s is the last environment of the path and pulls %s by tag (set at %s): pin image.digest, or deploy with ferry deploy, which pins it.",
					e.Name, e.Result.Image, where(l)),
			})
		}
	}
	return devRepeats(out)
}

// devRepeats drops dev's warning on a line that a later environment's
// error already cites: a base-values latest is one thing to fix.
func devRepeats(fs []Finding) []Finding {
	at := func(l Location) string { return fmt.Sprintf("%s:%d %s", l.File, l.Line, l.Source) }
	errs := map[string]bool{}
	for _, f := range fs {
		if f.Severity == Error && len(f.Locations) > 0 {
			errs[at(f.Locations[0])] = true
		}
	}
	return slices.DeleteFunc(fs, func(f Finding) bool {
		return f.Severity == Warning && len(f.Locations) > 0 && errs[at(f.Locations[0])]
	})
}

func orLatest(tag string) string {
	if tag == "" {
		return "nothing (so latest)"
	}
	return tag
}

// devStage reports the first environment of a path of several when its
// name says development (dev, local, sandbox).
func devStage(in *Input, e *Env) bool {
	return in.Project != nil && len(in.Project.Path) > 1 && firstStep(in, e.Name) && project.DevLike(e.Name)
}

// foldTagWarnings makes FERRY002's last-environment-by-tag warning one
// finding per chart: every pinned version tag is the same advice, and one
// warning per image drowned the findings that matter. A moving tag that
// one line sets for several images is one finding too (foldTagLines).
func foldTagWarnings(fs []Finding) []Finding {
	fs = foldTagLines(fs)
	var out []Finding
	first := map[string]int{}
	var parts map[int][]string
	for _, f := range fs {
		if f.Rule != "FERRY002" || f.Severity != Info {
			out = append(out, f)
			continue
		}
		envs := strings.Join(f.Environments, ",")
		part := fmt.Sprintf("%s tag %s (set at %s)", f.Workload, firstValue(f), firstSource(f))
		i, ok := first[envs]
		if !ok {
			first[envs] = len(out)
			if parts == nil {
				parts = map[int][]string{}
			}
			parts[len(out)] = []string{part}
			out = append(out, f)
			continue
		}
		parts[i] = append(parts[i], part)
		out[i].Locations = append(out[i].Locations, f.Locations...)
		if f.Workload != "" {
			out[i].Workload += ", " + f.Workload
		}
	}
	for i, ps := range parts {
		if len(ps) < 2 {
			continue
		}
		out[i].Message = fmt.Sprintf("%s is the last environment of the path and pulls %d images by tag: %s; pin their digests, or deploy with ferry deploy, which pins them.",
			andList(out[i].Environments), len(ps), strings.Join(ps, ", "))
	}
	return out
}

// ciSetImage reports an image reference the deploy command sets whole
// from CI (--set image=$DOCKER_IMAGE, DOCKER_IMAGE a step's output): its
// repository and tag are what CI built, not a placeholder or a missing
// tag. A reference left as ${IMAGE} in a values file, which nothing
// fills, is still one.
func ciSetImage(e *Env, img string) bool {
	img = strings.TrimSpace(img)
	if e.Spec == nil || e.Spec.Deploy == nil || img == "" || strings.Trim(project.MaskCIExprs(img), "x") != "" {
		return false
	}
	for _, sf := range e.Spec.Deploy.Set {
		if sf.ByCI && strings.TrimSpace(sf.Value) == img {
			return true
		}
	}
	return false
}

func firstValue(f Finding) string {
	if len(f.Locations) == 0 {
		return ""
	}
	return f.Locations[0].Value
}

func firstSource(f Finding) string {
	if len(f.Locations) == 0 {
		return "unknown"
	}
	return f.Locations[0].Source
}

func checkImageWithoutRepository(in *Input) []Finding {
	var out []Finding
	for _, e := range in.Envs {
		if e.Result == nil {
			continue
		}
		out = append(out, emptyImages(in, e)...)
		if e.Result.Image == "" {
			continue
		}
		repo, _, _ := imageRef(e.Result.Image)
		if repo != "" && !strings.HasSuffix(repo, "/") {
			continue
		}
		l := imageLoc(e, "repository", repo)
		if l.File == "" || !strings.HasSuffix(l.Key, "repository") {
			l = emptyRepoLoc(e, l)
		}
		out = append(out, Finding{
			Environments: []string{e.Name}, Key: "image.repository", Locations: []Location{l},
			Message: fmt.Sprintf("%s: image %q has no repository (set at %s), so the pod never starts: set image.repository in the chart's values.yaml.",
				e.Name, e.Result.Image, where(l)),
		})
	}
	return dedupe(out)
}

// emptyImages reports e's containers whose whole image renders empty
// (image: {{ .Values.image }} that no values file of e sets, or sets to
// ""): the API server refuses the pod. It cites the values line that
// empties it, else the template line that prints it.
func emptyImages(in *Input, e *Env) []Finding {
	var out []Finding
	for _, w := range e.Result.Workloads {
		for _, c := range w.Containers {
			if strings.TrimSpace(c.Image) != "" || c.Template == "" {
				continue
			}
			data, err := in.files().ReadFile(filepath.Join(in.dir(), c.Template))
			if err != nil {
				continue
			}
			scope := subchartScope(strings.TrimPrefix(filepath.ToSlash(c.Template), chartDir(in)))
			l := Location{Environment: e.Name, Key: "image", Source: "template " + c.Template, File: c.Template}
			for i, line := range strings.Split(string(data), "\n") {
				if !imageLine(line) {
					continue
				}
				var paths []string
				for _, a := range actions(line) {
					for _, p := range valuesPaths(a) {
						paths = append(paths, scope+p)
					}
				}
				if len(paths) == 0 || slices.ContainsFunc(paths, func(p string) bool {
					v, ok := valueAt(e.Result.Values, p)
					_, ci := e.setByCI(p)
					// werf writes .Values.werf.image.<name> as it deploys.
					return ci || strings.HasPrefix(p, "werf.") || valueSet(e.Result.Values, p) && (!ok || v != "")
				}) {
					continue // a literal, or a value that is set: another container's line
				}
				l.Key, l.Line, l.Source = paths[0], i+1, fmt.Sprintf("template %s:%d", c.Template, i+1)
				if v, ok := valueAt(e.Result.Values, paths[0]); ok && v == "" {
					if vl := e.valuesLoc(paths[0], ""); vl.File != "" {
						l = vl
					}
				}
				break
			}
			if l.Line == 0 {
				continue // not told which line: the deploy may fill it
			}
			out = append(out, Finding{
				Environments: []string{e.Name}, Key: l.Key, Locations: []Location{l},
				Message: fmt.Sprintf("%s: container %s of %s/%s renders no image (.Values.%s is empty or unset, at %s): the API server refuses the pod, so it never starts; set it in values.yaml or the environment's values file.",
					e.Name, c.Name, w.Kind, w.Name, l.Key, where(l)),
			})
		}
	}
	return out
}

// emptyRepoLoc locates an empty repository beside the tag the image was
// traced to (worker.image.tag → worker.image.repository): an empty string
// leaves no trace in the rendered image.
func emptyRepoLoc(e *Env, l Location) Location {
	w := e.primary()
	if w == nil || len(w.Containers) == 0 {
		return l
	}
	for _, p := range imageContainer(e).ImageFrom {
		i := strings.LastIndex(p, ".")
		if i < 0 {
			continue
		}
		repo := p[:i] + ".repository"
		if v, ok := valueAt(e.Result.Values, repo); ok && v == "" {
			if rl := e.valuesLoc(repo, ""); rl.File != "" {
				return rl
			}
		}
	}
	return l
}

// movingTag reports tags a pipeline re-points at every build:
// prod-latest, staging-latest, latest-arm64.
// branchWords are tags that name a branch, an environment or a channel:
// every push to it moves the tag.
var branchWords = map[string]bool{
	"master": true, "main": true, "develop": true, "development": true, "dev": true, "trunk": true,
	"stable": true, "edge": true, "nightly": true, "snapshot": true, "current": true, "head": true,
	"prod": true, "production": true, "staging": true, "stage": true, "qa": true, "test": true,
	"uat": true, "preprod": true, "release": true,
}

// tagSetByCI reports a tag the deploy command sets: the pipeline that
// builds the image chooses its name (kairos-node:local for a dev cluster
// the script builds into).
func tagSetByCI(e *Env, tag string) bool {
	l := imageLoc(e, "tag", tag)
	_, ci := e.setByCI(l.Key)
	return ci || strings.HasPrefix(l.Source, "CI ")
}

// localBuild reports an image built on the developer's machine: a
// loopback registry (localhost:5000/app) or the tag local. Nothing else
// pulls it.
func localBuild(image, tag string) bool {
	repo, _, _ := imageRef(image)
	host, _, _ := strings.Cut(repo, "/")
	host, _, _ = strings.Cut(host, ":")
	return strings.EqualFold(tag, "local") || (strings.Contains(repo, "/") && loopback(host))
}

func branchTag(tag string) bool { return branchWords[strings.ToLower(tag)] }

// nameTag reports a tag with no digit and no CI substitution: a branch
// (clean-up-repo) or a channel (alpine), not a version or a commit.
func nameTag(tag string) bool {
	return tag != "" && !strings.ContainsAny(tag, "0123456789$")
}

func movingTag(tag string) bool {
	t := strings.ToLower(tag)
	return strings.HasSuffix(t, "-latest") || strings.HasPrefix(t, "latest-") || strings.HasSuffix(t, "_latest")
}

// shellDefault is ${VAR:-default} (or ${VAR-default}).
var shellDefault = lazyre.New(`^\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^{}$]*)\}$`)

// ciDefault is the default a CI expression's tag falls back to
// (${tag:-latest} is latest whenever tag is unset), when it has one.
func ciDefault(tag string) (string, bool) {
	m := shellDefault.Get().FindStringSubmatch(tag)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// foldTagLines makes FERRY002's moving-tag findings one per line that
// sets the tag (version: latest, read by five Deployments' images), naming
// every image: one line is one thing to fix, and a finding per container
// buried the rest. Environments fold afterwards as for every rule
// (mergeShared), so a base line several environments read is one finding.
func foldTagLines(fs []Finding) []Finding {
	type group struct {
		at            int
		images, whats []string
		rest          string
	}
	var out []Finding
	groups := map[string]*group{}
	for _, f := range fs {
		if f.Rule != "FERRY002" || f.Severity == Info || f.Line == 0 && firstValue(f) == "" || len(f.Environments) != 1 || f.Accepted {
			out = append(out, f)
			continue
		}
		img, what, rest, ok := splitTagMessage(f.Message, f.Environments[0])
		if !ok {
			out = append(out, f)
			continue
		}
		id := fmt.Sprintf("%s|%s|%s:%d|%s", f.Severity, f.Environments[0], f.File, f.Line, what)
		g, ok := groups[id]
		if !ok {
			groups[id] = &group{at: len(out), images: []string{img}, whats: []string{what}, rest: rest}
			out = append(out, f)
			continue
		}
		m := &out[g.at]
		if !slices.Contains(g.images, img) {
			g.images = append(g.images, img)
		}
		m.addWorkloads(f.Workload)
		m.addLocations(f.Locations)
	}
	for _, g := range groups {
		if len(g.images) < 2 {
			continue
		}
		f := &out[g.at]
		slices.Sort(g.images)
		f.Message = fmt.Sprintf("%s: images %s %s%s", f.Environments[0], strings.Join(g.images, ", "), pluralWhat(g.whats[0]), g.rest)
	}
	return out
}

// foldPlaceholders folds FERRY082 findings of one environment set and
// key whose values share their placeholder — eleven images under one
// ghcr.io/your-github-org/app/, eight hosts of one example domain, cited
// on no line or on one — into one finding naming every workload and
// value: one fix, said once.
func foldPlaceholders(fs []Finding) []Finding {
	var out []Finding
	at := map[string]int{}
	more := map[int][]string{}
	for _, f := range fs {
		v := firstValue(f)
		if f.Rule != "FERRY082" || f.Accepted || v == "" {
			out = append(out, f)
			continue
		}
		shared := v
		switch {
		case strings.HasSuffix(f.Key, "repository") && strings.Contains(v, "/"):
			shared = path.Dir(v) // the org or project the repositories share
		case strings.HasSuffix(f.Key, "host") && strings.Count(v, ".") >= 2 && !strings.ContainsAny(v, "/:"):
			shared = v[strings.Index(v, ".")+1:] // api.example.com, web.example.com
		case f.Line > 0:
			shared = fmt.Sprintf("%s:%d", f.File, f.Line)
		}
		id := fmt.Sprintf("%s|%s|%s|%s", f.Severity, strings.Join(f.Environments, ","), f.Key, shared)
		i, ok := at[id]
		if !ok {
			at[id] = len(out)
			out = append(out, f)
			continue
		}
		out[i].addWorkloads(f.Workload)
		out[i].Locations = append(out[i].Locations, f.Locations...)
		if !slices.Contains(more[i], v) && v != firstValue(out[i]) {
			more[i] = append(more[i], v)
		}
	}
	for i, vs := range more {
		out[i].Message = strings.TrimSuffix(out[i].Message, ".") + fmt.Sprintf("; the same placeholder is in %d more: %s.", len(vs), strings.Join(vs, ", "))
	}
	return out
}

// splitTagMessage takes a FERRY002 message of checkMutableImage apart:
// "<env>: image <ref> <what> (set at …)…".
func splitTagMessage(msg, env string) (img, what, rest string, ok bool) {
	body, found := strings.CutPrefix(msg, env+": image ")
	if !found {
		return "", "", "", false
	}
	img, tail, found := strings.Cut(body, " ")
	if !found {
		return "", "", "", false
	}
	i := strings.Index(tail, " (set at ")
	if i < 0 {
		return "", "", "", false
	}
	return img, tail[:i], tail[i:], true
}

// pluralWhat says of several images what checkMutableImage says of one.
func pluralWhat(what string) string {
	if w, ok := strings.CutPrefix(what, "has no tag (so it pulls latest)"); ok {
		return "have no tag (so they pull latest)" + w
	}
	if w, ok := strings.CutPrefix(what, "is "); ok {
		return "are " + w
	}
	return what
}

package check

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/render"
)

// Dead values: what an environment sets that never reaches a container,
// and what a pod reads that nothing provides. Both are invisible in the
// rendered configuration.

func init() {
	register(Rule{
		ID: "FERRY085", Name: "unread-values-key", Severity: Warning,
		Summary: "A values key (per environment, --set, or values.yaml's own) that values.yaml declares but no template reads",
		Help: "An environment's values file or deploy command sets a key that the chart's values.yaml " +
			"declares but no template (of the chart or its subcharts) reads, so the environment's " +
			"setting changes nothing: sso.issuerUrl in values-prod.yaml that no template uses. A key " +
			"of values.yaml itself that nothing reads is reported once for the chart (a scanner's " +
			"resources its template never uses); a dependency's section and global are its subcharts'. " +
			"A key values.yaml lacks is FERRY080. A map a template hands on whole (toYaml .Values.x, " +
			"with, range) counts as read, and so does a key a tpl'd value names. Make a template read " +
			"it, or delete it.",
		Check: checkUnreadValuesKey,
	}, Rule{
		ID: "FERRY086", Name: "unprovided-reference", Severity: Info,
		Summary: "A pod reads a ConfigMap or Secret that nothing in the repository provides",
		Help: "A pod's envFrom, valueFrom or volume names a ConfigMap or Secret (without optional: " +
			"true) that the chart does not render and that nothing it renders creates (an " +
			"ExternalSecret, a SealedSecret, a cert-manager Certificate). That is fine for a Secret " +
			"made outside the repository (by hand, Terraform, a Vault operator) — an info, never a " +
			"failure — but if nobody makes it the pod waits in CreateContainerConfigError (in " +
			"ContainerCreating with FailedMount for a volume). A name the chart renders but for a " +
			"prefix is FERRY099's. Make sure " +
			"it exists in each namespace before deploying, render it, or add what creates it.",
		Check: checkUnprovidedReference,
	})
}

func checkUnreadValuesKey(in *Input) []Finding {
	if in.Project == nil || in.Project.Chart == "" {
		return nil
	}
	base := filepath.ToSlash(filepath.Join(in.Project.Chart, "values.yaml"))
	// FERRY080 already reports a key values.yaml lacks: one key, one
	// finding.
	reported := map[string][]string{} // file → keys FERRY080 reports there
	for _, f := range in.unknownValuesKeys() {
		for _, l := range f.Locations {
			reported[l.File] = append(reported[l.File], f.Key, l.Key)
		}
	}
	var out, chart []Finding
	anchors := anchorFiles{}
	var deps subchartKeys
	for _, e := range in.withFailed() {
		if e.Result == nil {
			continue
		}
		for _, u := range splitUnread(e, reported) {
			s := u.Source
			if s.Kind == render.KindValues && s.File == "" {
				continue
			}
			if s.Kind == render.KindValues && s.File == base && deps.holds(in, u.Path) {
				continue // a subchart's section, or global: the subchart's templates read it, vendored or not
			}
			if s.Kind != render.KindValues && s.Kind != render.KindCI {
				continue
			}
			if overlaps(u.Path, reported[s.File]) || anchors.holds(in, s) {
				continue
			}
			if (u.Path == "global" || strings.HasPrefix(u.Path, "global.")) && e.Failure != nil && e.Failure.Dependency {
				continue // Helm hands global to the subcharts charts/ lacks
			}
			f := Finding{
				Environments: []string{e.Name}, Key: u.Path, File: s.File, Line: s.Line,
				Locations: []Location{unreadLoc(e.Name, u)},
			}
			if s.Kind == render.KindValues && s.File == base {
				// The chart's own default: a finding of its own, once for
				// the chart, apart from what environments' files set.
				chart = append(chart, f)
			} else {
				out = append(out, f)
			}
		}
	}
	// A map's finding cites the map's own key line in each file
	// (autoscaling:, not maxReplicas: under it).
	parsed := map[string][]valuesPath{}
	block := func(l Location, key string) Location {
		ps, ok := parsed[l.File]
		if !ok {
			ps, _ = readValues(in.files(), filepath.Join(in.dir(), filepath.FromSlash(l.File)))
			parsed[l.File] = ps
		}
		ks := strings.Split(key, ".")
		for _, p := range ps {
			if n := len(ks); n <= len(p.Lines) && slices.Equal(p.Path[:n], ks) {
				l.Key, l.Line = key, p.Lines[n-1]
				l.Source = l.File + ":" + strconv.Itoa(l.Line)
				return l
			}
		}
		return l
	}
	return append(foldUnread(out, "", block), foldUnread(chart, " of any environment", block)...)
}

// foldUnread makes one finding per unread path (and per map of unread
// keys) of out, each naming every file that sets it; where completes
// "never reaches a container", and block locates a map's key in a
// location's file.
func foldUnread(out []Finding, where string, block func(l Location, key string) Location) []Finding {
	// A key under one already reported dead is the same fix (ingress and
	// ingress.annotations.…): the parent's finding stands for it.
	dead := make([]string, len(out))
	for i, f := range out {
		dead[i] = f.Key
	}
	out = slices.DeleteFunc(out, func(f Finding) bool {
		return slices.ContainsFunc(dead, func(k string) bool { return strings.HasPrefix(f.Key, k+".") })
	})
	// One finding per path, naming every file that sets it: three
	// environments' files setting autoscaling.* no template reads are one
	// thing to fix. So are the unread keys of one map a template reads
	// elsewhere (postgresql.azure.serverName, .username beside a read
	// .enabled): one finding for the map (unread: its keys), one location
	// per file. Sorted, both are neighbours.
	sort.SliceStable(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	n := 0
	for j := range out {
		f, p := &out[j], parentPath(out[j].Key)
		g := &out[max(n-1, 0)]
		same := n > 0 && g.Key == f.Key && g.unread == nil
		if !same && (n == 0 || p == "" || g.Key != p && parentPath(g.Key) != p) {
			out[n] = *f
			n++
			continue
		}
		if !same && g.unread == nil {
			g.unread, g.Key = []string{g.Key}, p
		}
		if !same && !slices.Contains(g.unread, f.Key) {
			g.unread = append(g.unread, f.Key)
		}
		joinUnread(g, f.Locations[0], !same)
	}
	out = out[:n]
	for i, f := range out {
		if len(f.unread) > 1 {
			for j, l := range f.Locations {
				f.Locations[j] = block(l, f.Key)
			}
			out[i].File, out[i].Line = f.Locations[0].File, f.Locations[0].Line
		}
		var srcs []string
		for _, l := range f.Locations {
			if !slices.Contains(srcs, l.Source) {
				srcs = append(srcs, l.Source)
			}
		}
		switch ks := f.unread; {
		case len(ks) > 1:
			verb := "set"
			if len(srcs) == 1 {
				verb = "sets"
			}
			out[i].Message = fmt.Sprintf("%s %s %d keys under %q (%s), which no template reads, so they never reach a container%s: make a template read them, or delete them.",
				andList(srcs), verb, len(ks), f.Key, strings.Join(ks, ", "), where)
		case len(srcs) > 1:
			out[i].Message = fmt.Sprintf("%s set %q, which no template reads, so it never reaches a container%s: make a template read it, or delete it.",
				andList(srcs), f.Key, where)
		default:
			out[i].Message = fmt.Sprintf("%s sets %q, which no template reads, so it never reaches a container%s: make a template read it, or delete it.",
				srcs[0], f.Key, where)
		}
	}
	return out
}

// subchartKeys holds the top-level values keys the chart hands to its
// dependencies (their names and aliases in Chart.yaml) and global, read
// from Chart.yaml once.
type subchartKeys map[string]bool

// holds reports whether values path p lies in such a section.
func (d *subchartKeys) holds(in *Input, p string) bool {
	if *d == nil {
		*d = subchartKeys{"global": true}
		for _, f := range []string{"Chart.yaml", "requirements.yaml"} { // requirements.yaml: Helm 2's
			if data, err := in.files().ReadFile(filepath.Join(in.dir(), in.Project.Chart, f)); err == nil {
				chartDeps(data, *d)
			}
		}
	}
	top, _, _ := strings.Cut(p, ".")
	return (*d)[top]
}

// joinUnread adds l and its environment to f; with perFile, l only when
// f cites no line of l's file yet.
func joinUnread(f *Finding, l Location, perFile bool) {
	if !slices.Contains(f.Environments, l.Environment) {
		f.Environments = append(f.Environments, l.Environment)
	}
	for _, m := range f.Locations {
		if perFile && m.File == l.File {
			return
		}
	}
	f.Locations = append(f.Locations, l)
}

// parentPath is the map above values path p, "" for a top-level key.
func parentPath(p string) string {
	return p[:max(strings.LastIndex(p, "."), 0)]
}

// anchorFiles holds, per values file, the lines whose key holds a YAML
// anchor the file aliases elsewhere: such a key names a value for other
// keys, no template is meant to read it. Each file is parsed once.
type anchorFiles map[string]map[int]bool

// holds reports whether s is such a line.
func (a anchorFiles) holds(in *Input, s render.Source) bool {
	if s.Kind != render.KindValues || s.File == "" || s.Line == 0 || in.Project == nil {
		return false
	}
	lines, ok := a[s.File]
	if !ok {
		ps, _ := readValues(in.files(), filepath.Join(in.Project.Dir, filepath.FromSlash(s.File)))
		for _, p := range ps {
			if p.Anchor {
				if lines == nil {
					lines = map[int]bool{}
				}
				lines[p.Line] = true
			}
		}
		a[s.File] = lines
	}
	return lines[s.Line]
}

func unreadLoc(env string, u render.Unread) Location {
	return Location{Environment: env, Key: u.Path, Source: u.Source.String(), File: u.Source.File, Line: u.Source.Line}
}

// splitUnread returns e's unread keys, a map that holds a key FERRY080
// reports split into its other keys (savanaflow.frontend without
// .autoscaling: its replicaCount and image are still unread, and still
// worth a finding).
func splitUnread(e *Env, reported map[string][]string) []render.Unread {
	var out []render.Unread
	for _, u := range e.Result.Unread {
		keys := reported[u.Source.File]
		if !slices.ContainsFunc(keys, func(k string) bool { return strings.HasPrefix(k, u.Path+".") }) {
			out = append(out, u)
			continue
		}
		var leaves []render.Unread
		for p, src := range e.Result.ValueSources {
			if strings.HasPrefix(p, u.Path+".") && src.File == u.Source.File && !overlaps(p, keys) {
				leaves = append(leaves, render.Unread{Path: p, Source: src})
			}
		}
		sort.Slice(leaves, func(i, j int) bool { return leaves[i].Path < leaves[j].Path })
		out = append(out, leaves...)
	}
	return out
}

// overlaps reports whether path is one of keys, under one, or above one.
func overlaps(path string, keys []string) bool {
	for _, k := range keys {
		if path == k || strings.HasPrefix(path, k+".") || strings.HasPrefix(k, path+".") {
			return true
		}
	}
	return false
}

func checkUnprovidedReference(in *Input) []Finding {
	// One finding per object an environment lacks, naming every key and
	// workload that reads it: a Secret made by Terraform that eight
	// workloads read twenty keys of is one thing to make sure of, not 160.
	type group struct {
		f         Finding
		keys, wls []string
		nss       []string
		elsewhere int // environments whose chart renders the object in another namespace
		seenLoc   map[string]bool
		vols, env int // references as volumes only, and through env
	}
	var groups []*group
	idx := map[string]*group{}
	dir := in.dir()
	for _, e := range in.Envs {
		if e.Result == nil {
			continue
		}
		if e.Spec != nil && e.Spec.Target == "local" && secretsFile(e.Spec) != "" {
			continue // ferry itself supplies what the Secrets would hold, from the secretsFile
		}
		for _, r := range e.Result.Unprovided {
			if r.Optional || misnamed(e, r) {
				continue
			}
			if e.Spec != nil && e.Spec.Deploy.CreatesObject(r.Kind, r.Name, r.Namespace) != "" {
				continue // the deploy's job makes it (kubectl create secret) before helm runs
			}
			obj := r.Kind + "/" + r.Name
			// One template's {{ .Release.Name }}-app under each
			// environment's own release is one object to provide.
			id := obj
			if e.Spec != nil && e.Spec.Release != "" {
				if rest, ok := strings.CutPrefix(r.Name, e.Spec.Release); ok {
					id = r.Kind + "/\x00" + rest
				}
			}
			g, ok := idx[id]
			if !ok {
				g = &group{f: Finding{Key: obj}, seenLoc: map[string]bool{}}
				idx[id] = g
				groups = append(groups, g)
			}
			if r.Key != "" && !slices.Contains(g.keys, r.Key) {
				g.keys = append(g.keys, r.Key)
			}
			if !slices.Contains(g.wls, r.Workload) {
				g.wls = append(g.wls, r.Workload)
			}
			if volumeOnly(e, r) {
				g.vols++
			} else {
				g.env++
			}
			if !slices.Contains(g.f.Environments, e.Name) {
				g.f.Environments = append(g.f.Environments, e.Name)
				ns := e.Name + ": " + r.Namespace
				if obj != g.f.Key {
					ns += " (as " + obj + ")"
				}
				for _, o := range e.Result.Objects {
					if o.Kind == r.Kind && o.Name == r.Name && o.Namespace != r.Namespace {
						ns += "; the chart's: " + o.Namespace
						g.elsewhere++
						break
					}
				}
				g.nss = append(g.nss, ns)
			}
			l := Location{Environment: e.Name, Key: obj, File: r.Template, Line: referenceLine(in.files(), dir, r)}
			if r.Key != "" {
				l.Key += "/" + r.Key // a key has no slash: this reads unambiguously
			}
			l.Source = "template " + l.File
			if l.Line > 0 {
				l.Source += ":" + strconv.Itoa(l.Line)
			}
			if id := l.Environment + "|" + l.Source; !g.seenLoc[id] {
				g.seenLoc[id] = true
				g.f.Locations = append(g.f.Locations, l)
			}
		}
	}
	out := make([]Finding, 0, len(groups))
	for _, g := range groups {
		f := g.f
		what := f.Key
		switch len(g.keys) {
		case 0:
		case 1:
			f.Key += "/" + g.keys[0]
			what = f.Key
		default:
			what = fmt.Sprintf("%s (keys %s)", f.Key, strings.Join(g.keys, ", "))
		}
		f.Workload = strings.Join(g.wls, ", ")
		waits := stuck(g.env == 0)
		if g.vols > 0 && g.env > 0 {
			waits = "the pod waits in CreateContainerConfigError (or ContainerCreating, FailedMount, for the volume)"
		}
		msg := "%s reads %s, which the chart does not render and nothing in the repository creates (namespace %s): unless it is made outside the repository, %s; make sure it exists before deploying, render it, or add what creates it."
		if g.elsewhere == len(f.Environments) {
			// The chart does render it, in a namespace of its own
			// (namespace: web-{{ .Values.stage }}); the release's may be
			// a guess (the environment's name), so it stays advisory.
			msg = "%s reads %s, which the chart renders in another namespace than the pod's (namespace %s): %s; render it in the release namespace."
		}
		f.Message = fmt.Sprintf(msg,
			f.Workload, what, strings.Join(g.nss, ", "), waits)
		out = append(out, f)
	}
	return out
}

// referenceLine is the line of tmpl that names the referenced object
// literally inside a reference (name: sso-client under a secretKeyRef,
// configMapRef or configMap volume; secretName: sso-client); 0 when its
// name is computed or named twice, so never a line that says something
// else (a container that happens to share the name).
func referenceLine(files *tree, dir string, r render.Reference) int {
	if r.Template == "" {
		return 0
	}
	data, err := files.ReadFile(filepath.Join(dir, r.Template))
	if err != nil {
		return 0
	}
	lines := strings.Split(string(data), "\n")
	found := 0
	for i, line := range lines {
		t := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "- "))
		key, v, ok := strings.Cut(t, ":")
		if !ok || strings.Trim(strings.TrimSpace(v), `"'`) != r.Name {
			continue
		}
		switch {
		case key == "secretName":
		case key == "name" && underReference(lines[max(0, i-2):i]):
		default:
			continue
		}
		if found != 0 {
			return 0
		}
		found = i + 1
	}
	return found
}

// underReference reports whether the lines just above a name: open a
// ConfigMap or Secret reference.
func underReference(above []string) bool {
	for _, l := range above {
		l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "- "))
		for _, k := range []string{"secretKeyRef:", "configMapKeyRef:", "secretRef:", "configMapRef:", "configMap:", "secret:"} {
			if l == k {
				return true
			}
		}
	}
	return false
}

// secretsFile is the local target's secretsFile: of an environment ("" when
// it names none), read from its ferry.yaml section.
func secretsFile(e *project.Environment) string {
	v, _ := e.Setting("secretsFile")
	return v
}

package check

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/render"
)

// Target rules: environments on Kubernetes are kept apart by context and
// namespace.

func init() {
	register(Rule{
		ID: "FERRY060", Name: "shared-namespace", Severity: Error,
		Summary: "Two environments deploy to the same cluster context and namespace",
		Help: "Two kube environments in one namespace of one cluster install over each other's " +
			"release, ConfigMaps and Secrets. Give each environment its own namespace (the " +
			"default is the environment's name) or context in ferry.yaml. When nothing in the " +
			"repository says which cluster each uses (no deploy command, ferry.yaml context or kube " +
			"target: manifests that name their namespace, applied by Argo CD), it is a warning: one " +
			"namespace name on two clusters is no clash.",
		Check: checkSharedNamespace,
	})
}

func checkSharedNamespace(in *Input) []Finding {
	// Each environment deploys into the namespaces its rendered objects
	// land in (a manifest's own namespace: {{ .Values.namespace }}, else
	// the release's); two environments that share any one of them on one
	// context install over each other there.
	type pair struct{ ctx, ns string }
	byPair := map[pair][]*Env{}
	var order []pair
	for _, e := range in.Envs {
		if e.Spec == nil {
			continue
		}
		for _, ns := range clusterNamespaces(e) {
			if project.IsCIExpr(ns) {
				continue // ${{ steps.env.outputs.namespace }}: known only as CI runs
			}
			ctx := project.ClusterKey(e.Spec, in.Project) // the target's context, else the cluster its CI job points at
			p := pair{ctx, ns}
			if _, ok := byPair[p]; !ok {
				order = append(order, p)
			}
			byPair[p] = append(byPair[p], e)
		}
	}
	var lines map[string]map[string]int
	var out []Finding
	seen := map[string]bool{}
	for _, p := range order {
		envs, clash := colliding(byPair[p], p.ns)
		if len(envs) < 2 {
			continue
		}
		id := p.ctx + "\x00" + strings.Join(names(envs), ",")
		if seen[id] {
			continue // one finding per set of environments, at their first shared namespace
		}
		seen[id] = true
		if lines == nil && in.Project != nil {
			lines = envLines(in.files(), in.Project.Dir)
		}
		ctx := "the current context"
		if p.ctx != "" {
			ctx = fmt.Sprintf("context %q", p.ctx)
			if strings.Contains(p.ctx, " ") {
				ctx = p.ctx // a CI job's, with its kind: "EKS cluster orders-prod"
			}
		}
		var ls []Location
		fromValues, fromCI := false, false
		// Only ferry.yaml (a context, a kube target) and deploy commands
		// say where an environment goes; without them the clusters are
		// unknown, and the same namespace name on two is no clash.
		known := true
		for _, e := range envs {
			known = known && (onCluster(e) || e.Spec.Deploy != nil)
		}
		known = known || p.ctx != ""
		for _, e := range envs {
			l := namespaceLoc(in, e, p.ns, lines[e.Name])
			fromValues = fromValues || p.ns != e.Spec.Namespace
			fromCI = fromCI || (lines[e.Name]["namespace"] == 0 && e.Spec.Deploy != nil && e.Spec.Deploy.Namespace == p.ns)
			ls = append(ls, l)
		}
		fix := "give each environment its own namespace in " + project.FileName
		switch {
		case fromValues:
			fix = "give each environment its own namespace in its values file"
		case fromCI:
			fix = "give each environment its own namespace with -n in its deploy command, or in " + project.FileName
		}
		if clash != "" {
			both := "both"
			if len(envs) > 2 {
				both = "each"
			}
			ctx += ", " + both + " rendering " + clash + " there"
		}
		f := Finding{
			Environments: names(envs), Key: "namespace", Locations: ls,
			Message: fmt.Sprintf("%s deploy to namespace %q in %s: %s.", andList(names(envs)), p.ns, ctx, fix),
		}
		if !known {
			f.Severity = Warning
			f.Message = fmt.Sprintf("%s deploy to namespace %q%s, and nothing in the repository says which cluster each uses (%s): if they share one they install over each other; %s, or name each one's context in %s.",
				andList(names(envs)), p.ns, strings.TrimPrefix(ctx, "the current context"), unknownClusters(envs), fix, project.FileName)
		}
		out = append(out, f)
	}
	return out
}

// colliding keeps the environments of envs that really collide in ns:
// those whose release namespace it is (their releases and everything
// namespaced share it), and those that render an object there of the
// same kind and name as another environment does. Two environments that
// each put a differently named ServiceMonitor into a shared "monitoring"
// namespace do not collide. clash names one shared object.
func colliding(envs []*Env, ns string) ([]*Env, string) {
	objs := make([]map[string]bool, len(envs))
	for i, e := range envs {
		objs[i] = map[string]bool{}
		if e.Result != nil {
			for _, o := range e.Result.Objects {
				if o.Namespace == ns {
					objs[i][o.Kind+"/"+o.Name] = true
				}
			}
		}
	}
	var out []*Env
	clash := ""
	for i, e := range envs {
		keep := ns == e.Spec.Namespace
		for j := range envs {
			if j == i {
				continue
			}
			for k := range objs[i] {
				if objs[j][k] && !(guessedName(e, envs[j], k) && !runsIn(e, ns) && !runsIn(envs[j], ns)) {
					keep = true
					if clash == "" || k < clash {
						clash = k
					}
				}
			}
		}
		if keep {
			out = append(out, e)
		}
	}
	return out, clash
}

// guessedName reports an object named after a release name ferry made up
// for both environments (the chart's name, with nothing saying what CI
// names the releases): their real releases (analytics-staging,
// analytics-prod) likely name it apart, so the clash is ferry's.
func guessedName(a, b *Env, obj string) bool {
	guessed := func(e *Env) bool {
		return e.Spec.From.Release == "the chart's name" || e.Spec.From.Release == "the service's name"
	}
	_, name, _ := strings.Cut(obj, "/")
	return guessed(a) && guessed(b) && a.Spec.Release != "" && strings.Contains(name, a.Spec.Release)
}

// runsIn reports whether one of e's workloads lives in ns: a namespace
// its service runs in, not a side one (monitoring) a chart puts a
// ServiceMonitor into.
func runsIn(e *Env, ns string) bool {
	if e.Result == nil {
		return false
	}
	for _, o := range e.Result.Objects {
		if o.Namespace == ns && render.PodSpecPath(o.Kind) != nil {
			return true
		}
	}
	return false
}

// clusterNamespaces are the namespaces e's objects land in on a cluster:
// render's, or the release namespace when render saw no namespaced
// object. An environment ferry runs locally is still deployed to a
// cluster by its CI command (whose -n is its namespace) or, with neither,
// into any namespace its manifests name themselves
// (namespace: {{ .Values.namespace }}); its default release namespace,
// the environment's name, is ferry's guess and never shared.
func clusterNamespaces(e *Env) []string {
	all := []string{e.Spec.Namespace}
	if e.Result != nil && len(e.Result.Namespaces) > 0 {
		all = e.Result.Namespaces
	}
	if onCluster(e) || e.Spec.Deploy != nil {
		return all
	}
	var own []string
	for _, ns := range all {
		if ns != e.Spec.Namespace {
			own = append(own, ns)
		}
	}
	return own
}

// namespaceLoc says where e's namespace ns was set: ferry.yaml or the CI
// deploy command for the release namespace, else the values line or the
// template of a manifest that names ns itself.
func namespaceLoc(in *Input, e *Env, ns string, lines map[string]int) Location {
	l := Location{Environment: e.Name, Key: "namespace", Value: ns}
	if ns == e.Spec.Namespace {
		l.Source = "default (the environment's name)"
		if from := e.Spec.From.Namespace; from != "" && from != "the environment's name" {
			l.Source = from
		}
		if n := lines["namespace"]; n > 0 {
			l.Source, l.File, l.Line = fmt.Sprintf("%s:%d", project.FileName, n), project.FileName, n
		} else if d := e.Spec.Deploy; d != nil && d.Namespace == ns {
			l.File, l.Line = d.File, d.Line
		} else if n := lines[""]; n > 0 {
			l.File, l.Line = project.FileName, n
		}
		return l
	}
	// A manifest names ns itself: cite the values key that holds it when
	// one does, else the manifest's template.
	var paths []string
	for p := range e.Result.ValueSources {
		last := p[strings.LastIndex(p, ".")+1:]
		if strings.Contains(strings.ToLower(last), "namespace") {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	// A values key that holds the same name is cited only when the
	// template of an object in ns reads it: equality alone is a guess
	// (monitoring.grafana.dashboard.namespace: monitoring, read by no
	// template, beside a template's | default "monitoring").
	var texts []string
	for _, o := range e.Result.Objects {
		if o.Namespace == ns && o.Template != "" && in.Project != nil {
			if data, err := in.files().ReadFile(filepath.Join(in.Project.Dir, filepath.FromSlash(o.Template))); err == nil {
				texts = append(texts, string(data))
			}
		}
	}
	read := func(p string) bool {
		if len(texts) == 0 {
			return true // no template to read it in: the values key alone names ns
		}
		for _, t := range texts {
			for _, l := range strings.Split(t, "\n") {
				if readsPath(l, p) {
					return true
				}
			}
		}
		return false
	}
	for _, p := range paths {
		if v, ok := valueAt(e.Result.Values, p); ok && v == ns && read(p) {
			s := e.Result.ValueSources[p]
			l.Key, l.Source, l.File, l.Line = p, s.String(), s.File, s.Line
			return l
		}
	}
	l.Source = "unknown"
	for _, o := range e.Result.Objects {
		if o.Namespace == ns && o.Template != "" {
			l.Source, l.File = "template "+o.Template, o.Template
			break
		}
	}
	return l
}

// envLines maps environment → field → line in ferry.yaml ("" is the
// environment's own line).
func envLines(files *tree, dir string) map[string]map[string]int {
	out := map[string]map[string]int{}
	data, err := files.ReadFile(filepath.Join(dir, project.FileName))
	if err != nil {
		return out
	}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return out
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "environments" {
			continue
		}
		envs := root.Content[i+1]
		for j := 0; j+1 < len(envs.Content); j += 2 {
			name := envs.Content[j].Value
			out[name] = map[string]int{"": envs.Content[j].Line}
			spec := envs.Content[j+1]
			for k := 0; k+1 < len(spec.Content); k += 2 {
				out[name][strings.TrimSpace(spec.Content[k].Value)] = spec.Content[k].Line
			}
		}
	}
	return out
}

// onCluster says whether ferry itself puts e on a cluster: the kube
// target installs there, and a gitops engine applies what ferry commits
// into the context the environment names.
// unknownClusters says why each of envs has no known cluster: no deploy
// command at all, or one that uses whatever kube context is current.
func unknownClusters(envs []*Env) string {
	var none, current []string
	for _, e := range envs {
		if d := e.Spec.Deploy; d != nil {
			current = append(current, fmt.Sprintf("%s at %s:%d", e.Name, d.File, d.Line))
		} else if !onCluster(e) {
			none = append(none, e.Name)
		}
	}
	var parts []string
	if len(none) > 0 {
		parts = append(parts, fmt.Sprintf("no deploy command or context in %s for %s", project.FileName, andList(none)))
	}
	if len(current) > 0 {
		parts = append(parts, "the deploy command uses the current kube context for "+strings.Join(current, ", "))
	}
	return strings.Join(parts, "; ")
}

func onCluster(e *Env) bool {
	return e.Spec.Target == "kube" || e.Spec.Target == "gitops"
}

// oneDeployment drops the findings that compare environments which are
// one deployment: deploy commands that install the same release into the
// same namespace of the same cluster with the same values files, one
// command's a subset of the other's (a script deploying values-demo.yaml
// and a workflow job deploying it plus values-demo-tls.yaml). What they
// "share" is one install's datasources, not two environments' mistake.
// Two commands of one release and namespace with their own values files
// (values-uat.yaml, values-prod.yaml) are two environments overwriting
// each other: FERRY060 says so.
func oneDeployment(in *Input, fs []Finding) []Finding {
	envs := map[string]*project.Environment{}
	for _, e := range in.Envs {
		if s := e.Spec; s != nil && s.Deploy != nil && s.Release != "" && s.Namespace != "" && !project.IsCIExpr(s.Release+s.Namespace) {
			envs[e.Name] = s
		}
	}
	same := func(a, b string) bool {
		x, y := envs[a], envs[b]
		if x == nil || y == nil || x.Release != y.Release || x.Namespace != y.Namespace || project.ClusterKey(x, in.Project) != project.ClusterKey(y, in.Project) {
			return false
		}
		within := func(p, q []string) bool {
			return !slices.ContainsFunc(p, func(v string) bool { return !slices.Contains(q, v) })
		}
		return within(x.Values, y.Values) || within(y.Values, x.Values)
	}
	if len(envs) < 2 {
		return fs
	}
	return slices.DeleteFunc(fs, func(f Finding) bool {
		switch f.Rule {
		case "FERRY010", "FERRY011", "FERRY012", "FERRY013", "FERRY014", "FERRY019", "FERRY060":
		default:
			return false // not a rule comparing environments
		}
		names := f.Environments
		if f.Rule == "FERRY019" {
			named := f.named
			if named == "" { // foreignImage's: "… names environment demo ("demo") …"
				_, rest, _ := strings.Cut(f.Message, " names environment ")
				named, _, _ = strings.Cut(rest, " ")
			}
			names = append(slices.Clone(names), named)
		}
		for _, n := range names[1:] {
			if !same(names[0], n) {
				return false
			}
		}
		return len(names) > 1
	})
}

package project

import (
	"bytes"
	"path"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// argoPath reports whether rel may hold Argo CD Applications: a path
// that says argo, gitops or application, or a chart's templates/ (an
// app-of-apps chart whose templates are Applications). Other YAML is
// not read for them.
func argoPath(rel string) bool {
	l := strings.ToLower(rel)
	return strings.Contains(l, "argo") || strings.Contains(l, "gitops") || strings.Contains(l, "application") || path.Base(path.Dir(l)) == "templates"
}

// argoTemplate turns a chart template holding Applications into YAML
// ferry can read as far as its literal fields go: lines that are only
// actions ({{- if }}, {{- end }}) go, and a field whose value an action
// fills becomes empty, so that it is unknown rather than wrong.
func argoTemplate(data []byte) []byte {
	if !bytes.Contains(data, []byte("{{")) {
		return data
	}
	lines := bytes.Split(data, []byte("\n"))
	out := lines[:0]
	for _, l := range lines {
		t := bytes.TrimSpace(l)
		if bytes.HasPrefix(t, []byte("{{")) && bytes.HasSuffix(t, []byte("}}")) && bytes.Count(t, []byte("{{")) == 1 {
			continue
		}
		if i := bytes.Index(l, []byte("{{")); i >= 0 {
			if k := bytes.Index(l, []byte(": ")); k >= 0 && k < i {
				l = append(l[:k+1:k+1], []byte(" \"\"")...)
			} else {
				continue
			}
		}
		out = append(out, l)
	}
	return bytes.Join(out, []byte("\n"))
}

// argoDeploys reads the Argo CD Applications in data (rel, relative to
// the repository root root) that deploy a chart of this repository by
// path: each is a deploy of release metadata.name (or its helm
// releaseName) into destination.namespace with its valueFiles, which
// are relative to the chart, and its helm parameters as --set. An
// Application of a chart from a Helm repository (chart:) is another
// chart's.
func argoDeploys(data []byte, rel, dir, root string) []Deploy {
	if !bytes.Contains(data, []byte("argoproj.io")) || !bytes.Contains(data, []byte("Application")) {
		return nil
	}
	var out []Deploy
	dec := yaml.NewDecoder(bytes.NewReader(argoTemplate(data)))
	for {
		var doc yaml.Node
		if dec.Decode(&doc) != nil {
			break // the end, or YAML ferry cannot read: what came before stands
		}
		if len(doc.Content) == 0 {
			continue
		}
		top := doc.Content[0]
		if !strings.HasPrefix(scalarOf(mapValue(top, "apiVersion")), "argoproj.io/") || scalarOf(mapValue(top, "kind")) != "Application" {
			continue
		}
		spec := mapValue(top, "spec")
		dest := mapValue(spec, "destination")
		var sources []*yaml.Node
		if s := mapValue(spec, "source"); s != nil {
			sources = append(sources, s)
		}
		if ss := mapValue(spec, "sources"); ss != nil && ss.Kind == yaml.SequenceNode {
			sources = append(sources, ss.Content...)
		}
		for _, src := range sources {
			chartPath := scalarOf(mapValue(src, "path"))
			if chartPath == "" {
				continue
			}
			helm := mapValue(src, "helm")
			// The deploy's line is the release name's: metadata.name, or
			// helm.releaseName when it sets one.
			d := Deploy{File: rel, Line: top.Line, Command: "upgrade", argo: true, argoRepo: scalarOf(mapValue(src, "repoURL")), flagLines: map[string]int{}}
			for _, n := range []*yaml.Node{mapValue(mapValue(top, "metadata"), "name"), mapValue(helm, "releaseName")} {
				if scalarOf(n) != "" {
					d.Release, d.Line = n.Value, n.Line
				}
			}
			l := shellLine{}
			d.Chart = l.relPath(path.Clean(chartPath), dir, root)
			if ns := mapValue(dest, "namespace"); ns != nil {
				d.Namespace = ns.Value
				d.flagLines["-n\x00"+ns.Value] = ns.Line
			}
			switch {
			case scalarOf(mapValue(dest, "name")) != "":
				d.Cluster = "cluster " + scalarOf(mapValue(dest, "name"))
				d.ClusterAt = rel + ":" + strconv.Itoa(mapValue(dest, "name").Line) + " (destination.name)"
			case scalarOf(mapValue(dest, "server")) != "":
				d.Cluster = "cluster " + scalarOf(mapValue(dest, "server"))
				d.ClusterAt = rel + ":" + strconv.Itoa(mapValue(dest, "server").Line) + " (destination.server)"
			}
			if vs := mapValue(helm, "valueFiles"); vs != nil && vs.Kind == yaml.SequenceNode {
				for _, v := range vs.Content {
					if v.Kind != yaml.ScalarNode || v.Value == "" {
						continue
					}
					f := v.Value
					if rest, ok := strings.CutPrefix(f, "$"); ok {
						// $values/deploy/values-prod.yaml: a ref source's
						// file, from its repository's root
						_, after, _ := strings.Cut(rest, "/")
						f = after
					} else {
						f = path.Join(chartPath, f)
					}
					f = l.relPath(path.Clean(f), dir, root)
					d.Values = append(d.Values, f)
					if stage := strings.TrimPrefix(strings.TrimSuffix(path.Base(f), path.Ext(f)), "values-"); d.Env == "" && stage != path.Base(f) && stageIn(stage) == stage {
						// values-production.yaml among the files: the
						// Application deploys production, whatever files
						// follow it (values-selection.yaml)
						d.Env = stage
					}
					d.flagLines["-f\x00"+f] = v.Line
				}
			}
			if ps := mapValue(helm, "parameters"); ps != nil && ps.Kind == yaml.SequenceNode {
				for _, p := range ps.Content {
					v := scalarOf(mapValue(p, "value"))
					d.Set = append(d.Set, SetFlag{Path: scalarOf(mapValue(p, "name")), Value: v, String: scalarOf(mapValue(p, "forceString")) == "true", ByCI: IsCIExpr(v), Line: p.Line})
				}
			}
			if d.Env == "" {
				// app-prod, or a namespace of its stage, when no values
				// file names one
				for _, n := range []string{scalarOf(mapValue(mapValue(top, "metadata"), "name")), d.Namespace} {
					if w := stageIn(n); w != "" && envNameRe.Get().MatchString(w) {
						d.Env = w
						break
					}
				}
			}
			if d.Release != "" && d.Chart != "" {
				out = append(out, d)
			}
		}
	}
	return out
}

// argoFiles lists the YAML files under root that may hold Argo CD
// Applications (argoPath), as deep as charts are looked for.
func argoFiles(lst *listing, root string) []string {
	return filesIn(lst, root, maxChartDepth, true, func(rel string) bool { return yamlName(rel) && argoPath(rel) })
}

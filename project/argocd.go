package project

import (
	"bytes"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// argoDirs are the file patterns, relative to the repository root, where
// Argo CD Applications are kept (argocd/app-dev.yaml,
// deploy/argo/prod.yaml, gitops/applications/web.yaml): only paths that
// say argo, gitops or application are read, so that a chart's templates
// are not parsed for them.
var argoDirs = []string{"*.yaml", "*.yml", "*/*.yaml", "*/*.yml", "*/*/*.yaml", "*/*/*.yml"}

// argoPath reports whether rel may hold Argo CD Applications.
func argoPath(rel string) bool {
	l := strings.ToLower(rel)
	return strings.Contains(l, "argo") || strings.Contains(l, "gitops") || strings.Contains(l, "application")
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
	dec := yaml.NewDecoder(bytes.NewReader(data))
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

// argoFiles lists the files under root that may hold Argo CD
// Applications.
func argoFiles(lst *listing, root string) []string {
	var out []string
	for _, pat := range argoDirs {
		for _, f := range globIn(lst, root, pat) {
			if rel, err := filepath.Rel(root, f); err == nil && argoPath(filepath.ToSlash(rel)) {
				out = append(out, f)
			}
		}
	}
	return out
}

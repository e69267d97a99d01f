package kube

import (
	"bytes"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"sigs.k8s.io/yaml"

	"github.com/ferrydev/ferry/internal/lazyre"
	"github.com/ferrydev/ferry/render"
)

// pinner is the post-render step that pins the service's image: every
// container of every workload whose image is the service's repository
// gets repository@digest, whatever tag or digest the templates wrote. It
// refuses a manifest where no container runs the repository, or where a
// container runs the same image name from another repository (the
// cluster would pull something ferry did not push).
type pinner struct {
	repo   string // the service's repository, as ferry.yaml names it
	digest string // sha256:…
	// pinned lists "Kind/name container" for every container pinned.
	pinned []string
}

// Run pins one stream of documents, as a Helm post-renderer does.
func (p *pinner) Run(in *bytes.Buffer) (*bytes.Buffer, error) {
	p.pinned = nil
	out, foreign, err := p.pin(in.String())
	if err != nil {
		return nil, err
	}
	return out, p.check(foreign)
}

// pinFiles pins the rendered files (template path → documents) in place,
// hooks included: a migration Job running the service's image must run
// the digest being deployed too.
func (p *pinner) pinFiles(files map[string]string) error {
	p.pinned = nil
	var foreign []string
	for _, n := range slices.Sorted(maps.Keys(files)) {
		out, f, err := p.pin(files[n])
		if err != nil {
			return err
		}
		files[n] = out.String()
		foreign = append(foreign, f...)
	}
	return p.check(foreign)
}

// pin rewrites one stream's containers, adding them to p.pinned, and
// returns the containers that run the image from another repository.
func (p *pinner) pin(in string) (*bytes.Buffer, []string, error) {
	want := normRepo(p.repo)
	var out bytes.Buffer
	var foreign []string
	for _, doc := range splitYAML(in) {
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil || obj == nil {
			writeDoc(&out, doc)
			continue
		}
		kind, _ := obj["kind"].(string)
		objName, _ := nested(obj, "metadata", "name").(string)
		changed := false
		for _, c := range containersOf(obj) {
			img, _ := c["image"].(string)
			cname, _ := c["name"].(string)
			repo := normRepo(img)
			switch {
			case repo == want:
				c["image"] = p.repo + "@" + p.digest
				p.pinned = append(p.pinned, fmt.Sprintf("%s/%s container %s", kind, objName, cname))
				changed = true
			case path.Base(repo) == path.Base(want):
				foreign = append(foreign, fmt.Sprintf("%s/%s container %s runs %s", kind, objName, cname, img))
			}
		}
		if !changed {
			writeDoc(&out, doc)
			continue
		}
		b, err := yaml.Marshal(obj)
		if err != nil {
			return nil, nil, fmt.Errorf("pin %s/%s: %w", kind, objName, err)
		}
		writeDoc(&out, string(b))
	}
	return &out, foreign, nil
}

// check refuses what cannot be deployed: a container running the image
// from another repository, or nothing pinned at all.
func (p *pinner) check(foreign []string) error {
	if len(foreign) > 0 {
		return fmt.Errorf("%w: %s, not ferry.yaml's image %s: the cluster would pull an image ferry did not push; set the chart's image repository to %s",
			ErrBadInput, strings.Join(foreign, "; "), p.repo, p.repo)
	}
	if len(p.pinned) == 0 {
		return fmt.Errorf("%w: the chart renders no workload container with image %s, so there is nothing to pin to %s; check ferry.yaml's image: against the chart's image values",
			ErrBadInput, p.repo, p.digest)
	}
	return nil
}

var docSep = &lazyre.Regexp{Src: `(?m)^---[ \t]*(#.*)?$`}

func splitYAML(s string) []string {
	var docs []string
	for _, d := range docSep.Get().Split(s, -1) {
		if strings.TrimSpace(d) != "" {
			docs = append(docs, d)
		}
	}
	return docs
}

func writeDoc(b *bytes.Buffer, doc string) {
	b.WriteString("---\n")
	b.WriteString(strings.TrimLeft(doc, "\n"))
	if !strings.HasSuffix(doc, "\n") {
		b.WriteByte('\n')
	}
}

// containersOf returns the containers and init containers of a workload
// object, as the maps inside obj (changing them changes obj).
func containersOf(obj map[string]any) []map[string]any {
	kind, _ := obj["kind"].(string)
	p := render.PodSpecPath(kind)
	if p == nil {
		return nil
	}
	spec, _ := nested(obj, p...).(map[string]any)
	var out []map[string]any
	for _, key := range []string{"initContainers", "containers"} {
		list, _ := spec[key].([]any)
		for _, c := range list {
			if m, ok := c.(map[string]any); ok {
				out = append(out, m)
			}
		}
	}
	return out
}

func nested(obj map[string]any, keys ...string) any {
	var cur any = obj
	for _, k := range keys {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

// normRepo returns an image reference's repository, normalised the way a
// container runtime resolves it (orders-api → index.docker.io/library/
// orders-api), without tag or digest.
func normRepo(img string) string {
	ref, err := name.ParseReference(img, name.WeakValidation)
	if err != nil {
		if i := strings.IndexAny(img, "@"); i >= 0 {
			img = img[:i]
		}
		if i := strings.LastIndex(img, ":"); i > strings.LastIndex(img, "/") {
			img = img[:i]
		}
		return img
	}
	return ref.Context().Name()
}

// digestOf returns the sha256:… digest of an image reference or a
// container status's imageID (docker-pullable://repo@sha256:…), "" when it
// names none.
func digestOf(ref string) string {
	i := strings.LastIndex(ref, "@sha256:")
	if i < 0 {
		if strings.HasPrefix(ref, "sha256:") {
			return ref
		}
		return ""
	}
	return ref[i+1:]
}

package gitops

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/render"
	"github.com/google/go-containerregistry/pkg/name"
	"sigs.k8s.io/yaml"
)

// MetaFile is the file beside the manifests that describes the revision.
const MetaFile = "ferry.json"

// Meta is ferry.json: what a commit deploys and why. It has no
// timestamp, so the same inputs give the same bytes (the commit carries
// the time).
type Meta struct {
	Environment string `json:"environment"`
	Revision    int    `json:"revision"`
	// Action is deploy, promote or rollback.
	Action       string   `json:"action,omitempty"`
	PromotedFrom string   `json:"promotedFrom,omitempty"`
	RollbackOf   int      `json:"rollbackOf,omitempty"`
	Image        string   `json:"image"`
	Digest       string   `json:"digest"`
	Tag          string   `json:"tag,omitempty"`
	SourceCommit string   `json:"sourceCommit,omitempty"`
	Gates        []string `json:"gates,omitempty"`
	By           string   `json:"by,omitempty"`
}

// Files are a directory's content by slash-separated relative name.
type Files map[string][]byte

// Names returns the file names, sorted.
func (f Files) Names() []string {
	out := make([]string, 0, len(f))
	for n := range f {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Manifests renders environment env of p as `ferry render` does, pins the
// service's image (repo) to digest, and returns one YAML file per object
// plus ferry.json. Objects without a namespace get the environment's,
// except the kinds that have none, since the engine applies plain YAML
// where Helm would have set it.
func Manifests(ctx context.Context, p *project.Project, env *project.Environment, repo string, m Meta) (Files, error) {
	res, err := render.Render(ctx, p, env.Name)
	if err != nil {
		return nil, err
	}
	ns := env.Namespace
	if ns == "" {
		ns = env.Name
	}
	m.Image = repo + "@" + m.Digest
	files := Files{}
	pinned := 0
	for _, o := range res.Objects {
		body, err := deepCopy(o.Body)
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %w", o.Kind, o.Name, err)
		}
		pinned += pin(body, repo, m.Digest)
		meta, _ := body["metadata"].(map[string]any)
		if meta != nil && meta["namespace"] == nil && !clusterScoped(o.Kind) {
			meta["namespace"] = ns
		}
		b, err := yaml.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %w", o.Kind, o.Name, err)
		}
		f := fileName(o.Kind, o.Name)
		if _, dup := files[f]; dup {
			f = fileName(o.Kind, o.Namespace+"-"+o.Name)
		}
		files[f] = b
	}
	if pinned == 0 {
		return nil, fmt.Errorf("the chart renders no container with image %s, so there is nothing to pin to %s; check ferry.yaml's image: against the chart's image values", repo, m.Digest)
	}
	files[MetaFile], err = metaJSON(m)
	return files, err
}

func metaJSON(m Meta) ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	return append(b, '\n'), err
}

func fileName(kind, name string) string {
	return strings.ToLower(kind) + "-" + strings.ReplaceAll(name, "/", "-") + ".yaml"
}

// clusterScoped says whether kind is one a chart may render that has no
// namespace. A switch, not a package-level map: the map would be built
// at start-up for every command.
func clusterScoped(kind string) bool {
	switch kind {
	case "Namespace", "ClusterRole", "ClusterRoleBinding",
		"CustomResourceDefinition", "PersistentVolume", "StorageClass",
		"PriorityClass", "IngressClass", "RuntimeClass",
		"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
		"APIService":
		return true
	}
	return false
}

func deepCopy(v map[string]any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	return out, json.Unmarshal(b, &out)
}

// pin sets every container of obj whose image is repo (any tag or
// digest) to repo@digest and returns how many it set.
func pin(obj map[string]any, repo, digest string) int {
	kind, _ := obj["kind"].(string)
	keys := render.PodSpecPath(kind)
	if keys == nil {
		return 0
	}
	var spec any = obj
	for _, k := range keys {
		m, _ := spec.(map[string]any)
		spec = m[k]
	}
	ps, _ := spec.(map[string]any)
	want, n := repoOf(repo), 0
	for _, key := range []string{"initContainers", "containers"} {
		list, _ := ps[key].([]any)
		for _, c := range list {
			cm, _ := c.(map[string]any)
			if img, _ := cm["image"].(string); cm != nil && repoOf(img) == want {
				cm["image"] = repo + "@" + digest
				n++
			}
		}
	}
	return n
}

// repoOf returns an image reference's repository as a runtime resolves
// it, without tag or digest.
func repoOf(img string) string {
	if ref, err := name.ParseReference(img, name.WeakValidation); err == nil {
		return ref.Context().Name()
	}
	if i := strings.Index(img, "@"); i >= 0 {
		img = img[:i]
	}
	if i := strings.LastIndex(img, ":"); i > strings.LastIndex(img, "/") {
		img = img[:i]
	}
	return path.Clean(img)
}

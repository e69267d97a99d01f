package gitops

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/ferrydev/ferry/platform"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"
)

// ObjectDrift implements platform.Drifter: every field the committed
// manifests set that the live object has otherwise, with the field
// manager that last wrote it (kubectl edit, another controller). Only
// the fields the manifests set are compared, so the API server's
// defaults are no drift; Secret values are compared and shown by hash.
func (t *Target) ObjectDrift(ctx context.Context, q platform.Query) ([]platform.ObjectDrift, error) {
	env, err := t.envOf(q)
	if err != nil {
		return nil, err
	}
	_, files, head, err := t.committed(ctx, env.Name)
	if err != nil || head == nil {
		return nil, err
	}
	kc, dc, err := t.clients(env)
	if err != nil {
		return nil, err
	}
	dcl, ok := kc.Discovery().(discovery.DiscoveryInterface)
	if !ok {
		return nil, fmt.Errorf("no discovery client")
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dcl))
	var out []platform.ObjectDrift
	for _, n := range files.Names() {
		var want map[string]any
		if !strings.HasSuffix(n, ".yaml") || yaml.Unmarshal(files[n], &want) != nil || want == nil {
			continue
		}
		obj := unstructured.Unstructured{Object: want}
		gvk := obj.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", gvk.Kind, obj.GetName(), err)
		}
		live, err := dc.Resource(m.Resource).Namespace(obj.GetNamespace()).Get(ctx, obj.GetName(), metav1.GetOptions{})
		label := gvk.Kind + "/" + obj.GetName()
		if apierrors.IsNotFound(err) {
			out = append(out, platform.ObjectDrift{Object: label, Field: "(object)", Desired: "present", Live: "missing"})
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", label, err)
		}
		secret := gvk.Kind == "Secret"
		for _, d := range diff(nil, strip(want), strip(live.Object)) {
			od := platform.ObjectDrift{Object: label, Field: strings.Join(d.path, "."), Desired: d.want, Live: d.live, Secret: secret,
				Manager: manager(live.GetManagedFields(), d.path)}
			if secret {
				od.Desired, od.Live = hash(d.want), hash(d.live)
			}
			out = append(out, od)
		}
	}
	return out, nil
}

// strip keeps what a manifest owns: not metadata (controllers annotate
// and label objects) nor status.
func strip(obj map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range obj {
		if k != "metadata" && k != "status" && k != "apiVersion" && k != "kind" {
			out[k] = v
		}
	}
	return out
}

type fieldDiff struct {
	path       []string
	want, live string
}

// diff walks want and reports every leaf whose live value differs. Lists
// of objects with a name (containers, env, ports) are matched by name,
// other lists compared whole.
func diff(path []string, want, live any) []fieldDiff {
	switch w := want.(type) {
	case map[string]any:
		l, _ := live.(map[string]any)
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var out []fieldDiff
		for _, k := range keys {
			out = append(out, diff(append(append([]string{}, path...), k), w[k], l[k])...)
		}
		return out
	case []any:
		if named(w) {
			l, _ := live.([]any)
			byName := map[string]any{}
			for _, e := range l {
				if m, ok := e.(map[string]any); ok {
					byName[fmt.Sprint(m["name"])] = e
				}
			}
			var out []fieldDiff
			for _, e := range w {
				n := fmt.Sprint(e.(map[string]any)["name"])
				out = append(out, diff(append(append([]string{}, path...), "["+n+"]"), e, byName[n])...)
			}
			return out
		}
	}
	ws, ls := leaf(want), leaf(live)
	if ws == ls {
		return nil
	}
	return []fieldDiff{{path: path, want: ws, live: ls}}
}

func named(list []any) bool {
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok || m["name"] == nil {
			return false
		}
	}
	return len(list) > 0
}

func leaf(v any) string {
	if v == nil {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func hash(s string) string {
	if s == "" {
		return ""
	}
	h := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(h[:])[:12]
}

// manager returns the field manager that owns path in managedFields;
// when several do, the one that wrote last.
func manager(entries []metav1.ManagedFieldsEntry, path []string) string {
	best, when := "", ""
	for _, e := range entries {
		if e.FieldsV1 == nil {
			continue
		}
		var fields map[string]any
		if json.Unmarshal(e.FieldsV1.Raw, &fields) != nil || !owns(fields, path) {
			continue
		}
		at := ""
		if e.Time != nil {
			at = e.Time.UTC().Format("2006-01-02T15:04:05Z")
		}
		if best == "" || at >= when {
			best, when = e.Manager, at
		}
	}
	return best
}

// owns reports whether a FieldsV1 set holds path (or a prefix of it that
// it owns whole).
func owns(fields map[string]any, path []string) bool {
	cur := fields
	for _, p := range path {
		key := "f:" + p
		if strings.HasPrefix(p, "[") {
			key = fmt.Sprintf(`k:{"name":%q}`, strings.Trim(p, "[]"))
		}
		next, ok := cur[key].(map[string]any)
		if !ok {
			return false
		}
		if len(next) == 0 {
			return true
		}
		cur = next
	}
	return true
}

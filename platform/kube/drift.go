package kube

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/ferrydev/ferry/platform"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// ObjectDrift is one field of a live object that differs from what the
// live revision's manifest says, and who changed it.
type ObjectDrift = platform.ObjectDrift

// Drift compares the live revision's manifest with the live objects,
// field by field, for what the chart owns: ConfigMap and Secret data
// (Secrets by hash), each container's image, env, envFrom and resources,
// and replicas unless a HorizontalPodAutoscaler owns them.
func (k *Kube) Drift(ctx context.Context, env Env) ([]ObjectDrift, error) {
	c, err := dial(env, k.Log)
	if err != nil {
		return nil, err
	}
	cur, err := c.current()
	if err != nil {
		return nil, err
	}
	scaled, err := c.autoscaled(ctx)
	if err != nil {
		return nil, err
	}
	var out []ObjectDrift
	for _, doc := range splitYAML(cur.Manifest) {
		var head struct {
			Kind     string            `json:"kind"`
			Metadata metav1.ObjectMeta `json:"metadata"`
		}
		if yaml.Unmarshal([]byte(doc), &head) != nil {
			continue
		}
		name := head.Metadata.Name
		var d []ObjectDrift
		switch head.Kind {
		case "ConfigMap":
			d, err = c.configMapDrift(ctx, doc, name)
		case "Secret":
			d, err = c.secretDrift(ctx, doc, name)
		case "Deployment":
			d, err = c.deploymentDrift(ctx, doc, name, scaled["Deployment/"+name])
		}
		if err != nil {
			return nil, err
		}
		out = append(out, d...)
	}
	return out, nil
}

// autoscaled returns the workloads an HPA scales: their replicas are the
// HPA's, not drift.
func (c *conn) autoscaled(ctx context.Context) (map[string]bool, error) {
	out := map[string]bool{}
	list, err := c.client.AutoscalingV2().HorizontalPodAutoscalers(c.env.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("%s: list autoscalers: %w", c.env.where(), err)
	}
	for _, h := range list.Items {
		out[h.Spec.ScaleTargetRef.Kind+"/"+h.Spec.ScaleTargetRef.Name] = true
	}
	return out, nil
}

func (c *conn) configMapDrift(ctx context.Context, doc, name string) ([]ObjectDrift, error) {
	var want corev1.ConfigMap
	if err := yaml.Unmarshal([]byte(doc), &want); err != nil {
		return nil, err
	}
	live, err := c.client.CoreV1().ConfigMaps(c.env.Namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return []ObjectDrift{{Object: "ConfigMap/" + name, Field: "(object)", Desired: "present", Live: "deleted"}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: ConfigMap/%s: %w", c.env.where(), name, err)
	}
	return dataDrift("ConfigMap/"+name, want.Data, live.Data, live.ManagedFields, false), nil
}

func (c *conn) secretDrift(ctx context.Context, doc, name string) ([]ObjectDrift, error) {
	var want corev1.Secret
	if err := yaml.Unmarshal([]byte(doc), &want); err != nil {
		return nil, err
	}
	live, err := c.client.CoreV1().Secrets(c.env.Namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return []ObjectDrift{{Object: "Secret/" + name, Field: "(object)", Desired: "present", Live: "deleted"}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: Secret/%s: %w", c.env.where(), name, err)
	}
	hash := func(m map[string][]byte, s map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = fingerprint(string(v))
		}
		for k, v := range s {
			out[k] = fingerprint(v)
		}
		return out
	}
	return dataDrift("Secret/"+name, hash(want.Data, want.StringData), hash(live.Data, nil), live.ManagedFields, true), nil
}

// fingerprint identifies a secret value without showing it.
func fingerprint(v string) string {
	sum := sha256.Sum256([]byte(v))
	return "sha256:" + hex.EncodeToString(sum[:])[:12]
}

func dataDrift(obj string, want, live map[string]string, mf []metav1.ManagedFieldsEntry, secret bool) []ObjectDrift {
	var out []ObjectDrift
	keys := map[string]bool{}
	for k := range want {
		keys[k] = true
	}
	for k := range live {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		w, wok := want[k]
		l, lok := live[k]
		if wok && lok && w == l {
			continue
		}
		d := ObjectDrift{Object: obj, Field: "data." + k, Desired: w, Live: l, Secret: secret,
			Manager: manager(mf, []string{"f:data", "f:" + k})}
		if !wok {
			d.Desired = "(absent)"
		}
		if !lok {
			d.Live = "(removed)"
		}
		out = append(out, d)
	}
	return out
}

func (c *conn) deploymentDrift(ctx context.Context, doc, name string, autoscaled bool) ([]ObjectDrift, error) {
	var want appsv1.Deployment
	if err := yaml.Unmarshal([]byte(doc), &want); err != nil {
		return nil, err
	}
	live, err := c.client.AppsV1().Deployments(c.env.Namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return []ObjectDrift{{Object: "Deployment/" + name, Field: "(object)", Desired: "present", Live: "deleted"}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: Deployment/%s: %w", c.env.where(), name, err)
	}
	obj := "Deployment/" + name
	var out []ObjectDrift
	if !autoscaled && want.Spec.Replicas != nil && live.Spec.Replicas != nil && *want.Spec.Replicas != *live.Spec.Replicas {
		out = append(out, ObjectDrift{Object: obj, Field: "replicas", Desired: fmt.Sprint(*want.Spec.Replicas),
			Live: fmt.Sprint(*live.Spec.Replicas), Manager: manager(live.ManagedFields, []string{"f:spec", "f:replicas"})})
	}
	liveByName := map[string]corev1.Container{}
	for _, ct := range live.Spec.Template.Spec.Containers {
		liveByName[ct.Name] = ct
	}
	for _, w := range want.Spec.Template.Spec.Containers {
		l, ok := liveByName[w.Name]
		path := []string{"f:spec", "f:template", "f:spec", "f:containers", `k:{"name":"` + w.Name + `"}`}
		field := func(f string) []string { return append(append([]string(nil), path...), f) }
		if !ok {
			out = append(out, ObjectDrift{Object: obj, Field: "container " + w.Name, Desired: "present", Live: "(removed)"})
			continue
		}
		if w.Image != l.Image {
			out = append(out, ObjectDrift{Object: obj, Field: "container " + w.Name + " image", Desired: w.Image, Live: l.Image, Manager: manager(live.ManagedFields, field("f:image"))})
		}
		if a, b := canon(w.Env), canon(l.Env); a != b {
			out = append(out, ObjectDrift{Object: obj, Field: "container " + w.Name + " env", Desired: a, Live: b, Manager: manager(live.ManagedFields, field("f:env"))})
		}
		if a, b := canon(w.EnvFrom), canon(l.EnvFrom); a != b {
			out = append(out, ObjectDrift{Object: obj, Field: "container " + w.Name + " envFrom", Desired: a, Live: b, Manager: manager(live.ManagedFields, field("f:envFrom"))})
		}
		if !sameResources(w.Resources, l.Resources) {
			out = append(out, ObjectDrift{Object: obj, Field: "container " + w.Name + " resources", Desired: canon(w.Resources), Live: canon(l.Resources), Manager: manager(live.ManagedFields, field("f:resources"))})
		}
	}
	return out, nil
}

// sameResources compares quantities by value (the API server writes
// "0.5" back as "500m").
func sameResources(a, b corev1.ResourceRequirements) bool {
	eq := func(x, y corev1.ResourceList) bool {
		if len(x) != len(y) {
			return false
		}
		for k, q := range x {
			if r, ok := y[k]; !ok || q.Cmp(r) != 0 {
				return false
			}
		}
		return true
	}
	return eq(a.Requests, b.Requests) && eq(a.Limits, b.Limits)
}

// canon renders a value as compact JSON for comparison and display; an
// empty list and none are the same.
func canon(v any) string {
	b, _ := json.Marshal(v)
	s := string(b)
	if s == "null" || s == "[]" || s == "{}" {
		return ""
	}
	return s
}

// manager returns the field manager that owns the field at path (the
// managedFields' fieldsV1 tree), preferring one other than ferry: the
// one that changed it behind ferry's back.
func manager(mf []metav1.ManagedFieldsEntry, path []string) string {
	var owners []string
	for _, m := range mf {
		if m.FieldsV1 == nil {
			continue
		}
		var tree map[string]any
		if json.Unmarshal(m.FieldsV1.Raw, &tree) != nil {
			continue
		}
		if owns(tree, path) {
			owners = append(owners, m.Manager)
		}
	}
	for _, o := range owners {
		if o != FieldManager {
			return o
		}
	}
	return strings.Join(owners, ",")
}

func owns(tree map[string]any, path []string) bool {
	cur := tree
	for _, p := range path {
		next, ok := cur[p].(map[string]any)
		if !ok {
			return false
		}
		cur = next
	}
	return true
}

package gitops

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/render"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// workload is what ferry needs of a committed workload to find its pods.
type workload struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Spec struct {
		Selector *metav1.LabelSelector `json:"selector"`
	} `json:"spec"`
}

// live returns the pods of the workloads in files that run the
// service's image, with the digest each runs (its imageID) and its
// environment as the kubelet gives it.
func (t *Target) live(ctx context.Context, kc kubeReader, env *project.Environment, files Files) (*platform.Live, error) {
	l := &platform.Live{Env: env.Name}
	var m Meta
	if b, ok := files[MetaFile]; ok {
		_ = json.Unmarshal(b, &m)
	}
	l.Revision = m.Revision
	want := repoOf(t.repoName())
	objs := map[string]*objects{}
	digests := map[string]bool{}
	for _, n := range files.Names() {
		var w workload
		if !strings.HasSuffix(n, ".yaml") || yaml.Unmarshal(files[n], &w) != nil {
			continue
		}
		if render.PodSpecPath(w.Kind) == nil || w.Kind == "Job" || w.Kind == "CronJob" {
			continue
		}
		ns := w.Metadata.Namespace
		if ns == "" {
			ns = namespaceOf(env)
		}
		var pods []corev1.Pod
		if w.Kind == "Pod" {
			p, err := kc.CoreV1().Pods(ns).Get(ctx, w.Metadata.Name, metav1.GetOptions{})
			if err == nil {
				pods = append(pods, *p)
			}
		} else if w.Spec.Selector != nil {
			sel, err := metav1.LabelSelectorAsSelector(w.Spec.Selector)
			if err != nil {
				return nil, fmt.Errorf("%s/%s: %w", w.Kind, w.Metadata.Name, err)
			}
			pl, err := kc.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
			if err != nil {
				return nil, fmt.Errorf("list pods of %s/%s in %s: %w", w.Kind, w.Metadata.Name, ns, err)
			}
			pods = pl.Items
		}
		if objs[ns] == nil {
			objs[ns] = newObjects(ctx, kc, ns)
		}
		for i := range pods {
			p := &pods[i]
			if p.DeletionTimestamp != nil || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
				continue
			}
			for ci, c := range p.Spec.Containers {
				if repoOf(c.Image) != want {
					continue
				}
				in := instance(p, ci)
				in.Revision = l.Revision
				in.Env, in.Runtime = objs[ns].env(&p.Spec.Containers[ci])
				digests[in.Digest] = true
				l.Instances = append(l.Instances, in)
			}
		}
	}
	if len(digests) == 1 {
		for d := range digests {
			l.Digest = d
		}
	}
	return l, nil
}

func instance(p *corev1.Pod, ci int) platform.Instance {
	in := platform.Instance{Name: p.Name, Node: p.Spec.NodeName}
	name := p.Spec.Containers[ci].Name
	for _, cs := range p.Status.ContainerStatuses {
		if cs.Name != name {
			continue
		}
		in.Ready, in.Restarts = cs.Ready, int(cs.RestartCount)
		if i := strings.LastIndex(cs.ImageID, "@sha256:"); i >= 0 {
			in.Digest = cs.ImageID[i+1:]
		}
		if cs.State.Running != nil {
			in.Started = cs.State.Running.StartedAt.Time
		}
	}
	return in
}

// objects reads a namespace's ConfigMaps and Secrets once each.
type objects struct {
	ctx  context.Context
	kc   kubeReader
	ns   string
	seen map[string]map[string]string
}

func newObjects(ctx context.Context, kc kubeReader, ns string) *objects {
	return &objects{ctx: ctx, kc: kc, ns: ns, seen: map[string]map[string]string{}}
}

// get returns the data of ConfigMap or Secret name; empty when it cannot
// be read (verify then names the keys).
func (o *objects) get(kind, name string) map[string]string {
	key := kind + "/" + name
	if d, ok := o.seen[key]; ok {
		return d
	}
	d := map[string]string{}
	switch kind {
	case "ConfigMap":
		if cm, err := o.kc.CoreV1().ConfigMaps(o.ns).Get(o.ctx, name, metav1.GetOptions{}); err == nil {
			d = cm.Data
		}
	case "Secret":
		if s, err := o.kc.CoreV1().Secrets(o.ns).Get(o.ctx, name, metav1.GetOptions{}); err == nil {
			for k, v := range s.Data {
				d[k] = string(v)
			}
		}
	}
	o.seen[key] = d
	return d
}

// env returns the environment the kubelet gives container c: envFrom,
// then env. fieldRef and resourceFieldRef values are the platform's,
// marked runtime.
func (o *objects) env(c *corev1.Container) (map[string]string, map[string]bool) {
	out, runtime := map[string]string{}, map[string]bool{}
	for _, ef := range c.EnvFrom {
		var data map[string]string
		switch {
		case ef.ConfigMapRef != nil:
			data = o.get("ConfigMap", ef.ConfigMapRef.Name)
		case ef.SecretRef != nil:
			data = o.get("Secret", ef.SecretRef.Name)
		}
		for k, v := range data {
			out[ef.Prefix+k] = v
		}
	}
	for _, e := range c.Env {
		switch vf := e.ValueFrom; {
		case vf == nil:
			out[e.Name] = e.Value
		case vf.ConfigMapKeyRef != nil:
			out[e.Name] = o.get("ConfigMap", vf.ConfigMapKeyRef.Name)[vf.ConfigMapKeyRef.Key]
		case vf.SecretKeyRef != nil:
			out[e.Name] = o.get("Secret", vf.SecretKeyRef.Name)[vf.SecretKeyRef.Key]
		default:
			out[e.Name], runtime[e.Name] = "", true
		}
	}
	return out, runtime
}

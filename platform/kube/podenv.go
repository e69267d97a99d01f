package kube

import (
	"context"
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// source is a ConfigMap or Secret as a pod's env reads it: its data and
// when it last changed.
type source struct {
	kind, name string
	data       map[string]string
	changed    time.Time
	missing    bool
}

// sources reads every ConfigMap and Secret of the namespace once.
type sources struct {
	c    *conn
	ctx  context.Context
	seen map[string]*source
}

func (s *sources) get(kind, name string) *source {
	key := kind + "/" + name
	if src, ok := s.seen[key]; ok {
		return src
	}
	src := &source{kind: kind, name: name, data: map[string]string{}}
	var meta metav1.ObjectMeta
	var err error
	switch kind {
	case "ConfigMap":
		var cm *corev1.ConfigMap
		if cm, err = s.c.client.CoreV1().ConfigMaps(s.c.env.Namespace).Get(s.ctx, name, metav1.GetOptions{}); err == nil {
			meta, src.data = cm.ObjectMeta, cm.Data
		}
	case "Secret":
		var sec *corev1.Secret
		if sec, err = s.c.client.CoreV1().Secrets(s.c.env.Namespace).Get(s.ctx, name, metav1.GetOptions{}); err == nil {
			meta = sec.ObjectMeta
			for k, v := range sec.Data {
				src.data[k] = string(v)
			}
		}
	}
	src.missing = err != nil && apierrors.IsNotFound(err)
	src.changed = lastChange(meta)
	s.seen[key] = src
	return src
}

// lastChange is when an object's data last changed, as far as the API
// server records it: the newest managedFields entry, else its creation.
func lastChange(m metav1.ObjectMeta) time.Time {
	t := m.CreationTimestamp.Time
	for _, f := range m.ManagedFields {
		if f.Time != nil && f.Time.After(t) {
			t = f.Time.Time
		}
	}
	return t
}

// resolveEnv fills every pod's Env — the service container's environment
// as the kubelet handed it over: envFrom first, then env on top, each
// valueFrom resolved against the live ConfigMaps and Secrets — and
// Stale, the ConfigMaps and Secrets it reads that changed after the
// container started (their new values are not in the process).
func (c *conn) resolveEnv(ctx context.Context, l *Live) error {
	srcs := &sources{c: c, ctx: ctx, seen: map[string]*source{}}
	master, svcs := c.linkServices(ctx)
	for i := range l.Pods {
		p := &l.Pods[i]
		var ctr *corev1.Container
		for j := range p.pod.Spec.Containers {
			if p.pod.Spec.Containers[j].Name == p.Container {
				ctr = &p.pod.Spec.Containers[j]
			}
		}
		if ctr == nil {
			continue
		}
		// The kubelet starts from the service links; envFrom and env
		// override them, and the keys they keep are the platform's own.
		p.Env = serviceEnv(p.pod, master, svcs)
		p.Runtime = map[string]bool{}
		for k := range p.Env {
			p.Runtime[k] = true
		}
		read := map[string]*source{}
		for _, ef := range ctr.EnvFrom {
			var src *source
			switch {
			case ef.ConfigMapRef != nil:
				src = srcs.get("ConfigMap", ef.ConfigMapRef.Name)
			case ef.SecretRef != nil:
				src = srcs.get("Secret", ef.SecretRef.Name)
			default:
				continue
			}
			read[src.kind+"/"+src.name] = src
			for k, v := range src.data {
				p.Env[ef.Prefix+k] = v
				delete(p.Runtime, ef.Prefix+k)
			}
		}
		for _, e := range ctr.Env {
			delete(p.Runtime, e.Name)
			if e.ValueFrom == nil {
				p.Env[e.Name] = e.Value
				continue
			}
			var src *source
			var key string
			switch vf := e.ValueFrom; {
			case vf.ConfigMapKeyRef != nil:
				src, key = srcs.get("ConfigMap", vf.ConfigMapKeyRef.Name), vf.ConfigMapKeyRef.Key
			case vf.SecretKeyRef != nil:
				src, key = srcs.get("Secret", vf.SecretKeyRef.Name), vf.SecretKeyRef.Key
			case vf.FieldRef != nil:
				p.Env[e.Name] = fieldValue(p.pod, vf.FieldRef.FieldPath)
				p.Runtime[e.Name] = true
				continue
			default:
				continue
			}
			read[src.kind+"/"+src.name] = src
			if v, ok := src.data[key]; ok {
				p.Env[e.Name] = v
			}
		}
		p.Stale = nil
		for _, src := range read {
			if !src.missing && !p.Started.IsZero() && src.changed.After(p.Started) {
				p.Stale = append(p.Stale, fmt.Sprintf("%s/%s changed %s, after the container started %s",
					src.kind, src.name, src.changed.UTC().Format(time.RFC3339), p.Started.UTC().Format(time.RFC3339)))
			}
		}
		sort.Strings(p.Stale)
	}
	return nil
}

func fieldValue(p *corev1.Pod, path string) string {
	switch path {
	case "metadata.name":
		return p.Name
	case "metadata.namespace":
		return p.Namespace
	case "spec.nodeName":
		return p.Spec.NodeName
	case "spec.serviceAccountName":
		return p.Spec.ServiceAccountName
	case "status.podIP":
		return p.Status.PodIP
	case "status.hostIP":
		return p.Status.HostIP
	}
	return ""
}

package check

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// Removed API versions: the API server of any supported Kubernetes
// answers "no matches for kind" to an object of a version it no longer
// serves, so the whole release fails to install.

func init() {
	register(Rule{
		ID: "FERRY061", Name: "removed-api-version", Severity: Error,
		Summary: "A rendered object uses an API version Kubernetes has removed",
		Help: "extensions/v1beta1 Ingress and Deployment, apps/v1beta1 and v1beta2, " +
			"networking.k8s.io/v1beta1 Ingress, policy/v1beta1 PodDisruptionBudget, batch/v1beta1 " +
			"CronJob, autoscaling/v2beta1 and v2beta2 HorizontalPodAutoscaler and the other beta " +
			"versions Kubernetes stopped serving are refused by every cluster since the release " +
			"named: helm install fails with \"no matches for kind\". Use the stable version " +
			"(apps/v1, networking.k8s.io/v1, policy/v1, batch/v1, autoscaling/v2) and its schema.",
		Check: checkRemovedAPIVersion,
	})
	projectRules["FERRY061"] = true
}

// removedAPI is a group/version and kind Kubernetes stopped serving, the
// release that removed it and what replaces it.
type removedAPI struct{ removedIn, use string }

// removedAPIs are keyed "apiVersion kind", from the Kubernetes deprecated
// API migration guide.
var removedAPIs = map[string]removedAPI{}

func init() {
	add := func(gv, removedIn, use string, kinds ...string) {
		for _, k := range kinds {
			removedAPIs[gv+" "+k] = removedAPI{removedIn, use}
		}
	}
	workloads := []string{"Deployment", "DaemonSet", "ReplicaSet", "StatefulSet"}
	add("extensions/v1beta1", "1.16", "apps/v1", workloads...)
	add("apps/v1beta1", "1.16", "apps/v1", workloads...)
	add("apps/v1beta2", "1.16", "apps/v1", workloads...)
	add("extensions/v1beta1", "1.16", "networking.k8s.io/v1", "NetworkPolicy")
	add("extensions/v1beta1", "1.16", "none (use Pod Security admission)", "PodSecurityPolicy")
	add("extensions/v1beta1", "1.22", "networking.k8s.io/v1", "Ingress")
	add("networking.k8s.io/v1beta1", "1.22", "networking.k8s.io/v1", "Ingress", "IngressClass")
	add("rbac.authorization.k8s.io/v1beta1", "1.22", "rbac.authorization.k8s.io/v1", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")
	add("apiextensions.k8s.io/v1beta1", "1.22", "apiextensions.k8s.io/v1", "CustomResourceDefinition")
	add("admissionregistration.k8s.io/v1beta1", "1.22", "admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")
	add("scheduling.k8s.io/v1beta1", "1.22", "scheduling.k8s.io/v1", "PriorityClass")
	add("coordination.k8s.io/v1beta1", "1.22", "coordination.k8s.io/v1", "Lease")
	add("certificates.k8s.io/v1beta1", "1.22", "certificates.k8s.io/v1", "CertificateSigningRequest")
	add("storage.k8s.io/v1beta1", "1.22", "storage.k8s.io/v1", "CSIDriver", "CSINode", "StorageClass", "VolumeAttachment")
	add("batch/v1beta1", "1.25", "batch/v1", "CronJob")
	add("policy/v1beta1", "1.25", "policy/v1", "PodDisruptionBudget")
	add("policy/v1beta1", "1.25", "none (use Pod Security admission)", "PodSecurityPolicy")
	add("autoscaling/v2beta1", "1.25", "autoscaling/v2", "HorizontalPodAutoscaler")
	add("discovery.k8s.io/v1beta1", "1.25", "discovery.k8s.io/v1", "EndpointSlice")
	add("events.k8s.io/v1beta1", "1.25", "events.k8s.io/v1", "Event")
	add("node.k8s.io/v1beta1", "1.25", "node.k8s.io/v1", "RuntimeClass")
	add("autoscaling/v2beta2", "1.26", "autoscaling/v2", "HorizontalPodAutoscaler")
	add("storage.k8s.io/v1beta1", "1.27", "storage.k8s.io/v1", "CSIStorageCapacity")
}

func checkRemovedAPIVersion(in *Input) []Finding {
	// One finding per API and kind, naming every template: four CronJob
	// templates on batch/v1beta1 are one fix.
	var out []Finding
	var templates [][]string
	idx := map[string]int{}
	dir := in.dir()
	for _, e := range in.Envs {
		if e.Result == nil {
			continue
		}
		for _, o := range e.Result.Objects {
			gv, _ := o.Body["apiVersion"].(string)
			if _, ok := removedAPIs[gv+" "+o.Kind]; !ok {
				continue
			}
			id := gv + " " + o.Kind
			i, ok := idx[id]
			if !ok {
				i = len(out)
				idx[id] = i
				out = append(out, Finding{Key: o.Kind})
				templates = append(templates, nil)
			}
			f := &out[i]
			if !slices.Contains(f.Environments, e.Name) {
				f.Environments = append(f.Environments, e.Name)
			}
			if slices.Contains(templates[i], o.Template) {
				continue
			}
			templates[i] = append(templates[i], o.Template)
			line := literalLine(in.files(), dir, o.Template, "apiVersion", gv)
			l := Location{Environment: e.Name, Key: "apiVersion", Value: gv, Source: "template " + o.Template, File: o.Template, Line: line}
			if line > 0 {
				l.Source = fmt.Sprintf("template %s:%d", o.Template, line)
			}
			if len(f.Locations) == 0 {
				f.File, f.Line = o.Template, line
			}
			f.Locations = append(f.Locations, l)
		}
	}
	for i := range out {
		f := &out[i]
		gv := f.Locations[0].Value
		api := removedAPIs[gv+" "+f.Key]
		f.Message = fmt.Sprintf("the %s of %s is %s, which Kubernetes %s removed: every current cluster refuses it and the release fails to install; use %s.",
			f.Key, andList(templates[i]), gv, api.removedIn, api.use)
	}
	return out
}

// literalLine is the 1-based line of file (relative to dir) that reads
// `key: value` literally, 0 when none or several do: a line is never
// guessed.
func literalLine(files *tree, dir, file, key, value string) int {
	data, err := files.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return 0
	}
	found := 0
	for i, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || strings.TrimSpace(k) != key {
			continue
		}
		v, _, _ = strings.Cut(v, " #")
		if strings.Trim(strings.TrimSpace(v), `"'`) != value {
			continue
		}
		if found != 0 {
			return 0
		}
		found = i + 1
	}
	return found
}

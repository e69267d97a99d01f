package kube

// The objects of a release, as ferry's flow applies, waits for and
// deletes them: client-go's dynamic client with server-side apply, and
// kstatus (the readiness rules Helm's own status watcher uses) read by
// polling. Helm's pkg/kube does the same through kubectl's resource
// builder (cli-runtime, kubectl, kustomize) and, by handing the typed
// clientset out as an interface, keeps every API group's client in the
// binary; together about 14 MB that a deploy does not need.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/wait"
	yamlutil "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/csaupgrade"
	"k8s.io/client-go/util/retry"
)

// resourcePolicyAnno set to keepPolicy keeps an object when its release
// drops it or is uninstalled (helm.sh/resource-policy: keep).
const (
	resourcePolicyAnno = "helm.sh/resource-policy"
	keepPolicy         = "keep"
)

// csaManagers are the field managers a release applied client-side
// (Helm 3, or ferry before server-side apply) updated as; their fields
// move to ferry's apply manager when such a release is migrated.
func csaManagers() sets.Set[string] { return sets.New(FieldManager, "helm") }

// pollEvery is how often a wait reads the objects it waits for.
const pollEvery = 500 * time.Millisecond

// object is one document of a manifest, mapped to its API resource.
type object struct {
	u          *unstructured.Unstructured
	mapping    *meta.RESTMapping
	namespaced bool
}

func (o *object) kind() string      { return o.u.GetKind() }
func (o *object) name() string      { return o.u.GetName() }
func (o *object) namespace() string { return o.u.GetNamespace() }

// String names the object for messages: Deployment "api" in namespace "shop".
func (o *object) String() string {
	if o.namespaced {
		return fmt.Sprintf("%s %q in namespace %q", o.kind(), o.name(), o.namespace())
	}
	return fmt.Sprintf("%s %q", o.kind(), o.name())
}

// key identifies the object across revisions, as Helm does.
func (o *object) key() string {
	gvk := o.u.GroupVersionKind()
	return fmt.Sprintf("%s/%s/%s/%s", gvk.GroupVersion().String(), gvk.Kind, o.namespace(), o.name())
}

// objects is a manifest's objects in document order.
type objects []*object

func (c *conn) resource(o *object) dynamic.ResourceInterface {
	r := c.dyn.Resource(o.mapping.Resource)
	if o.namespaced {
		return r.Namespace(o.namespace())
	}
	return r
}

// build reads a manifest's documents into objects, mapping each kind
// with the cluster's discovery (a kind it does not serve is an error)
// and putting namespaced objects without a namespace in the
// environment's.
func (c *conn) build(manifest string) (objects, error) {
	var out objects
	dec := yamlutil.NewYAMLOrJSONDecoder(strings.NewReader(manifest), 4096)
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); err == io.EOF {
			return out, nil
		} else if err != nil {
			return nil, fmt.Errorf("read manifest: %w", err)
		}
		if len(doc) == 0 {
			continue
		}
		u := &unstructured.Unstructured{Object: doc}
		if strings.HasSuffix(u.GetKind(), "List") && u.IsList() {
			if err := u.EachListItem(func(item runtime.Object) error {
				o, err := c.object(item.(*unstructured.Unstructured))
				out = append(out, o)
				return err
			}); err != nil {
				return nil, err
			}
			continue
		}
		o, err := c.object(u)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
}

func (c *conn) object(u *unstructured.Unstructured) (*object, error) {
	gvk := u.GroupVersionKind()
	if gvk.Kind == "" || gvk.Version == "" {
		return nil, fmt.Errorf("object %q has no apiVersion or kind", u.GetName())
	}
	m, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, fmt.Errorf("resource mapping not found for name: %q namespace: %q: no matches for kind %q in version %q: ensure CRDs are installed first",
			u.GetName(), u.GetNamespace(), gvk.Kind, gvk.GroupVersion().String())
	}
	o := &object{u: u, mapping: m, namespaced: m.Scope.Name() == meta.RESTScopeNameNamespace}
	if o.namespaced && u.GetNamespace() == "" {
		u.SetNamespace(c.env.Namespace)
	}
	if !o.namespaced {
		u.SetNamespace("")
	}
	return o, nil
}

// get reads the object's live state; nil when it does not exist.
func (c *conn) get(ctx context.Context, o *object) (*unstructured.Unstructured, error) {
	live, err := c.resource(o).Get(ctx, o.name(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", o, err)
	}
	return live, nil
}

// apply applies the object server-side as ferry's field manager. force
// takes over fields other managers own; strict refuses unknown fields.
func (c *conn) apply(ctx context.Context, o *object, force, strict bool) error {
	data, err := o.u.MarshalJSON()
	if err != nil {
		return fmt.Errorf("encode %s: %w", o, err)
	}
	opts := metav1.PatchOptions{FieldManager: FieldManager, Force: &force}
	if strict {
		opts.FieldValidation = "Strict"
	}
	_, err = c.resource(o).Patch(ctx, o.name(), types.ApplyPatchType, data, opts)
	switch {
	case err == nil:
		return nil
	case apierrors.IsConflict(err):
		return fmt.Errorf("conflict occurred while applying %s: %w", o, err)
	}
	return fmt.Errorf("server-side apply of %s failed: %w", o, err)
}

// migrateFields moves the fields a client-side manager owns on the live
// object to ferry's apply manager, so that the first server-side apply
// of a release Helm 3 made owns (and can remove) them.
func (c *conn) migrateFields(ctx context.Context, o *object) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		live, err := c.get(ctx, o)
		if err != nil || live == nil {
			return err
		}
		patch, err := csaupgrade.UpgradeManagedFieldsPatch(live, csaManagers(), FieldManager)
		if err != nil || len(patch) == 0 {
			return err
		}
		_, err = c.resource(o).Patch(ctx, o.name(), types.JSONPatchType, patch, metav1.PatchOptions{})
		return err
	})
}

// update applies to, as Helm's kube client updates a release: objects in
// to are applied (created or changed); objects of from that to no longer
// has are deleted, unless their resource policy is keep. It returns the
// objects it created.
func (c *conn) update(ctx context.Context, from, to objects, force, migrate bool) (objects, error) {
	var created objects
	var errs []error
	for _, o := range to {
		live, err := c.get(ctx, o)
		if err != nil {
			return created, err
		}
		if live == nil {
			created = append(created, o)
		} else if migrate {
			if err := c.migrateFields(ctx, o); err != nil {
				return created, fmt.Errorf("move %s's client-side fields to server-side apply: %w", o, err)
			}
		}
		if err := c.apply(ctx, o, force, true); err != nil {
			if live == nil {
				return created, fmt.Errorf("failed to create resource: %w", err)
			}
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return created, errors.Join(errs...)
	}
	keep := map[string]bool{}
	for _, o := range to {
		keep[o.key()] = true
	}
	for _, o := range from {
		if keep[o.key()] {
			continue
		}
		live, err := c.get(ctx, o)
		if err != nil || live == nil || live.GetAnnotations()[resourcePolicyAnno] == keepPolicy {
			continue
		}
		if err := c.remove(ctx, o); err != nil {
			errs = append(errs, err)
		}
	}
	return created, errors.Join(errs...)
}

// remove deletes the object, its dependents in the background; one
// already gone is no error.
func (c *conn) remove(ctx context.Context, o *object) error {
	bg := metav1.DeletePropagationBackground
	err := c.resource(o).Delete(ctx, o.name(), metav1.DeleteOptions{PropagationPolicy: &bg})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete %s: %w", o, err)
	}
	return nil
}

// readiness says whether one live object is where a wait wants it; a
// non-nil error ends the wait (a hook that failed).
type readiness func(o *object, live *unstructured.Unstructured) (bool, string, error)

// current is kstatus's rule, the one Helm's status watcher applies: the
// object is Current (a Deployment's new pods ready and old ones gone, a
// Service, a PVC bound...). Jobs and Pods are not waited for: Helm waits
// for them only with --wait-for-jobs.
func current(o *object, live *unstructured.Unstructured) (bool, string, error) {
	if live == nil {
		return false, "not found", nil
	}
	switch o.kind() {
	case "Job", "Pod":
		return true, "", nil
	}
	res, err := status.Compute(live)
	if err != nil {
		return false, err.Error(), nil
	}
	return res.Status == status.CurrentStatus, fmt.Sprintf("%s: %s", res.Status, res.Message), nil
}

// completed is a hook's rule, as helm's: a Job has completed, a Pod has
// succeeded; any other kind is done once it exists. A failed Job or Pod
// fails the wait.
func completed(o *object, live *unstructured.Unstructured) (bool, string, error) {
	if live == nil {
		return false, "not found", nil
	}
	switch o.kind() {
	case "Job":
		conds, _, _ := unstructured.NestedSlice(live.Object, "status", "conditions")
		for _, c := range conds {
			cm, _ := c.(map[string]any)
			if cm["status"] != "True" {
				continue
			}
			switch cm["type"] {
			case "Complete":
				return true, "", nil
			case "Failed":
				return false, "", fmt.Errorf("%s failed: %v", o, cm["message"])
			}
		}
		return false, "not complete", nil
	case "Pod":
		switch phase, _, _ := unstructured.NestedString(live.Object, "status", "phase"); phase {
		case "Succeeded":
			return true, "", nil
		case "Failed":
			return false, "", fmt.Errorf("%s failed", o)
		default:
			return false, "phase " + phase, nil
		}
	}
	return true, "", nil
}

// waitFor polls the objects until each is ready by rule, or timeout; the
// error names those that are not.
func (c *conn) waitFor(ctx context.Context, objs objects, timeout time.Duration, rule readiness) error {
	if len(objs) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var pending []string
	err := wait.PollUntilContextCancel(ctx, pollEvery, true, func(ctx context.Context) (bool, error) {
		pending = pending[:0]
		for _, o := range objs {
			live, err := c.get(ctx, o)
			if err != nil {
				if ctx.Err() != nil {
					return false, nil
				}
				return false, err
			}
			ok, why, err := rule(o, live)
			if err != nil {
				return false, err
			}
			if !ok {
				pending = append(pending, fmt.Sprintf("%s not ready (%s)", o, why))
			}
		}
		return len(pending) == 0, nil
	})
	if err != nil && len(pending) > 0 && ctx.Err() != nil {
		return fmt.Errorf("%w: %s", err, strings.Join(pending, "; "))
	}
	return err
}

// waitGone polls until every object is deleted, or timeout.
func (c *conn) waitGone(ctx context.Context, objs objects, timeout time.Duration) error {
	return c.waitFor(ctx, objs, timeout, func(o *object, live *unstructured.Unstructured) (bool, string, error) {
		return live == nil, "still there", nil
	})
}

package kube

// ferry's release flow: what Helm's pkg/action Install, Upgrade, Rollback
// and Uninstall do, written over the Helm SDK packages below it — the
// chart engine, Helm's release records and storage (Secrets, so helm
// history/status/rollback read ferry's releases and ferry reads Helm's),
// its manifest and hook sorting — and client-go (objects.go). pkg/action
// itself is not imported: it brings Helm's plugin runtime (wazero,
// extism), OCI registry and provenance-signing libraries, none of which a
// deploy uses.

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	chartcommon "helm.sh/helm/v4/pkg/chart/common"
	chartutil "helm.sh/helm/v4/pkg/chart/common/util"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	chartv2util "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/engine"
	rcommon "helm.sh/helm/v4/pkg/release/common"
	rv1 "helm.sh/helm/v4/pkg/release/v1"
	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
)

// The ownership marks Helm puts on every object of a release; Helm
// refuses to adopt an object without them, and so does ferry.
const (
	managedByLabel = "app.kubernetes.io/managed-by"
	managedByHelm  = "Helm"
	releaseNameAnn = "meta.helm.sh/release-name"
	releaseNSAnn   = "meta.helm.sh/release-namespace"
)

// maxHistory is how many revisions an upgrade keeps (helm --history-max).
const maxHistory = 50

// change is one install, upgrade, rollback or uninstall of the
// environment's release.
type change struct {
	c     *conn
	ctx   context.Context
	force bool // take over fields other managers own
}

func (c *conn) change(ctx context.Context, force bool) *change {
	return &change{c: c, ctx: ctx, force: force}
}

// detach lets the clean-up of a failed change (the rollback, the
// uninstall) run to its end, bounded by the environment's timeout, even
// when the change failed because its context was cancelled: stopping
// half-way would leave the release neither old nor new.
func (x *change) detach() { x.ctx = context.WithoutCancel(x.ctx) }

// record stores r's new state; a failure is logged, not returned, as
// Helm does: the cluster change it records has already happened.
func (x *change) record(r *rv1.Release) {
	if err := x.c.helm.Releases.Update(r); err != nil {
		x.c.helm.log.Warn("record release", "release", r.Name, "revision", r.Version, "error", err)
	}
}

// wait waits for the objects to be ready (kstatus Current).
func (x *change) wait(objs objects) error {
	return x.c.waitFor(x.ctx, objs, x.c.env.Timeout, current)
}

// build turns a manifest into the cluster's objects.
func (x *change) build(manifest string) (objects, error) {
	return x.c.build(manifest)
}

// applyAll applies each object server-side, as Helm's kube client
// creates a release's objects.
func (x *change) applyAll(objs objects, force bool) error {
	for _, o := range objs {
		if err := x.c.apply(x.ctx, o, force, true); err != nil {
			return err
		}
	}
	return nil
}

// capabilities are what templates see as .Capabilities: the server's
// version and every group/version and group/version/kind it serves.
func (c *conn) capabilities() (*chartcommon.Capabilities, error) {
	dc := c.client.Discovery()
	v, err := dc.ServerVersion()
	if err != nil {
		return nil, fmt.Errorf("server version: %w", err)
	}
	groups, resources, err := dc.ServerGroupsAndResources()
	if err != nil && !discovery.IsGroupDiscoveryFailedError(err) {
		return nil, fmt.Errorf("API versions: %w", err)
	}
	set := map[string]bool{}
	for _, g := range groups {
		for _, gv := range g.Versions {
			set[gv.GroupVersion] = true
		}
	}
	for _, r := range resources {
		for _, a := range r.APIResources {
			set[path.Join(r.GroupVersion, a.Kind)] = true
		}
	}
	versions := make([]string, 0, len(set))
	for k := range set {
		versions = append(versions, k)
	}
	sort.Strings(versions)
	return &chartcommon.Capabilities{
		APIVersions: chartcommon.VersionSet(versions),
		KubeVersion: chartcommon.KubeVersion{Version: v.GitVersion, Major: v.Major, Minor: v.Minor},
		HelmVersion: chartcommon.DefaultCapabilities.HelmVersion,
	}, nil
}

// rendered is a chart rendered for one revision.
type rendered struct {
	manifest string
	hooks    []*rv1.Hook
	notes    string
}

// render renders the chart as helm install/upgrade does (lookup against
// the cluster, the server's capabilities, values checked against the
// chart's schema), pins the service's image in every document, hooks
// included, and splits hooks from the manifest in Helm's install order.
func (x *change) render(ch *chart.Chart, vals map[string]any, revision int, upgrade bool, pin *pinner) (*rendered, error) {
	env := x.c.env
	caps, err := x.c.capabilities()
	if err != nil {
		return nil, err
	}
	if kv := ch.Metadata.KubeVersion; kv != "" && !chartv2util.IsCompatibleRange(kv, caps.KubeVersion.String()) {
		return nil, fmt.Errorf("%w: chart requires kubeVersion: %s which is incompatible with Kubernetes %s", ErrBadInput, kv, caps.KubeVersion.Version)
	}
	if err := chartv2util.ProcessDependencies(ch, vals); err != nil {
		return nil, fmt.Errorf("chart dependencies: %w", err)
	}
	opts := chartcommon.ReleaseOptions{Name: env.Release, Namespace: env.Namespace, Revision: revision, IsInstall: !upgrade, IsUpgrade: upgrade}
	top, err := chartutil.ToRenderValuesWithSchemaValidation(ch, vals, opts, caps, false)
	if err != nil {
		return nil, err
	}
	files, err := engine.New(x.c.rest).RenderWithContext(x.ctx, ch, top)
	if err != nil {
		return nil, err
	}
	var notes string
	for name, text := range files {
		if strings.HasSuffix(name, "NOTES.txt") {
			if name == path.Join(ch.Name(), "templates", "NOTES.txt") {
				notes = text
			}
			delete(files, name)
		}
	}
	if err := pin.pinFiles(files); err != nil {
		return nil, err
	}
	hooks, manifests, err := releaseutil.SortManifests(files, nil, releaseutil.InstallOrder)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	for _, m := range manifests {
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", m.Name, m.Content)
	}
	return &rendered{manifest: b.String(), hooks: hooks, notes: notes}, nil
}

// own marks every object as the release's, as Helm does.
func own(objs objects, name, namespace string) {
	for _, o := range objs {
		l := o.u.GetLabels()
		if l == nil {
			l = map[string]string{}
		}
		l[managedByLabel] = managedByHelm
		o.u.SetLabels(l)
		a := o.u.GetAnnotations()
		if a == nil {
			a = map[string]string{}
		}
		a[releaseNameAnn], a[releaseNSAnn] = name, namespace
		o.u.SetAnnotations(a)
	}
}

// ownership says why an object found in the cluster is not the
// release's to change; nil when it is.
func ownership(o *object, existing metav1.Object, name, namespace string) error {
	var why []string
	if v := existing.GetLabels()[managedByLabel]; v != managedByHelm {
		why = append(why, fmt.Sprintf("label %s is %q, not %q", managedByLabel, v, managedByHelm))
	}
	for k, want := range map[string]string{releaseNameAnn: name, releaseNSAnn: namespace} {
		if v := existing.GetAnnotations()[k]; v != want {
			why = append(why, fmt.Sprintf("annotation %s is %q, not %q", k, v, want))
		}
	}
	if len(why) == 0 {
		return nil
	}
	sort.Strings(why)
	return fmt.Errorf("%s exists and cannot be imported into release %s: %s", o, name, strings.Join(why, "; "))
}

// existing returns the objects of objs already in the cluster, refusing
// any the release does not own: Helm adopts only its own.
func (x *change) existing(objs objects) (objects, error) {
	var found objects
	for _, o := range objs {
		if o.name() == "" {
			continue // generateName: always new
		}
		live, err := x.c.get(x.ctx, o)
		if err != nil {
			return nil, err
		}
		if live == nil {
			continue
		}
		if err := ownership(o, live, x.c.env.Release, x.c.env.Namespace); err != nil {
			return nil, err
		}
		found = append(found, o)
	}
	return found, nil
}

// installCRDs creates the chart's crds/ before anything else, as helm
// install does (CRDs already there are left alone), and waits for them
// to be established.
func (x *change) installCRDs(crds []chart.CRD) error {
	var all objects
	for _, crd := range crds {
		if crd.File == nil || len(crd.File.Data) == 0 {
			return fmt.Errorf("CRD %s: the file is empty", crd.Name)
		}
		objs, err := x.build(string(crd.File.Data))
		if err != nil {
			return fmt.Errorf("CRD %s: %w", crd.Name, err)
		}
		for _, o := range objs {
			live, err := x.c.get(x.ctx, o)
			if err != nil {
				return fmt.Errorf("CRD %s: %w", crd.Name, err)
			}
			if live != nil {
				continue // helm install leaves an installed CRD alone
			}
			if err := x.c.apply(x.ctx, o, x.force, false); err != nil {
				return fmt.Errorf("CRD %s: %w", crd.Name, err)
			}
			all = append(all, o)
		}
	}
	if len(all) == 0 {
		return nil
	}
	if err := x.c.waitFor(x.ctx, all, time.Minute, current); err != nil {
		return fmt.Errorf("CRDs: %w", err)
	}
	// The new kinds must be known to the mapper that builds the manifest.
	x.c.mapper.Reset()
	return nil
}

// hooks runs the revision's hooks for event in Helm's order (weight,
// then name): each deleted first when its policy says before-hook-creation
// (the default), created, waited for (a Job to complete, a Pod to
// succeed), and deleted once all succeeded when its policy says
// hook-succeeded; a failed hook is deleted when its policy says
// hook-failed, and fails the change.
func (x *change) hooks(rel *rv1.Release, event rv1.HookEvent) error {
	var run []*rv1.Hook
	for _, h := range rel.Hooks {
		if slices.Contains(h.Events, event) {
			run = append(run, h)
		}
	}
	sort.SliceStable(run, func(i, j int) bool {
		if run[i].Weight == run[j].Weight {
			return run[i].Name < run[j].Name
		}
		return run[i].Weight < run[j].Weight
	})
	for i, h := range run {
		if len(h.DeletePolicies) == 0 {
			h.DeletePolicies = []rv1.HookDeletePolicy{rv1.HookBeforeHookCreation}
		}
		if err := x.deleteHook(h, rv1.HookBeforeHookCreation); err != nil {
			return err
		}
		objs, err := x.build(h.Manifest)
		if err != nil {
			return fmt.Errorf("%s hook %s: %w", event, h.Path, err)
		}
		h.LastRun = rv1.HookExecution{StartedAt: time.Now(), Phase: rv1.HookPhaseRunning}
		x.record(rel)
		if err := x.applyAll(objs, false); err != nil {
			h.LastRun.CompletedAt, h.LastRun.Phase = time.Now(), rv1.HookPhaseFailed
			return fmt.Errorf("%s hook %s: %w", event, h.Path, err)
		}
		err = x.c.waitFor(x.ctx, objs, x.c.env.Timeout, completed)
		h.LastRun.CompletedAt = time.Now()
		if err != nil {
			h.LastRun.Phase = rv1.HookPhaseFailed
			if derr := x.deleteHook(h, rv1.HookFailed); derr != nil {
				x.c.helm.log.Warn("delete failed hook", "hook", h.Path, "error", derr)
			}
			for _, done := range run[:i] {
				if derr := x.deleteHook(done, rv1.HookSucceeded); derr != nil {
					x.c.helm.log.Warn("delete hook", "hook", done.Path, "error", derr)
				}
			}
			return fmt.Errorf("%s hook %s: %w", event, h.Path, err)
		}
		h.LastRun.Phase = rv1.HookPhaseSucceeded
	}
	for _, h := range slices.Backward(run) {
		if err := x.deleteHook(h, rv1.HookSucceeded); err != nil {
			return err
		}
	}
	return nil
}

// deleteHook deletes the hook's objects and waits for them to go when
// its delete policies include policy. CRDs are never deleted.
func (x *change) deleteHook(h *rv1.Hook, policy rv1.HookDeletePolicy) error {
	if h.Kind == "CustomResourceDefinition" || !slices.Contains(h.DeletePolicies, policy) {
		return nil
	}
	objs, err := x.build(h.Manifest)
	if err != nil {
		return fmt.Errorf("hook %s: %w", h.Path, err)
	}
	for _, o := range objs {
		if err := x.c.remove(x.ctx, o); err != nil {
			return fmt.Errorf("hook %s: %w", h.Path, err)
		}
	}
	return x.c.waitGone(x.ctx, objs, x.c.env.Timeout)
}

// install makes a first revision (or, after an uninstall or only failed
// revisions, the next one: helm install --replace), and on failure
// removes what it made, history included, as helm install
// --rollback-on-failure does.
func (x *change) install(ch *chart.Chart, vals map[string]any, labels map[string]string, desc string, pin *pinner, rels []*rv1.Release) (*rv1.Release, error) {
	env := x.c.env
	r, err := x.render(ch, vals, 1, false, pin)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	rel := &rv1.Release{
		Name: env.Release, Namespace: env.Namespace, Chart: ch, Config: vals,
		Info: &rv1.Info{FirstDeployed: now, LastDeployed: now, Status: rcommon.StatusPendingInstall,
			Description: "Initial install underway", Notes: r.notes},
		Version: 1, Labels: labels, Manifest: r.manifest, Hooks: r.hooks,
		ApplyMethod: string(rv1.ApplyMethodServerSideApply),
	}
	if crds := ch.CRDObjects(); len(crds) > 0 {
		if err := x.installCRDs(crds); err != nil {
			return nil, err
		}
	}
	res, err := x.build(rel.Manifest)
	if err != nil {
		return nil, fmt.Errorf("build the manifest's objects: %w", err)
	}
	own(res, env.Release, env.Namespace)
	adopt, err := x.existing(res)
	if err != nil {
		return nil, fmt.Errorf("cannot install: %w", err)
	}
	if len(rels) > 0 {
		last := rels[len(rels)-1]
		rel.Version = last.Version + 1
		if last.Info.Status != rcommon.StatusFailed {
			last.SetStatus(rcommon.StatusSuperseded, "superseded by new release")
			x.record(last)
		}
	}
	if err := x.c.helm.Releases.Create(rel); err != nil {
		return nil, err
	}
	if err := x.installObjects(rel, res, adopt); err != nil {
		rel.SetStatus(rcommon.StatusFailed, fmt.Sprintf("Release %q failed: %s", env.Release, err))
		x.record(rel)
		x.detach()
		if uerr := x.uninstall(false, ""); uerr != nil {
			return rel, fmt.Errorf("an error occurred while uninstalling the release. original install error: %w: %w", err, uerr)
		}
		return rel, fmt.Errorf("release %s failed, and has been uninstalled due to rollback-on-failure being set: %w", env.Release, err)
	}
	rel.SetStatus(rcommon.StatusDeployed, desc)
	x.record(rel)
	return rel, nil
}

func (x *change) installObjects(rel *rv1.Release, res, adopt objects) error {
	if err := x.hooks(rel, rv1.HookPreInstall); err != nil {
		return fmt.Errorf("failed pre-install: %w", err)
	}
	var err error
	if len(adopt) == 0 {
		err = x.applyAll(res, false)
	} else {
		_, err = x.c.update(x.ctx, adopt, res, x.force, true)
	}
	if err != nil {
		return err
	}
	if err := x.wait(res); err != nil {
		return err
	}
	if err := x.hooks(rel, rv1.HookPostInstall); err != nil {
		return fmt.Errorf("failed post-install: %w", err)
	}
	return nil
}

// upgrade makes the next revision from the deployed one: a three-way
// update of the objects from its manifest to the new one (objects the new
// revision drops are deleted), waited for; the deployed revision is then
// superseded. On failure the revision is marked failed and the release
// rolled back to its last good revision, as helm upgrade
// --rollback-on-failure does.
func (x *change) upgrade(ch *chart.Chart, vals map[string]any, labels map[string]string, desc string, pin *pinner, rels []*rv1.Release) (*rv1.Release, error) {
	env := x.c.env
	last, current := rels[len(rels)-1], deployed(rels)
	r, err := x.render(ch, vals, last.Version+1, true, pin)
	if err != nil {
		return nil, err
	}
	rel := &rv1.Release{
		Name: env.Release, Namespace: env.Namespace, Chart: ch, Config: vals,
		Info: &rv1.Info{FirstDeployed: current.Info.FirstDeployed, LastDeployed: time.Now(),
			Status: rcommon.StatusPendingUpgrade, Description: "Preparing upgrade", Notes: r.notes},
		Version: last.Version + 1, Labels: mergeLabels(last.Labels, labels), Manifest: r.manifest, Hooks: r.hooks,
		ApplyMethod: string(rv1.ApplyMethodServerSideApply),
	}
	from, err := x.build(current.Manifest)
	if err != nil {
		return nil, fmt.Errorf("build revision %d's objects: %w", current.Version, err)
	}
	to, err := x.build(rel.Manifest)
	if err != nil {
		return nil, fmt.Errorf("build the manifest's objects: %w", err)
	}
	own(to, env.Release, env.Namespace)
	had := map[string]bool{}
	for _, o := range from {
		had[o.key()] = true
	}
	var added objects
	for _, o := range to {
		if !had[o.key()] {
			added = append(added, o)
		}
	}
	adopt, err := x.existing(added)
	if err != nil {
		return nil, fmt.Errorf("cannot upgrade: %w", err)
	}
	from = append(from, adopt...)
	x.c.helm.Releases.MaxHistory = maxHistory
	if err := x.c.helm.Releases.Create(rel); err != nil {
		return nil, err
	}
	csa := current.ApplyMethod == "" || current.ApplyMethod == string(rv1.ApplyMethodClientSideApply)
	if err := x.upgradeObjects(rel, from, to, csa); err != nil {
		x.record(current)
		return rel, x.failUpgrade(rel, err)
	}
	current.Info.Status = rcommon.StatusSuperseded
	x.record(current)
	rel.SetStatus(rcommon.StatusDeployed, desc)
	x.record(rel)
	return rel, nil
}

func (x *change) upgradeObjects(rel *rv1.Release, from, to objects, csa bool) error {
	if err := x.hooks(rel, rv1.HookPreUpgrade); err != nil {
		return fmt.Errorf("pre-upgrade hooks failed: %w", err)
	}
	if _, err := x.c.update(x.ctx, from, to, x.force, csa); err != nil {
		return err
	}
	if err := x.wait(to); err != nil {
		return err
	}
	if err := x.hooks(rel, rv1.HookPostUpgrade); err != nil {
		return fmt.Errorf("post-upgrade hooks failed: %w", err)
	}
	return nil
}

// failUpgrade marks rel failed and rolls back to the newest revision
// that was deployed or superseded.
func (x *change) failUpgrade(rel *rv1.Release, cause error) error {
	rel.SetStatus(rcommon.StatusFailed, fmt.Sprintf("Upgrade %q failed: %s", rel.Name, cause))
	x.record(rel)
	x.detach()
	rels, err := x.c.releases()
	if err != nil {
		return fmt.Errorf("an error occurred while finding last successful release. original upgrade error: %w: %w", cause, err)
	}
	good := 0
	for _, r := range rels {
		if s := r.Info.Status; s == rcommon.StatusSuperseded || s == rcommon.StatusDeployed {
			good = r.Version
		}
	}
	if good == 0 {
		return fmt.Errorf("unable to find a previously successful release when attempting to rollback. original upgrade error: %w", cause)
	}
	if err := x.rollback(rels, good); err != nil {
		return fmt.Errorf("an error occurred while rolling back the release. original upgrade error: %w: %w", cause, err)
	}
	return fmt.Errorf("release %s failed, and has been rolled back due to rollback-on-failure being set: %w", rel.Name, cause)
}

// rollback makes a new revision with revision to's manifest, as helm
// rollback does: rels are the release's revisions, oldest first.
func (x *change) rollback(rels []*rv1.Release, to int) error {
	last := rels[len(rels)-1]
	var prev *rv1.Release
	for _, r := range rels {
		if r.Version == to {
			prev = r
		}
	}
	if prev == nil {
		return fmt.Errorf("release %s has no revision %d", last.Name, to)
	}
	rel := &rv1.Release{
		Name: last.Name, Namespace: last.Namespace, Chart: prev.Chart, Config: prev.Config,
		Info: &rv1.Info{FirstDeployed: last.Info.FirstDeployed, LastDeployed: time.Now(),
			Status: rcommon.StatusPendingRollback, Notes: prev.Info.Notes, RollbackRevision: to,
			Description: fmt.Sprintf("Rollback to %d", to)},
		Version: last.Version + 1, Labels: prev.Labels, Manifest: prev.Manifest, Hooks: prev.Hooks,
		ApplyMethod: string(rv1.ApplyMethodServerSideApply),
	}
	if err := x.c.helm.Releases.Create(rel); err != nil {
		return err
	}
	from, err := x.build(last.Manifest)
	if err != nil {
		return fmt.Errorf("build revision %d's objects: %w", last.Version, err)
	}
	target, err := x.build(rel.Manifest)
	if err != nil {
		return fmt.Errorf("build revision %d's objects: %w", to, err)
	}
	if err := x.hooks(rel, rv1.HookPreRollback); err != nil {
		return err
	}
	own(target, rel.Name, rel.Namespace)
	if _, err := x.c.update(x.ctx, from, target, x.force, true); err != nil {
		last.Info.Status = rcommon.StatusSuperseded
		rel.SetStatus(rcommon.StatusFailed, fmt.Sprintf("Rollback %q failed: %s", rel.Name, err))
		x.record(last)
		x.record(rel)
		return err
	}
	if err := x.wait(target); err != nil {
		rel.SetStatus(rcommon.StatusFailed, fmt.Sprintf("Release %q failed: %s", rel.Name, err))
		x.record(last)
		x.record(rel)
		return fmt.Errorf("release %s failed: %w", rel.Name, err)
	}
	if err := x.hooks(rel, rv1.HookPostRollback); err != nil {
		return err
	}
	x.supersedeDeployed()
	rel.Info.Status = rcommon.StatusDeployed
	x.record(rel)
	return nil
}

// supersedeDeployed marks every deployed revision superseded.
func (x *change) supersedeDeployed() {
	rels, err := x.c.releases()
	if err != nil {
		x.c.helm.log.Warn("read release history", "error", err)
		return
	}
	for _, r := range rels {
		if r.Info.Status == rcommon.StatusDeployed {
			r.Info.Status = rcommon.StatusSuperseded
			x.record(r)
		}
	}
}

// uninstall deletes the release's objects (but those whose
// helm.sh/resource-policy is keep, and those another release owns) in
// Helm's uninstall order, runs its delete hooks and waits for the objects
// to go. keepHistory marks the last revision uninstalled; without it
// every revision's record is deleted. Nothing to uninstall is no error.
func (x *change) uninstall(keepHistory bool, desc string) error {
	env := x.c.env
	rels, err := x.c.releases()
	if err != nil || len(rels) == 0 {
		return err
	}
	rel := rels[len(rels)-1]
	if rel.Info.Status == rcommon.StatusUninstalled {
		if !keepHistory {
			return x.purge(rels)
		}
		return fmt.Errorf("the release named %q is already deleted", env.Release)
	}
	rel.Info.Status, rel.Info.Deleted = rcommon.StatusUninstalling, time.Now()
	rel.Info.Description = "Deletion in progress (or silently failed)"
	if err := x.hooks(rel, rv1.HookPreDelete); err != nil {
		return err
	}
	x.record(rel)
	_, files, err := releaseutil.SortManifests(releaseutil.SplitManifests(rel.Manifest), nil, releaseutil.UninstallOrder)
	if err != nil {
		return fmt.Errorf("corrupted release record; delete its objects by hand: %w", err)
	}
	var b strings.Builder
	for _, f := range files {
		if f.Head.Metadata != nil && strings.ToLower(strings.TrimSpace(f.Head.Metadata.Annotations[resourcePolicyAnno])) == keepPolicy {
			continue
		}
		b.WriteString("\n---\n" + f.Content)
	}
	res, err := x.build(b.String())
	if err != nil {
		return fmt.Errorf("build the objects to delete: %w", err)
	}
	var mine objects
	for _, o := range res {
		live, err := x.c.get(x.ctx, o)
		if err != nil {
			x.c.helm.log.Warn("not deleting: ownership unknown", "object", o.String(), "error", err)
			continue
		}
		if live == nil {
			continue
		}
		if ownership(o, live, rel.Name, rel.Namespace) != nil {
			x.c.helm.log.Warn("not deleting: another owner", "object", o.String())
			continue
		}
		mine = append(mine, o)
	}
	var errs []error
	for _, o := range mine {
		if err := x.c.remove(x.ctx, o); err != nil {
			return fmt.Errorf("delete release %s: %w", env.Release, err)
		}
	}
	if err := x.c.waitGone(x.ctx, mine, env.Timeout); err != nil {
		errs = append(errs, err)
	}
	if err := x.hooks(rel, rv1.HookPostDelete); err != nil {
		errs = append(errs, err)
	}
	if desc == "" {
		desc = "Uninstallation complete"
	}
	rel.SetStatus(rcommon.StatusUninstalled, desc)
	if !keepHistory {
		if err := x.purge(rels); err != nil {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	}
	x.record(rel)
	x.supersedeDeployed()
	return errors.Join(errs...)
}

// purge deletes every revision's record.
func (x *change) purge(rels []*rv1.Release) error {
	var errs []error
	for _, r := range rels {
		if err := x.c.helm.Releases.Delete(r.Name, r.Version); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// mergeLabels is Helm's: the previous revision's labels, overridden by
// the new ones; a "null" value removes a label.
func mergeLabels(prev, next map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range prev {
		out[k] = v
	}
	for k, v := range next {
		out[k] = v
	}
	for k, v := range out {
		if v == "null" {
			delete(out, k)
		}
	}
	return out
}

package kube

import (
	"context"
	"errors"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/action"
	helmkube "helm.sh/helm/v4/pkg/kube"

	"github.com/ferrydev/ferry/internal/testcluster"
)

// TestClientSideReleaseMigratedOnlyWhenAsked: a release last applied
// client-side, as Helm 3 does, is reported and left alone; with
// MigrateClientSide (--migrate-ssa) ferry moves it to server-side apply
// under its own field manager, and the next deploy needs no flag.
func TestClientSideReleaseMigratedOnlyWhenAsked(t *testing.T) {
	c := testcluster.Get(t)
	ctx := context.Background()
	env := exampleEnv(t, c, "staging")

	// Install the chart as Helm 3 would: client-side apply.
	ch, vals, err := loadChart(env)
	if err != nil {
		t.Fatal(err)
	}
	in := action.NewInstall(helmAction(t, env))
	in.ReleaseName, in.Namespace = env.Release, env.Namespace
	in.ServerSideApply = false
	in.WaitStrategy, in.Timeout = helmkube.StatusWatcherStrategy, env.Timeout
	if _, err := in.RunWithContext(ctx, ch, vals); err != nil {
		t.Fatalf("client-side install: %v", err)
	}

	k := &Kube{}
	_, err = k.Deploy(ctx, env, digestA, Meta{Op: "deploy"}, DeployOptions{})
	if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "applied client-side") || !strings.Contains(err.Error(), "--migrate-ssa") {
		t.Fatalf("deploy over a client-side release = %v, want bad input naming --migrate-ssa", err)
	}

	res, err := k.Deploy(ctx, env, digestA, Meta{Op: "deploy"}, DeployOptions{MigrateClientSide: true})
	if err != nil {
		t.Fatalf("deploy with MigrateClientSide: %v", err)
	}
	if res.Revision.Status != "deployed" || res.Revision.Digest != digestA || res.Revision.ApplyMethod != "ssa" {
		t.Errorf("migrated revision = %+v, want deployed, %s, ssa", res.Revision, digestA)
	}
	if _, err := k.Deploy(ctx, env, digestA, Meta{Op: "deploy"}, DeployOptions{}); err != nil {
		t.Errorf("deploy after the migration: %v", err)
	}
}

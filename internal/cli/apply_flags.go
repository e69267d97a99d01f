package cli

import (
	"github.com/ferrydev/ferry/promote"
	"github.com/spf13/cobra"
)

// applyOptions are the deploy-side flags for targets that apply
// server-side (Kubernetes): deploy and promote take them.
type applyOptions struct {
	ForceConflicts bool
	MigrateSSA     bool
}

func (o *applyOptions) flags(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&o.ForceConflicts, "force-conflicts", false, "kube: take over fields another field manager owns (kubectl edit); without it such a field fails the deploy, naming the manager")
	cmd.Flags().BoolVar(&o.MigrateSSA, "migrate-ssa", false, "kube: move a release last applied client-side (Helm 3) to server-side apply as field manager ferry")
}

func (o *applyOptions) set(c *promote.Config) {
	c.ForceConflicts, c.MigrateApply = o.ForceConflicts, o.MigrateSSA
}

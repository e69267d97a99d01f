package project

import "go.yaml.in/yaml/v3"

// TargetBlock is a block of an environment's ferry.yaml section that only
// its target reads (`gitops:`). Project keeps it as YAML and does not
// interpret it: the target decodes and validates it, naming ferry.yaml's
// lines (issue 20: targets own their settings).
type TargetBlock struct {
	// Node is the block as written; nil when the section has none.
	Node *yaml.Node
}

// UnmarshalYAML implements yaml.Unmarshaler: it keeps the node.
func (b *TargetBlock) UnmarshalYAML(n *yaml.Node) error {
	b.Node = n
	return nil
}

// GitOps returns environment env's `gitops:` block as written in
// ferry.yaml, nil when it has none.
func (p *Project) GitOps(env string) *yaml.Node {
	if p == nil || p.File == nil {
		return nil
	}
	return p.File.Environments[env].GitOps.Node
}

// Package project describes a service repository to ferry: its chart,
// values files, configs/ directory, environments and promotion path, read
// from ferry.yaml where there is one and discovered from the tree where
// there is not.
package project

package cli

// The targets this ferry runs environments on, by ferry.yaml's `target:`
// name: each registers itself with package platform. One line per target.
import (
	_ "github.com/ferrydev/ferry/platform/gitops"
	_ "github.com/ferrydev/ferry/platform/kube"
	_ "github.com/ferrydev/ferry/platform/local"
)

// Package demotest runs the README's demos as a user would, so that they
// cannot rot: `make demo-kube` on the throwaway control plane, in the
// same checkout as `make demo`.
package demotest

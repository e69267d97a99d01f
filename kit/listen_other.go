//go:build !linux

package kit

import "net"

// shareableListenConfig is Go's default off Linux: ferry's overlapping
// redeploys rely on Linux's SO_REUSEPORT groups and their BPF steering,
// and elsewhere a redeploy stops the old revision first.
func shareableListenConfig() net.ListenConfig { return net.ListenConfig{} }

// steerToNewest does nothing off Linux.
func steerToNewest(net.Listener) error { return nil }

//go:build !unix

package kit

import "time"

// processCPU is not measured off Unix; benchmarks then report 0 cpu-ns/op.
func processCPU() time.Duration { return 0 }

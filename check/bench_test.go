package check

import (
	"sync"
	"testing"
)

// BenchmarkProject checks a 3-environment project end to end: load,
// render every environment, run every rule. bench/check/run.sh times the
// built binary, process start included.
func BenchmarkProject(b *testing.B) {
	for b.Loop() {
		if _, err := Project(b.Context(), brokenDir); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRun times the rules alone over already rendered environments.
func BenchmarkRun(b *testing.B) {
	in, err := loadDir(b, brokenDir)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		in.srcOnce = sync.Once{} // re-read the Go source each time
		Run(in)
	}
}

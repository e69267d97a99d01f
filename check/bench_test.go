package check

import (
	"os"
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
		in.unknownOnce, in.unknown = sync.Once{}, nil
		Run(in)
	}
}

// BenchmarkFleet checks bench/charts' generated repository (3
// environments, 11 workloads) when FERRY_BENCH_FLEET names it.
func BenchmarkFleet(b *testing.B) {
	dir := os.Getenv("FERRY_BENCH_FLEET")
	if dir == "" {
		b.Skip("FERRY_BENCH_FLEET is not set: go run ./bench/charts/gen -o DIR")
	}
	for b.Loop() {
		if _, err := Project(b.Context(), dir); err != nil {
			b.Fatal(err)
		}
	}
}

package local

import (
	"testing"
	"time"

	"github.com/ferrydev/ferry/platform"
)

// BenchmarkLiveExecutable measures how ferry identifies the executable a
// live revision runs (status, verify and every promotion read it): from
// the file identity recorded when the revision started, against hashing
// the executable as a fresh ferry without that record must.
func BenchmarkLiveExecutable(b *testing.B) {
	l, img := setup(b)
	l.Settle = 10 * time.Millisecond
	ro, err := l.Deploy(b.Context(), spec(img, 1, freePort(b)))
	if err != nil {
		b.Fatal(err)
	}
	pid := platform.DetailPIDOf(ro.Instances[0].Details)
	recs, err := l.running("staging")
	if err != nil || len(recs) != 1 {
		b.Fatal(recs, err)
	}
	b.Run("recorded identity", func(b *testing.B) {
		for b.Loop() {
			if d, err := l.exeDigest(pid, recs[0]); err != nil || d != img.BinaryDigest {
				b.Fatal(d, err)
			}
		}
	})
	b.Run("hash", func(b *testing.B) {
		for b.Loop() {
			fresh := New(l.ProjectDir, l.Images)
			if d, err := fresh.exeDigest(pid, record{}); err != nil || d != img.BinaryDigest {
				b.Fatal(d, err)
			}
		}
	})
}

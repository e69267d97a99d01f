package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"
)

// BenchmarkTrackedState is what the tracked-.ferry check adds to every
// command that uses .ferry, by the size of the repository's index.
func BenchmarkTrackedState(b *testing.B) {
	for _, files := range []int{1000, 50000} {
		b.Run(fmt.Sprintf("%d files", files), func(b *testing.B) {
			dir := b.TempDir()
			repo, err := git.PlainInit(dir, false)
			if err != nil {
				b.Fatal(err)
			}
			idx := &index.Index{Version: 2}
			for i := range files {
				idx.Entries = append(idx.Entries, &index.Entry{Name: fmt.Sprintf("pkg%03d/file%05d.go", i/250, i), Mode: filemode.Regular, Hash: plumbing.ZeroHash})
			}
			if err := repo.Storer.SetIndex(idx); err != nil {
				b.Fatal(err)
			}
			os.Mkdir(filepath.Join(dir, ".ferry"), 0o700)
			for b.Loop() {
				if f, err := trackedState(dir); err != nil || f != "" {
					b.Fatal(f, err)
				}
			}
		})
	}
}

package artifact

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestELFBuildID reads the running test binary's Go build ID note as
// `go tool buildid` does, and refuses what is not one: a script, an ELF
// header with no program headers, a truncated file.
func TestELFBuildID(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	want, err := exec.Command("go", "tool", "buildid", self).Output()
	if err != nil {
		t.Fatalf("go tool buildid: %v", err)
	}
	f, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if id, isELF, err := elfBuildID(f); !isELF || err != nil || id != strings.TrimSpace(string(want)) {
		t.Errorf("elfBuildID = %q, %v, %v; go tool buildid says %q", id, isELF, err, want)
	}

	head := make([]byte, 64)
	if _, err := f.ReadAt(head, 0); err != nil {
		t.Fatal(err)
	}
	noProgs := bytes.Clone(head)
	noProgs[0x38], noProgs[0x39] = 0, 0 // e_phnum = 0
	for name, data := range map[string][]byte{
		"script":      []byte("#!/bin/sh\necho hi\n"),
		"no programs": noProgs,
		"truncated":   head[:40],
	} {
		_, isELF, err := elfBuildID(bytes.NewReader(data))
		if name == "no programs" {
			if !isELF || err == nil {
				t.Errorf("%s: isELF %v, err %v; want an ELF file with no build ID", name, isELF, err)
			}
			continue
		}
		if isELF {
			t.Errorf("%s: read as ELF", name)
		}
	}
}

package local

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/platform"
)

// TestLiveJudgesItsExecutable: the local target owns the facts of its
// processes, so it is the one to say that a process runs another
// executable than its record names (an artifact swapped behind ferry's
// back): Live reports no digest and a mismatch naming both executables,
// and its Details carry the pid and the executable that runs, for
// people. Verify learns it only through Mismatch.
func TestLiveJudgesItsExecutable(t *testing.T) {
	l, img := setup(t)
	ctx := t.Context()
	free, _ := net.Listen("tcp", "127.0.0.1:0")
	port := free.Addr().(*net.TCPAddr).Port
	free.Close()
	ro, err := l.Deploy(ctx, spec(img, 1, port))
	if err != nil {
		t.Fatal(err)
	}
	d := ro.Instances[0].Details
	if d[platform.DetailPID] == "" || ro.Instances[0].Name != "pid "+d[platform.DetailPID] || d[platform.DetailExecutable] != img.BinaryDigest {
		t.Fatalf("Deploy's instance %q details %v, want its pid and executable %s", ro.Instances[0].Name, d, img.BinaryDigest)
	}
	if got := l.Describe(ro.Instances[0]); got[platform.DetailPID] != d[platform.DetailPID] {
		t.Errorf("Describe = %v, want pid %s from the record", got, d[platform.DetailPID])
	}
	recorded := "sha256:" + strings.Repeat("0", 64)
	matches, _ := filepath.Glob(filepath.Join(l.ProjectDir, ".ferry", "run", "staging", "r1", "process.json"))
	if len(matches) != 1 {
		t.Fatalf("process.json of revision 1: %v", matches)
	}
	data, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	var rec record
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	rec.BinaryDigest, rec.ExeID = recorded, ""
	if data, err = json.Marshal(rec); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(matches[0], data, 0o600); err != nil {
		t.Fatal(err)
	}
	live, err := l.Live(ctx, platform.Query{Env: "staging", Vars: map[string]string{"HTTP_PORT": strconv.Itoa(port)}})
	if err != nil {
		t.Fatal(err)
	}
	in := live.Instances[0]
	if live.Digest != "" || in.Digest != "" || !strings.Contains(in.Mismatch, "its executable is "+short(img.BinaryDigest)) || !strings.Contains(in.Mismatch, short(recorded)) {
		t.Errorf("Live of a swapped executable: digest %q, mismatch %q; want no digest and a mismatch naming both executables", live.Digest, in.Mismatch)
	}
	if in.Details[platform.DetailExecutable] != img.BinaryDigest || in.Details[platform.DetailPID] != d[platform.DetailPID] {
		t.Errorf("Live details %v, want pid %s and the executable that runs, %s", in.Details, d[platform.DetailPID], img.BinaryDigest)
	}
}

package project

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferrydev/ferry/internal/testtree"
)

// FuzzLoad feeds arbitrary ferry.yaml content to the loader over a real
// project tree: it must never panic, and a refusal must be one line that
// names ferry.yaml and carries no stack trace.
func FuzzLoad(f *testing.F) {
	for _, seed := range []string{
		"path: [staging, prod]\nenvironments:\n  prod:\n    soak: 30m\n    smoke:\n      - http: GET /healthz\n",
		"environments:\n  ../x: {}\n", "path: [prdo]\n", "environments:\n  prod:\n    soak: -5m\n",
		"chart: ../elsewhere\n", "environments:\n  prod:\n    values: [/etc/passwd]\n", "accept:\n  - rule: FERRY010\n    environments: [prod]\n",
		"environments: [1, 2]\n", "path: {a: b}\n", "environments:\n  prod:\n    env:\n      DB_PASSWORD: hunter2\n",
		"a: &a [*a]\n", "\xef\xbb\xbfservice: x\n", "{", "environments:\n  prod:\n    target: mars\n",
	} {
		f.Add(seed)
	}
	files := base()
	files["configs/.prod.env"] = "LOG_LEVEL=INFO\n"
	dir := testtree.Write(f, files)
	f.Fuzz(func(t *testing.T, yaml string) {
		if err := os.WriteFile(filepath.Join(dir, FileName), []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		// A hang would stall the fuzzer without a report; crash the worker
		// instead, so the input is saved.
		watchdog := time.AfterFunc(5*time.Second, func() { panic(fmt.Sprintf("Load took over 5s on %q", yaml)) })
		p, err := Load(dir)
		watchdog.Stop()
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, FileName) && !strings.HasPrefix(msg, "environment") {
				t.Errorf("Load error %q does not name %s", msg, FileName)
			}
			if strings.Contains(msg, "goroutine ") || strings.Count(msg, "\n") > 5 {
				t.Errorf("Load error is not a short message: %q", msg)
			}
			return
		}
		for _, e := range p.Environments {
			if ValidName(e.Name) != nil {
				t.Errorf("environment %q accepted", e.Name)
			}
			for _, v := range e.Values {
				if !filepath.IsLocal(filepath.Clean(v)) {
					t.Errorf("values file %q outside the project accepted", v)
				}
			}
		}
	})
}

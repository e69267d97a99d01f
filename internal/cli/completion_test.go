package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// complete runs cobra's hidden __complete command, as a shell does on
// tab after args and a space (the word being completed is empty), and
// returns the candidates without their descriptions.
func complete(t *testing.T, args string) []string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	argv := append(append([]string{"__complete"}, strings.Fields(args)...), "")
	code := Main(context.Background(), argv, Streams{In: strings.NewReader(""), Out: &stdout, ErrOut: &stderr})
	out, errOut := stdout.String(), stderr.String()
	if code != 0 {
		t.Fatalf("ferry __complete %s = %d\n%s%s", args, code, out, errOut)
	}
	var got []string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, ":") || line == "" {
			break // the directive ends the candidates
		}
		value, _, _ := strings.Cut(line, "\t")
		got = append(got, value)
	}
	return got
}

// TestCompletion completes on a real project with a built image, two
// tags and two revisions: environments for every <env> argument,
// tags and digests for --artifact and sign, revisions for rollback --to.
func TestCompletion(t *testing.T) {
	dir := svcProject(t, "0s")
	c := "-C " + dir + " "
	digest := ""
	for _, args := range []string{"build --tag 1.0.0", "build --tag 1.0.1", "deploy staging --artifact 1.0.0", "deploy staging --artifact 1.0.1"} {
		out, errOut, code := run(t, c+args)
		if code != 0 {
			t.Fatalf("ferry %s = %d\n%s%s", args, code, out, errOut)
		}
		if strings.HasPrefix(args, "build") {
			digest = strings.TrimSpace(out)
		}
	}
	// '' marks the empty word being completed.
	tests := []struct {
		args string
		want []string
	}{
		{"render ''", []string{"staging", "prod"}},
		{"verify ''", []string{"staging", "prod"}},
		{"soak ''", []string{"staging", "prod"}},
		{"history ''", []string{"staging", "prod"}},
		{"drift ''", []string{"staging", "prod"}},
		{"down ''", []string{"staging", "prod"}},
		{"deploy ''", []string{"staging", "prod"}},
		{"rollback ''", []string{"staging", "prod"}},
		{"loglevel ''", []string{"staging", "prod"}},
		{"diff staging ''", []string{"prod"}},
		{"promote staging ''", []string{"prod"}},
		{"render staging ''", nil},
		{"loglevel staging ''", []string{"DEBUG", "INFO", "NOTICE", "WARN", "ERROR", "FATAL"}},
		{"deploy staging --artifact ''", []string{"1.0.1", "1.0.0", digest}},
		{"promote staging prod --artifact ''", []string{"1.0.1", "1.0.0", digest}},
		{"sign ''", []string{"1.0.1", "1.0.0", digest}},
		{"pull ''", nil}, // a remote repository's tags: not the store's
		{"rollback staging --to ''", []string{"2", "1"}},
		{"rollback prod --to ''", nil},
		{"render staging -o ''", []string{"table", "json", "dotenv"}},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			got := complete(t, c+strings.TrimSuffix(tt.args, " ''"))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("completing ferry %s (-want +got):\n%s", tt.args, diff)
			}
		})
	}
}

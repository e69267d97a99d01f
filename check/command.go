package check

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/ferrydev/ferry/internal/lazyre"
	"github.com/ferrydev/ferry/secret"
)

// A credential written into a container's command — a wait-for-db loop
// with PGPASSWORD=…, a --password flag — is in the chart for anyone with
// the repository and in the pod spec for anyone who can read it.

func init() {
	register(Rule{
		ID: "FERRY094", Name: "secret-in-command", Severity: Error,
		Summary: "A container's command or args hold a literal credential",
		Help: "A shell command in a template (until PGPASSWORD=… psql …; mysql --password=…; " +
			"curl https://user:pass@…) carries the credential in the chart and in the pod spec. " +
			"Read it from an environment variable the container gets from a Secret " +
			"(PGPASSWORD from secretKeyRef, then $PGPASSWORD in the command).",
		Check: checkSecretInCommand,
	})
}

var (
	// shellAssign is NAME=value in a shell command (a variable for one
	// command, or an export).
	shellAssign = lazyre.New(`(?:^|[\s;&|('"])([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|[^\s;&|()'"]+)`)
	// longFlag is --name=value or --name value.
	longFlag = lazyre.New(`(?:^|\s)--([a-z][a-z0-9-]*)(?:=|\s+)("[^"]*"|'[^']*'|[^\s;&|()'"-][^\s;&|()'"]*)`)
)

// commandSecret is one credential found in a command: what names it
// (PGPASSWORD, --password, a URL's password) and the text around it to
// find its line by.
type commandSecret struct{ name, literal string }

// commandSecrets finds the literal credentials in a command's words.
func commandSecrets(words []string) []commandSecret {
	var out []commandSecret
	literal := func(v string) bool {
		v = strings.Trim(v, `"'`)
		return v != "" && !strings.ContainsAny(v, "$`") && !placeholder(v) && !boolish(v)
	}
	for _, w := range words {
		for _, m := range shellAssign.Get().FindAllStringSubmatch(w, -1) {
			if secret.Name(m[1]) && literal(m[2]) {
				out = append(out, commandSecret{m[1], m[1] + "=" + m[2]})
			}
		}
		for _, m := range longFlag.Get().FindAllStringSubmatch(w, -1) {
			if secret.Name(strings.ReplaceAll(m[1], "-", "_")) && literal(m[2]) {
				out = append(out, commandSecret{"--" + m[1], "--" + m[1]})
			}
		}
		for _, f := range strings.Fields(w) {
			if !strings.Contains(f, "://") {
				continue
			}
			for _, p := range secret.Passwords(strings.Trim(f, `"'`)) {
				if literal(p.Value) {
					out = append(out, commandSecret{"a URL's password", strings.Trim(f, `"'`)[:p.Start]})
				}
			}
		}
	}
	return out
}

func checkSecretInCommand(in *Input) []Finding {
	var out []Finding
	at := map[string]int{} // one finding per template text, naming every environment
	for _, e := range in.Envs {
		if e.Result == nil {
			continue
		}
		for _, w := range e.Result.Workloads {
			for _, c := range w.Containers {
				for _, s := range commandSecrets(c.Command) {
					l := Location{Environment: e.Name, Key: s.name, Value: secret.Shown(s.name, s.literal, secret.Whole), Source: "template " + c.Template, File: c.Template}
					if line := textLine(in.files(), filepath.Join(in.dir(), c.Template), s.literal); line > 0 {
						l.Line, l.Source = line, fmt.Sprintf("template %s:%d", c.Template, line)
					}
					workload := w.Kind + "/" + w.Name
					id := strings.Join([]string{l.Source, c.Name, s.name}, "\x00")
					if i, ok := at[id]; ok {
						f := &out[i]
						f.Environments = append(f.Environments, e.Name)
						f.Locations = append(f.Locations, l)
						if !strings.Contains(f.Workload, workload) {
							f.Workload += ", " + workload
						}
						continue
					}
					at[id] = len(out)
					out = append(out, Finding{
						Environments: []string{e.Name}, Key: s.name, Locations: []Location{l}, Workload: workload,
						Message: fmt.Sprintf("container %s of %s has %s in its command with a literal value (%s): give the container the credential from a Secret (secretKeyRef) and use the variable in the command.",
							c.Name, workload, s.name, l.Source),
					})
				}
			}
		}
	}
	return out
}

// textLine is the one line of file holding text, 0 when none or several.
func textLine(files *tree, file, text string) int {
	data, err := files.ReadFile(file)
	if err != nil || text == "" {
		return 0
	}
	found := 0
	for i, line := range strings.Split(string(data), "\n") {
		if !strings.Contains(line, text) {
			continue
		}
		if found != 0 {
			return 0
		}
		found = i + 1
	}
	return found
}

package project

import (
	"strings"

	"github.com/ferrydev/ferry/internal/lazyre"
)

// Jenkins pipelines: a Jenkinsfile's shell steps (sh "…", sh '…',
// sh """…""", sh(script: "…")), each under the stage it runs in. Groovy's
// ${x} reads as the shell's does: a value the pipeline fills in.

var (
	jenkinsSh    = lazyre.New(`\bsh\s*\(?\s*(?:script:\s*)?("""|'''|"|')`)
	jenkinsStage = lazyre.New(`\bstage\s*\(\s*['"]([^'"]+)['"]`)
)

// jenkinsFile reports whether a file's name says Jenkins runs it:
// Jenkinsfile, Jenkinsfile.deploy, deploy.jenkinsfile.
func jenkinsFile(base string) bool {
	return strings.HasPrefix(base, "Jenkinsfile") || strings.HasSuffix(strings.ToLower(base), ".jenkinsfile")
}

// jenkinsLines are the shell lines of a Jenkinsfile's sh steps, numbered
// as in the file, each hinted with its stage's name.
func jenkinsLines(data []byte) []shellLine {
	var out []shellLine
	lines := strings.Split(string(data), "\n")
	stage := ""
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if m := jenkinsStage.Get().FindStringSubmatch(l); m != nil {
			stage = m[1]
		}
		if strings.HasPrefix(strings.TrimSpace(l), "//") {
			continue
		}
		m := jenkinsSh.Get().FindStringSubmatchIndex(l)
		if m == nil {
			continue
		}
		q, rest := l[m[2]:m[3]], l[m[3]:]
		if len(q) == 1 {
			if end := strings.Index(rest, q); end >= 0 {
				out = append(out, scriptLines([]byte(rest[:end]), i+1, stage)...)
			}
			continue
		}
		// """…""" spans lines: a script of its own, numbered from here.
		first, body := i+1, []string{}
		for {
			if end := strings.Index(rest, q); end >= 0 {
				body = append(body, rest[:end])
				break
			}
			body = append(body, rest)
			if i++; i >= len(lines) || i-first > maxHereLines {
				break
			}
			rest = lines[i]
		}
		out = append(out, scriptLines([]byte(strings.Join(body, "\n")), first, stage)...)
	}
	return out
}

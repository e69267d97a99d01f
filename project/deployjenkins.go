package project

import (
	"maps"
	"strings"

	"github.com/ferrydev/ferry/internal/lazyre"
)

// Jenkins pipelines: a Jenkinsfile's shell steps (sh "…", sh '…',
// sh """…""", sh(script: "…")), each under the stage it runs in, with
// the variables of the environment { } blocks around it (the pipeline's,
// then its stage's). Groovy's ${x} and ${env.x} read as the shell's $x
// does: a value the pipeline fills in.

var (
	jenkinsSh    = lazyre.New(`\bsh\s*\(?\s*(?:script:\s*)?("""|'''|"|')`)
	jenkinsStage = lazyre.New(`\bstage\s*\(\s*['"]([^'"]+)['"]`)
	// jenkinsEnvBlock opens an environment { } block; jenkinsEnvVar is
	// one of its KEY = 'value' lines (credentials('id') and other calls
	// are Jenkins's to fill in, so not read).
	jenkinsEnvBlock = lazyre.New(`^\s*environment\s*\{\s*$`)
	jenkinsEnvVar   = lazyre.New(`^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?:'([^']*)'|"([^"]*)")\s*(?://.*)?$`)
	groovyEnvRef    = lazyre.New(`\$\{env\.([A-Za-z_][A-Za-z0-9_]*)\}`)
)

// jenkinsFile reports whether a file's name says Jenkins runs it:
// Jenkinsfile, Jenkinsfile.deploy, deploy.jenkinsfile.
func jenkinsFile(base string) bool {
	return strings.HasPrefix(base, "Jenkinsfile") || strings.HasSuffix(strings.ToLower(base), ".jenkinsfile")
}

// jenkinsScope is the variables the environment blocks give the lines of
// a block (the pipeline, a stage) that opens at depth, and their lines.
type jenkinsScope struct {
	depth int
	vars  map[string]string
	at    map[string]int
}

// jenkinsLines are the shell lines of a Jenkinsfile's sh steps, numbered
// as in the file, each hinted with its stage's name and given the
// variables its environment blocks define: a stage's block adds to the
// pipeline's for that stage only.
func jenkinsLines(data []byte) []shellLine {
	var out []shellLine
	lines := strings.Split(string(data), "\n")
	stage := ""
	scopes := []jenkinsScope{{vars: map[string]string{}, at: map[string]int{}}}
	depth := 0
	add := func(text string, first int) {
		top := scopes[len(scopes)-1]
		for _, l := range scriptLines([]byte(groovyEnvRef.Get().ReplaceAllString(text, "$${$1}")), first, stage) {
			if len(top.vars) > 0 {
				l.vars, l.varAt = top.vars, top.at
			}
			out = append(out, l)
		}
	}
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if m := jenkinsStage.Get().FindStringSubmatch(l); m != nil {
			stage = m[1]
			top := scopes[len(scopes)-1]
			scopes = append(scopes, jenkinsScope{depth + 1, maps.Clone(top.vars), maps.Clone(top.at)})
		}
		if strings.HasPrefix(strings.TrimSpace(l), "//") {
			continue
		}
		if jenkinsEnvBlock.Get().MatchString(l) {
			top := &scopes[len(scopes)-1]
			for i++; i < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[i]), "}"); i++ {
				if m := jenkinsEnvVar.Get().FindStringSubmatch(lines[i]); m != nil {
					top.vars[m[1]], top.at[m[1]] = m[2]+m[3], i+1
				}
			}
			continue // the block's braces balance
		}
		if m := jenkinsSh.Get().FindStringSubmatchIndex(l); m != nil {
			q, rest := l[m[2]:m[3]], l[m[3]:]
			if len(q) == 1 {
				if end := strings.Index(rest, q); end >= 0 {
					add(rest[:end], i+1)
				}
			} else {
				// """…""" spans lines: a script of its own, numbered from
				// here; its braces are the shell's, not the pipeline's.
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
				add(strings.Join(body, "\n"), first)
				continue
			}
		}
		depth += braceDelta(l)
		for len(scopes) > 1 && scopes[len(scopes)-1].depth > depth {
			scopes = scopes[:len(scopes)-1]
		}
	}
	return out
}

// groovyQuoted matches a Groovy string or a line comment, whose braces
// are not the pipeline's blocks.
var groovyQuoted = lazyre.New(`'[^']*'|"(?:[^"\\]|\\.)*"|//.*`)

// braceDelta is how many blocks a Groovy line opens, less those it
// closes.
func braceDelta(l string) int {
	l = groovyQuoted.Get().ReplaceAllLiteralString(l, "")
	return strings.Count(l, "{") - strings.Count(l, "}")
}

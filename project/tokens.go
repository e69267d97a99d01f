package project

import (
	"slices"
	"strconv"
	"strings"

	"github.com/ferrydev/ferry/internal/lazyre"
)

// Token is a CI step that replaces tokens in the repository's files
// before it deploys (Azure Pipelines' replacetokens task, the
// replace-tokens GitHub actions): a value written Prefix+name+Suffix
// (image: __imageName__) is filled in by CI, not a placeholder left
// behind.
type Token struct {
	Prefix, Suffix string
	File           string // the CI file, relative to the project
	Line           int    // the step's line
}

// Loc is "file:line".
func (t Token) Loc() string { return t.File + ":" + strconv.Itoa(t.Line) }

// tokenStep matches the step that replaces tokens.
var tokenStep = lazyre.New(`(?i)(replacetokens|replace-tokens)`)

// tokenInput matches a step's input naming the token's prefix, suffix or
// pattern: tokenPrefix: __ (Azure), token-prefix: '#{' (actions).
var tokenInput = lazyre.New(`(?i)^\s*(token-?prefix|token-?suffix|token-?pattern)\s*:\s*(.*?)\s*$`)

// tokenPatterns are the replacetokens task's named patterns.
var tokenPatterns = map[string][2]string{
	"default":           {"#{", "}#"},
	"azpipelines":       {"$(", ")"},
	"doubleunderscores": {"__", "__"},
	"githubactions":     {"#{{", "}}"},
	"octopus":           {"#{", "}"},
}

// tokensIn reads a CI file's text (rel, relative to the project) for
// token-replacing steps, each with its prefix and suffix (the task's
// default #{ … }# when it names none).
func tokensIn(data []byte, rel string) []Token {
	var out []Token
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		if !tokenStep.Get().MatchString(l) || strings.HasPrefix(strings.TrimSpace(l), "#") {
			continue
		}
		t := Token{Prefix: "#{", Suffix: "}#", File: rel, Line: i + 1}
		indent := len(l) - len(strings.TrimLeft(l, " -"))
		for _, in := range lines[i+1 : min(len(lines), i+30)] {
			if s := strings.TrimSpace(in); s != "" && len(in)-len(strings.TrimLeft(in, " -")) <= indent && strings.HasPrefix(strings.TrimLeft(in, " "), "-") {
				break // the next step
			}
			m := tokenInput.Get().FindStringSubmatch(in)
			if m == nil {
				continue
			}
			v := m[2]
			if len(v) >= 2 && (v[0] == '\'' || v[0] == '"') && v[len(v)-1] == v[0] {
				v = v[1 : len(v)-1]
			} else if i := strings.Index(v, " #"); i >= 0 {
				v = strings.TrimSpace(v[:i]) // a YAML comment
			}
			if v == "" {
				continue
			}
			switch strings.ToLower(strings.ReplaceAll(m[1], "-", "")) {
			case "tokenprefix":
				t.Prefix = v
			case "tokensuffix":
				t.Suffix = v
			case "tokenpattern":
				if p, ok := tokenPatterns[strings.ToLower(v)]; ok {
					t.Prefix, t.Suffix = p[0], p[1]
				}
			}
		}
		if !slices.ContainsFunc(out, t.same) {
			out = append(out, t)
		}
	}
	return out
}

func (t Token) same(o Token) bool { return t.Prefix == o.Prefix && t.Suffix == o.Suffix }

// TokenFilled reports the CI step that fills in v: v holds
// prefix+name+suffix of a token-replacing step of e's pipelines.
func (e *Environment) TokenFilled(v string) (Token, bool) {
	for _, t := range e.Tokens {
		i := strings.Index(v, t.Prefix)
		if i < 0 {
			continue
		}
		rest := v[i+len(t.Prefix):]
		j := strings.Index(rest, t.Suffix)
		if j > 0 && tokenName(rest[:j]) {
			return t, true
		}
	}
	return Token{}, false
}

func tokenName(s string) bool {
	for _, c := range s {
		if !(c == '_' || c == '.' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

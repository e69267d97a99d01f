package project

import (
	"fmt"
	"sort"
	"strings"
)

// Environment order: without a path in ferry.yaml, environments are
// ordered by what their names say. Dev-like names come first, then
// test- and staging-like ones, then names ferry does not know, then
// prod-like ones: an unknown name is never put before dev (where it
// would get the leniency of a developer's environment and dev the
// strictness meant for later stages).

// stage is one class of stage words.
type stage struct {
	rank  int
	class string
}

const unknownRank = 60

// stageRanks maps the common stage words, in several languages' and
// companies' spellings, to their place on a promotion path.
var stageRanks = map[string]stage{}

func init() {
	for _, g := range []struct {
		rank  int
		class string
		words string
	}{
		{5, "dev-like", "local localhost laptop"},
		{10, "dev-like", "dev develop development sandbox preview"},
		{14, "dev-like", "ci int integration"},
		{18, "test-like", "test testing tst sit"},
		{20, "test-like", "qa"},
		{40, "staging-like", "uat acc acceptance demo"},
		{42, "staging-like", "perf performance"},
		{44, "staging-like", "stage staging stg hlg hml homolog homologation"},
		{46, "staging-like", "preprod pre-prod pprod"},
		{80, "prod-like", "prod production prd live"},
		{90, "prod-like", "dr"},
	} {
		for _, w := range strings.Fields(g.words) {
			stageRanks[w] = stage{g.rank, g.class}
		}
	}
	for w := range stageRanks {
		stageWords = append(stageWords, w)
	}
	sort.Strings(stageWords)
}

// stageWords are names environments go by (stageRanks' words).
var stageWords []string

// stageOf classifies an environment name by its first word, digits
// trimmed: prod-eu and prod2 are prod-like.
func stageOf(name string) stage {
	if s, ok := stageRanks[name]; ok {
		return s
	}
	word, _, _ := strings.Cut(name, "-")
	word = strings.TrimRight(word, "0123456789")
	if s, ok := stageRanks[word]; ok {
		return s
	}
	return stage{unknownRank, "unknown"}
}

// envLike reports whether a name is a stage word (prod, prod-eu,
// staging2).
func envLike(name string) bool { return stageOf(name).rank != unknownRank }

// conventionalOrder orders environment names by stage, then by name;
// the reason says which class put each where.
func conventionalOrder(names map[string]bool) (order []string, reason string) {
	for n := range names {
		order = append(order, n)
	}
	sort.Slice(order, func(i, j int) bool {
		a, b := stageOf(order[i]), stageOf(order[j])
		if a.rank != b.rank {
			return a.rank < b.rank
		}
		return order[i] < order[j]
	})
	var parts []string
	for i := 0; i < len(order); {
		c := stageOf(order[i]).class
		j := i
		for j < len(order) && stageOf(order[j]).class == c {
			j++
		}
		what := c
		if c == "unknown" {
			what = "names ferry does not know: after dev- and staging-like, before prod-like"
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", strings.Join(order[i:j], ", "), what))
		i = j
	}
	return order, "by name: " + strings.Join(parts, " → ")
}

// ProdLike reports whether an environment's name says production (prod,
// production, live, prod-eu, dr): settings fine for development are
// errors there.
func ProdLike(name string) bool { return stageOf(strings.ToLower(name)).class == "prod-like" }

// DevLike reports whether an environment's name says development (dev,
// development, local, sandbox): a developer's own stage, where a moving
// tag is the point.
func DevLike(name string) bool { return stageOf(strings.ToLower(name)).class == "dev-like" }

package cli

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ferrydev/ferry/artifact"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/promote"
	"github.com/ferrydev/ferry/remotelog"
)

// envPlaceholders are the usage words that stand for an environment: a
// command whose Use names one completes the project's environments there,
// so a new command gets completion by its usage line alone.
var envPlaceholders = []string{"<env>", "<from>", "<to>", "<env-a>", "<env-b>"}

// refPlaceholders are the usage words that stand for a stored artifact
// (pull's names an image in a remote repository: not completed).
var refPlaceholders = []string{"<digest|tag>", "<tag|digest>"}

const noFiles = cobra.ShellCompDirectiveNoFileComp

// registerCompletions wires shell completion into every command under
// root: environments, tags and digests for the positional arguments their
// usage lines name, tags and digests for --artifact, revisions for
// rollback's --to and levels for loglevel's LEVEL. Everything is read from
// the project of -C when the user presses tab; nothing is printed on
// failure (a shell shows no candidates).
func registerCompletions(root *cobra.Command, g *globalOptions) {
	for _, cmd := range allCommands(root) {
		if args := usageArgs(cmd.Use); len(args) > 0 && cmd.ValidArgsFunction == nil {
			cmd.ValidArgsFunction = g.completeArgs(args)
		}
		if cmd.Flags().Lookup("artifact") != nil {
			cmd.RegisterFlagCompletionFunc("artifact", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
				return g.artifactRefs(), noFiles | cobra.ShellCompDirectiveKeepOrder
			})
		}
		if cmd.Name() == "rollback" && cmd.Flags().Lookup("to") != nil {
			cmd.RegisterFlagCompletionFunc("to", func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
				if len(args) == 0 {
					return nil, noFiles
				}
				return g.revisions(cmd.Context(), args[0]), noFiles | cobra.ShellCompDirectiveKeepOrder
			})
		}
	}
}

func allCommands(c *cobra.Command) []*cobra.Command {
	out := []*cobra.Command{c}
	for _, sub := range c.Commands() {
		out = append(out, allCommands(sub)...)
	}
	return out
}

// usageArgs are the positional placeholders of a Use line, after the
// command's name and before its first flag: "loglevel <env> [LEVEL]"
// gives ["<env>", "[LEVEL]"].
func usageArgs(use string) []string {
	var out []string
	for _, w := range strings.Fields(use)[1:] {
		if strings.HasPrefix(w, "[-") {
			break
		}
		out = append(out, w)
	}
	return out
}

// completeArgs completes the position len(args) by what its usage word
// stands for; environments already given are not offered again.
func (g *globalOptions) completeArgs(words []string) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) >= len(words) {
			return nil, noFiles
		}
		switch w := words[len(args)]; {
		case slices.Contains(envPlaceholders, w):
			var out []cobra.Completion
			for _, e := range g.environments() {
				if !slices.Contains(args, e) {
					out = append(out, e)
				}
			}
			return out, noFiles | cobra.ShellCompDirectiveKeepOrder
		case slices.Contains(refPlaceholders, w) && cmd.Name() != "pull":
			return g.artifactRefs(), noFiles | cobra.ShellCompDirectiveKeepOrder
		case w == "[LEVEL]":
			return remotelog.Levels, noFiles | cobra.ShellCompDirectiveKeepOrder
		}
		return nil, noFiles
	}
}

// completionProject is the project of -C, or nil; its warnings are not
// printed (they would land in the shell's completion list).
func (g *globalOptions) completionProject() *project.Project {
	p, err := project.Load(g.Dir)
	if err != nil {
		cobra.CompDebugln("ferry completion: "+err.Error(), false)
		return nil
	}
	return p
}

// environments are the project's environments, in path order.
func (g *globalOptions) environments() []string {
	if p := g.completionProject(); p != nil {
		return p.EnvNames()
	}
	return nil
}

// artifactRefs are the stored images' tags, then their digests, newest
// first.
func (g *globalOptions) artifactRefs() []cobra.Completion {
	p := g.completionProject()
	if p == nil {
		return nil
	}
	tags, digests, err := artifact.NewStore(p.Dir).Refs()
	if err != nil {
		cobra.CompDebugln("ferry completion: "+err.Error(), false)
	}
	out := make([]cobra.Completion, 0, len(tags)+len(digests))
	for _, t := range tags {
		out = append(out, cobra.CompletionWithDesc(t, "tag"))
	}
	for _, d := range digests {
		out = append(out, cobra.CompletionWithDesc(d, "digest"))
	}
	return out
}

// revisions are env's revisions, newest first, each described by its
// action, tag and outcome.
func (g *globalOptions) revisions(ctx context.Context, env string) []cobra.Completion {
	p := g.completionProject()
	if p == nil {
		return nil
	}
	h, err := promote.NewHistory(promote.New(p)).Run(ctx, env)
	if err != nil {
		cobra.CompDebugln("ferry completion: "+err.Error(), false)
		return nil
	}
	var out []cobra.Completion
	for _, r := range h.Revisions {
		desc := fmt.Sprintf("%s %s", r.Action, short12(strings.TrimPrefix(r.Digest, "sha256:")))
		if r.Tag != "" {
			desc += " (" + r.Tag + ")"
		}
		desc += ", " + string(r.Outcome)
		out = append(out, cobra.CompletionWithDesc(strconv.Itoa(r.Number), desc))
	}
	return out
}

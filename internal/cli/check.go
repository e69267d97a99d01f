package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/ferrydev/ferry/check"
	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/project"
)

type checkOptions struct {
	// Dirs are the project directories; -C alone when empty.
	Dirs   []string
	Format format
	// Strict fails on warnings too.
	Strict bool
}

const checkLong = `Check runs every rule of the catalogue over every environment of the
project: environments checked against each other (shared databases, Redis,
brokers, buckets, namespaces, one image) and against GoFr's runtime contract
(defaults, ports, durations, tracing, shutdown), before anything is deployed.

Each finding names the environments, the key and the file:line that set each
value involved, and says what to do. Findings accepted in ferry.yaml
(accept: [{rule, environments, reason}]) are shown as accepted and never
fail the check; an acceptance that matches nothing is itself reported.

Several project directories may be given; they are checked concurrently.

Exit status: 0 when no error findings (no warnings either with --strict),
1 when there are, 2 when a project cannot be read or rendered.`

const checkExample = `  # Check the bundled example
  ferry -C examples/orders-api check

  # In CI: fail on warnings too, and upload SARIF to code scanning
  ferry check --strict -o sarif > ferry.sarif

  # Check every service of a monorepo at once
  ferry check services/*`

func newCheckCmd(g *globalOptions) *cobra.Command {
	opts := &checkOptions{}
	cmd := &cobra.Command{
		Use:     "check [dir...] [-o text|json|sarif] [--strict]",
		Short:   "Check every environment against the rule catalogue",
		Long:    checkLong,
		Example: checkExample,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Dirs = args
			return runCheck(cmd.Context(), g, opts)
		},
	}
	formatFlag(cmd, &opts.Format, formatText, formatJSON, formatSARIF)
	cmd.Flags().BoolVar(&opts.Strict, "strict", false, "fail on warnings too")
	return cmd
}

func runCheck(ctx context.Context, g *globalOptions, opts *checkOptions) error {
	dirs := []string{g.Dir}
	if len(opts.Dirs) > 0 {
		dirs = dirs[:0]
		for _, d := range opts.Dirs {
			if !filepath.IsAbs(d) && g.Dir != "." {
				d = filepath.Join(g.Dir, d)
			}
			dirs = append(dirs, d)
		}
	}
	done := g.step("checked", "projects", strings.Join(dirs, ","))
	reports, err := checkAll(ctx, g, dirs)
	if err != nil {
		return err
	}
	done("findings", len(check.Merge(reports).Findings))
	out := g.streams.Out
	switch opts.Format {
	case formatJSON:
		err = check.WriteJSON(out, reports)
	case formatSARIF:
		err = check.WriteSARIF(out, reports, check.SARIFOptions{})
	default:
		err = check.WriteText(out, reports, check.TextOptions{Color: g.useColor(g.streams.OutTTY)})
	}
	if err != nil {
		return err
	}
	merged := check.Merge(reports)
	for _, pr := range merged.Problems {
		fmt.Fprintf(g.streams.ErrOut, "ferry: %s\n", problemText(pr))
	}
	switch {
	case merged.Incomplete():
		return &ExitError{Code: ExitUsage, Silent: true}
	case merged.Failed(opts.Strict):
		return silentFailure()
	}
	return nil
}

// problemText is one line for stderr: project, environment, reason.
func problemText(pr check.Problem) string {
	msg := pr.Message
	if pr.Project != "" {
		msg = pr.Project + ": " + msg
	}
	return msg
}

// checkAll checks dirs concurrently, a few at a time: each check already
// renders its environments in parallel. A directory holding several charts
// is checked as one project per chart. A project that cannot be read is a
// report with a problem; the others are still checked.
func checkAll(ctx context.Context, g *globalOptions, dirs []string) ([]*check.Report, error) {
	type job struct {
		dir string
		p   *project.Project
		err error
	}
	var jobs []job
	for _, d := range dirs {
		// Each service of a monorepo is loaded with its own ferry.yaml.
		ps, err := project.LoadAll(d)
		abs, _ := filepath.Abs(d)
		for _, p := range ps {
			dir := d
			if rel, rerr := filepath.Rel(abs, p.Dir); rerr == nil && rel != "." {
				dir = filepath.Join(d, rel)
			}
			// Each environment's target reads its own keys (a gitops:
			// block, kube's context:): a bad one is the project's bad
			// input, found before anything deploys.
			if derr := platform.DecodeSettings(p); derr != nil {
				jobs = append(jobs, job{dir: dir, err: derr})
				continue
			}
			for _, w := range p.Warnings {
				// What discovery left out, and why (a values file whose
				// name is no environment's), as status says it; a file no
				// environment checks is among the report's problems.
				if slices.Contains(p.Unchecked, w) {
					continue
				}
				if len(dirs) > 1 || dir != d {
					w = dir + ": " + w
				}
				fmt.Fprintf(g.streams.ErrOut, "ferry: warning: %s\n", w)
			}
			g.logger().Info("checking", "dir", dir, "chart", p.Chart, "runtime", p.Runtime, "because", p.RuntimeReason, "environments", p.EnvNames())
			jobs = append(jobs, job{dir: dir, p: p})
		}
		if err != nil {
			jobs = append(jobs, job{dir: d, err: err})
		}
	}
	reports := make([]*check.Report, len(jobs))
	errs := make([]error, len(jobs))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := ctx.Err(); err != nil {
				errs[i] = err // interrupted: the projects not begun are not begun
				return
			}
			if j.err != nil {
				reports[i] = check.Failed(j.dir, j.err)
				return
			}
			reports[i], errs[i] = check.CheckProject(ctx, j.dir, j.p)
			if errs[i] == nil && len(j.p.Environments) == 0 {
				// Nothing was checked: that is no pass (a file ignored for
				// its name, a chart with no environment's values).
				reports[i].Problems = append(reports[i].Problems, check.Problem{Message: noEnvironment(j.p)})
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err // only an interruption gets here
	}
	// Beside projects that were checked, a chart with no environment (a
	// cluster-wide chart Terraform installs once per cluster) is said,
	// not a reason to call the whole run incomplete; alone, it still is.
	checked := slices.ContainsFunc(jobs, func(j job) bool { return j.p != nil && len(j.p.Environments) > 0 })
	for i, r := range reports {
		if !checked || jobs[i].p == nil || len(jobs[i].p.Environments) > 0 {
			continue
		}
		for k, pr := range r.Problems {
			if msg, ok := strings.CutPrefix(pr.Message, noEnvironmentPrefix); ok {
				r.Problems[k].Info, r.Problems[k].Message = true, "not checked: no environments: "+msg
			}
		}
	}
	return reports, nil
}

const noEnvironmentPrefix = "no environment checked: "

// noEnvironment says why project p has no environment to check.
func noEnvironment(p *project.Project) string {
	why := strings.Join(p.Warnings, "; ")
	if why == "" {
		why = "chart " + p.Chart + " has no values file of an environment's (values-<env>.yaml, <env>/values.yaml), no configs/.<env>.env and no deploy command"
	}
	return noEnvironmentPrefix + why + "; name the environments under environments: in " + project.FileName
}

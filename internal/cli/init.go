package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"golang.org/x/mod/semver"

	"github.com/ferrydev/ferry/scaffold"
	"github.com/ferrydev/ferry/view"
)

type initOptions struct {
	Envs []string
	// envsGiven is set when --env was given: a kept chart's own
	// environments are the default otherwise.
	envsGiven bool
	Main      string
	Chart     string
	CI        string
	Target    string
	Image     string
	Force     bool
	DryRun    bool
	Format    format
}

const initLong = `Init reads the Go service repository in -C (default .) and writes what
ferry needs to move it: a chart, values files per environment, configs/.env
for a service on GoFr's contract, ferry.yaml and, with --ci, a CI workflow.

It detects the module (go.mod), the main package (it refuses to guess
between two: --main names it), the port and health paths the code names,
the environment variables it reads, and whether it follows GoFr's contract
(go.mod requires gofr.dev or ferry's kit, or configs/.env exists).

The chart's Deployment reads a ConfigMap through envFrom and each secret
key by name from the environment's Secret (secretKeyRef), probes the service's health paths, rolls pods when the ConfigMap changes
(checksum annotation) and gives the container a termination grace longer
than its SHUTDOWN_GRACE_PERIOD. Each environment's values file holds one
REPLACE_WITH_<ENV>_<KEY> placeholder per datasource the service reads (a
database host or URL ferry cannot know); ferry check names each one left.
Sensitive keys (passwords, tokens, API keys) go in the environment's
Secret, which the chart does not render: no secret is ever committed.

On the local target (the default) each environment gets its own ports,
derived from the service's own (its port + 10000, +10 per environment); a
port in use now is skipped and its holder named. .gitignore gets .ferry/
(state, images, logs) and *.key.

--ci github or --ci gitlab also writes a pipeline for v* tags in which
every job runs on a fresh runner: build once, sign and push to --image;
deploy the first environment; wait out its soak (ferry soak --watch) and
check every gate; promote in a job behind the CI's environment protection.
Its environments must keep their state off the runner: --target kube
(Helm releases; history and lock in the cluster). The pipeline installs
exactly this ferry: its module version, or its commit for a build from a
checkout.

Nothing that exists is overwritten: an existing chart is kept and
ferry.yaml points at it (--chart names it among several); other files are
kept and named; .gitignore only gains lines. --force replaces them;
--dry-run prints the plan and writes nothing.`

const initExample = `  ferry init --dry-run
  ferry -C ~/src/billing init --env staging,prod --main ./cmd/billing
  ferry init --target kube --image registry.example.com/acme/billing --ci github
  ferry init --target kube --image registry.example.com/acme/billing --ci gitlab`

func newInitCmd(g *globalOptions) *cobra.Command {
	opts := &initOptions{}
	cmd := &cobra.Command{
		Use:     "init [--env <a,b>] [--main <pkg>] [--chart <dir>] [--target local|kube] [--image <repo>] [--ci github|gitlab] [--force] [--dry-run]",
		Short:   "Write a chart, values, ferry.yaml and a CI workflow for a Go service",
		Long:    initLong,
		Example: initExample,
		Args:    exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.envsGiven = cmd.Flags().Changed("env")
			return runInit(g, opts)
		},
	}
	cmd.Flags().StringSliceVar(&opts.Envs, "env", []string{"staging", "prod"}, "environments, first of the promotion path first")
	cmd.Flags().StringVar(&opts.Main, "main", "", "the service's main package (default: the only one)")
	cmd.Flags().StringVar(&opts.Chart, "chart", "", "the service's existing chart, where the repository holds several")
	cmd.Flags().StringVar(&opts.CI, "ci", "", "also write a CI pipeline: github or gitlab (needs --target kube)")
	cmd.Flags().StringVar(&opts.Target, "target", "local", "where the environments run: local or kube")
	cmd.Flags().StringVar(&opts.Image, "image", "", "ferry.yaml image: the registry repository to push to and pull from (default: the service's name)")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "replace files that exist")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "print the plan, write nothing")
	formatFlag(cmd, &opts.Format, formatText, formatJSON)
	return cmd
}

func runInit(g *globalOptions, opts *initOptions) error {
	svc, err := scaffold.Detect(g.Dir, opts.Main, opts.Chart)
	if err != nil {
		return initErr(err)
	}
	if envs := scaffold.ChartEnvs(g.Dir, svc.Chart); !opts.envsGiven && len(envs) > 0 {
		// The kept chart's values-<env>.yaml files name the environments
		// it is deployed to: inventing staging beside its dev would check
		// an environment nobody runs.
		opts.Envs = envs
	}
	sopts := scaffold.Options{Envs: opts.Envs, Force: opts.Force, CI: opts.CI, Target: opts.Target, Image: opts.Image}
	var warning string
	var verr error
	if opts.CI != "" {
		if sopts.Install, warning, verr = installVersion(currentBuild()); verr != nil {
			sopts.Install = "unknown" // say what else is wrong first
		}
	}
	plan, err := scaffold.NewPlan(svc, sopts)
	if err != nil {
		return initErr(err)
	}
	if verr != nil {
		return verr
	}
	if !opts.DryRun {
		if err := plan.Write(); err != nil {
			return err
		}
	}
	if opts.Format == formatJSON {
		type file struct {
			Path   string `json:"path"`
			Action string `json:"action"`
			Why    string `json:"why,omitempty"`
		}
		out := struct {
			Module  string `json:"module"`
			Main    string `json:"main"`
			Runtime string `json:"runtime"`
			DryRun  bool   `json:"dryRun"`
			Files   []file `json:"files"`
			// Notes and Install are additions (fields are never renamed).
			Notes   []string `json:"notes,omitempty"`
			Install string   `json:"ferryVersion,omitempty"`
		}{Module: svc.Module, Main: svc.Main, Runtime: "generic", DryRun: opts.DryRun, Notes: plan.Notes, Install: sopts.Install}
		if svc.GoFr {
			out.Runtime = "gofr"
		}
		for _, f := range plan.Files {
			out.Files = append(out.Files, file{f.Path, string(f.Action), f.Why})
		}
		return writeProjectJSON(g.streams.Out, &view.Project{Name: svc.Name, Dir: g.Dir, Chart: plan.Chart, Runtime: out.Runtime}, "", out)
	}
	runtime := "generic"
	if svc.GoFr {
		runtime = "gofr (" + svc.GoFrWhy + ")"
	}
	fmt.Fprintf(g.streams.Out, "%s: main %s, runtime %s, port %s\n", svc.Module, svc.Main, runtime, svc.PortSummary())
	plan.Print(g.streams.Out)
	if warning != "" {
		fmt.Fprintln(g.streams.ErrOut, "warning: "+warning)
	}
	if opts.DryRun {
		fmt.Fprintln(g.streams.Out, "dry run: nothing written")
	}
	return nil
}

func initErr(err error) error {
	var ie *scaffold.InputError
	if errors.As(err, &ie) {
		return usageError(err)
	}
	return err
}

// installVersion is what a pipeline installs to run the ferry that wrote
// it: the module version of a released build, else the commit of a build
// from a checkout (go install accepts both after @). A build with local
// changes pins its commit and says that the changes are not in it.
func installVersion(b buildInfo) (version, warning string, err error) {
	if semver.IsValid(b.Version) && semver.Build(b.Version) == "" {
		return b.Version, "", nil
	}
	if b.Commit == "" {
		return "", "", usageError(errors.New("--ci: this ferry has no module version or commit to pin the pipeline's ferry to (built outside a module and a git checkout); go install a released ferry and run init again"))
	}
	if b.Modified {
		warning = fmt.Sprintf("this ferry was built from commit %s with local changes; the pipeline installs that commit, without them", short12(b.Commit))
	}
	return b.Commit, warning, nil
}

func short12(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

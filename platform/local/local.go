// Package local is the embedded default target: an environment is a set
// of processes on this machine. A deploy unpacks the image by digest,
// starts its binary from the unpacked root with exactly the given
// environment, detached in its own session with its output in a log file,
// waits for /.well-known/health and then stops the previous revision with
// SIGTERM and its SHUTDOWN_GRACE_PERIOD.
//
// Revision n of environment e keeps its files in .ferry/run/e/r<n>/:
// process.json (pid, start tick, digest, executable) and log. Every
// revision of e runs in .ferry/run/e/work/, which links the image's working
// directory (the binary, configs/): a file the service writes by a relative
// path lands there, so two environments running the same digest never
// share it. All of .ferry/run is reached through internal/confine (see
// rundir.go): a repository that commits .ferry/ cannot redirect it.
package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ferrydev/ferry/artifact"
	"github.com/ferrydev/ferry/platform"
)

func init() {
	platform.Register("local", platform.Registration{Decode: decode, Open: func(o platform.Options) (platform.Target, error) {
		l := New(o.Project.Dir, o.Images)
		l.Wait = o.Wait
		return l, nil
	}})
}

// Local runs environments as processes on this machine.
type Local struct {
	// Images holds the artifacts to unpack.
	Images *artifact.Store
	// HTTPClient calls health endpoints; a 2s-timeout client by default.
	HTTPClient *http.Client
	// Wait, when set, is told about long waits (for progress on a TTY).
	Wait func(what string, elapsed time.Duration)
	// Hook, when set, is called at named points of a deploy
	// ("previous-stopped", "new-started"): tests kill ferry there.
	Hook func(point string)
	// digests caches executables' digests by file identity.
	digests sync.Map
	// Settle overrides DefaultSettle.
	Settle time.Duration
	// ProjectDir is the project's directory: its .ferry/run holds
	// unpacked roots, logs and process records, .ferry/data the
	// environments' data; relative secrets files are read from it.
	ProjectDir string
}

func (l *Local) at(point string) {
	if l.Hook != nil {
		l.Hook(point)
	}
}

var _ platform.Target = (*Local)(nil)

// Name implements platform.Target.
func (l *Local) Name() string { return "local" }

// New returns the local target of project directory dir.
func New(projectDir string, images *artifact.Store) *Local {
	return &Local{Images: images, ProjectDir: projectDir}
}

// record is process.json.
type record struct {
	Env          string    `json:"env"`
	Revision     int       `json:"revision"`
	Digest       string    `json:"digest"`
	BinaryDigest string    `json:"binaryDigest"`
	PID          int       `json:"pid"`
	StartTick    uint64    `json:"startTick"`
	Since        time.Time `json:"since"`
	Exe          string    `json:"exe"`
	Root         string    `json:"root"` // the unpacked image
	Dir          string    `json:"dir"`  // the working directory
	Log          string    `json:"log"`
	// URL is the revision's health URL ("" while its port is unknown).
	URL string `json:"url"`
	// ExeID is the executable's file identity when it was started
	// (fileID): a process whose /proc/<pid>/exe has it runs BinaryDigest
	// without ferry hashing tens of megabytes again.
	ExeID string `json:"exeId,omitempty"`
	// Configs is the digest of the image's configuration layer
	// (configsDigest), as started.
	Configs string `json:"configs,omitempty"`
}

func (l *Local) client() *http.Client {
	if l.HTTPClient != nil {
		return l.HTTPClient
	}
	return &http.Client{Timeout: 2 * time.Second}
}

// DefaultSettle is how long a new revision must stay alive after its
// first healthy answer before the previous one is stopped: a build that
// crashes a moment after start fails its deploy.
const DefaultSettle = time.Second

func (l *Local) settleTime() time.Duration {
	if l.Settle > 0 {
		return l.Settle
	}
	return DefaultSettle
}

func uniquePorts(ps ...int) []int {
	var out []int
	for _, p := range ps {
		if p > 0 && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

func envList(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// waitHealthy waits until rec's own process answers its health endpoint
// UP, then keeps it under watch through the Settle window; it returns how
// long the service took to its first healthy answer. It fails when the
// process dies, answers DEGRADED or DOWN until the timeout, or only ever
// another process answers (others: the revisions it replaces). When the
// revision's port is not known, it is the port the process listens on
// whose /.well-known/health answers.
func (l *Local) waitHealthy(ctx context.Context, rec *record, timeout time.Duration, others []int) (time.Duration, error) {
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	start := time.Now()
	deadline := start.Add(timeout)
	pause := 5 * time.Millisecond
	last := "nothing answered yet"
	exited := func(when string) error {
		return fmt.Errorf("process %d exited %s (health at %s)", rec.PID, when, orUnknown(rec.URL))
	}
	for {
		if !alive(rec.PID, rec.StartTick) {
			return 0, exited("before it became healthy")
		}
		if rec.URL == "" {
			l.learnURL(ctx, rec)
		}
		if rec.URL != "" {
			a := l.probe(ctx, rec.URL, append([]int{rec.PID}, others...)...)
			switch {
			case a.health == platform.HealthUp && (a.pid == rec.PID || !local(rec.URL)):
				firstHealthy := time.Since(start)
				if err := l.settle(ctx, rec); err != nil {
					return 0, err
				}
				return firstHealthy, nil
			case a.pid != 0 && a.pid != rec.PID:
				last = fmt.Sprintf("GET %s: answered by pid %d, not the new revision's pid %d", rec.URL, a.pid, rec.PID)
			case a.health == platform.HealthDegraded && a.pid == rec.PID:
				last = a.detail
			case a.detail != "":
				last = a.detail
			}
		}
		if time.Now().After(deadline) {
			if rec.URL == "" {
				return 0, fmt.Errorf("not healthy after %s: pid %d answers /.well-known/health on none of the ports it listens on %v (set port: in ferry.yaml)", timeout, rec.PID, listeningPorts(rec.PID))
			}
			return 0, fmt.Errorf("not healthy after %s: %s", timeout, last)
		}
		if l.Wait != nil {
			l.Wait("waiting for "+orUnknown(rec.URL), time.Since(start))
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(pause):
		}
		// Most services answer within tens of milliseconds: poll fast
		// first, then back off.
		pause = min(pause*3/2, 200*time.Millisecond)
	}
}

// settle watches a process that just answered healthy through the Settle
// window: it must still run, and still answer, at its end.
func (l *Local) settle(ctx context.Context, rec *record) error {
	end := time.Now().Add(l.settleTime())
	for time.Now().Before(end) {
		if !alive(rec.PID, rec.StartTick) {
			return fmt.Errorf("process %d exited within %s of its first healthy answer at %s", rec.PID, l.settleTime(), rec.URL)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	if !alive(rec.PID, rec.StartTick) {
		return fmt.Errorf("process %d exited within %s of its first healthy answer at %s", rec.PID, l.settleTime(), rec.URL)
	}
	if a := l.probe(ctx, rec.URL, rec.PID); a.health != platform.HealthUp {
		return fmt.Errorf("healthy at first, then %s after %s: %s", a.health, l.settleTime(), a.detail)
	}
	return nil
}

// learnURL sets rec's health URL to /.well-known/health on the port the
// process listens on that answers it, and records it.
func (l *Local) learnURL(ctx context.Context, rec *record) {
	for _, p := range listeningPorts(rec.PID) {
		u := healthURL(nil, p)
		if a := l.probe(ctx, u, rec.PID); a.pid == rec.PID && a.health != platform.HealthDown {
			rec.URL = u
			l.rewrite(*rec)
			return
		}
	}
}

func orUnknown(url string) string {
	if url == "" {
		return "an unknown port"
	}
	return url
}

// local says whether url names this machine: only there can ferry tell
// which process answered.
func local(url string) bool {
	h := base(url)
	return strings.Contains(h, "://127.") || strings.Contains(h, "://localhost") || strings.Contains(h, "://[::1]")
}

// Health implements platform.Target: the health endpoint of the
// configuration q.Vars (or ferry.yaml's health:, port:), else of the
// environment's newest running revision, whose deploy learnt its port.
func (l *Local) Health(ctx context.Context, q platform.Query) (platform.Health, string) {
	port, _ := servicePort(q.Environment, q.Vars)
	url := healthURL(q.Environment, port)
	recs, err := l.running(q.Env)
	if err != nil {
		return platform.HealthUnknown, err.Error()
	}
	if len(recs) > 0 && (url == "" || port == 0) {
		url = recs[len(recs)-1].URL
	}
	if url == "" {
		return platform.HealthUnknown, "the service's port is not known: set port: in ferry.yaml"
	}
	return platform.CheckHTTP(ctx, l.client(), url)
}

// instance describes the process for the caller; its Private is the
// whole record, which Reattach takes back.
func (r *record) instance() platform.Instance {
	data, _ := json.Marshal(r)
	return platform.Instance{Name: "pid " + strconv.Itoa(r.PID), Revision: r.Revision, Digest: r.Digest,
		Configs: r.Configs, Started: r.Since, Private: data, Details: r.details()}
}

// details are the process's facts as people see them: its pid and the
// executable its artifact holds (Live replaces it with the one that
// runs).
func (r *record) details() map[string]string {
	d := map[string]string{platform.DetailPID: strconv.Itoa(r.PID)}
	if r.BinaryDigest != "" {
		d[platform.DetailExecutable] = r.BinaryDigest
	}
	return d
}

var _ platform.Describer = (*Local)(nil)

// Describe implements platform.Describer: the pid its record holds.
func (l *Local) Describe(in platform.Instance) map[string]string {
	var rec record
	if json.Unmarshal(in.Private, &rec) != nil || rec.PID == 0 {
		return nil
	}
	return map[string]string{platform.DetailPID: strconv.Itoa(rec.PID)}
}

// Live implements platform.Target: the process listening on the
// environment's HTTP port, whoever started it, else its newest revision's
// process. The digest it runs is the one its revision recorded before it
// started, provided its executable and configuration layer are still
// what that artifact holds; it is never guessed from the executable
// alone (two artifacts that differ only in configs/ share one).
func (l *Local) Live(ctx context.Context, q platform.Query) (*platform.Live, error) {
	recs, err := l.running(q.Env)
	if err != nil {
		return nil, err
	}
	own := make([]int, 0, len(recs))
	for _, r := range recs {
		own = append(own, r.PID)
	}
	var pid int
	port, _ := servicePort(q.Environment, q.Vars)
	if port == 0 && len(recs) > 0 {
		port = urlPort(recs[len(recs)-1].URL)
	}
	if port > 0 && (q.Vars != nil || q.Environment != nil) {
		pid, _ = listener(port, own...)
	}
	if pid == 0 && len(recs) > 0 {
		pid = recs[len(recs)-1].PID
	}
	if pid == 0 {
		return nil, fmt.Errorf("environment %q: %w", q.Env, platform.ErrNotRunning)
	}
	rec := record{PID: pid}
	ours := false
	for _, r := range recs {
		if r.PID == pid {
			rec, ours = r, true
		}
	}
	if rec.StartTick == 0 {
		_, rec.StartTick, _ = procStat(pid)
	}
	inst := rec.instance()
	if inst.Env, err = environ(pid); err != nil {
		return nil, fmt.Errorf("environment %q: reading pid %d: %w", q.Env, pid, err)
	}
	exe, err := l.exeDigest(pid, rec)
	if err != nil {
		return nil, fmt.Errorf("environment %q: reading pid %d's executable: %w", q.Env, pid, err)
	}
	inst.Details[platform.DetailExecutable] = exe
	if cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid)); err == nil {
		inst.Configs, _ = configsDigest(cwd)
	}
	inst.Digest = ""
	switch {
	case !ours:
		inst.Mismatch = "not started by ferry"
	case exe != rec.BinaryDigest:
		// The target owns this fact: verify learns of it as a mismatch.
		inst.Mismatch = fmt.Sprintf("its executable is %s, not %s's %s", short(exe), short(rec.Digest), short(rec.BinaryDigest))
	case rec.Configs != "" && inst.Configs != rec.Configs:
		inst.Mismatch = fmt.Sprintf("its configs/ (%s) is not %s's configuration layer (%s)", short(inst.Configs), short(rec.Digest), short(rec.Configs))
	default:
		inst.Digest = rec.Digest
	}
	// The revision is judged at the health URL it was deployed with and
	// answered at: ferry.yaml's health: edited since then describes the
	// next deploy, not this process.
	url := rec.URL
	if u := healthURL(q.Environment, port); u != "" && (url == "" || !ours) {
		url = u
	}
	live := &platform.Live{Env: q.Env, Revision: rec.Revision, Digest: inst.Digest, URL: base(url)}
	if url == "" {
		live.Health, live.HealthDetail = platform.HealthUnknown, "the service's port is not known: set port: in ferry.yaml"
	} else {
		live.Health, live.HealthDetail = platform.CheckHTTP(ctx, l.client(), url)
	}
	inst.Ready = live.Health == platform.HealthUp || live.Health == platform.HealthDegraded
	live.Instances = []platform.Instance{inst}
	return live, nil
}

func short(d string) string {
	if len(d) > 19 {
		return d[:19]
	}
	return d
}

// Revisions implements platform.Target.
func (l *Local) Revisions(_ context.Context, env string) ([]int, error) {
	recs, err := l.running(env)
	var out []int
	for _, r := range recs {
		out = append(out, r.Revision)
	}
	return out, err
}

// Stop implements platform.Target.
// It returns an error naming every process that is still there after
// SIGKILL: `down` never says "stopped" while something runs.
func (l *Local) Stop(ctx context.Context, env string, keep int) error {
	recs, err := l.running(env)
	errs := []error{err}
	for _, r := range recs {
		if r.Revision != keep {
			errs = append(errs, l.stop(ctx, r))
		}
	}
	return errors.Join(errs...)
}

// StopPID stops a process ferry did not start (found on the env's port).
func (l *Local) StopPID(ctx context.Context, pid int) error {
	_, tick, _ := procStat(pid)
	return l.stop(ctx, record{PID: pid, StartTick: tick})
}

// stop sends SIGTERM and waits the process's own SHUTDOWN_DELAY (it
// keeps serving while it fails readiness) and SHUTDOWN_GRACE_PERIOD
// (GoFr's 30s default) plus a margin, then SIGKILL.
func (l *Local) stop(ctx context.Context, r record) error {
	wait := 30 * time.Second
	if e, err := environ(r.PID); err == nil {
		if d, err := time.ParseDuration(e["SHUTDOWN_GRACE_PERIOD"]); err == nil && d >= 0 {
			wait = d
		}
		if d, err := time.ParseDuration(e["SHUTDOWN_DELAY"]); err == nil && d > 0 {
			wait += d
		}
	}
	return l.kill(r, wait+2*time.Second)
}

// kill sends SIGTERM, waits up to wait, then SIGKILL; it returns an error
// when the process is still there after that.
func (l *Local) kill(r record, wait time.Duration) error {
	if !alive(r.PID, r.StartTick) {
		return nil
	}
	signal(r.PID, syscall.SIGTERM)
	start := time.Now()
	deadline := start.Add(wait)
	for time.Now().Before(deadline) {
		if !alive(r.PID, r.StartTick) {
			return nil
		}
		if l.Wait != nil && time.Since(start) > time.Second {
			l.Wait(fmt.Sprintf("stopping pid %d (SIGTERM, up to %s)", r.PID, wait.Round(time.Second)), time.Since(start))
		}
		time.Sleep(20 * time.Millisecond)
	}
	signal(r.PID, syscall.SIGKILL)
	for range 200 {
		if !alive(r.PID, r.StartTick) {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("pid %d (revision %d) is still running after SIGKILL", r.PID, r.Revision)
}

// exeDigest is the sha256 of the executable pid runs, read through
// /proc/<pid>/exe. A process ferry started whose executable still has
// the identity recorded at start runs its record's BinaryDigest: nothing
// is read. Otherwise the digest is kept per file identity for the life
// of this ferry: two environments running one digest run one file, and a
// promotion reads it twice (source, then verify).
func (l *Local) exeDigest(pid int, rec record) (string, error) {
	path := fmt.Sprintf("/proc/%d/exe", pid)
	key, err := fileID(path)
	if err != nil {
		// A leader thread that has exited: ask a thread that has not.
		tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
		for _, t := range tasks {
			p := fmt.Sprintf("/proc/%d/task/%s/exe", pid, t.Name())
			if k, terr := fileID(p); terr == nil {
				path, key, err = p, k, nil
				break
			}
		}
	}
	if err != nil {
		return "", err
	}
	if rec.ExeID != "" && key == rec.ExeID && rec.BinaryDigest != "" {
		return rec.BinaryDigest, nil
	}
	if d, ok := l.digests.Load(key); ok {
		return d.(string), nil
	}
	d, err := artifact.FileDigest(path)
	if err == nil {
		l.digests.Store(key, d)
	}
	return d, err
}

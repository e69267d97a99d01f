// Package local is the embedded default target: an environment is a set
// of processes on this machine. A deploy unpacks the image by digest,
// starts its binary from the unpacked root with exactly the given
// environment, detached in its own session with its output in a log file,
// waits for /.well-known/health and then stops the previous revision with
// SIGTERM and its SHUTDOWN_GRACE_PERIOD.
//
// Revision n of environment e keeps its files in <RunDir>/e/r<n>/:
// process.json (pid, start tick, digest, executable) and log. Every
// revision of e runs in <RunDir>/e/work/, which links the image's working
// directory (the binary, configs/): a file the service writes by a relative
// path lands there, so two environments running the same digest never
// share it.
package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ferrydev/ferry/artifact"
	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/project"
)

func init() {
	platform.Register("local", func(o platform.Options) (platform.Target, error) {
		l := New(o.Project.Dir, o.Images)
		l.Wait = o.Wait
		return l, nil
	})
}

// Local runs environments as processes on this machine.
type Local struct {
	// Images holds the artifacts to unpack.
	Images *artifact.Store
	// RunDir holds unpacked roots, logs and process records.
	RunDir string
	// HTTPClient calls health endpoints; a 2s-timeout client by default.
	HTTPClient *http.Client
	// Wait, when set, is told about long waits (for progress on a TTY).
	Wait func(what string, elapsed time.Duration)
	// Hook, when set, is called at named points of a deploy
	// ("previous-stopped", "new-started"): tests kill ferry there.
	Hook func(point string)
	// digests caches executables' digests by file identity.
	digests sync.Map
	// ProjectDir is the project's directory (for ${FERRY_DATA} and
	// relative secrets files).
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
	return &Local{Images: images, RunDir: filepath.Join(projectDir, ".ferry", "run"), ProjectDir: projectDir}
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
	URL          string    `json:"url"`
}

func (l *Local) client() *http.Client {
	if l.HTTPClient != nil {
		return l.HTTPClient
	}
	return &http.Client{Timeout: 2 * time.Second}
}

func (l *Local) revDir(env string, rev int) string {
	return filepath.Join(l.RunDir, env, "r"+strconv.Itoa(rev))
}

// HealthURL is where the environment's health endpoint is for vars.
func HealthURL(vars map[string]string, override string) string {
	if override != "" {
		return override
	}
	return "http://127.0.0.1:" + strconv.Itoa(port(vars, "HTTP_PORT", 8000)) + "/.well-known/health"
}

func port(vars map[string]string, key string, def int) int {
	if v, ok := vars[key]; ok {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return def
}

// running returns the environment's live processes by revision.
func (l *Local) running(env string) []record {
	dirs, _ := filepath.Glob(filepath.Join(l.RunDir, env, "r*", "process.json"))
	var out []record
	for _, f := range dirs {
		var r record
		data, err := os.ReadFile(f)
		if err != nil || json.Unmarshal(data, &r) != nil {
			continue
		}
		if alive(r.PID, r.StartTick) {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Revision < out[j].Revision })
	return out
}

// Deploy implements platform.Target.
func (l *Local) Deploy(ctx context.Context, s platform.Spec) (*platform.Rollout, error) {
	root, err := l.Images.Unpack(s.Digest, filepath.Join(l.RunDir, "roots"))
	if err != nil {
		return nil, err
	}
	img, err := l.Images.Resolve(s.Digest)
	if err != nil {
		return nil, err
	}
	vars := map[string]string{}
	for _, v := range s.Vars {
		vars[v.Key] = v.Value
	}
	var others []record
	for _, r := range l.running(s.Env) {
		if r.Revision != s.Revision {
			others = append(others, r)
		}
	}
	// A port held by anything but the environment's own revisions is an
	// error before anything is touched. A port its previous revision
	// holds is shared when that revision's socket allows it
	// (SO_REUSEPORT): the new revision starts beside the old one, which
	// is stopped — and drains — only once the new one listens, so the
	// port never goes unanswered. Otherwise the two cannot overlap on one
	// machine: the old revision drains first and is restored on failure.
	busy, share := false, true
	for _, key := range []string{"HTTP_PORT", "METRICS_PORT"} {
		def := map[string]int{"HTTP_PORT": 8000, "METRICS_PORT": 2121}[key]
		p := port(vars, key, def)
		if p == 0 {
			continue
		}
		own := make([]int, 0, len(others))
		for _, o := range others {
			own = append(own, o.PID)
		}
		pids, listening := listeners(p, own...)
		if !listening {
			continue
		}
		for _, pid := range pids {
			if !slices.ContainsFunc(others, func(o record) bool { return o.PID == pid }) {
				return nil, &platform.PortInUseError{Port: p, PID: pid}
			}
		}
		if len(pids) == 0 {
			return nil, &platform.PortInUseError{Port: p}
		}
		busy = true
		share = share && shareable(p)
	}
	stopFirst := busy && !share
	overlap := busy && share
	type saved struct {
		rec record
		env []string
	}
	var restore []saved
	var stopWait time.Duration
	if busy {
		for _, o := range others {
			e, err := environ(o.PID)
			if err != nil {
				return nil, fmt.Errorf("reading revision %d's environment: %w", o.Revision, err)
			}
			restore = append(restore, saved{o, envList(e)})
		}
	}
	stopOthers := func() {
		t0 := time.Now()
		for _, o := range others {
			_ = l.stop(ctx, o)
		}
		stopWait = time.Since(t0)
		l.at("previous-stopped")
	}
	if stopFirst {
		stopOthers()
	}
	url := HealthURL(vars, healthOverride(s.Environment))
	work, err := linkWorkDir(filepath.Join(l.RunDir, s.Env, "work"), filepath.Join(root, filepath.FromSlash(artifact.WorkDir)))
	if err != nil {
		return nil, fmt.Errorf("preparing %s's working directory: %w", s.Env, err)
	}
	rec := record{Env: s.Env, Revision: s.Revision, Digest: s.Digest, BinaryDigest: img.BinaryDigest,
		Exe: filepath.Join(root, filepath.FromSlash(img.BinaryPath)), Root: root, Dir: work, URL: url}
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	env := make([]string, 0, len(keys))
	for _, k := range keys {
		env = append(env, k+"="+vars[k])
	}
	t0 := time.Now()
	// Write-ahead: the process is created held at its gate, recorded
	// (process.json, then the caller's state store), and only then let
	// run; a ferry killed before that leaves a gate that exits.
	proc, gate, startErr := l.start(rec, env)
	l.at("new-started")
	if startErr == nil && s.Started != nil {
		startErr = s.Started(proc.instance())
	}
	if startErr == nil {
		l.at("pid-recorded")
		startErr = gate.open()
	} else {
		gate.abort()
	}
	oldStopped := stopFirst
	if startErr == nil && overlap {
		// Health through the shared port could be the old revision's
		// answer: wait for the new one to listen, stop the old one,
		// then ask.
		if startErr = l.waitListening(ctx, proc, port(vars, "HTTP_PORT", 8000), s.HealthTimeout); startErr == nil {
			stopOthers()
			oldStopped = true
		}
	}
	if startErr == nil {
		startErr = l.waitHealthy(ctx, proc, s.HealthTimeout)
	}
	startup := time.Since(t0)
	if overlap && oldStopped {
		startup -= stopWait // the old revision's drain is not the new one's start
	}
	if startErr != nil {
		if proc != nil {
			l.kill(*proc, 3*time.Second)
		}
		derr := &platform.DeployError{Env: s.Env, Revision: s.Revision, Reason: startErr.Error()}
		if proc != nil {
			derr.LogTail = tail(proc.Log, 10)
		}
		if oldStopped {
			ok := len(restore) > 0
			for _, r := range restore {
				p, g, err := l.start(r.rec, r.env)
				if err == nil {
					err = g.open()
				}
				if err == nil {
					err = l.waitHealthy(context.WithoutCancel(ctx), p, s.HealthTimeout)
				}
				ok = ok && err == nil
			}
			derr.Restored = ok
		} else {
			derr.Restored = len(others) > 0
		}
		return nil, derr
	}
	if !oldStopped {
		stopOthers()
	}
	if err := l.PruneRoots(); err != nil {
		return nil, fmt.Errorf("pruning unused image roots: %w", err)
	}
	inst := proc.instance()
	inst.Digest, inst.Executable, inst.Revision, inst.Ready = s.Digest, img.BinaryDigest, s.Revision, true
	return &platform.Rollout{Instances: []platform.Instance{inst}, URL: baseURL(vars),
		Startup: startup, StopWait: stopWait}, nil
}

func envList(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// linkWorkDir makes work mirror the image's working directory src with a
// symbolic link per entry (configs/, the binary), pointing at the root
// being deployed. Files the service itself wrote there are left alone.
func linkWorkDir(work, src string) (string, error) {
	if err := os.MkdirAll(work, 0o755); err != nil {
		return "", err
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		link := filepath.Join(work, e.Name())
		if fi, err := os.Lstat(link); err == nil {
			if fi.Mode()&os.ModeSymlink == 0 {
				return "", fmt.Errorf("%s is in the way of the image's %s", link, e.Name())
			}
			if err := os.Remove(link); err != nil {
				return "", err
			}
		}
		if err := os.Symlink(filepath.Join(src, e.Name()), link); err != nil {
			return "", err
		}
	}
	return work, nil
}

// waitHealthy polls the health endpoint until it answers 200, the process
// dies, or the timeout passes.
func (l *Local) waitHealthy(ctx context.Context, rec *record, timeout time.Duration) error {
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	start := time.Now()
	deadline := start.Add(timeout)
	pause := 5 * time.Millisecond
	var last string
	for {
		if !alive(rec.PID, rec.StartTick) {
			return fmt.Errorf("process %d exited before it became healthy", rec.PID)
		}
		h, detail := l.health(ctx, rec.URL)
		if h == platform.HealthUp || h == platform.HealthDegraded {
			return nil
		}
		last = detail
		if time.Now().After(deadline) {
			return fmt.Errorf("not healthy after %s: %s", timeout, last)
		}
		if l.Wait != nil {
			l.Wait("waiting for "+rec.URL, time.Since(start))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
		// Most services answer within tens of milliseconds: poll fast
		// first, then back off.
		pause = min(pause*3/2, 200*time.Millisecond)
	}
}

// health calls url's GoFr health endpoint.
func (l *Local) health(ctx context.Context, url string) (platform.Health, string) {
	return platform.CheckHTTP(ctx, l.client(), url)
}

// Health implements platform.Target: the health endpoint of the
// configuration q.Vars (or ferry.yaml's health: URL).
func (l *Local) Health(ctx context.Context, q platform.Query) (platform.Health, string) {
	return l.health(ctx, HealthURL(q.Vars, healthOverride(q.Environment)))
}

func healthOverride(env *project.Environment) string {
	if env == nil {
		return ""
	}
	return env.Health
}

// baseURL is where the service of vars answers on this machine.
func baseURL(vars map[string]string) string {
	return "http://127.0.0.1:" + strconv.Itoa(port(vars, "HTTP_PORT", 8000))
}

// instance describes the process for the caller; its Private is the
// whole record, which Reattach takes back.
func (r *record) instance() platform.Instance {
	data, _ := json.Marshal(r)
	return platform.Instance{Name: "pid " + strconv.Itoa(r.PID), PID: r.PID, Revision: r.Revision, Digest: r.Digest,
		Executable: r.BinaryDigest, Started: r.Since, Private: data}
}

// Live implements platform.Target: the process listening on the
// environment's HTTP port, whoever started it, else its newest revision's
// process.
func (l *Local) Live(ctx context.Context, q platform.Query) (*platform.Live, error) {
	recs := l.running(q.Env)
	var pid int
	if p := port(q.Vars, "HTTP_PORT", 8000); p > 0 && q.Vars != nil {
		own := make([]int, 0, len(recs))
		for _, r := range recs {
			own = append(own, r.PID)
		}
		pid, _ = listener(p, own...)
	}
	if pid == 0 && len(recs) > 0 {
		pid = recs[len(recs)-1].PID
	}
	if pid == 0 {
		return nil, fmt.Errorf("environment %q: %w", q.Env, platform.ErrNotRunning)
	}
	rec := record{PID: pid}
	for _, r := range recs {
		if r.PID == pid {
			rec = r
		}
	}
	if rec.StartTick == 0 {
		_, rec.StartTick, _ = procStat(pid)
	}
	inst := rec.instance()
	var err error
	if inst.Env, err = environ(pid); err != nil {
		return nil, fmt.Errorf("environment %q: reading pid %d: %w", q.Env, pid, err)
	}
	if inst.Executable, err = l.exeDigest(pid); err != nil {
		return nil, fmt.Errorf("environment %q: reading pid %d's executable: %w", q.Env, pid, err)
	}
	inst.Digest = ""
	if l.Images != nil {
		if img, err := l.Images.FindBinary(inst.Executable); err == nil {
			inst.Digest = img.Digest
		}
	}
	url := rec.URL
	if url == "" || healthOverride(q.Environment) != "" {
		url = HealthURL(inst.Env, healthOverride(q.Environment))
	}
	live := &platform.Live{Env: q.Env, Revision: rec.Revision, Digest: inst.Digest, URL: baseURL(inst.Env)}
	live.Health, live.HealthDetail = l.health(ctx, url)
	inst.Ready = live.Health == platform.HealthUp || live.Health == platform.HealthDegraded
	live.Instances = []platform.Instance{inst}
	return live, nil
}

// Revisions implements platform.Target.
func (l *Local) Revisions(_ context.Context, env string) ([]int, error) {
	var out []int
	for _, r := range l.running(env) {
		out = append(out, r.Revision)
	}
	return out, nil
}

// pruneAfter is how long an unpacked image root no process runs from is
// kept: a rollback soon after a promotion finds it still there.
const pruneAfter = time.Hour

// PruneRoots removes the unpacked image roots that no live process of any
// environment runs from and that were not used for pruneAfter. Roots are a
// cache: a later deploy of the same digest unpacks it again.
func (l *Local) PruneRoots() error {
	envs, err := os.ReadDir(l.RunDir)
	if err != nil {
		return nil
	}
	inUse := map[string]bool{}
	for _, e := range envs {
		if e.IsDir() && e.Name() != "roots" {
			for _, r := range l.running(e.Name()) {
				inUse[filepath.Clean(r.Root)] = true
			}
		}
	}
	roots, _ := os.ReadDir(filepath.Join(l.RunDir, "roots"))
	var errs []error
	for _, r := range roots {
		path := filepath.Join(l.RunDir, "roots", r.Name())
		info, err := r.Info()
		if err != nil || !r.IsDir() || inUse[path] || time.Since(info.ModTime()) < pruneAfter {
			continue
		}
		errs = append(errs, os.RemoveAll(path))
	}
	return errors.Join(errs...)
}

// Stop implements platform.Target.
// It returns an error naming every process that is still there after
// SIGKILL: `down` never says "stopped" while something runs.
func (l *Local) Stop(ctx context.Context, env string, keep int) error {
	var errs []error
	for _, r := range l.running(env) {
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

// tail returns the last n lines of the file at path.
func tail(path string, n int) []string {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	if len(lines) == 1 && lines[0] == "" {
		return nil
	}
	return lines
}

// Tail returns the last n lines of revision rev's log in env.
func (l *Local) Tail(env string, rev, n int) []string {
	return tail(filepath.Join(l.revDir(env, rev), "log"), n)
}

// waitListening waits until rec's process listens on port, dies, or the
// timeout passes.
func (l *Local) waitListening(ctx context.Context, rec *record, port int, timeout time.Duration) error {
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	start := time.Now()
	for pause := 5 * time.Millisecond; ; pause = min(pause*3/2, 200*time.Millisecond) {
		if !alive(rec.PID, rec.StartTick) {
			return fmt.Errorf("process %d exited before it listened on port %d", rec.PID, port)
		}
		if pids, _ := listeners(port, rec.PID); slices.Contains(pids, rec.PID) {
			return nil
		}
		if time.Since(start) > timeout {
			return fmt.Errorf("not listening on port %d after %s", port, timeout)
		}
		if l.Wait != nil {
			l.Wait(fmt.Sprintf("waiting for pid %d to listen on port %d", rec.PID, port), time.Since(start))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
	}
}

// exeDigest is the sha256 of the executable pid runs, read through
// /proc/<pid>/exe. Two environments running one digest run one unpacked
// file, and a promotion reads it twice (source, then verify): the digest
// is kept per file identity — device, inode, size, modification and
// change times, the last of which any write or rename moves.
func (l *Local) exeDigest(pid int) (string, error) {
	path := fmt.Sprintf("/proc/%d/exe", pid)
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return "", err
	}
	key := fmt.Sprintf("%d/%d/%d/%d.%d/%d.%d", st.Dev, st.Ino, st.Size, st.Mtim.Sec, st.Mtim.Nsec, st.Ctim.Sec, st.Ctim.Nsec)
	if d, ok := l.digests.Load(key); ok {
		return d.(string), nil
	}
	d, err := artifact.FileDigest(path)
	if err == nil {
		l.digests.Store(key, d)
	}
	return d, err
}

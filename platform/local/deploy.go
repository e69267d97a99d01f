package local

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/ferrydev/ferry/artifact"
	"github.com/ferrydev/ferry/platform"
)

// deployment is one Deploy in progress: the revision to start and the
// revisions it replaces.
type deployment struct {
	s    platform.Spec
	run  *runFS
	root string // the unpacked image
	img  *artifact.Image
	vars map[string]string
	// others are the environment's running revisions but the new one;
	// own their pids.
	others []record
	own    []int
	// configured is the HTTP port the configuration names (0: learnt
	// from what the new process listens on).
	configured int
	// stopFirst: the port cannot be shared, the old revisions stop
	// before the new one starts and restore holds what restarts them.
	stopFirst bool
	restore   []saved
	stopWait  time.Duration
}

// saved is a stopped revision's record and environment, to restart it.
type saved struct {
	rec record
	env []string
}

// Deploy implements platform.Target.
//
// The new revision must prove itself while the old one still serves:
// ferry waits until the new process itself answers its health endpoint
// (the kernel's socket table says which process accepted the probe; an
// answer from the old revision, sharing the port, counts for nothing) and
// then stays alive through the settle window. Only then is the old
// revision stopped. A new revision that dies or never becomes healthy is
// stopped and the old one has served throughout; only when the two cannot
// share a port (no SO_REUSEPORT) must the old one stop first, and it is
// restarted on failure.
func (l *Local) Deploy(ctx context.Context, s platform.Spec) (*platform.Rollout, error) {
	run, err := l.openRun(true)
	if err != nil {
		return nil, err
	}
	defer run.Close()
	d, err := l.prepare(run, s)
	if err != nil {
		return nil, err
	}
	if err := d.checkPorts(); err != nil {
		return nil, err
	}
	if d.stopFirst {
		if err := d.saveOthers(); err != nil {
			return nil, err
		}
		l.stopOthers(ctx, d)
	}
	rec, err := l.newRecord(d)
	if err != nil {
		return nil, err
	}
	proc, startup, err := l.launch(ctx, d, rec)
	if err != nil {
		return nil, l.recover(ctx, d, proc, err)
	}
	if !d.stopFirst {
		l.stopOthers(ctx, d)
	}
	if err := l.PruneRoots(); err != nil {
		return nil, fmt.Errorf("pruning unused image roots: %w", err)
	}
	inst := proc.instance()
	inst.Digest, inst.Configs, inst.Revision, inst.Ready = s.Digest, proc.Configs, s.Revision, true
	inst.Details[platform.DetailExecutable] = d.img.BinaryDigest
	return &platform.Rollout{Instances: []platform.Instance{inst}, URL: base(proc.URL),
		Startup: startup, StopWait: d.stopWait}, nil
}

// prepare unpacks the image and finds the revisions the new one replaces.
func (l *Local) prepare(run *runFS, s platform.Spec) (*deployment, error) {
	if err := run.ownDir("run/roots", true); err != nil {
		return nil, err
	}
	root, err := l.Images.Unpack(s.Digest, run.path("run/roots"))
	if err != nil {
		return nil, err
	}
	img, err := l.Images.Resolve(s.Digest)
	if err != nil {
		return nil, err
	}
	recs, err := run.running(s.Env)
	if err != nil {
		return nil, err
	}
	if err := run.usable(s.Env, s.Revision); err != nil {
		return nil, err
	}
	d := &deployment{s: s, run: run, root: root, img: img, vars: map[string]string{}}
	for _, v := range s.Vars {
		d.vars[v.Key] = v.Value
	}
	for _, r := range recs {
		if r.Revision != s.Revision {
			d.others = append(d.others, r)
			d.own = append(d.own, r.PID)
		}
	}
	d.configured, _ = servicePort(s.Environment, d.vars)
	return d, nil
}

// checkPorts refuses a port held by anything but the environment's own
// revisions before anything is touched, and decides whether the new
// revision can start beside the old ones. A port its previous revision
// holds is shared when that revision's socket allows it (SO_REUSEPORT).
// Otherwise the two cannot overlap on one machine: the old revision
// drains first and is restored on failure.
func (d *deployment) checkPorts() error {
	httpPort := d.configured
	if httpPort == 0 {
		// Nothing says: the new process's port is learnt from what it
		// listens on; the previous revision's (learnt the same way) is
		// the likely one, whose holder must be known beforehand.
		for _, o := range d.others {
			httpPort = max(httpPort, urlPort(o.URL))
		}
	}
	busy, share := false, true
	for _, p := range uniquePorts(httpPort, metricsPort(d.vars)) {
		pids, listening := listeners(p, d.own...)
		if !listening {
			continue
		}
		for _, pid := range pids {
			if !slices.Contains(d.own, pid) {
				return &platform.PortInUseError{Port: p, PID: pid}
			}
		}
		if len(pids) == 0 {
			return &platform.PortInUseError{Port: p}
		}
		busy = true
		share = share && shareable(p)
	}
	d.stopFirst = busy && !share
	return nil
}

// saveOthers keeps what restarts the old revisions should the new one
// fail after they stopped.
func (d *deployment) saveOthers() error {
	for _, o := range d.others {
		e, err := environ(o.PID)
		if err != nil {
			return fmt.Errorf("reading revision %d's environment: %w", o.Revision, err)
		}
		d.restore = append(d.restore, saved{o, envList(e)})
	}
	return nil
}

// stopOthers stops the revisions the new one replaces. Stopping is not
// interrupted with the command: a revision half stopped serves nobody.
func (l *Local) stopOthers(ctx context.Context, d *deployment) {
	t0 := time.Now()
	for _, o := range d.others {
		_ = l.stop(context.WithoutCancel(ctx), o)
	}
	d.stopWait = time.Since(t0)
	l.at("previous-stopped")
}

// newRecord prepares the environment's working directory and records
// what the revision is started from before it starts: the executable's
// file identity (so that reading what runs later needs no hash of it)
// and its configuration layer's digest.
func (l *Local) newRecord(d *deployment) (record, error) {
	s, imgWork := d.s, filepath.Join(d.root, filepath.FromSlash(artifact.WorkDir))
	work, err := d.run.linkWorkDir(s.Env, imgWork)
	if err != nil {
		return record{}, fmt.Errorf("preparing %s's working directory: %w", s.Env, err)
	}
	rec := record{Env: s.Env, Revision: s.Revision, Digest: s.Digest, BinaryDigest: d.img.BinaryDigest,
		Exe: filepath.Join(d.root, filepath.FromSlash(d.img.BinaryPath)), Root: d.root, Dir: work,
		URL: healthURL(s.Environment, d.configured)}
	if rec.ExeID, err = fileID(rec.Exe); err != nil {
		return record{}, err
	}
	if rec.Configs, err = configsDigest(imgWork); err != nil {
		return record{}, fmt.Errorf("reading %s's configuration layer: %w", s.Digest, err)
	}
	return rec, nil
}

// launch starts the new revision and waits until it is healthy.
// Write-ahead: the process is created held at its gate, recorded
// (process.json, then the caller's state store), and only then let run;
// a ferry killed before that leaves a gate that exits. The process is
// returned even when it failed, for recover to stop.
func (l *Local) launch(ctx context.Context, d *deployment, rec record) (*record, time.Duration, error) {
	proc, gate, err := l.start(d.run, rec, envList(d.vars))
	l.at("new-started")
	if err == nil && d.s.Started != nil {
		err = d.s.Started(proc.instance())
	}
	if err != nil {
		gate.abort()
		return proc, 0, err
	}
	l.at("pid-recorded")
	if err := gate.open(); err != nil {
		return proc, 0, err
	}
	startup, err := l.waitHealthy(ctx, proc, d.s.HealthTimeout, d.own)
	return proc, startup, err
}

// recover stops a new revision that failed and leaves the previous one
// serving: restarted when it had to stop first. It returns the deploy's
// error.
func (l *Local) recover(ctx context.Context, d *deployment, proc *record, cause error) error {
	derr := &platform.DeployError{Env: d.s.Env, Revision: d.s.Revision, Reason: cause.Error(), Err: cause}
	if proc != nil {
		l.kill(*proc, 3*time.Second)
		derr.LogTail = l.Tail(proc.Env, proc.Revision, 10)
	}
	if len(d.others) > 0 {
		// The working directory goes back to the revision that serves.
		_, _ = d.run.linkWorkDir(d.s.Env, filepath.Join(d.others[len(d.others)-1].Root, filepath.FromSlash(artifact.WorkDir)))
	}
	if !d.stopFirst {
		derr.Restored = len(d.others) > 0
		return derr
	}
	ok := len(d.restore) > 0
	for _, r := range d.restore {
		p, g, err := l.start(d.run, r.rec, r.env)
		if err == nil {
			err = g.open()
		}
		if err == nil {
			_, err = l.waitHealthy(context.WithoutCancel(ctx), p, d.s.HealthTimeout, nil)
		}
		if err == nil {
			derr.Restarted = append(derr.Restarted, p.instance())
		}
		ok = ok && err == nil
	}
	derr.Restored = ok
	return derr
}

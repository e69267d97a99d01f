package serve

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"

	"strings"
	"sync"
	"time"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/promote"
	"github.com/ferrydev/ferry/remotelog"
	"github.com/ferrydev/ferry/secret"
	"github.com/ferrydev/ferry/soak"
	"github.com/ferrydev/ferry/view"
)

// historyShown is how many revisions a column lists; the rest are one
// link away, so that a long history does not slow the page.
const historyShown = 15

// Board is what the page shows: the promotion path as columns.
type Board struct {
	Service string
	Path    []string
	Columns []Column
	Levels  []string
	At      time.Time
	// Per request, not part of the snapshot.
	Authed       bool
	Flash, Error string
}

// Column is one environment.
type Column struct {
	view.EnvStatus
	Soak  *soak.Verdict
	Level remotelog.Current
	// VerifySummary and DriftSummary are one line each; verify and drift
	// are refreshed less often than health (they render the chart).
	VerifySummary string
	VerifyOK      bool
	DriftSummary  string
	// Carry is what a promotion to the next environment would carry.
	Carry *Carry
	// RollbackTo is the revision a rollback would return to; RollbackWhy,
	// when there is none, says why a rollback would be refused.
	RollbackTo  *view.Revision
	RollbackWhy string
	History     []view.Revision // newest first, at most historyShown
	Total, More int
	Levels      []view.LevelChange // newest first, at most historyShown
	// Refused are the refused promotions into this environment, newest
	// first, at most historyShown.
	Refused []promote.Refusal
	// NoRemoteLog: the live revision has no REMOTE_LOG_URL, so a log
	// level set here reaches no process.
	NoRemoteLog bool
}

// Carry is a promotion's payload: the digest running here, and the
// configuration changes the next environment would get with it (its
// drift), secrets named, never shown.
type Carry struct {
	From, To    string
	Digest, Tag string
	ToDigest    string
	Same        bool
	Changes     []view.Change
	// Why, when not empty, is the gate that would refuse the promotion
	// now (promote.Preflight: read-only gates only); Gates are all of
	// them as they stand.
	Why   string
	Gates []view.Gate
}

// Percent is how far a soak is, for the progress bar.
func (b *Board) Percent(v *soak.Verdict) int {
	for _, f := range v.Figures {
		if f.Name == "duration" && f.State == soak.Passed {
			return 100
		}
	}
	d, ok := b.soakDuration(v)
	if !ok || d <= 0 {
		return 100
	}
	return int(min(100, 100*v.To.Sub(v.From)/d))
}

func (b *Board) soakDuration(v *soak.Verdict) (time.Duration, bool) {
	for _, f := range v.Figures {
		if f.Name == "duration" {
			d, err := time.ParseDuration(strings.TrimPrefix(f.Limit, "≥ "))
			return d, err == nil
		}
	}
	return 0, false
}

// funcs are the page template's functions, made when the server parses
// it: a package-level map would be built at start-up for every command.
func funcs() template.FuncMap {
	return template.FuncMap{
		"short": func(d string) string {
			d = strings.TrimPrefix(d, "sha256:")
			if len(d) > 12 {
				return d[:12]
			}
			return d
		},
		"since": func(s string) string {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return s
			}
			return t.Local().Format("Jan 2 15:04:05")
		},
		"healthClass": func(h platform.Health) string { return strings.ToLower(string(h)) },
		"outcomeClass": func(o any) string {
			switch fmt.Sprint(o) {
			case "live":
				return "ok"
			case "failed", "aborted":
				return "bad"
			}
			return ""
		},
	}
}

// slow holds what is refreshed less often: verify and drift render the
// chart, which takes longer than a health check.
type slow struct {
	at     time.Time
	revs   map[string]int
	verify map[string]*view.Verify
	drift  map[string]*view.Drift
	errs   map[string]string

	preMu sync.Mutex
	pre   map[string]preflight
}

// preflight is a promotion's read-only gates as last judged, and what
// they were judged on.
type preflight struct {
	key   string
	at    time.Time
	why   string
	gates []view.Gate
}

// preflightEvery bounds how often a column's promotion is judged again
// while nothing it depends on changed: its signature gate may ask a
// registry, which the board's two-second refresh must not do each time.
const preflightEvery = 15 * time.Second

// preflight says why a promotion from col to next would be refused now
// ("" when it would not) and how its read-only gates stand. It is judged
// again when col's revision, health or soak state changed, or after
// preflightEvery.
func (sl *slow) preflight(ctx context.Context, c *promote.Config, col *Column, next string, now time.Time) (string, []view.Gate) {
	key := fmt.Sprintf("%s %d %s %s", next, col.Revision, col.Health, col.Digest)
	if col.Soak != nil {
		key += " " + string(col.Soak.State)
	}
	sl.preMu.Lock()
	p, ok := sl.pre[col.Name]
	sl.preMu.Unlock()
	if ok && p.key == key && now.Sub(p.at) < preflightEvery {
		return p.why, p.gates
	}
	p = preflight{key: key, at: now}
	plan, err := promote.Preflight(ctx, c, col.Name, next)
	if plan != nil {
		p.gates = view.Gates(plan.Gates)
	}
	if err != nil {
		p.why = why(err)
	}
	sl.preMu.Lock()
	if sl.pre == nil {
		sl.pre = map[string]preflight{}
	}
	sl.pre[col.Name] = p
	sl.preMu.Unlock()
	return p.why, p.gates
}

// build gathers the board. Health comes from status (in parallel per
// environment), soak from the stored samples, verify and drift from the
// slow cache.
func (s *Server) build(ctx context.Context, sl *slow) (*Board, error) {
	c := s.conf()
	st, err := promote.NewStatus(c).Run(ctx)
	if err != nil {
		return nil, err
	}
	p := c.Project
	b := &Board{Service: p.Service, Path: p.Path, Levels: remotelog.Levels, At: s.now()}
	b.Columns = make([]Column, len(st.Environments))
	var wg sync.WaitGroup
	for i, es := range st.Environments {
		col := &b.Columns[i]
		col.EnvStatus = es
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.fill(ctx, col, sl)
		}()
	}
	wg.Wait()
	for i := range b.Columns {
		col := &b.Columns[i]
		next, ok := p.Next(col.Name)
		if !ok || col.Digest == "" {
			continue
		}
		cr := &Carry{From: col.Name, To: next, Digest: col.Digest, Tag: col.Tag}
		for _, o := range b.Columns {
			if o.Name == next {
				cr.ToDigest, cr.Same = o.Digest, o.Digest == col.Digest
			}
		}
		if d := sl.drift[next]; d != nil {
			cr.Changes = d.Changes
		}
		cr.Why, cr.Gates = sl.preflight(ctx, c, col, next, s.now())
		col.Carry = cr
	}
	return b, nil
}

// fill adds an environment's history, soak, level and the slow facts.
func (s *Server) fill(ctx context.Context, col *Column, sl *slow) {
	c := s.conf()
	if revs, total, err := promote.Recent(c, col.Name, historyShown); err == nil {
		col.History, col.Total, col.More = revs, total, total-len(revs)
	}
	if to, err := promote.RollbackTarget(c, col.Name, 0); err == nil {
		col.RollbackTo = &to
	} else {
		col.RollbackWhy = why(err)
	}
	if ref, err := promote.Refusals(c, col.Name); err == nil {
		col.Refused = ref[:min(len(ref), historyShown)]
	}
	col.NoRemoteLog = !promote.PollsLevel(c, col.Name)
	if col.Digest != "" {
		if v, err := promote.NewSoak(c).Run(ctx, col.Name, false); err == nil {
			col.Soak = v
		}
	}
	if cur, err := promote.LogLevel(c, col.Name); err == nil {
		col.Level = cur
	}
	if changes, err := promote.LevelChanges(c, col.Name); err == nil {
		col.Levels = changes[:min(len(changes), historyShown)]
	}
	if v := sl.verify[col.Name]; v != nil {
		col.VerifySummary, col.VerifyOK = v.Summary(), v.OK()
	} else if e := sl.errs["verify "+col.Name]; e != "" {
		col.VerifySummary = e
	}
	switch d := sl.drift[col.Name]; {
	case d != nil && len(d.Changes) == 0:
		col.DriftSummary = "none: the repository matches the live revision"
	case d != nil:
		keys := make([]string, 0, len(d.Changes))
		for _, ch := range d.Changes {
			keys = append(keys, ch.Key)
		}
		col.DriftSummary = fmt.Sprintf("%d key(s) changed since: %s", len(d.Changes), strings.Join(keys, ", "))
	case sl.errs["drift "+col.Name] != "":
		col.DriftSummary = sl.errs["drift "+col.Name]
	default:
		col.DriftSummary = "—"
	}
}

// why is the reason an action would be refused, as one scrubbed line
// without the sentinel's prefix.
func why(err error) string {
	msg := err.Error()
	for _, p := range []string{promote.ErrInput.Error() + ": ", promote.ErrGate.Error() + ": "} {
		msg = strings.TrimPrefix(msg, p)
	}
	return secret.Scrub(msg)
}

// refreshSlow re-reads the project and re-runs verify and drift when an
// environment's revision changed, or every 30 refresh intervals (a minute
// by default).
func (s *Server) refreshSlow(ctx context.Context, sl *slow, b *Board) {
	changed := time.Since(sl.at) > 30*s.opts.Interval
	revs := map[string]int{}
	if b != nil {
		for _, col := range b.Columns {
			revs[col.Name] = col.Revision
			if sl.revs[col.Name] != col.Revision {
				changed = true
			}
		}
	}
	if !changed && sl.revs != nil {
		return
	}
	sl.at, sl.revs = time.Now(), revs
	// Reload the project too: drift must see the repository as it is now.
	if c := s.opts.Config(); c != nil {
		s.cfg.Store(c)
	}
	sl.verify, sl.drift, sl.errs = map[string]*view.Verify{}, map[string]*view.Drift{}, map[string]string{}
	for _, e := range s.conf().Project.Environments {
		if revs[e.Name] == 0 {
			continue
		}
		if v, err := promote.NewVerify(s.conf()).Run(ctx, e.Name); err == nil {
			sl.verify[e.Name] = v
		} else {
			sl.errs["verify "+e.Name] = err.Error()
		}
		if d, err := promote.NewDrift(s.conf()).Run(ctx, e.Name); err == nil {
			sl.drift[e.Name] = d
		} else {
			sl.errs["drift "+e.Name] = err.Error()
		}
	}
}

// refreshLoop rebuilds the board every interval (and at once when an
// action asks), scrapes what soaks, and tells the page when the board
// changed.
func (s *Server) refreshLoop(ctx context.Context) {
	sl := &slow{}
	t := time.NewTicker(s.opts.Interval)
	defer t.Stop()
	for {
		s.refresh(ctx, sl)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.kick():
		}
	}
}

func (s *Server) refresh(ctx context.Context, sl *slow) {
	b, err := s.build(ctx, sl)
	if err != nil {
		s.log.Warn("refreshing the board", "err", err)
		return
	}
	s.refreshSlow(ctx, sl, b)
	if b2, err := s.build(ctx, sl); err == nil {
		b = b2
	}
	s.scrapers.sync(ctx, s.conf(), b)
	s.publish(b)
}

// publish stores b and, when what it shows changed, tells subscribers.
func (s *Server) publish(b *Board) {
	v := fingerprint(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.board = b
	if v == s.version {
		return
	}
	s.version = v
	for ch := range s.subs {
		select {
		case ch <- v:
		default:
		}
	}
}

// fingerprint identifies what a board shows, leaving out its time.
func fingerprint(b *Board) string {
	cp := *b
	cp.At = time.Time{}
	data, _ := json.Marshal(cp)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:8])
}

// current returns the latest board, building it when there is none yet.
func (s *Server) current(ctx context.Context) (*Board, error) {
	s.mu.Lock()
	b := s.board
	s.mu.Unlock()
	if b != nil {
		return b, nil
	}
	b, err := s.build(ctx, &slow{})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.board == nil {
		s.board = b
	}
	s.mu.Unlock()
	return b, nil
}

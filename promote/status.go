package promote

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/state"
	"github.com/ferrydev/ferry/view"
)

// Status reports every environment.
type Status struct{ cfg *Config }

// NewStatus returns a Status over cfg.
func NewStatus(cfg *Config) *Status { return &Status{cfg: cfg} }

// Run reports every environment in path order. It reads each store once
// and asks each environment's target for its health, in parallel; it
// renders nothing, so it stays fast.
func (s *Status) Run(ctx context.Context) (*view.Status, error) {
	c := s.cfg
	out := make([]view.EnvStatus, len(c.Project.Environments))
	var wg sync.WaitGroup
	for i, e := range c.Project.Environments {
		es := view.EnvStatus{Environment: e.Name, Name: e.Name, Target: e.Target, Health: platform.HealthUnknown}
		out[i] = es
		t, err := c.Target(e)
		if err != nil {
			continue // a target this ferry cannot reach: health unknown
		}
		r, err := c.current(e)
		if err != nil {
			return nil, err
		}
		if r == nil {
			continue
		}
		es.Digest, es.Tag, es.Revision, es.Since = r.Digest, r.Tag, r.Number, r.Since.Format(time.RFC3339)
		es.Signature = c.signatureView(ctx, e, r.Digest)
		es.Health = platform.HealthDown
		out[i] = es
		wg.Add(1)
		go func() {
			defer wg.Done()
			running, _ := t.Revisions(ctx, e.Name)
			if !slices.Contains(running, r.Number) {
				return
			}
			es.SetDetails(details(t, r))
			left := e.Soak - c.now().Sub(r.Since)
			es.SoakRemaining = max(left, 0).Round(time.Second).String()
			es.Health, es.HealthDetail = t.Health(ctx, platform.Query{Env: e.Name, Environment: e, Vars: snapshotVars(r)})
			out[i] = es
		}()
	}
	wg.Wait()
	// A change awaiting review (gitops pull-request mode) comes first:
	// it is what the environment waits for.
	for i, e := range c.Project.Environments {
		if r, err := c.awaiting(e); err == nil {
			note := fmt.Sprintf("revision %d awaits review: %s", r.Number, ReviewNote(r))
			out[i].HealthDetail = strings.TrimSuffix(note+"; "+out[i].HealthDetail, "; ")
		}
	}
	return &view.Status{Environments: out}, nil
}

// details are what t says of r's first instance it describes, from its
// own record (the local target: the pid); nil for a target that says
// nothing.
func details(t platform.Target, r *state.Revision) map[string]string {
	d, ok := t.(platform.Describer)
	if !ok {
		return nil
	}
	for _, in := range r.Instances {
		if m := d.Describe(platform.Instance{Name: in.Name, Revision: r.Number, Started: in.Started, Private: in.Private}); len(m) > 0 {
			return m
		}
	}
	return nil
}

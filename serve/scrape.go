package serve

import (
	"context"
	"sync"

	"github.com/ferrydev/ferry/promote"
)

// scrapers runs one soak.Watch per environment whose live revision has a
// metrics soak, and moves it along when the revision changes.
type scrapers struct {
	mu  sync.Mutex
	run map[string]*watch // by environment
}

type watch struct {
	rev    int
	cancel context.CancelFunc
	done   chan struct{}
}

// sync starts, moves and stops watchers to match the board.
func (sc *scrapers) sync(ctx context.Context, cfg *promote.Config, b *Board) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.run == nil {
		sc.run = map[string]*watch{}
	}
	want := map[string]int{}
	for _, col := range b.Columns {
		env, err := cfg.Project.Env(col.Name)
		if err != nil || col.Revision == 0 || !env.SoakGates.Judged() || col.Health == "DOWN" {
			continue
		}
		want[col.Name] = col.Revision
	}
	for name, w := range sc.run {
		if want[name] != w.rev {
			w.cancel()
			<-w.done
			delete(sc.run, name)
		}
	}
	for name, rev := range want {
		if _, ok := sc.run[name]; ok {
			continue
		}
		w, err := promote.NewSoak(cfg).Watcher(name)
		if err != nil {
			continue
		}
		wctx, cancel := context.WithCancel(ctx)
		wt := &watch{rev: rev, cancel: cancel, done: make(chan struct{})}
		sc.run[name] = wt
		go func() {
			defer close(wt.done)
			_ = w(wctx)
		}()
	}
}

func (sc *scrapers) stopAll() {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for name, w := range sc.run {
		w.cancel()
		<-w.done
		delete(sc.run, name)
	}
}

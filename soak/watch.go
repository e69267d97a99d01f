package soak

import (
	"context"
	"fmt"
	"time"
)

// Watch scrapes sc every interval until ctx is done and stores each sample
// as revision rev of env; each sample is also handed to seen (when not
// nil), for a live display. A failed scrape is stored like any other: it
// is what makes metrics that disappear mid-soak visible. Watch returns
// ctx's error, or the store's.
func Watch(ctx context.Context, sc *Scraper, st Store, env string, rev int, interval time.Duration, seen func(Sample)) error {
	if interval <= 0 {
		interval = 5 * time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s := sc.Scrape(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := st.AddSample(env, rev, s); err != nil {
			return fmt.Errorf("soak %s: storing a sample: %w", env, err)
		}
		if seen != nil {
			seen(s)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

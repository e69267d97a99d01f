package soak

import (
	"context"
	"testing"
)

// BenchmarkScrape is ferry's side of one scrape of a kit service's
// exposition (testdata/kit.txt, served on 127.0.0.1): request, parse,
// reduce. The service's side is measured by bench/serve/run.sh.
func BenchmarkScrape(b *testing.B) {
	url := serveFile(b, "kit.txt", 200)
	sc := &Scraper{URL: url}
	for b.Loop() {
		if s := sc.Scrape(context.Background()); s.Err != "" || s.Requests == 0 {
			b.Fatalf("Scrape = %+v", s)
		}
	}
}

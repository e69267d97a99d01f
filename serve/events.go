package serve

import (
	"fmt"
	"net/http"
	"time"
)

// kick asks the refresh loop for a refresh now (after an action).
func (s *Server) kick() chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kickCh == nil {
		s.kickCh = make(chan struct{}, 1)
	}
	return s.kickCh
}

func (s *Server) poke() {
	select {
	case s.kick() <- struct{}{}:
	default:
	}
}

func (s *Server) subscribe() chan string {
	ch := make(chan string, 1)
	s.mu.Lock()
	s.subs[ch] = struct{}{}
	s.mu.Unlock()
	return ch
}

func (s *Server) unsubscribe(ch chan string) {
	s.mu.Lock()
	delete(s.subs, ch)
	s.mu.Unlock()
}

// closeSubs ends every event stream, so that shutdown does not wait on
// them.
func (s *Server) closeSubs() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.subs {
		close(ch)
		delete(s.subs, ch)
	}
}

// events streams an "update" event whenever the board changes
// (Server-Sent Events); a comment every 15s keeps proxies from closing
// an idle stream.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	ch := s.subscribe()
	defer s.unsubscribe(ch)
	s.mu.Lock()
	v := s.version
	s.mu.Unlock()
	fmt.Fprintf(w, "retry: 2000\nevent: hello\ndata: %s\n\n", v)
	fl.Flush()
	keep := time.NewTicker(15 * time.Second)
	defer keep.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case v, ok := <-ch:
			if !ok {
				return
			}
			fmt.Fprintf(w, "event: update\ndata: %s\n\n", v)
			fl.Flush()
		case <-keep.C:
			fmt.Fprint(w, ": keep-alive\n\n")
			fl.Flush()
		}
	}
}

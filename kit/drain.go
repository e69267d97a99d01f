package kit

import (
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// drainer lets a stopping server give up its keep-alive connections
// without closing one under a request. Go's http.Server closes every idle
// connection at once when keep-alives are turned off or at Shutdown; a
// client that is sending its next request on one at that moment gets a
// reset or an EOF (Go's client sends an idempotent request again; curl,
// most clients and any POST fail). Instead, once draining, every response
// says "Connection: close", so a client in use leaves after its next
// answer (to the next revision sharing the port); only connections that
// stay idle for idleDrain are closed by the server.
type drainer struct {
	draining atomic.Bool
	mu       sync.Mutex
	// conns are the open connections; the time is when one became idle
	// (or new), zero while it serves a request.
	conns map[net.Conn]time.Time
}

// idleDrain is how long a connection must have been idle before a
// draining server closes it: far longer than a busy client leaves one
// between two requests, even on a loaded machine that holds the client
// back a few hundred milliseconds (250ms lost requests that way).
const idleDrain = time.Second

// connState is the server's ConnState hook.
func (d *drainer) connState(c net.Conn, s http.ConnState) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conns == nil {
		d.conns = map[net.Conn]time.Time{}
	}
	switch s {
	case http.StateNew, http.StateIdle:
		d.conns[c] = time.Now()
	case http.StateActive:
		d.conns[c] = time.Time{}
	default: // closed, hijacked
		delete(d.conns, c)
	}
}

// handler marks every response of a draining server "Connection: close";
// the server then closes the connection once the answer is sent.
func (d *drainer) handler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d.draining.Load() {
			w.Header().Set("Connection", "close")
		}
		h.ServeHTTP(w, r)
	})
}

// start turns draining on.
func (d *drainer) start() { d.draining.Store(true) }

// closeIdle waits until no connection is left open, closing each one
// that has been idle for idleDrain; connections serving a request close
// after their answer. It returns then or at deadline (Shutdown closes
// what is left and waits for requests in flight).
func (d *drainer) closeIdle(deadline time.Time) {
	for {
		d.mu.Lock()
		now := time.Now()
		for c, since := range d.conns {
			if !since.IsZero() && now.Sub(since) >= idleDrain {
				c.Close()
				delete(d.conns, c)
			}
		}
		left := len(d.conns)
		d.mu.Unlock()
		if left == 0 || now.After(deadline) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

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
	// conns holds each open connection's *atomic.Int64: when it became
	// idle (or new), as idleStamp, 0 while it serves a request.
	// A sync.Map and atomics, not a mutex: the hook runs twice per
	// request on every connection.
	conns sync.Map
}

// idleDrain is how long a connection must have been idle before a
// draining server closes it: far longer than a busy client leaves one
// between two requests, even on a loaded machine that holds the client
// back a few hundred milliseconds (250ms lost requests that way).
const idleDrain = time.Second

// connState is the server's ConnState hook.
func (d *drainer) connState(c net.Conn, s http.ConnState) {
	switch s {
	case http.StateNew:
		since := new(atomic.Int64)
		since.Store(idleStamp())
		d.conns.Store(c, since)
	case http.StateActive, http.StateIdle:
		if v, ok := d.conns.Load(c); ok {
			var now int64
			if s == http.StateIdle {
				now = idleStamp()
			}
			v.(*atomic.Int64).Store(now)
		}
	default: // closed, hijacked
		d.conns.Delete(c)
	}
}

// idleStamp is the monotonic time in nanoseconds since epoch, never 0:
// the hook runs on every request, and reading the monotonic clock alone
// costs half of time.Now.
func idleStamp() int64 { return max(int64(sinceEpoch()), 1) }

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
		now, stamp, left := time.Now(), idleStamp(), 0
		d.conns.Range(func(k, v any) bool {
			if since := v.(*atomic.Int64).Load(); since != 0 && stamp-since >= int64(idleDrain) {
				k.(net.Conn).Close()
				d.conns.Delete(k)
			} else {
				left++
			}
			return true
		})
		if left == 0 || now.After(deadline) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

package kit

import (
	"crypto/tls"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// drainer keeps track of the server's connections, so that a stopping
// server can give up its keep-alive connections without closing one
// under a request, and so that a request header that arrives too slowly
// is cut off without a timer per request.
//
// Go's http.Server closes every idle connection at once when keep-alives
// are turned off or at Shutdown; a client that is sending its next
// request on one at that moment gets a reset or an EOF (Go's client
// sends an idempotent request again; curl, most clients and any POST
// fail). Instead, once draining, every response says "Connection:
// close", so a client in use leaves after its next answer (to the next
// revision sharing the port); only connections that stay idle for
// idleDrain are closed by the server.
type drainer struct {
	draining atomic.Bool
	// conns holds each open *trackedConn (as a set). The state the hook
	// records per request lives on the connection itself: a sync.Map
	// look-up twice per request cost more than the store.
	conns sync.Map
}

// idleDrain is how long a connection must have been idle before a
// draining server closes it: far longer than a busy client leaves one
// between two requests, even on a loaded machine that holds the client
// back a few hundred milliseconds (250ms lost requests that way).
const idleDrain = time.Second

// trackedConn is a connection of kit's server (see trackListener) with
// what the drainer and expireHeaders need to know of it. It embeds the
// *net.TCPConn, so that net/http still finds ReadFrom (sendfile) and
// CloseWrite on it.
type trackedConn struct {
	*net.TCPConn
	// read counts the bytes read from the connection.
	read atomic.Int64
	// state is the http.ConnState the hook last saw.
	state atomic.Int32
	// idleSince is when the connection became idle (or new), as
	// idleStamp; 0 while it serves a request.
	idleSince atomic.Int64
	// readAtIdle is read when the connection became idle: more bytes
	// since mean that the next request's header is arriving.
	readAtIdle atomic.Int64
	// headerSeen is when expireHeaders first saw that header arriving
	// (idleStamp), 0 before.
	headerSeen atomic.Int64
}

func (c *trackedConn) Read(p []byte) (int, error) {
	n, err := c.TCPConn.Read(p)
	if n > 0 {
		c.read.Add(int64(n))
	}
	return n, err
}

// trackListener makes every connection ln accepts a *trackedConn.
type trackListener struct{ *net.TCPListener }

func (l trackListener) Accept() (net.Conn, error) {
	c, err := l.AcceptTCP()
	if err != nil {
		return nil, err
	}
	return &trackedConn{TCPConn: c}, nil
}

// tracked finds the *trackedConn the server's ConnState hook is given:
// the connection itself, or under TLS the one the *tls.Conn wraps.
func tracked(c net.Conn) *trackedConn {
	switch c := c.(type) {
	case *trackedConn:
		return c
	case *tls.Conn:
		tc, _ := c.NetConn().(*trackedConn)
		return tc
	}
	return nil
}

// connState is the server's ConnState hook. It runs twice per request
// (active, idle): atomics on the connection, and one clock read.
func (d *drainer) connState(c net.Conn, s http.ConnState) {
	tc := tracked(c)
	if tc == nil {
		return
	}
	switch s {
	case http.StateNew:
		tc.idleSince.Store(idleStamp())
		tc.state.Store(int32(s))
		d.conns.Store(tc, struct{}{})
	case http.StateActive:
		tc.idleSince.Store(0)
		tc.state.Store(int32(s))
	case http.StateIdle:
		// idleSince first: expireHeaders relies on the order (see there).
		tc.idleSince.Store(idleStamp())
		tc.readAtIdle.Store(tc.read.Load())
		tc.headerSeen.Store(0)
		tc.state.Store(int32(s))
	default: // closed, hijacked
		d.conns.Delete(tc)
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
		d.conns.Range(func(k, _ any) bool {
			tc := k.(*trackedConn)
			if since := tc.idleSince.Load(); since != 0 && stamp-since >= int64(idleDrain) {
				tc.Close()
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

// expireHeaders does for a plain-HTTP server what
// http.Server.ReadHeaderTimeout does, until stop is closed: a new
// connection must bring its first request's header within timeout, and
// a keep-alive connection the next one within timeout of its first
// byte, or the connection is cut off as net/http cuts it off (a read
// deadline in the past: no answer, the connection closed). Idle
// keep-alive connections are left alone, as net/http leaves them.
//
// ReadHeaderTimeout sets a read deadline three times per request, each
// arming or stopping a runtime timer: about 0.4µs, 3% of a small
// request's CPU. Looking at every connection once per tick instead costs
// one atomic add per read; the cut comes between timeout and
// timeout+2·tick after the header began.
func (d *drainer) expireHeaders(timeout, tick time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(tick)
	defer t.Stop()
	past := time.Unix(1, 0)
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		stamp := idleStamp()
		d.conns.Range(func(k, _ any) bool {
			tc := k.(*trackedConn)
			var began int64
			switch http.ConnState(tc.state.Load()) {
			case http.StateNew:
				began = tc.idleSince.Load()
			case http.StateIdle:
				since := tc.idleSince.Load()
				if tc.read.Load() == tc.readAtIdle.Load() {
					return true // idle, not reading a header
				}
				if began = tc.headerSeen.Load(); began == 0 {
					// The hook stores idleSince before it clears
					// headerSeen: if the connection served a request and
					// went idle again meanwhile, either idleSince has
					// changed (undo) or the hook clears this stamp after.
					if tc.headerSeen.CompareAndSwap(0, stamp) && tc.idleSince.Load() != since {
						tc.headerSeen.CompareAndSwap(stamp, 0)
					}
					return true
				}
			default:
				return true
			}
			if began != 0 && stamp-began >= int64(timeout) {
				_ = tc.SetReadDeadline(past)
			}
			return true
		})
	}
}

package web

import (
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Limits bounds what clients may hold of the server: time to send a
// request, time to take an answer, and connections. docs/web.md lists the
// defaults and what a client sees when it reaches one.
type Limits struct {
	// ReadHeaderTimeout bounds sending the request line and headers,
	// ReadTimeout the whole request with its body; a client slower than
	// that is disconnected.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	// WriteTimeout bounds writing an answer. The progress event stream
	// extends it before each event, and the heavy requests (replays, twin
	// runs, reports) lift it while they compute: they end with their work
	// or when the client leaves.
	WriteTimeout time.Duration
	// IdleTimeout closes a kept-alive connection with no request.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds the request line and headers.
	MaxHeaderBytes int
	// MaxConns bounds open connections in all, MaxConnsPerClient those
	// from one IP address; a connection over either is answered 503 and
	// closed at once.
	MaxConns          int
	MaxConnsPerClient int
}

// DefaultLimits are the limits of `nosedive serve`.
var DefaultLimits = Limits{
	ReadHeaderTimeout: 10 * time.Second,
	ReadTimeout:       60 * time.Second, // a 1 MiB scenario at 17 KB/s
	WriteTimeout:      60 * time.Second,
	IdleTimeout:       2 * time.Minute,
	MaxHeaderBytes:    64 << 10,
	MaxConns:          512,
	MaxConnsPerClient: 64, // a browser opens about 6
}

// withDefaults fills unset limits from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	set := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	set(&l.ReadHeaderTimeout, d.ReadHeaderTimeout)
	set(&l.ReadTimeout, d.ReadTimeout)
	set(&l.WriteTimeout, d.WriteTimeout)
	set(&l.IdleTimeout, d.IdleTimeout)
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = d.MaxHeaderBytes
	}
	if l.MaxConns <= 0 {
		l.MaxConns = d.MaxConns
	}
	if l.MaxConnsPerClient <= 0 {
		l.MaxConnsPerClient = d.MaxConnsPerClient
	}
	l.MaxConnsPerClient = min(l.MaxConnsPerClient, l.MaxConns)
	return l
}

// HTTPServer returns an http.Server for the lab with its limits; serve it
// on a listener from Listen.
func (s *Server) HTTPServer() *http.Server {
	l := s.cfg.Limits
	return &http.Server{Handler: s, ReadHeaderTimeout: l.ReadHeaderTimeout, ReadTimeout: l.ReadTimeout,
		WriteTimeout: l.WriteTimeout, IdleTimeout: l.IdleTimeout, MaxHeaderBytes: l.MaxHeaderBytes, ErrorLog: s.cfg.Log}
}

// Listen listens on addr (TCP) with the server's connection limits.
func (s *Server) Listen(addr string) (*LimitListener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return NewLimitListener(ln, s.cfg.Limits.MaxConns, s.cfg.Limits.MaxConnsPerClient), nil
}

// LimitListener accepts at most total open connections, and at most
// perClient from one IP address; it answers a connection over either
// with a 503 and closes it, without waiting for its request.
type LimitListener struct {
	net.Listener
	total, perClient int

	mu      sync.Mutex
	open    int
	byHost  map[string]int
	refused atomic.Int64
}

// NewLimitListener wraps ln.
func NewLimitListener(ln net.Listener, total, perClient int) *LimitListener {
	return &LimitListener{Listener: ln, total: total, perClient: perClient, byHost: map[string]int{}}
}

// Refused counts the connections refused so far.
func (l *LimitListener) Refused() int64 { return l.refused.Load() }

// Open is the number of connections open now.
func (l *LimitListener) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open
}

// Accept returns the next connection within the limits.
func (l *LimitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		host := hostOf(c.RemoteAddr())
		if l.admit(host) {
			return &limitConn{Conn: c, l: l, host: host}, nil
		}
		l.refused.Add(1)
		go refuse(c)
	}
}

func (l *LimitListener) admit(host string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open >= l.total || l.byHost[host] >= l.perClient {
		return false
	}
	l.open++
	l.byHost[host]++
	return true
}

func (l *LimitListener) release(host string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if l.byHost[host]--; l.byHost[host] <= 0 {
		delete(l.byHost, host)
	}
}

func hostOf(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP.String()
	}
	h, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return h
}

const refusalBody = "too many connections from your address or in all; try again shortly\n"

var refusal = fmt.Sprintf("HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nRetry-After: 5\r\nContent-Length: %d\r\n\r\n%s",
	len(refusalBody), refusalBody)

// refuse answers 503 and closes, spending at most a second on a client
// that does not read.
func refuse(c net.Conn) {
	defer c.Close()
	c.SetWriteDeadline(time.Now().Add(time.Second))
	c.Write([]byte(refusal))
}

// limitConn gives its slot back when closed (once, however often Close
// is called).
type limitConn struct {
	net.Conn
	l    *LimitListener
	host string
	once sync.Once
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.host) })
	return err
}

// longRequest lifts the read and write deadlines of a request that
// computes for long (a replay, a twin run, a report) once its body is
// read: its work is bounded by the heavy queue and ends if the client
// leaves. A read deadline passing during the handler would otherwise
// cancel the request's context.
func longRequest(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
}

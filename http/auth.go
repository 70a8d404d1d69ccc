package http

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/shelfwise/shelfwise"
)

// Role sets of routes. Admin may call everything, so every set has it.
var (
	rolesAdmin     = []shelfwise.Role{shelfwise.RoleAdmin}
	rolesAnalyst   = []shelfwise.Role{shelfwise.RoleAdmin, shelfwise.RoleAnalyst}
	rolesIngest    = []shelfwise.Role{shelfwise.RoleAdmin, shelfwise.RoleApp}
	rolesAnyKey    = []shelfwise.Role{shelfwise.RoleAdmin, shelfwise.RoleAnalyst, shelfwise.RoleApp}
	rolesDashboard = rolesAnalyst
)

func allowed(roles []shelfwise.Role, r shelfwise.Role) bool {
	for _, x := range roles {
		if x == r {
			return true
		}
	}
	return false
}

func rolesText(roles []shelfwise.Role) string {
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = string(r)
	}
	return strings.Join(s, " or ")
}

// limiter is a token bucket per API key: rate tokens per second up to
// burst. A negative rate disables it.
type limiter struct {
	rate, burst float64
	now         func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(rate, burst float64, now func() time.Time) *limiter {
	return &limiter{rate: rate, burst: burst, now: now, buckets: map[string]*bucket{}}
}

// allow takes a token from id's bucket and reports whether there was one.
func (l *limiter) allow(id string) bool {
	if l.rate < 0 {
		return true
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[id]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[id] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// Defaults of the per-address limit on failed dashboard sign-ins.
const (
	DefaultSignInFailures = 10
	DefaultSignInWindow   = 15 * time.Minute
)

// signInGuard limits failed dashboard sign-ins (wrong keys, stale one-time
// links) per client address: a bucket of failures tokens refilled at
// failures per window. An address with an empty bucket is refused before
// its key is even checked, so guessing keys from one address costs
// window/failures per guess after the first few.
type signInGuard struct {
	failures float64
	window   time.Duration
	now      func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

// signInGuardMax bounds the addresses tracked; past it, addresses whose
// bucket has refilled are forgotten (they are back to a full allowance).
const signInGuardMax = 1 << 14

func newSignInGuard(failures int, window time.Duration, now func() time.Time) *signInGuard {
	return &signInGuard{failures: float64(failures), window: window, now: now, buckets: map[string]*bucket{}}
}

// refill brings b up to date. Callers hold g.mu.
func (g *signInGuard) refill(b *bucket, now time.Time) {
	rate := g.failures / g.window.Seconds()
	b.tokens = min(g.failures, b.tokens+now.Sub(b.last).Seconds()*rate)
	b.last = now
}

// wait returns how long addr must wait before its next attempt (0: it may
// try now).
func (g *signInGuard) wait(addr string) time.Duration {
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	b, ok := g.buckets[addr]
	if !ok {
		return 0
	}
	g.refill(b, now)
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) * float64(g.window) / g.failures)
}

// fail records a failed attempt from addr.
func (g *signInGuard) fail(addr string) {
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	b, ok := g.buckets[addr]
	if !ok {
		if len(g.buckets) >= signInGuardMax {
			for a, x := range g.buckets {
				if g.refill(x, now); x.tokens >= g.failures {
					delete(g.buckets, a)
				}
			}
		}
		b = &bucket{tokens: g.failures, last: now}
		g.buckets[addr] = b
	}
	g.refill(b, now)
	b.tokens = max(0, b.tokens-1)
}

// clientAddr is the address a request came from: the peer's IP (the port
// dropped, so one client's connections share a bucket). A reverse proxy
// in front makes every client share the proxy's address; run the
// dashboard without one, or give the proxy its own sign-in limits.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

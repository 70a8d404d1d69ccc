package http

import (
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

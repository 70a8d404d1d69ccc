package http

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shelfwise/shelfwise"
)

//go:embed templates/*.html templates/style.css
var templateFS embed.FS

// sessionCookie is the dashboard's session cookie: a random token that maps
// to a signed-in API key in server memory (never the key itself).
const sessionCookie = "shelfwise_session"

// sessionTTL is how long a dashboard sign-in lasts.
const sessionTTL = 12 * time.Hour

// dashboard serves the web pages: sign-in with an API key, then pages
// rendered with html/template and inline SVG charts. No JavaScript.
type dashboard struct {
	s     *Server
	tmpl  *template.Template
	css   []byte
	pages []page

	mu       sync.Mutex
	sessions map[string]*session
	links    map[string]*session // one-time sign-in links, by token
}

// linkTTL is how long a one-time sign-in link stays valid.
const linkTTL = 5 * time.Minute

type session struct {
	key     shelfwise.APIKey
	secret  string // kept in memory only, to re-check revocation
	csrf    string
	expires time.Time
	flash   string // message for the next page shown
}

// setFlash keeps a message for the session's next page.
func (d *dashboard) setFlash(r *http.Request, msg string) {
	if sess := d.current(r); sess != nil {
		d.mu.Lock()
		sess.flash = msg
		d.mu.Unlock()
	}
}

// popFlash returns and clears the session's message.
func (d *dashboard) popFlash(r *http.Request) string {
	sess := d.current(r)
	if sess == nil {
		return ""
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	msg := sess.flash
	sess.flash = ""
	return msg
}

// page is one dashboard route.
type page struct {
	method, path string
	roles        []shelfwise.Role // nil: public
	title        string
	h            func(w http.ResponseWriter, r *http.Request, v *view) error
}

// view is what every page template gets.
type view struct {
	Title  string
	Path   string
	Key    shelfwise.APIKey
	CSRF   string
	Admin  bool
	Flash  string
	Error  string
	Nav    []navItem
	Data   any
	Now    time.Time
	status int
}

type navItem struct {
	Title, Path string
	Active      bool
}

var navPages = []navItem{
	{Title: "Overview", Path: "/dashboard/"},
	{Title: "Forecasts", Path: "/dashboard/forecasts"},
	{Title: "Recommendations", Path: "/dashboard/recommendations"},
	{Title: "Propensity", Path: "/dashboard/propensity"},
	{Title: "Models", Path: "/dashboard/models"},
	{Title: "Data quality", Path: "/dashboard/data"},
}

func newDashboard(s *Server) *dashboard {
	d := &dashboard{s: s, sessions: map[string]*session{}, links: map[string]*session{}}
	d.tmpl = template.Must(template.New("").Funcs(template.FuncMap{
		"num":     num,
		"pct":     func(x float64) string { return num(100*x) + "%" },
		"date":    func(t time.Time) string { return fmtTime(t, "2006-01-02") },
		"time":    func(t time.Time) string { return fmtTime(t, "2006-01-02 15:04 MST") },
		"short":   ShortID,
		"inc":     func(i int) int { return i + 1 },
		"hasRole": func(k shelfwise.APIKey, r string) bool { return string(k.Role) == r },
	}).ParseFS(templateFS, "templates/*.html"))
	d.css, _ = templateFS.ReadFile("templates/style.css")
	return d
}

func fmtTime(t time.Time, layout string) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format(layout)
}

// ShortID is the start of an identifier (a pseudonymised customer key, a
// job id), enough to tell them apart on screen.
func ShortID(s string) string {
	if len(s) > 12 {
		return s[:12] + "…"
	}
	return s
}

// register adds the dashboard routes to the server's router.
func (d *dashboard) register() {
	d.pages = []page{
		{method: "GET", path: "/dashboard/{$}", roles: rolesDashboard, title: "Overview", h: d.overview},
		{method: "GET", path: "/dashboard/forecasts", roles: rolesDashboard, title: "Forecasts", h: d.forecasts},
		{method: "GET", path: "/dashboard/recommendations", roles: rolesDashboard, title: "Recommendations", h: d.recommendations},
		{method: "GET", path: "/dashboard/propensity", roles: rolesDashboard, title: "Propensity", h: d.propensity},
		{method: "GET", path: "/dashboard/models", roles: rolesDashboard, title: "Models", h: d.models},
		{method: "POST", path: "/dashboard/models/{task}/retrain", roles: rolesAnalyst, title: "Models", h: d.retrain},
		{method: "POST", path: "/dashboard/models/{task}/promote", roles: rolesAdmin, title: "Models", h: d.promote},
		{method: "POST", path: "/dashboard/models/{task}/rollback", roles: rolesAdmin, title: "Models", h: d.rollback},
		{method: "GET", path: "/dashboard/data", roles: rolesDashboard, title: "Data quality", h: d.data},
	}
	for _, p := range d.pages {
		d.s.mux.Handle(p.method+" "+p.path, d.wrap(p))
	}
	mux := d.s.mux
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/dashboard/", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /dashboard", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/dashboard/", http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET /login", d.loginPage)
	mux.HandleFunc("POST /login", d.login)
	mux.HandleFunc("POST /logout", d.logout)
	mux.HandleFunc("GET /login/link", d.loginLink)
	mux.HandleFunc("GET /static/style.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("Cache-Control", "max-age=3600")
		w.Write(d.css)
	})
}

func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
}

// current returns the session of the request, if any.
func (d *dashboard) current(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	sess, ok := d.sessions[c.Value]
	if !ok {
		return nil
	}
	if d.s.cfg.Now().After(sess.expires) {
		delete(d.sessions, c.Value)
		return nil
	}
	return sess
}

// wrap checks the session, role, CSRF token (on POST) and rate limit, then
// renders the page.
func (d *dashboard) wrap(p page) http.Handler {
	pattern := p.method + " " + p.path
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		defer func() {
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			d.s.metrics.latency.WithLabelValues(pattern, statusClass(status)).Observe(time.Since(start).Seconds())
			d.s.logRequest(r, pattern, status, "", time.Since(start))
		}()
		securityHeaders(rec)
		sess := d.current(r)
		if sess == nil {
			if r.Method == http.MethodGet {
				http.Redirect(rec, r, "/login?next="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
				return
			}
			d.render(rec, r, "error", &view{Title: "Signed out", status: http.StatusUnauthorized,
				Error: "Your session has ended. Sign in again with your API key."})
			return
		}
		// Re-check the key on every page: revoking a key ends its sessions.
		if _, err := d.s.cfg.Keys.Authenticate(r.Context(), sess.secret); err != nil {
			d.endSession(r)
			d.render(rec, r, "error", &view{Title: "Signed out", status: http.StatusUnauthorized,
				Error: "Your API key is no longer valid. Sign in again with a valid key."})
			return
		}
		v := &view{Title: p.title, Path: r.URL.Path, Key: sess.key, CSRF: sess.csrf,
			Admin: sess.key.Role == shelfwise.RoleAdmin, Now: d.s.cfg.Now()}
		for _, n := range navPages {
			n.Active = n.Path == r.URL.Path
			v.Nav = append(v.Nav, n)
		}
		if !allowed(p.roles, sess.key.Role) {
			v.Error = "This page needs a key with role " + rolesText(p.roles) + "; you signed in with role " + string(sess.key.Role) + "."
			v.status = http.StatusForbidden
			d.render(rec, r, "error", v)
			return
		}
		if !d.s.limit.allow(sess.key.ID) {
			v.Error, v.status = "Too many requests; wait a moment and reload.", http.StatusTooManyRequests
			d.render(rec, r, "error", v)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(rec, r.Body, 64<<10)
			if err := r.ParseForm(); err != nil ||
				subtle.ConstantTimeCompare([]byte(r.PostForm.Get("csrf")), []byte(sess.csrf)) != 1 {
				v.Error, v.status = "The form was stale or not sent by this dashboard; reload the page and try again.", http.StatusForbidden
				d.render(rec, r, "error", v)
				return
			}
		}
		if err := p.h(rec, r, v); err != nil {
			code := shelfwise.ErrorCode(err)
			if code == shelfwise.EINTERNAL {
				d.s.log.Error("dashboard error", "route", pattern, "err", err.Error())
			}
			v.Error, v.status = shelfwise.ErrorMessage(err), statusOf(code)
			d.render(rec, r, "error", v)
		}
	})
}

// render executes a page template into a buffer first, so a template error
// never sends half a page.
func (d *dashboard) render(w http.ResponseWriter, r *http.Request, name string, v *view) {
	securityHeaders(w)
	var buf bytes.Buffer
	if err := d.tmpl.ExecuteTemplate(&buf, name, v); err != nil {
		d.s.log.Error("template", "page", name, "err", err.Error())
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if v.status != 0 {
		w.WriteHeader(v.status)
	}
	w.Write(buf.Bytes())
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// safeNext keeps post-login redirects inside the dashboard.
func safeNext(next string) string {
	if strings.HasPrefix(next, "/dashboard/") && !strings.Contains(next, "//") && !strings.Contains(next, "\\") {
		return next
	}
	return "/dashboard/"
}

func (d *dashboard) loginPage(w http.ResponseWriter, r *http.Request) {
	d.render(w, r, "login", &view{Title: "Sign in", Data: safeNext(r.URL.Query().Get("next"))})
}

// throttled answers 429 when the client's address has used up its failed
// sign-ins, and reports whether it did.
func (d *dashboard) throttled(w http.ResponseWriter, r *http.Request) bool {
	wait := d.s.signIn.wait(clientAddr(r))
	if wait <= 0 {
		return false
	}
	d.s.metrics.signInRefused.Inc()
	d.s.log.Info("dashboard sign-in throttled", "retry_after_s", int(wait.Seconds())+1)
	w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
	d.render(w, r, "login", &view{Title: "Sign in", Data: "/dashboard/", status: http.StatusTooManyRequests,
		Error: fmt.Sprintf("Too many failed sign-ins from your address; try again in %s.", waitText(wait))})
	return true
}

// waitText says how long to wait, in whole minutes or seconds.
func waitText(d time.Duration) string {
	if d > time.Minute {
		return fmt.Sprintf("%d minutes", int(math.Ceil(d.Minutes())))
	}
	return fmt.Sprintf("%d seconds", int(math.Ceil(d.Seconds())))
}

func (d *dashboard) login(w http.ResponseWriter, r *http.Request) {
	if d.throttled(w, r) {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		d.render(w, r, "login", &view{Title: "Sign in", Error: "The form could not be read.", status: http.StatusBadRequest})
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	key, err := d.s.cfg.Keys.Authenticate(r.Context(), strings.TrimSpace(r.PostForm.Get("key")))
	if err != nil {
		if shelfwise.ErrorCode(err) == shelfwise.EUNAUTHORIZED {
			d.s.signIn.fail(clientAddr(r))
		}
		d.s.log.Info("dashboard sign-in refused", "code", shelfwise.ErrorCode(err))
		d.render(w, r, "login", &view{Title: "Sign in", Data: next, status: http.StatusUnauthorized,
			Error: "That API key is not valid. Create one with: shelfwise keys create --role analyst"})
		return
	}
	if !allowed(rolesDashboard, key.Role) {
		d.render(w, r, "login", &view{Title: "Sign in", Data: next, status: http.StatusForbidden,
			Error: "App keys cannot open the dashboard; sign in with an admin or analyst key."})
		return
	}
	d.startSession(w, r, key, strings.TrimSpace(r.PostForm.Get("key")), next)
}

// startSession signs key in: a new session, its cookie, and a redirect.
func (d *dashboard) startSession(w http.ResponseWriter, r *http.Request, key shelfwise.APIKey, secret, next string) {
	token := randomToken()
	d.mu.Lock()
	now := d.s.cfg.Now()
	for t, s := range d.sessions { // drop expired sessions
		if now.After(s.expires) {
			delete(d.sessions, t)
		}
	}
	d.sessions[token] = &session{key: key, secret: secret, csrf: randomToken(), expires: now.Add(sessionTTL)}
	d.mu.Unlock()
	securityHeaders(w)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true,
		// Lax, not Strict, so that the one-time link opened from a
		// terminal or another site still carries the cookie on its
		// redirect; state-changing forms also need the CSRF token.
		SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil, MaxAge: int(sessionTTL.Seconds())})
	d.s.log.Info("dashboard sign-in", "key", key.ID)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// SignInLink returns a one-time path ("/login/link?token=...") that signs
// the holder in as key (secret is the key's secret) and opens next. It is
// valid for five minutes and works once. The demo prints one; tests use it
// to drive a browser without typing the key.
func (s *Server) SignInLink(key shelfwise.APIKey, secret, next string) string {
	d := s.dash
	token := randomToken()
	d.mu.Lock()
	now := s.cfg.Now()
	for t, l := range d.links {
		if now.After(l.expires) {
			delete(d.links, t)
		}
	}
	d.links[token] = &session{key: key, secret: secret, expires: now.Add(linkTTL)}
	d.mu.Unlock()
	return "/login/link?" + url.Values{"token": {token}, "next": {safeNext(next)}}.Encode()
}

func (d *dashboard) loginLink(w http.ResponseWriter, r *http.Request) {
	if d.throttled(w, r) {
		return
	}
	token := r.URL.Query().Get("token")
	d.mu.Lock()
	l, ok := d.links[token]
	delete(d.links, token)
	d.mu.Unlock()
	if !ok || d.s.cfg.Now().After(l.expires) {
		d.s.signIn.fail(clientAddr(r))
		d.render(w, r, "login", &view{Title: "Sign in", Data: "/dashboard/", status: http.StatusUnauthorized,
			Error: "That sign-in link has expired or was already used. Sign in with your API key."})
		return
	}
	if _, err := d.s.cfg.Keys.Authenticate(r.Context(), l.secret); err != nil {
		d.render(w, r, "login", &view{Title: "Sign in", Data: "/dashboard/", status: http.StatusUnauthorized,
			Error: "The key of that link is no longer valid."})
		return
	}
	d.startSession(w, r, l.key, l.secret, safeNext(r.URL.Query().Get("next")))
}

// endSession forgets the request's session.
func (d *dashboard) endSession(r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		d.mu.Lock()
		delete(d.sessions, c.Value)
		d.mu.Unlock()
	}
}

func (d *dashboard) logout(w http.ResponseWriter, r *http.Request) {
	d.endSession(r)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// Package web is Herald's web app: server-rendered html/template pages with
// embedded static files. It starts with what connecting social accounts
// needs: signing in and out with a session cookie, protected against
// cross-site request forgery twice (the browser's Fetch metadata through
// http.CrossOriginProtection, and a per-session token in every form).
package web

import (
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/clientaddr"
	"github.com/heraldhq/herald/internal/connlimit"
	"github.com/heraldhq/herald/internal/httperr"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// SessionCookie is the name of the session cookie.
const SessionCookie = "herald_session"

// Handler serves the web app.
type Handler struct {
	app    *app.App
	log    *slog.Logger
	tmpl   *template.Template
	mux    *http.ServeMux
	secure bool // cookies only over HTTPS
}

// NewHandler returns the web app's handler.
func NewHandler(a *app.App, log *slog.Logger) *Handler {
	h := &Handler{
		app:    a,
		log:    log,
		tmpl:   template.Must(template.New("").Funcs(template.FuncMap{"time": herald.FormatTime}).ParseFS(templateFS, "templates/*.html")),
		mux:    http.NewServeMux(),
		secure: strings.HasPrefix(a.Config().PublicURL, "https://"),
	}
	static, _ := fs.Sub(staticFS, "static")
	h.mux.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))
	h.mux.HandleFunc("GET /signin", h.signInPage)
	h.mux.HandleFunc("POST /signin", h.signIn)
	h.mux.Handle("POST /signout", h.requireSession(h.signOut))
	h.mux.Handle("GET /{$}", h.requireSession(h.home))
	h.mux.Handle("GET /account", h.requireSession(h.account))
	h.mux.Handle("POST /account/password", h.requireSession(h.changePassword))
	h.mux.HandleFunc("GET /feeds/{file}", h.feed)
	h.mux.HandleFunc("GET /feeds/items/{id}", h.feedItem)
	h.mux.Handle("GET /connect/{provider}", h.requireSession(h.connect))
	h.mux.Handle("POST /connect/{provider}", h.requireSession(h.startConnect))
	h.mux.Handle("GET /connect/{provider}/callback", h.requireSession(h.finishConnect))
	h.mux.HandleFunc("GET /invitations/{token}", h.invitation)        // invitation.go
	h.mux.HandleFunc("POST /invitations/{token}", h.acceptInvitation) // invitation.go
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.render(w, r, http.StatusNotFound, "error.html", page{Title: "Not found", Message: "There is no page at " + r.URL.Path + "."})
	})
	return h
}

// ServeHTTP implements http.Handler. Unsafe cross-origin requests are
// refused before any handler runs.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := httperr.RequestID(r)
	w.Header().Set("X-Request-Id", reqID)
	r = r.WithContext(herald.NewContextWithRequestID(r.Context(), reqID))
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Referrer-Policy", "same-origin")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' https: data:; frame-ancestors 'none'")
	if err := checkText(w, r); err != nil {
		h.fail(w, r, err)
		return
	}
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.render(w, r, http.StatusForbidden, "error.html", page{Title: "Refused", Message: "This request came from another site and was refused."})
	}))
	if herald.ClientAddrFromContext(r.Context()) == "" { // not behind clientaddr.Handler (tests)
		r = r.WithContext(herald.NewContextWithClientAddr(r.Context(), clientaddr.FromRequest(r)))
	}
	cop.Handler(h.mux).ServeHTTP(w, r)
}

// checkText refuses a query or form field that is not text Herald can
// keep (herald.CheckText: the NUL character, invalid UTF-8), before any
// handler passes it on. Forms are small: their body is read capped.
func checkText(w http.ResponseWriter, r *http.Request) error {
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			return herald.Errorf(herald.EINVALID, "The form could not be read.")
		}
		return herald.CheckTextValues(r.Form)
	}
	return herald.CheckTextValues(r.URL.Query())
}

func cacheStatic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

// page is what every template gets.
type page struct {
	Title   string
	Message string
	User    *herald.User
	CSRF    string
	Next    string
	Email   string
	Data    any
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := h.tmpl.ExecuteTemplate(w, name, p); err != nil {
		h.log.ErrorContext(r.Context(), "render page", "template", name, "error", err)
	}
}

type sessionHandler func(w http.ResponseWriter, r *http.Request, s *herald.Session, u *herald.User)

// requireSession runs next for a signed-in user, checks the CSRF token of
// unsafe requests, and sends everyone else to the sign-in page.
func (h *Handler) requireSession(next sessionHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var token string
		if c, err := r.Cookie(SessionCookie); err == nil {
			token = c.Value
		}
		s, u, err := h.app.AuthenticateSession(r.Context(), token)
		if err == nil {
			connlimit.MarkAuthenticated(r.Context()) // keeps the connection's full idle timeout
		}
		if err != nil {
			if herald.ErrorCode(err) != herald.EUNAUTHORIZED {
				h.fail(w, r, err)
				return
			}
			if r.Method != http.MethodGet {
				h.render(w, r, http.StatusUnauthorized, "error.html", page{Title: "Signed out", Message: "Please sign in again."})
				return
			}
			http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !app.SameToken(r.PostFormValue("csrf"), s.CSRFToken) {
			h.render(w, r, http.StatusForbidden, "error.html", page{Title: "Refused", User: u, Message: "The form was stale or did not come from Herald. Go back, reload and try again."})
			return
		}
		r = r.WithContext(herald.NewContextWithUser(r.Context(), u))
		next(w, r, s, u)
	})
}

// fail renders err's page with the status and message of httperr's table,
// the one the API uses; Herald's own failures show only the request id and
// are logged with their cause.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil { // the client went away: not Herald's failure
		h.log.DebugContext(r.Context(), "client went away", "method", r.Method, "path", r.URL.Path, "error", err)
		return
	}
	status, msg := httperr.Describe(r.Context(), err)
	httperr.Log(r.Context(), h.log, r, status, err)
	h.render(w, r, status, "error.html", page{Title: http.StatusText(status), Message: msg, User: herald.UserFromContext(r.Context())})
}

// safeNext keeps redirects after sign-in on this site: it accepts only a
// path on this origin ("/connect/x?y=z"), and answers "/" for anything
// else. Browsers forgive much (they drop tabs and newlines anywhere, read a
// backslash as a slash, and "//host" or "/\thost" as another site), so the
// target must parse as a bare path and hold no control character, space
// or backslash, neither as written nor once percent-decoded.
func safeNext(next string) string {
	if next == "" || len(next) > 2048 || !strings.HasPrefix(next, "/") || !plainURLText(next) {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Opaque != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	// The decoded path must be just as plain, and already clean ("//",
	// "/./" and "/../" have no business in a link to Herald): some servers
	// and proxies decode or normalize once more before redirecting again.
	clean := path.Clean(u.Path)
	if strings.HasSuffix(u.Path, "/") && clean != "/" {
		clean += "/"
	}
	if !strings.HasPrefix(u.Path, "/") || clean != u.Path || !plainURLText(u.Path) {
		return "/"
	}
	return u.RequestURI()
}

// plainURLText reports whether s holds no backslash, no space and no control
// or otherwise invisible character, and does not start with "//".
func plainURLText(s string) bool {
	if strings.HasPrefix(s, "//") || !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		if c == '\\' || unicode.IsSpace(c) || !unicode.IsPrint(c) {
			return false
		}
	}
	return true
}

func (h *Handler) signInPage(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "signin.html", page{Title: "Sign in", Next: safeNext(r.URL.Query().Get("next"))})
}

func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	email, password, next := r.PostFormValue("email"), r.PostFormValue("password"), safeNext(r.PostFormValue("next"))
	_, token, err := h.app.SignIn(r.Context(), email, password)
	if err != nil {
		switch herald.ErrorCode(err) {
		case herald.EUNAUTHORIZED:
			h.render(w, r, http.StatusUnauthorized, "signin.html", page{Title: "Sign in", Message: herald.ErrorMessage(err), Next: next, Email: email})
			return
		case herald.ERATELIMITED:
			setRetryAfter(w, err)
			h.render(w, r, http.StatusTooManyRequests, "signin.html", page{Title: "Sign in", Message: herald.ErrorMessage(err), Next: next, Email: email})
			return
		}
		h.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode,
		MaxAge: int(h.app.Config().SessionTTL / time.Second)})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (h *Handler) signOut(w http.ResponseWriter, r *http.Request, s *herald.Session, u *herald.User) {
	if err := h.app.SignOut(r.Context(), s.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

// setRetryAfter sets Retry-After from a throttled attempt's error.
func setRetryAfter(w http.ResponseWriter, err error) {
	if d := app.RetryAfter(err); d > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(d/time.Second)))
	}
}

// account shows the account settings: for now, the password form.
func (h *Handler) account(w http.ResponseWriter, r *http.Request, s *herald.Session, u *herald.User) {
	msg := ""
	if r.URL.Query().Get("changed") == "password" {
		msg = "Your password was changed; your other sessions were signed out."
	}
	h.render(w, r, http.StatusOK, "account.html", page{Title: "Account", User: u, CSRF: s.CSRFToken, Data: accountView{Notice: msg}})
}

type accountView struct {
	Notice string
}

// changePassword changes the signed-in user's password; their other
// sessions end, this one stays.
func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request, s *herald.Session, u *herald.User) {
	err := h.app.ChangePassword(r.Context(), app.ChangePasswordParams{
		Current: r.PostFormValue("current"), New: r.PostFormValue("new"), Confirm: r.PostFormValue("confirm"), KeepSessionID: s.ID,
	})
	switch herald.ErrorCode(err) {
	case "":
		http.Redirect(w, r, "/account?changed=password", http.StatusSeeOther)
	case herald.EINVALID:
		h.render(w, r, http.StatusBadRequest, "account.html", page{Title: "Account", User: u, CSRF: s.CSRFToken, Message: passwordFormMessage(err)})
	case herald.ERATELIMITED:
		setRetryAfter(w, err)
		h.render(w, r, http.StatusTooManyRequests, "account.html", page{Title: "Account", User: u, CSRF: s.CSRFToken, Message: herald.ErrorMessage(err)})
	default:
		h.fail(w, r, err)
	}
}

// passwordFormMessage words ChangePassword's field errors for the form.
func passwordFormMessage(err error) string {
	msg := herald.ErrorMessage(err)
	for field, label := range map[string]string{"currentPassword: ": "Current password ", "newPassword: ": "New password ", "confirmPassword: ": "Confirmation "} {
		if rest, ok := strings.CutPrefix(msg, field); ok {
			return label + rest + "."
		}
	}
	return msg
}

// workspaceView is a workspace with what the home page shows of it.
type workspaceView struct {
	Workspace *herald.Workspace
	Profiles  []*herald.SocialProfile
	Posts     []*herald.Post
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request, s *herald.Session, u *herald.User) {
	ctx := r.Context()
	wss, err := h.app.ListWorkspaces(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var views []workspaceView
	for _, ws := range wss {
		v := workspaceView{Workspace: ws}
		if v.Profiles, err = h.app.ListSocialProfiles(ctx, ws.ID); err != nil {
			h.fail(w, r, err)
			return
		}
		if v.Posts, err = h.app.ListPosts(ctx, app.ListPostsParams{WorkspaceID: ws.ID, PerPage: 10}); err != nil {
			h.fail(w, r, err)
			return
		}
		views = append(views, v)
	}
	h.render(w, r, http.StatusOK, "home.html", page{Title: "Herald", User: u, CSRF: s.CSRFToken, Data: views})
}

// connect is where a connection URL leads a signed-in user: it starts the
// network's OAuth flow. ConnectionURL refuses (400, with the reason) a
// network this Herald cannot connect, as the API does.
func (h *Handler) connect(w http.ResponseWriter, r *http.Request, s *herald.Session, u *herald.User) {
	ws := r.URL.Query().Get("workspaceId")
	info, err := h.app.ConnectionURL(r.Context(), ws, r.PathValue("provider"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "connect.html", page{Title: "Connect " + info.Provider, User: u, CSRF: s.CSRFToken,
		Data: connectView{Provider: info.Provider, WorkspaceID: ws}})
}

type connectView struct {
	Provider, WorkspaceID, Server string
}

// startConnect registers Herald with the server the user named and sends
// the browser to its authorization page.
func (h *Handler) startConnect(w http.ResponseWriter, r *http.Request, s *herald.Session, u *herald.User) {
	prov, ws, server := r.PathValue("provider"), r.PostFormValue("workspaceId"), r.PostFormValue("server")
	to, err := h.app.StartServerOAuth(r.Context(), s.ID, ws, prov, server)
	if err != nil {
		if herald.ErrorCode(err) == herald.EINVALID {
			h.render(w, r, http.StatusBadRequest, "connect.html", page{Title: "Connect " + prov, User: u, CSRF: s.CSRFToken, Message: herald.ErrorMessage(err),
				Data: connectView{Provider: prov, WorkspaceID: ws, Server: server}})
			return
		}
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// finishConnect is where the network sends the browser back.
func (h *Handler) finishConnect(w http.ResponseWriter, r *http.Request, s *herald.Session, u *herald.User) {
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		msg := q.Get("error_description")
		if msg == "" {
			msg = e
		}
		h.render(w, r, http.StatusBadRequest, "error.html", page{Title: "Not connected", User: u, CSRF: s.CSRFToken, Message: "The network did not grant access: " + msg})
		return
	}
	p, err := h.app.FinishServerOAuth(r.Context(), s.ID, r.PathValue("provider"), q.Get("state"), q.Get("code"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "connected.html", page{Title: "Connected", User: u, CSRF: s.CSRFToken, Data: p})
}

// feed serves a feed profile's public document: /feeds/{id}.rss, .atom or
// .json.
func (h *Handler) feed(w http.ResponseWriter, r *http.Request) {
	id, ext, ok := strings.Cut(r.PathValue("file"), ".")
	if !ok || (ext != "rss" && ext != "atom" && ext != "json") {
		h.render(w, r, http.StatusNotFound, "error.html", page{Title: "Not found", Message: "Feeds are at /feeds/{id}.rss, .atom or .json."})
		return
	}
	b, ct, err := h.app.FeedDocument(r.Context(), id, ext)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "public, max-age=60")
	w.Write(b)
}

// feedItem is the public page of one feed item (its link in the feed).
func (h *Handler) feedItem(w http.ResponseWriter, r *http.Request) {
	p, t, err := h.app.FeedItem(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "item.html", page{Title: "Post", Data: feedItemView{Post: p, Target: t}})
}

type feedItemView struct {
	Post   *herald.Post
	Target *herald.PostTarget
}

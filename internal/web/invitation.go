package web

import (
	"net/http"
	"net/url"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/app"
)

// redacted returns r with the invitation token left out of its path, for
// the error log: the token is a secret until used.
func redacted(r *http.Request) *http.Request {
	r2 := new(http.Request)
	*r2 = *r
	u := *r.URL
	u.Path, u.RawPath = "/invitations/{token}", ""
	r2.URL = &u
	return r2
}

// invitationView is what the accept page shows.
type invitationView struct {
	Info      *app.InvitationInfo
	Token     string
	SignInURL string
	Mismatch  bool   // signed in as another account than the invited one
	Name      string // kept when the form comes back with an error
}

// session returns the signed-in session and user, or nils: for pages that
// anyone may see.
func (h *Handler) session(r *http.Request) (*herald.Session, *herald.User, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return nil, nil, nil
	}
	s, u, err := h.app.AuthenticateSession(r.Context(), c.Value)
	if herald.ErrorCode(err) == herald.EUNAUTHORIZED {
		return nil, nil, nil
	}
	return s, u, err
}

// invitation is the accept page of an invitation link. Someone without an
// account chooses a name and password; the owner of an existing account
// signs in first and accepts.
func (h *Handler) invitation(w http.ResponseWriter, r *http.Request) {
	h.invitationPage(w, r, http.StatusOK, "", "")
}

func (h *Handler) invitationPage(w http.ResponseWriter, r *http.Request, status int, message, name string) {
	s, u, err := h.session(r)
	if err != nil {
		h.fail(w, redacted(r), err)
		return
	}
	p := page{Title: "Invitation", User: u, Message: message}
	if s != nil {
		p.CSRF = s.CSRFToken
	}
	token := r.PathValue("token")
	info, err := h.app.FindInvitation(r.Context(), token)
	if err != nil {
		h.invitationFailed(w, r, p, err)
		return
	}
	v := invitationView{Info: info, Token: token, Name: name,
		SignInURL: "/signin?next=" + url.QueryEscape("/invitations/"+token)}
	if u != nil && herald.NormalizeEmail(u.Email) != info.Invitation.Email {
		v.Mismatch = true
		if status == http.StatusOK {
			status = http.StatusForbidden
		}
	}
	p.Data = v
	h.render(w, r, status, "invitation.html", p)
}

// invitationFailed shows why an invitation link cannot be used.
func (h *Handler) invitationFailed(w http.ResponseWriter, r *http.Request, p page, err error) {
	if herald.ErrorCode(err) != herald.ENOTFOUND {
		h.fail(w, redacted(r), err)
		return
	}
	p.Title, p.Message = "Invitation not valid", herald.ErrorMessage(err)
	h.render(w, r, http.StatusNotFound, "error.html", p)
}

// acceptInvitation accepts an invitation: as the signed-in account (the
// form carries the session's CSRF token), or by creating the account with
// the name and password chosen in the form. The link's token, a secret
// only the invitee has, stands in for the CSRF token of a session that
// does not exist yet; cross-site posts are refused anyway by ServeHTTP.
func (h *Handler) acceptInvitation(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	token := r.PathValue("token")
	s, u, err := h.session(r)
	if err != nil {
		h.fail(w, redacted(r), err)
		return
	}
	if s != nil {
		if !app.SameToken(r.PostFormValue("csrf"), s.CSRFToken) {
			h.render(w, r, http.StatusForbidden, "error.html", page{Title: "Refused", User: u, CSRF: s.CSRFToken, Message: "The form was stale or did not come from Herald. Go back, reload and try again."})
			return
		}
		ctx := herald.NewContextWithUser(r.Context(), u)
		_, err := h.app.AcceptInvitation(ctx, token)
		switch herald.ErrorCode(err) {
		case "":
			http.Redirect(w, r, "/", http.StatusSeeOther)
		case herald.EFORBIDDEN:
			h.invitationPage(w, r, http.StatusForbidden, "", "")
		case herald.ENOTFOUND:
			h.invitationFailed(w, r, page{Title: "Invitation", User: u, CSRF: s.CSRFToken}, err)
		default:
			h.fail(w, redacted(r), err)
		}
		return
	}
	name := r.PostFormValue("name")
	_, sessionToken, err := h.app.AcceptInvitationWithNewAccount(r.Context(), token, app.NewAccountParams{Name: name, Password: r.PostFormValue("password")})
	switch herald.ErrorCode(err) {
	case "":
		http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: sessionToken, Path: "/", HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode,
			MaxAge: int(h.app.Config().SessionTTL / time.Second)})
		http.Redirect(w, r, "/", http.StatusSeeOther)
	case herald.EINVALID:
		h.invitationPage(w, r, http.StatusBadRequest, herald.ErrorMessage(err), name)
	case herald.ECONFLICT:
		// The account came to exist: the page now asks to sign in.
		h.invitationPage(w, r, http.StatusConflict, herald.ErrorMessage(err), "")
	case herald.ENOTFOUND:
		h.invitationFailed(w, r, page{Title: "Invitation"}, err)
	default:
		h.fail(w, redacted(r), err)
	}
}

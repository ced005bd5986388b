package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/app"
)

func timePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := herald.FormatTime(*t)
	return &s
}

func (h *Handler) getMe(w http.ResponseWriter, r *http.Request) error {
	u, err := h.app.Me(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, meResponse{ID: u.ID, Name: u.Name, Email: u.Email})
	return nil
}

// passwordRequest is the body of POST /me/password.
type passwordRequest struct {
	CurrentPassword string `json:"currentPassword" doc:"The password the user signs in with now."`
	NewPassword     string `json:"newPassword" doc:"At least 12 characters."`
}

func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request) error {
	var req passwordRequest
	if err := decodeRequest(w, r, &req); err != nil {
		return err
	}
	err := h.app.ChangePassword(r.Context(), app.ChangePasswordParams{Current: req.CurrentPassword, New: req.NewPassword, Confirm: req.NewPassword})
	if d := app.RetryAfter(err); d > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(d/time.Second)))
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, emptyResponse{})
	return nil
}

func (h *Handler) listWorkspaces(w http.ResponseWriter, r *http.Request) error {
	ws, err := h.app.ListWorkspaces(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, mapSlice(ws, toWorkspace))
	return nil
}

func (h *Handler) createWorkspace(w http.ResponseWriter, r *http.Request) error {
	var req workspaceRequest
	if err := decodeRequest(w, r, &req); err != nil {
		return err
	}
	ws, err := h.app.CreateWorkspace(r.Context(), req.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toWorkspace(ws))
	return nil
}

func (h *Handler) listMembers(w http.ResponseWriter, r *http.Request) error {
	ms, err := h.app.ListMembers(r.Context(), r.PathValue("workspaceId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, mapSlice(ms, toMember))
	return nil
}

func (h *Handler) inviteMember(w http.ResponseWriter, r *http.Request) error {
	var req inviteRequest
	if err := decodeRequest(w, r, &req); err != nil {
		return err
	}
	inv, err := h.app.InviteMember(r.Context(), r.PathValue("workspaceId"), app.InviteParams{Email: req.Email, Role: herald.Role(req.Role)})
	if err != nil {
		return err
	}
	resp := toInvitation(inv.Invitation)
	resp.AcceptURL = inv.AcceptURL
	writeJSON(w, http.StatusCreated, resp)
	return nil
}

func (h *Handler) listInvitations(w http.ResponseWriter, r *http.Request) error {
	invs, err := h.app.ListInvitations(r.Context(), r.PathValue("workspaceId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, mapSlice(invs, toInvitation))
	return nil
}

func (h *Handler) revokeInvitation(w http.ResponseWriter, r *http.Request) error {
	if err := h.app.RevokeInvitation(r.Context(), r.PathValue("workspaceId"), r.PathValue("invitationId")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, emptyResponse{})
	return nil
}

func (h *Handler) listAPIKeys(w http.ResponseWriter, r *http.Request) error {
	ks, err := h.app.ListAPIKeys(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, mapSlice(ks, toAPIKey))
	return nil
}

func (h *Handler) createAPIKey(w http.ResponseWriter, r *http.Request) error {
	var req apiKeyRequest
	if err := decodeOptionalRequest(w, r, &req); err != nil {
		return err
	}
	k, secret, err := h.app.CreateAPIKey(r.Context(), req.Name)
	if err != nil {
		return err
	}
	resp := toAPIKey(k)
	resp.Key = secret
	writeJSON(w, http.StatusCreated, resp)
	return nil
}

func (h *Handler) revokeAPIKey(w http.ResponseWriter, r *http.Request) error {
	if err := h.app.RevokeAPIKey(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, emptyResponse{})
	return nil
}

// decodeRequest reads and strictly decodes a JSON body.
func decodeRequest(w http.ResponseWriter, r *http.Request, dst any) error {
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	return decodeJSON(body, dst)
}

// decodeOptionalRequest is decodeRequest for bodies that may be empty.
func decodeOptionalRequest(w http.ResponseWriter, r *http.Request, dst any) error {
	body, err := readBody(w, r)
	if err != nil || len(body) == 0 {
		return err
	}
	return decodeJSON(body, dst)
}

func mapSlice[T, U any](in []T, f func(T) U) []U {
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

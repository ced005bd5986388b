package api

import (
	"net/http"
	"slices"
	"strings"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/provider"
)

func (h *Handler) listSocialProfiles(w http.ResponseWriter, r *http.Request) error {
	ps, err := h.app.ListSocialProfiles(r.Context(), r.URL.Query().Get("workspaceId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, mapSlice(ps, toProfile))
	return nil
}

func (h *Handler) getConnectionURL(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	info, err := h.app.ConnectionURL(r.Context(), q.Get("workspaceId"), q.Get("provider"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, info)
	return nil
}

func (h *Handler) postConnectionURL(w http.ResponseWriter, r *http.Request) error {
	var req connectionURLRequest
	if err := decodeRequest(w, r, &req); err != nil {
		return err
	}
	if req.Provider == "" {
		return herald.Errorf(herald.EINVALID, "provider: is required")
	}
	info, err := h.app.ConnectionURL(r.Context(), r.URL.Query().Get("workspaceId"), req.Provider)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, connectionURLResponse{URL: info.AuthURL, ConnectionInfo: *info})
	return nil
}

func (h *Handler) connectProfile(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	// The body's fields are the network's own: the app checks them against
	// the network's descriptor, and the network parses them.
	var req map[string]any
	if err := decodeJSON(body, &req); err != nil {
		return err
	}
	p, err := h.app.ConnectProfile(r.Context(), r.URL.Query().Get("workspaceId"), body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toProfile(p))
	return nil
}

func (h *Handler) deleteProfile(w http.ResponseWriter, r *http.Request) error {
	if err := h.app.DeleteProfile(r.Context(), r.URL.Query().Get("workspaceId"), r.PathValue("id")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, emptyResponse{})
	return nil
}

// connectionURLDoc describes the provider parameter of the connection URL
// from the registered networks: which connect through a browser, which of
// Ocoya's do not yet, and which connect with credentials instead.
func connectionURLDoc(networks []provider.Descriptor) string {
	var browser, creds, notYet []string
	for _, d := range networks {
		switch {
		case d.Connect.OAuth != nil:
			browser = append(browser, d.ID)
		case d.Connect.Credentials != nil:
			creds = append(creds, d.ID)
		}
	}
	for _, id := range herald.OAuthProviders() {
		if slices.Contains(browser, id) {
			continue
		}
		n, _ := herald.LookupNetwork(id)
		if len(n.Aliases) > 0 {
			id += " or " + strings.Join(n.Aliases, " or ")
		}
		notYet = append(notYet, id)
	}
	list := func(ids []string) string {
		if len(ids) == 0 {
			return "none"
		}
		return strings.Join(ids, ", ")
	}
	return "A network Herald connects through a browser: " + list(browser) + ". Ocoya's others (" + list(notYet) +
		") answer 400 until Herald supports them; " + list(creds) + " are connected with POST /social-profiles."
}

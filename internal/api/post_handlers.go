package api

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/app"
)

func postStatusNames() []string {
	return mapSlice(herald.PostStatuses, func(s herald.PostStatus) string { return string(s) })
}

// postInput decodes and checks the shape of a create (or validate) body.
func postInput(w http.ResponseWriter, r *http.Request) (app.PostInput, error) {
	var req createPostRequest
	if err := decodeRequest(w, r, &req); err != nil {
		return app.PostInput{}, err
	}
	at, err := parseOptionalTime("scheduledAt", req.ScheduledAt.Value)
	if err != nil {
		return app.PostInput{}, err
	}
	return app.PostInput{Caption: req.Caption, Options: req.Options, MediaURLs: req.MediaURLs, SocialProfileIDs: req.SocialProfileIDs, ScheduledAt: at}, nil
}

func (h *Handler) createPost(w http.ResponseWriter, r *http.Request) error {
	in, err := postInput(w, r)
	if err != nil {
		return err
	}
	p, err := h.app.CreatePost(r.Context(), r.URL.Query().Get("workspaceId"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, createPostResponse{PostGroupID: p.ID, ID: p.ID})
	return nil
}

func (h *Handler) validatePost(w http.ResponseWriter, r *http.Request) error {
	in, err := postInput(w, r)
	if err != nil {
		return err
	}
	c, err := h.app.ValidatePost(r.Context(), r.URL.Query().Get("workspaceId"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, validatePostResponse{*c})
	return nil
}

// statusParams are the query parameters GET /post reads statuses from:
// Ocoya's own, then its aliases.
var statusParams = []string{"statuses", "statuses[]", "status"}

func (h *Handler) listPosts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var statuses []herald.PostStatus
	// statuses[] is how axios (qs) sends an array, status what a person
	// types for one: both are read as statuses rather than ignored.
	for _, name := range statusParams {
		for _, v := range q[name] {
			for _, s := range strings.Split(v, ",") {
				if strings.TrimSpace(s) == "" {
					continue
				}
				st, err := herald.ParsePostStatus(name, s)
				if err != nil {
					return err
				}
				if !slices.Contains(statuses, st) {
					statuses = append(statuses, st)
				}
			}
		}
	}
	page, perPage, err := queryPage(r)
	if err != nil {
		return err
	}
	late := false
	if v := q.Get("late"); v != "" {
		if late, err = strconv.ParseBool(v); err != nil {
			return herald.Errorf(herald.EINVALID, "late: %q is not true or false", v)
		}
	}
	posts, err := h.app.ListPosts(r.Context(), app.ListPostsParams{WorkspaceID: q.Get("workspaceId"), Statuses: statuses, Late: late, Page: page, PerPage: perPage})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, mapSlice(posts, func(p *herald.Post) postGroupResponse { return toPostGroup(h.app, p) }))
	return nil
}

func (h *Handler) getPost(w http.ResponseWriter, r *http.Request) error {
	p, err := h.app.GetPost(r.Context(), r.URL.Query().Get("workspaceId"), r.PathValue("postId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toPostGroup(h.app, p))
	return nil
}

func (h *Handler) updatePost(w http.ResponseWriter, r *http.Request) error {
	var req patchPostRequest
	if err := decodeRequest(w, r, &req); err != nil {
		return err
	}
	patch := app.PostPatch{Caption: req.Caption, Options: req.Options, MediaURLs: req.MediaURLs, SocialProfileIDs: req.SocialProfileIDs, SetSchedule: req.ScheduledAt.Set}
	at, err := parseOptionalTime("scheduledAt", req.ScheduledAt.Value)
	if err != nil {
		return err
	}
	patch.ScheduledAt = at
	if _, err := h.app.UpdatePost(r.Context(), r.URL.Query().Get("workspaceId"), r.PathValue("postId"), patch); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, emptyResponse{})
	return nil
}

func (h *Handler) deletePost(w http.ResponseWriter, r *http.Request) error {
	remote := false
	if v := r.URL.Query().Get("remote"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return herald.Errorf(herald.EINVALID, "remote: %q is not true or false", v)
		}
		remote = b
	}
	if err := h.app.DeletePost(r.Context(), r.URL.Query().Get("workspaceId"), r.PathValue("postId"), remote); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, emptyResponse{})
	return nil
}

func (h *Handler) publishPost(w http.ResponseWriter, r *http.Request) error {
	if err := decodeOptionalRequest(w, r, &struct{}{}); err != nil {
		return err
	}
	if _, err := h.app.PublishNow(r.Context(), r.URL.Query().Get("workspaceId"), r.PathValue("postId")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, emptyResponse{})
	return nil
}

func (h *Handler) retryPost(w http.ResponseWriter, r *http.Request) error {
	var req retryRequest
	if err := decodeOptionalRequest(w, r, &req); err != nil {
		return err
	}
	if _, err := h.app.RetryPost(r.Context(), r.URL.Query().Get("workspaceId"), r.PathValue("postId"), req.Confirm); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, emptyResponse{})
	return nil
}

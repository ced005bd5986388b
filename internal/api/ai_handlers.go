package api

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/heraldhq/herald"
)

// The AI endpoints validate their bodies exactly as documented, so that a
// script learns of its mistakes now, then answer 501 until an AI backend is
// configured: never a fake success.

type aiPostRequest struct {
	Prompt             string   `json:"prompt" required:"true" doc:"At least 10 characters."`
	Tone               string   `json:"tone" enum:"professional,friendly,educational,bold,founder_led"`
	Length             string   `json:"length" enum:"short,medium,long,extra_long"`
	PostLength         string   `json:"postLength" enum:"short,medium,long,extra_long" doc:"Alias of length."`
	SocialProfileIDs   []string `json:"socialProfileIds"`
	BrandID            string   `json:"brandId"`
	HashtagLibraryID   string   `json:"hashtagLibraryId"`
	GenerateImage      bool     `json:"generateImage"`
	ReferenceURLs      []string `json:"referenceUrls"`
	ReferenceDesignIDs []string `json:"referenceDesignIds"`
}

type campaignRequest struct {
	Prompt             string   `json:"prompt" doc:"Required (or topic), at least 3 characters."`
	Topic              string   `json:"topic" doc:"Alias of prompt."`
	Goal               string   `json:"goal" enum:"awareness,leads,launch,offer,education,event"`
	Audience           string   `json:"audience" enum:"business_owners,founders_executives,marketing_teams,buyers_customers,local_community,investors,first_time_buyers,existing_customers"`
	Duration           *int     `json:"duration" doc:"Days, 1 to 30 (default 7)."`
	Count              *int     `json:"count" doc:"Posts, 3 to 30 (default 5)."`
	PostLength         string   `json:"postLength" enum:"short,medium,long,extra_long"`
	Tone               string   `json:"tone" enum:"professional,friendly,educational,bold,founder_led"`
	BrandID            string   `json:"brandId"`
	HashtagLibraryID   string   `json:"hashtagLibraryId"`
	HashtagLibraryName string   `json:"hashtagLibraryName"`
	SocialProfileIDs   []string `json:"socialProfileIds"`
	GenerateMedia      bool     `json:"generateMedia"`
	ImageCount         *int     `json:"imageCount" doc:"1 to 5."`
	ReferenceURLs      []string `json:"referenceUrls" doc:"At most 3."`
	ReferenceDesignIDs []string `json:"referenceDesignIds" doc:"At most 3."`
}

var (
	tones   = []string{"professional", "friendly", "educational", "bold", "founder_led"}
	lengths = []string{"short", "medium", "long", "extra_long"}
)

func checkEnum(field, v string, allowed []string) error {
	if v != "" && !slices.Contains(allowed, strings.ToLower(v)) {
		return herald.Errorf(herald.EINVALID, "%s: %q is not one of %s", field, v, strings.Join(allowed, ", "))
	}
	return nil
}

func checkRange(field string, v *int, lo, hi int) error {
	if v != nil && (*v < lo || *v > hi) {
		return herald.Errorf(herald.EINVALID, "%s: must be between %d and %d (got %d)", field, lo, hi, *v)
	}
	return nil
}

func checkURLs(field string, urls []string, max int) error {
	if len(urls) > max {
		return herald.Errorf(herald.EINVALID, "%s: at most %d (got %d)", field, max, len(urls))
	}
	for i, u := range urls {
		if err := herald.ValidateURL(field+"["+strconv.Itoa(i)+"]", u); err != nil {
			return err
		}
	}
	return nil
}

func (h *Handler) createAIPost(w http.ResponseWriter, r *http.Request) error {
	var req aiPostRequest
	if err := decodeRequest(w, r, &req); err != nil {
		return err
	}
	if _, err := h.app.ListSocialProfiles(r.Context(), r.URL.Query().Get("workspaceId")); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(req.Prompt)); n < 10 {
		return herald.Errorf(herald.EINVALID, "prompt: must be at least 10 characters (got %d)", n)
	}
	for _, c := range []error{checkEnum("tone", req.Tone, tones), checkEnum("length", req.Length, lengths), checkEnum("postLength", req.PostLength, lengths),
		checkURLs("referenceUrls", req.ReferenceURLs, 10)} {
		if c != nil {
			return c
		}
	}
	return herald.Errorf(herald.EUNIMPLEMENT, "AI generation is not available on this Herald: no AI backend is configured.")
}

func (h *Handler) createCampaign(w http.ResponseWriter, r *http.Request) error {
	var req campaignRequest
	if err := decodeRequest(w, r, &req); err != nil {
		return err
	}
	if _, err := h.app.ListSocialProfiles(r.Context(), r.URL.Query().Get("workspaceId")); err != nil {
		return err
	}
	prompt := req.Prompt
	if prompt == "" {
		prompt = req.Topic
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(prompt)); n < 3 {
		return herald.Errorf(herald.EINVALID, "prompt: is required (or topic), at least 3 characters (got %d)", n)
	}
	for _, c := range []error{
		checkEnum("goal", req.Goal, []string{"awareness", "leads", "launch", "offer", "education", "event"}),
		checkEnum("audience", req.Audience, []string{"business_owners", "founders_executives", "marketing_teams", "buyers_customers", "local_community", "investors", "first_time_buyers", "existing_customers"}),
		checkRange("duration", req.Duration, 1, 30), checkRange("count", req.Count, 3, 30), checkRange("imageCount", req.ImageCount, 1, 5),
		checkEnum("postLength", req.PostLength, lengths), checkEnum("tone", req.Tone, tones),
		checkURLs("referenceUrls", req.ReferenceURLs, 3),
	} {
		if c != nil {
			return c
		}
	}
	if len(req.ReferenceDesignIDs) > 3 {
		return herald.Errorf(herald.EINVALID, "referenceDesignIds: at most 3 (got %d)", len(req.ReferenceDesignIDs))
	}
	return herald.Errorf(herald.EUNIMPLEMENT, "AI generation is not available on this Herald: no AI backend is configured.")
}

package client

import (
	"context"
	"encoding/json"
	"net/http"
)

// AIPostInput is the body of POST /post/ai. Prompt is required (at least 10
// characters); the result is always a DRAFT.
type AIPostInput struct {
	Prompt string `json:"prompt"`
	// Tone is professional (default), friendly, educational, bold or
	// founder_led.
	Tone string `json:"tone,omitempty"`
	// Length is short, medium (default), long or extra_long.
	Length             string   `json:"length,omitempty"`
	SocialProfileIDs   []string `json:"socialProfileIds,omitempty"`
	BrandID            string   `json:"brandId,omitempty"`
	HashtagLibraryID   string   `json:"hashtagLibraryId,omitempty"`
	GenerateImage      bool     `json:"generateImage,omitempty"`
	ReferenceURLs      []string `json:"referenceUrls,omitempty"`
	ReferenceDesignIDs []string `json:"referenceDesignIds,omitempty"`
}

// CampaignInput is the body of POST /campaigns; see the API reference for
// the enums and ranges. Pointers leave the server's defaults.
type CampaignInput struct {
	Prompt             string   `json:"prompt,omitempty"`
	Goal               string   `json:"goal,omitempty"`
	Audience           string   `json:"audience,omitempty"`
	Duration           *int     `json:"duration,omitempty"`
	Count              *int     `json:"count,omitempty"`
	PostLength         string   `json:"postLength,omitempty"`
	Tone               string   `json:"tone,omitempty"`
	BrandID            string   `json:"brandId,omitempty"`
	HashtagLibraryID   string   `json:"hashtagLibraryId,omitempty"`
	HashtagLibraryName string   `json:"hashtagLibraryName,omitempty"`
	SocialProfileIDs   []string `json:"socialProfileIds,omitempty"`
	GenerateMedia      bool     `json:"generateMedia,omitempty"`
	ImageCount         *int     `json:"imageCount,omitempty"`
	ReferenceURLs      []string `json:"referenceUrls,omitempty"`
	ReferenceDesignIDs []string `json:"referenceDesignIds,omitempty"`
}

// Campaign is the answer of POST /campaigns: the campaign is generated in
// the background.
type Campaign struct {
	CampaignID string          `json:"campaignId"`
	Status     string          `json:"status"`
	Queued     bool            `json:"queued"`
	Generation json.RawMessage `json:"generation,omitempty"`
}

// CreateAIPost drafts a post with AI (POST /post/ai). A Herald without an
// AI backend answers 501 after checking the body.
func (c *Client) CreateAIPost(ctx context.Context, workspaceID string, in AIPostInput, opts ...Option) (*CreatedPost, error) {
	var out CreatedPost
	if err := c.Do(ctx, http.MethodPost, "/post/ai", wsQuery(workspaceID), in, &out, opts...); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateCampaign starts generating a campaign of posts with AI (POST
// /campaigns). A Herald without an AI backend answers 501 after checking
// the body.
func (c *Client) CreateCampaign(ctx context.Context, workspaceID string, in CampaignInput, opts ...Option) (*Campaign, error) {
	var out Campaign
	if err := c.Do(ctx, http.MethodPost, "/campaigns", wsQuery(workspaceID), in, &out, opts...); err != nil {
		return nil, err
	}
	return &out, nil
}

package publish_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/provider/providertest/blueskyfake"
)

// DELETE /post/{id}?remote=true when one network refuses: Herald keeps the
// post, says which network refused, and a later try finishes the job.
func TestDeleteRemoteWhenOneNetworkRefuses(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, open func(t *testing.T) *env) {
		e := open(t)
		masto, bsky := e.mastodonProfile(), e.blueskyProfile()
		p := e.settle(e.schedule("Delete me from everywhere", 300*time.Millisecond, masto, bsky).ID)
		mt, bt := target(p, "mastodon"), target(p, "bluesky")
		if mt.State != herald.TargetPublished || bt.State != herald.TargetPublished {
			t.Fatalf("published: mastodon %s, bluesky %s", mt.State, bt.State)
		}
		rkey := bt.RemoteID[strings.LastIndex(bt.RemoteID, "/")+1:]
		did := mustProfile(t, e, bsky.ID).ExternalID
		onPDS := func() bool {
			r, ok := e.bsky.Record(did, "app.bsky.feed.post", rkey)
			return ok && !r.Deleted
		}
		if !onPDS() {
			t.Fatalf("record %s not on the PDS", bt.RemoteID)
		}

		e.bsky.InjectFault("POST /xrpc/com.atproto.repo.deleteRecord", blueskyfake.Fault{Kind: blueskyfake.FaultStatus, Status: 503, Times: -1})
		err := e.app.DeletePost(e.ctx, e.ws, p.ID, true)
		if herald.ErrorCode(err) != herald.EUNAVAILABLE {
			t.Fatalf("delete while Bluesky refuses: %v, want %s", err, herald.EUNAVAILABLE)
		}
		if msg := herald.ErrorMessage(err); !strings.Contains(msg, "bluesky") || strings.Contains(msg, "mastodon") || !strings.Contains(msg, "kept in Herald") {
			t.Errorf("message %q should name Bluesky, and only Bluesky, and say the post is kept", msg)
		}
		if _, err := e.store.FindPostByID(context.Background(), p.ID); err != nil {
			t.Fatalf("the post was not kept: %v", err)
		}
		if st, ok := e.masto.Status(mt.RemoteID); !ok || !st.Deleted {
			t.Errorf("the Mastodon status was not deleted (found %v)", ok)
		}
		if !onPDS() {
			t.Errorf("the Bluesky record is gone although the PDS refused")
		}

		// Once Bluesky answers, the same request finishes: the status already
		// gone from Mastodon is not an error.
		e.bsky.ClearFaults()
		must(t, e.app.DeletePost(e.ctx, e.ws, p.ID, true))
		if onPDS() {
			t.Errorf("the Bluesky record is still on the PDS")
		}
		_, err = e.store.FindPostByID(context.Background(), p.ID)
		if herald.ErrorCode(err) != herald.ENOTFOUND {
			t.Errorf("post after the second delete: %v, want not found", err)
		}
	})
}

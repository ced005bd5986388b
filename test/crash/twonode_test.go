package crash

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/client"
)

// twoNodePosts is how many posts the two nodes publish together.
const twoNodePosts = 2000

// TestTwoNodes runs two `herald serve` processes on one PostgreSQL schema,
// as a multi-node deployment does, schedules 2,000 posts due within
// seconds, and checks that every one is published exactly once, that both
// nodes took part, and that both report themselves ready.
func TestTwoNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("the two-node test publishes 2,000 posts")
	}
	t.Parallel()
	start := time.Now()
	s := newStorage(t, postgresURL(t))
	acct := initAccount(t, s)
	nets := startNetworks(t, accounts{mastodon: 8, bluesky: 2, discord: 40})
	flags := append(nets.serveFlags(), "--publish-timeout", leaseFlag)
	dir := t.TempDir()
	var nodes []*node
	for i, name := range []string{"node a", "node b"} {
		// Each node has a data directory of its own (as on two machines);
		// they share the database and the key that seals credentials.
		ns := s
		ns.dataDir = filepath.Join(dir, fmt.Sprintf("node%d", i))
		logPath := filepath.Join(dir, fmt.Sprintf("node%d.log", i))
		keepLog(t, logPath)
		nodes = append(nodes, startNode(t, name, ns, logPath, flags...))
	}
	// Requests go to both nodes, as behind a load balancer.
	ca, cb := nodes[0].client(acct.APIKey), nodes[1].client(acct.APIKey)
	profiles := nets.connect(t, ca, acct.WorkspaceID)
	due := time.Now().Add(6 * time.Second)
	posts := schedulePosts(t, []*client.Client{ca, cb}, acct.WorkspaceID, profiles, twoNodePosts, due, 2*time.Second)
	targets := waitFinal(t, ca, acct.WorkspaceID, posts, 150*time.Second)
	done := time.Now()
	for _, n := range nodes {
		if code, body := n.ready(t.Context()); code != 200 {
			t.Errorf("/readyz of %s: %d %s", n.name, code, body)
		}
	}
	for _, n := range nodes {
		n.stop(t)
	}
	tl := checkExactlyOnce(t, nets, targets)
	for _, network := range networkNames {
		if tl.needsAttention[network] > 0 {
			t.Errorf("%s: %d targets need attention though no node failed", network, tl.needsAttention[network])
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "two nodes: %d posts (%d targets) published %s after they fell due (%s in all)\n", len(posts), len(targets), done.Sub(due).Round(time.Millisecond), time.Since(start).Round(time.Second))
	for _, n := range nodes {
		did := len(grepLog(t, n.log, "msg=published"))
		fmt.Fprintf(&b, "  %s published %d\n", n.name, did)
		if did == 0 {
			t.Errorf("%s published nothing: the other node did all the work", n.name)
		}
	}
	t.Log(b.String())
}

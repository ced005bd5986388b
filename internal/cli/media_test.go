package cli

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/media"
	"github.com/heraldhq/herald/internal/safehttp"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// TestS3TransportReachesTheOperatorsEndpoint: the media bucket goes through
// safehttp; the endpoint the operator set is reached on a loopback address
// without HERALD_ALLOW_PRIVATE_NETWORKS, and no other private host is.
func TestS3TransportReachesTheOperatorsEndpoint(t *testing.T) {
	t.Parallel()
	backend := s3mem.New()
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	const bucket = "herald-media"
	if err := backend.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	endpoint := strings.TrimPrefix(srv.URL, "http://")
	tr := s3Transport(endpoint, bucket, false)
	s, err := media.NewS3Store(media.S3Config{Endpoint: endpoint, Bucket: bucket, Region: "us-east-1", AccessKeyID: "k", SecretAccessKey: "s",
		PathStyle: true, TempDir: t.TempDir(), Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(context.Background()); err != nil {
		t.Fatalf("Check through the safehttp transport: %v", err)
	}

	other := strings.Replace(srv.URL, "127.0.0.1", "127.0.0.3", 1)
	req, _ := http.NewRequest(http.MethodGet, other+"/"+bucket, nil)
	if _, err := tr.RoundTrip(req); safehttp.CodeOf(err) != safehttp.CodeRefusedAddress {
		t.Errorf("RoundTrip to %s = %v, want refused", other, err)
	}
}

package cli

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/media"
	"github.com/heraldhq/herald/internal/safehttp"
)

// openMedia builds the media component from the configuration: the blob
// store (a local directory, or an S3-compatible bucket for several nodes),
// the safe fetcher under HERALD_ALLOW_PRIVATE_NETWORKS, the size caps, the
// quota. The collector of unused files is made with the app.
func (m *Main) openMedia(ctx context.Context) (*app.MediaService, error) {
	mc := m.Config.Media
	tmp := filepath.Join(m.Config.DataDir, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, fmt.Errorf("media: create the temporary directory: %w", err)
	}
	var blobs media.Store
	if mc.S3Bucket != "" {
		s3, err := media.NewS3Store(media.S3Config{Endpoint: mc.S3Endpoint, Bucket: mc.S3Bucket, Region: mc.S3Region, AccessKeyID: mc.S3AccessKeyID,
			SecretAccessKey: mc.S3SecretAccessKey, UseTLS: mc.S3TLS, PathStyle: mc.S3PathStyle, Prefix: mc.S3Prefix, TempDir: tmp,
			Transport: s3Transport(mc.S3Endpoint, mc.S3Bucket, m.Config.AllowPrivateNetworks)})
		if err != nil {
			return nil, fmt.Errorf("media: %w", err)
		}
		if err := s3.Check(ctx); err != nil {
			return nil, fmt.Errorf("media: bucket %q at %s: %w", mc.S3Bucket, mc.S3Endpoint, err)
		}
		blobs = s3
		m.Log.InfoContext(ctx, "media store", "kind", "s3", "endpoint", mc.S3Endpoint, "bucket", mc.S3Bucket, "prefix", mc.S3Prefix)
	} else {
		local, err := media.NewLocalStore(mc.Dir)
		if err != nil {
			return nil, err
		}
		blobs = local
		m.Log.InfoContext(ctx, "media store", "kind", "local", "dir", mc.Dir)
	}
	fetcher := media.NewFetcher(media.FetcherConfig{
		Policy:    safehttp.AddressPolicy{AllowPrivateNetworks: m.Config.AllowPrivateNetworks},
		Timeout:   mc.FetchTimeout,
		UserAgent: "Herald/" + Version() + " (media fetcher)",
	})
	return app.NewMediaService(app.MediaConfig{
		Store:   blobs,
		Fetcher: fetcher,
		Limits:  media.Limits{ImageMaxBytes: mc.MaxImageBytes, GIFMaxBytes: mc.MaxGIFBytes, VideoMaxBytes: mc.MaxVideoBytes},
		TempDir: tmp,
		Quota:   mc.Quota,
		GCAge:   mc.GCAge,
	}), nil
}

// s3Transport is the safehttp transport of the media bucket. The operator
// named the endpoint, so its host (and the bucket's virtual host on it) may
// be on a private network whatever HERALD_ALLOW_PRIVATE_NETWORKS says; the
// never-allowed addresses (cloud metadata) stay refused.
func s3Transport(endpoint, bucket string, allowPrivate bool) http.RoundTripper {
	host := endpoint
	if h, _, err := net.SplitHostPort(endpoint); err == nil {
		host = h
	}
	return safehttp.NewClient(safehttp.Config{Policy: safehttp.AddressPolicy{
		AllowPrivateNetworks: allowPrivate,
		AllowHosts:           []string{host, bucket + "." + host},
	}}).Transport
}

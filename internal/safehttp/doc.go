// Package safehttp is the HTTP client for every request Herald makes on
// someone's behalf: media downloads, the networks' APIs and the servers users
// name (Mastodon instances, PDS hosts, webhooks).
//
// AddressPolicy decides which IP addresses may be reached; Dialer applies it
// at connect time, after DNS resolution, so neither DNS rebinding nor a
// redirect reaches loopback, private, link-local or cloud metadata addresses;
// NewClient builds an *http.Client on the Dialer that bounds redirects (each
// checked against the policy), ignores proxy settings and checks every
// request URL before it is sent. Callers layer their own rules (media
// sniffing and size caps) on top.
package safehttp

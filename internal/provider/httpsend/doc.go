// Package httpsend is the request plumbing the network adapters share: one
// call to a network whose URL holds a secret (a webhook or bot token), with
// the rule that a request that creates something and may have reached the
// network fails as an unknown outcome, never as a transient error to retry;
// a multipart/form-data body that streams media from Media.Open; the
// file-name extensions used for uploads; and the Retry-After header.
//
// What each network answers (its error bodies, codes and rate-limit
// headers) stays in its own package: httpsend only sends and reads.
package httpsend

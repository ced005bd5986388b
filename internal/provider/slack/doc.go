// Package slack publishes to a Slack channel through an incoming webhook
// (docs.slack.dev/messaging/sending-messages-using-incoming-webhooks).
//
// Incoming webhooks can only post. They cannot be checked without posting,
// so Connect validates the URL's shape and nothing more (Herald never posts
// a test message the user did not ask for); a wrong or revoked URL shows up
// at the first publish as KindUnauthorized with Slack's reason. They return
// no message id, so Published.RemoteID is the request key, Find answers
// ErrCannotTell, and Delete is refused. They cannot upload files: images go
// as image blocks pointing at Herald's public media URLs and other media as
// links.
//
// Text is sent as mrkdwn section blocks of at most 3,000 characters, with
// Slack's three control characters (&, <, >) escaped so the text shows as
// written and cannot ping @channel. Like the Discord adapter, Herald only
// calls its configured webhook host, and the URL's secret never appears in
// an error.
package slack

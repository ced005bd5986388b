// Package discord publishes to Discord channels through incoming webhooks
// (discord.com/developers/docs/resources/webhook).
//
// A profile is one webhook URL, https://discord.com/api/webhooks/{id}/{token}
// (discordapp.com and the ptb/canary hosts are accepted too). Herald never
// requests the host the user pasted: it takes the id and token from the URL
// and calls its configured API base, so a pasted URL cannot point Herald at
// another server.
//
// Posts are executed with ?wait=true so Discord answers with the created
// message; media are uploaded as files[n] parts of a multipart/form-data
// body beside payload_json. Webhooks cannot search their channel, so Find
// can only say ErrCannotTell; the engine marks an uncertain attempt for
// attention rather than publish twice.
//
// The webhook token is a credential and sits in the URL path: it is removed
// from every error this package returns.
package discord

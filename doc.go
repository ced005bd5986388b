// Package herald is Herald's domain: the entities of a social-media
// publishing platform (users, workspaces, API keys, social profiles, posts and
// their per-network targets, brand kits, hashtag libraries, studio templates),
// their validation rules, and coded errors.
//
// It imports only the standard library. Storage, the publishing engine, the
// networks and every front door (REST API, web app, MCP server, CLI) live in
// internal/ and depend on this package, never the other way round.
package herald

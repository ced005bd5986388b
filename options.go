package herald

// PostOptions are per-network settings of a post group, keyed by provider
// then by option name: {"mastodon": {"visibility": "unlisted"}}. Each
// network describes the options it takes (provider.Descriptor.Options);
// the registry checks them.
type PostOptions map[string]map[string]string

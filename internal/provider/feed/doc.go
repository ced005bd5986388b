// Package feed is a profile that publishes into feeds Herald serves itself:
// RSS 2.0, Atom (RFC 4287) and JSON Feed 1.1.
//
// Publishing to a feed involves no network: Publish returns the item's
// public URL, and the feed documents are rendered from the targets Herald
// stored as published (Render). So Find says ErrNotPublished (an item is in
// the feed only once its target is recorded) and Delete has nothing to do on
// a network (a deleted target simply drops out of the next rendering).
package feed

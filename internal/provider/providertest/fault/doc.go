// Package fault is what the network fakes under providertest share to
// misbehave the way networks do: the kinds of injected failure, a queue of
// pending faults, answers held back or delayed, a sliding-window rate
// limit, and, for fakes that serve many routes (mastodonfake, blueskyfake),
// the whole per-route injection.
//
// What a network says when it fails (its error bodies, statuses and
// rate-limit headers) stays in each fake: this package only decides when
// and how a fake fails, and asks the fake for its words.
package fault

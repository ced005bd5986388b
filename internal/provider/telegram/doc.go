// Package telegram publishes to a Telegram channel or group through a bot
// (core.telegram.org/bots/api).
//
// A profile is a bot token and a chat. Connect checks both with getMe,
// getChat and getChatMember, so a bot that is not an administrator allowed
// to post in a channel is refused before the profile is saved.
//
// Text goes with sendMessage; one medium with sendPhoto, sendVideo or
// sendAnimation (GIFs); two to ten with sendMediaGroup, the files uploaded
// from Herald's storage as multipart attach:// parts. Captions hold 1,024
// characters: longer text is sent as a second message after the media, and
// Published.RemoteID then lists every message id ("12,13,14") so Delete
// removes them all. A failure after the media went out is reported as an
// uncertain outcome, never retried blindly.
//
// Bots cannot read a channel's history, so Find answers ErrCannotTell. A
// group upgraded to a supergroup is followed transparently: the new chat id
// is saved at once through Account.SaveCredentials.
//
// The bot token is in every request's URL path: it is removed from every
// error this package returns.
package telegram

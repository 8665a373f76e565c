package views

// Hint is one key of a footer: the key as typed and what it does. Keep
// marks a hint that stays when the line is too narrow for all of them.
type Hint struct {
	Key, Desc string
	Keep      bool
}

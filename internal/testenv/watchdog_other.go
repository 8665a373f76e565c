//go:build !unix

package testenv

// watchdog is a no-op where there is no setsid; Main still stops the broker
// when the tests return.
func watchdog(script, dir string) {}

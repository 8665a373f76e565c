//go:build unix

package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// watchdog starts a detached shell that stops the broker in dir once this
// process is gone. Main stops it itself on a normal return; the watchdog
// covers the ways a test binary dies without running deferred calls (a panic
// in a test goroutine, -timeout, SIGINT/SIGTERM). It has its own session, so
// a Ctrl-C does not reach it, and /dev/null for stdio, so `go test` does not
// wait for it.
func watchdog(script, dir string) {
	const sh = `while kill -0 "$1" 2>/dev/null; do sleep 1; done
if [ -d "$3" ]; then "$2" stop "$3" && rm -rf "$3"; fi`
	cmd := exec.Command("/bin/sh", "-c", sh, "testenv-watchdog", strconv.Itoa(os.Getpid()), script, dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "testenv: no watchdog for the broker:", err)
		return
	}
	_ = cmd.Process.Release()
}

//go:build unix

package config

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A password file others can read or change is refused, as ssh refuses
// such a private key, with the file and the fix named; so is anything that
// is not a regular file, and a file too large to be a password.
func TestPasswordFileRefusedUnlessPrivate(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		mode os.FileMode
		err  string // "" when accepted
	}{
		{0o600, ""}, {0o400, ""}, {0o700, ""},
		{0o644, "can be read by group or others (mode 0644)"},
		{0o640, "can be read by group or others (mode 0640)"},
		{0o604, "can be read by group or others (mode 0604)"},
		{0o620, "can be changed by group or others (mode 0620)"},
		{0o602, "can be changed by group or others (mode 0602)"},
		{0o710, "is open to group or others (mode 0710)"},
	} {
		path := writeFile(t, filepath.Join(dir, "pw-"+c.mode.String()), "s3cret\n", c.mode)
		h := newHarness(t)
		h.env["MQTOP_USER"] = "u"
		cfg, err := h.load("--password-file", path)
		if c.err == "" {
			if err != nil || cfg.Context.Password != "s3cret" || len(cfg.Warnings) != 0 {
				t.Errorf("mode %04o: %v, password %q, warnings %q", c.mode, err, cfg.Context.Password, cfg.Warnings)
			}
			continue
		}
		want := "password file " + path + " " + c.err + "; run chmod 600 " + path
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("mode %04o: err = %v\nwant it to say %q", c.mode, err, want)
		}
	}
}

func TestPasswordFileMustBeARegularFile(t *testing.T) {
	dir := t.TempDir()
	target := writeFile(t, filepath.Join(dir, "real"), "through-a-link\n", 0o600)
	link := filepath.Join(dir, "link") // as Kubernetes mounts secrets
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	big := writeFile(t, filepath.Join(dir, "big"), strings.Repeat("x", maxPasswordFile+1), 0o600)
	for path, want := range map[string]string{
		link:        "",
		dir:         "is not a regular file",
		"/dev/null": "is not a regular file",
		"/dev/zero": "is not a regular file",
		big:         "is larger than 64 KiB",
	} {
		h := newHarness(t)
		h.env["MQTOP_USER"] = "u"
		cfg, err := h.load("--password-file", path)
		switch {
		case want == "" && (err != nil || cfg.Context.Password != "through-a-link"):
			t.Errorf("%s: %v", path, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path)):
			t.Errorf("%s: err = %v, want %q with the path", path, err, want)
		}
	}
}

// A config file holding a password is refused when others can read it;
// one others can change is warned about (they could send the credentials
// elsewhere); one without a password may be readable by all.
func TestConfigFilePermissions(t *testing.T) {
	withPassword := "contexts: {p: {url: 'http://p', user: u, password: x}}"
	withoutPassword := "contexts: {p: {url: 'http://p', user: u, password_file: p.pw}}"
	for _, c := range []struct {
		body       string
		mode       os.FileMode
		err, warns string
	}{
		{withPassword, 0o600, "", ""},
		{withPassword, 0o644, "holds a password and can be read by group or others (mode 0644); run chmod 600 ", ""},
		{withPassword, 0o640, "holds a password and can be read by group or others (mode 0640)", ""},
		{withPassword, 0o620, "", "can be changed by group or others (mode 0620), who could send your credentials to another host; run chmod go-w "},
		{withoutPassword, 0o644, "", ""},
		{withoutPassword, 0o666, "", "can be changed by group or others (mode 0666)"},
	} {
		h := newHarness(t)
		path := h.configPath()
		writeFile(t, path, c.body, c.mode)
		writeFile(t, filepath.Join(filepath.Dir(path), "p.pw"), "from-file\n", 0o600)
		cfg, err := h.load()
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), "config file "+path+" "+c.err) {
				t.Errorf("%q at %04o: err = %v, want %q", c.body, c.mode, err, c.err)
			}
		case err != nil:
			t.Errorf("%q at %04o: %v", c.body, c.mode, err)
		case c.warns == "" && len(cfg.Warnings) != 0, c.warns != "" && (len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0], c.warns)):
			t.Errorf("%q at %04o: warnings %q, want %q", c.body, c.mode, cfg.Warnings, c.warns)
		}
	}
}

// :ctx to a context whose password file others can read fails with the
// same refusal; the start-up context is untouched.
func TestSwitchRefusesAnOpenPasswordFile(t *testing.T) {
	h := newHarness(t)
	dir := filepath.Dir(h.configPath())
	h.writeConfig("contexts:\n  a: {url: 'http://a', user: ua, password: pa}\n  b: {url: 'http://b', user: ub, password_file: b.pw}\n")
	pw := writeFile(t, filepath.Join(dir, "b.pw"), "pb\n", 0o644)
	cfg := h.mustLoad("--context", "a")
	if _, _, err := cfg.Switch("b"); err == nil || !strings.Contains(err.Error(), "run chmod 600 "+pw) {
		t.Fatalf("switch to b: %v", err)
	}
	if err := os.Chmod(pw, 0o600); err != nil {
		t.Fatal(err)
	}
	if b, _, err := cfg.Switch("b"); err != nil || b.Password != "pb" {
		t.Fatalf("after chmod 600: %v %q", err, b.Password)
	}
}

// A FIFO as password file is refused at once: reading it would block
// start-up until someone writes to it.
func TestPasswordFileFIFORefused(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		h := newHarness(t)
		h.env["MQTOP_USER"] = "u"
		_, err := h.load("--password-file", fifo)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "is not a regular file") {
			t.Fatalf("err = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("reading a FIFO as the password file blocked")
	}
}

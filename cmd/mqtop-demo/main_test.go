package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestDeriveAMQP(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:15672":          "amqp://127.0.0.1:5672",
		"https://rabbit.example.com/mgmt": "amqps://rabbit.example.com:5671",
		"http://[::1]:15672":              "amqp://[::1]:5672",
	} {
		if got, err := deriveAMQP(in); err != nil || got != want {
			t.Errorf("deriveAMQP(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := deriveAMQP("not a url"); err == nil {
		t.Error("deriveAMQP accepted a URL without host")
	}
}

func TestPasswordFlagRefused(t *testing.T) {
	for _, args := range [][]string{{"--password", "x"}, {"--password=x"}} {
		var stderr bytes.Buffer
		if code := run(args, func(string) string { return "" }, &stderr); code != 2 {
			t.Errorf("run(%q) = %d, want 2", args, code)
		}
		if !strings.Contains(stderr.String(), "MQTOP_PASSWORD") || strings.Contains(stderr.String(), "x\n") {
			t.Errorf("unexpected message for %q: %s", args, stderr.String())
		}
	}
}

func TestHelp(t *testing.T) {
	var stderr bytes.Buffer
	if code := run([]string{"--help"}, func(string) string { return "" }, &stderr); code != 0 {
		t.Errorf("--help exit code %d", code)
	}
	if !strings.Contains(stderr.String(), "--teardown") {
		t.Errorf("help does not mention --teardown:\n%s", stderr.String())
	}
}

package amqp

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/mqtop/mqtop/internal/testenv"
)

const helperEnv = "MQTOP_HELPER_BROWSE"

// TestHelperBrowseAndHang is not a test of its own: TestBrowseSurvivesSIGKILL
// runs the test binary again with only this test and helperEnv set; it
// browses, says so on stdout and then hangs holding the messages until it
// is killed.
func TestHelperBrowseAndHang(t *testing.T) {
	spec := os.Getenv(helperEnv)
	if spec == "" {
		return
	}
	parts := strings.Split(spec, "|")
	vhost, queue, qtype := parts[0], parts[1], parts[2]
	s := newSession(t)
	browseHeld = func(res BrowseResult) {
		fmt.Printf("HOLDING %d\n", len(res.Messages))
		os.Stdout.Sync()
		select {} // until SIGKILL
	}
	_, err := s.Browse(context.Background(), BrowseRequest{VHost: vhost, Queue: queue, QueueType: qtype, N: 5})
	t.Fatalf("browse returned (%v); it should have hung", err)
}

// A browsing process killed outright (no channel close, no goodbye) loses
// nothing: the broker gives the messages back when the socket drops.
func TestBrowseSurvivesSIGKILL(t *testing.T) {
	for _, qt := range []string{Classic, Quorum} {
		t.Run(qt, func(t *testing.T) {
			env := testenv.Broker(t)
			vh := testenv.VHost(t)
			testenv.DeclareQueue(t, env, vh, "q", amqp091.Table{"x-queue-type": qt})
			testenv.Publish(t, env, vh, "", "q", numbered(10)...)

			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperBrowseAndHang$", "-test.count=1")
			cmd.Env = append(os.Environ(), helperEnv+"="+vh+"|q|"+qt)
			cmd.Stderr = os.Stderr
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			killed := false
			t.Cleanup(func() {
				if !killed {
					cmd.Process.Kill()
					cmd.Wait()
				}
			})
			lines := make(chan string)
			go func() {
				sc := bufio.NewScanner(out)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
			}()
		wait:
			for {
				select {
				case l, ok := <-lines:
					if !ok {
						t.Fatal("the helper ended without holding the messages")
					}
					if l == "HOLDING 5" {
						break wait
					}
				case <-time.After(60 * time.Second):
					t.Fatal("the helper did not report holding the messages")
				}
			}
			// The broker agrees that 5 are held and 5 are ready.
			if n := queueDepth(t, env, vh, "q"); n != 5 {
				t.Fatalf("%d ready while the helper holds 5 of 10", n)
			}
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			cmd.Wait()
			killed = true
			got := drain(t, env, vh, "q", 10)
			wantStrings(t, "after SIGKILL", deliveryBodies(got), seq("m-", 0, 10))
		})
	}
}

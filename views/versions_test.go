package views

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/mqtop/mqtop/keys"
	"github.com/mqtop/mqtop/mgmt"
)

// A broker with statistics off (4.2, mgmt/testdata/versions) sends no
// message_stats: every rate it leaves out renders as "–" in the queue list
// and in the detail, never as 0, while the counts it does send show.
func TestMissingFieldsRenderAsDash(t *testing.T) {
	b, err := os.ReadFile("../mgmt/testdata/versions/4.2-handmade-from-rabbit_mgmt_wm_overview.erl-stats-off-v4.2.1.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		Queues []mgmt.Queue `json:"queues"`
	}
	if err := json.Unmarshal(b, &fx); err != nil || len(fx.Queues) != 3 {
		t.Fatalf("fixture: %d queues, %v", len(fx.Queues), err)
	}
	for _, q := range fx.Queues {
		if q.PublishRate.OK || q.DeliverRate.OK || q.Memory.OK || !q.Messages.OK {
			t.Fatalf("%s decoded with rates or memory, or without its count: %+v", q.Name, q)
		}
	}
	k := keys.Default()
	v := NewQueues(&k)
	v.SetSize(160, 8)
	v.SetPage(pageOf(0, 3, fx.Queues...), nil)
	out := ansi.Strip(v.View())
	for _, q := range fx.Queues {
		row := strings.Fields(lineOf(out, q.Name))
		// IN/S and OUT/S follow CONS: both unknown.
		i := indexOf(row, q.Name)
		if i < 0 || len(row) < i+9 {
			t.Fatalf("row of %s: %q\n%s", q.Name, row, out)
		}
		if in, outRate := row[i+7], row[i+8]; in != "–" || outRate != "–" {
			t.Errorf("row of %s shows rates %q / %q, want – / –: %q", q.Name, in, outRate, row)
		}
	}
	if r := lineOf(out, "orders"); !strings.Contains(r, "1,210") {
		t.Errorf("the count the broker sent is not shown: %q", r)
	}

	d := NewQueueDetail(&k, "/", "payments")
	d.SetSize(100, 40)
	d.SetData(fx.Queues[1], nil, nil, RowInfo{})
	page := ansi.Strip(d.View())
	for _, want := range []string{"memory –", "in/s –", "out/s –", "ack/s –", "total 57"} {
		if !strings.Contains(page, want) {
			t.Errorf("the detail does not show %q:\n%s", want, page)
		}
	}
}

func indexOf(row []string, s string) int {
	for i, f := range row {
		if f == s {
			return i
		}
	}
	return -1
}

package mgmt

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// acUsersFixture decodes the users fixture (which, as /api/users without
// columns= does, carries password_hash) through userWindow.
func acUsersFixture(t *testing.T, users any, q ListQuery) ListPage[User] {
	t.Helper()
	perms, err := decodePermissions(clRaw(t, clFixture(t, "access_permissions.json")))
	if err != nil {
		t.Fatal(err)
	}
	var items []json.RawMessage
	for _, u := range clItems(users) {
		items = append(items, clRaw(t, u))
	}
	p, err := userWindow(items, perms, q)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDecodeUsersFixtureKeepsNoHash(t *testing.T) {
	users := clFixture(t, "access_users.json")
	var secrets []string
	for _, u := range clItems(users) {
		m := u.(map[string]any)
		secrets = append(secrets, m["password_hash"].(string), m["hashing_algorithm"].(string))
	}
	for _, variant := range []any{users, clDropNulls(users), clDropStats(users)} {
		p := acUsersFixture(t, variant, ListQuery{Sort: "name"})
		if len(p.Items) != 2 || p.Items[0].Name != "guest" || p.Items[1].Name != "h4probe" {
			t.Fatalf("users %+v", p.Items)
		}
		guest, probe := p.Items[0], p.Items[1]
		if !slices.Equal(guest.Tags, []string{"administrator"}) || !slices.Equal(probe.Tags, []string{"monitoring", "policymaker"}) {
			t.Fatalf("tags %q %q", guest.Tags, probe.Tags)
		}
		want := []Permission{{User: "h4probe", VHost: "h4vh", Configure: "^c", Write: "^w", Read: ".*"}}
		if !reflect.DeepEqual(probe.Permissions, want) || len(guest.Permissions) != 2 || guest.Permissions[0].VHost != "/" {
			t.Fatalf("permissions %+v / %+v", guest.Permissions, probe.Permissions)
		}
		// Nowhere: not in the rows, not in the raw JSON kept for `y`.
		everything := fmt.Sprintf("%#v", p)
		for _, r := range p.Raw {
			everything += string(r)
		}
		for _, s := range append(secrets, "password_hash", "hashing_algorithm") {
			if strings.Contains(everything, s) {
				t.Fatalf("%q leaked into the decoded page", s)
			}
		}
	}
}

func TestDecodeUsersTagsOldAndNew(t *testing.T) {
	cases := map[string][]string{
		`{"name":"a","tags":"administrator,monitoring"}`:     {"administrator", "monitoring"}, // before 3.9
		`{"name":"a","tags":"administrator, monitoring,"}`:   {"administrator", "monitoring"},
		`{"name":"a","tags":["administrator","monitoring"]}`: {"administrator", "monitoring"},
		`{"name":"a","tags":""}`:                             nil,
		`{"name":"a","tags":[]}`:                             nil,
		`{"name":"a"}`:                                       nil,
		`{"name":"a","tags":null}`:                           nil,
	}
	for in, want := range cases {
		u, err := decodeUser(json.RawMessage(in))
		if err != nil || !slices.Equal(u.Tags, want) {
			t.Errorf("%s: tags %q, %v; want %q", in, u.Tags, err, want)
		}
	}
}

func TestUserWindowSortsFiltersAndCuts(t *testing.T) {
	users := []any{
		map[string]any{"name": "carol", "tags": []any{"monitoring"}},
		map[string]any{"name": "alice", "tags": "policymaker"},
		map[string]any{"name": "bob", "tags": []any{"administrator"}},
	}
	p := acUsersFixture(t, users, ListQuery{Sort: "tags", Desc: true, Limit: 2})
	if len(p.Items) != 2 || p.Items[0].Name != "alice" || p.Items[1].Name != "carol" || p.Matched != 3 || p.Total != 3 || p.Paged {
		t.Fatalf("by tags desc: %+v", p)
	}
	p = acUsersFixture(t, users, ListQuery{Sort: "name", Filter: "^(bob|carol)$", Offset: 1})
	if len(p.Items) != 1 || p.Items[0].Name != "carol" || p.Matched != 2 || p.Total != 3 || p.Offset != 1 {
		t.Fatalf("filtered window: %+v", p)
	}
	if _, err := userWindow(nil, nil, ListQuery{Filter: "("}); err == nil {
		t.Fatal("bad regex accepted")
	}
}

func TestDecodeVHostsFixture(t *testing.T) {
	vhs := clVariants(t, "access_vhosts.json", decodeVHost)
	if len(vhs) != 2 {
		t.Fatalf("%d vhosts", len(vhs))
	}
	def, probe := vhs[0], vhs[1]
	if def.Name != "/" || def.Messages != C(99) || def.Ready != C(92) || def.Unacked != C(7) ||
		def.Description != "Default virtual host" || def.DefaultQueueType != "" || len(def.Tags) != 0 || def.Tracing {
		t.Fatalf("default vhost: %+v", def)
	}
	// A vhost nothing has used yet has no message counts on 3.10: unknown.
	if probe.Messages.OK || probe.Queues.OK || probe.Description != "probe vh" || !slices.Equal(probe.Tags, []string{"a", "b"}) {
		t.Fatalf("probe vhost: %+v", probe)
	}
	if len(def.ClusterState) != 1 {
		t.Fatalf("cluster state %+v", def.ClusterState)
	}
}

func TestDecodeVHostMetadataOnly(t *testing.T) {
	// Later brokers keep description, tags and default_queue_type under
	// metadata; the top-level copies may go.
	v, err := decodeVHost(json.RawMessage(`{"name":"v","metadata":{"description":"d","tags":["x"],"default_queue_type":"quorum"}}`))
	if err != nil || v.Description != "d" || !slices.Equal(v.Tags, []string{"x"}) || v.DefaultQueueType != "quorum" {
		t.Fatalf("%+v, %v", v, err)
	}
	v, err = decodeVHost(json.RawMessage(`{"name":"v","default_queue_type":"undefined","metadata":{"default_queue_type":"stream"}}`))
	if err != nil || v.DefaultQueueType != "stream" {
		t.Fatalf("undefined at top level should give way to metadata: %+v, %v", v, err)
	}
	v, err = decodeVHost(json.RawMessage(`{"name":"v","tags":"a,b"}`))
	if err != nil || !slices.Equal(v.Tags, []string{"a", "b"}) {
		t.Fatalf("comma-separated tags: %+v, %v", v, err)
	}
}

func TestDecodeVHostLimitsFixture(t *testing.T) {
	got, err := decodeVHostLimits(clRaw(t, clFixture(t, "access_vhost_limits.json")))
	if err != nil || !reflect.DeepEqual(got, map[string]int64{"max-queues": 20, "max-connections": 10}) {
		t.Fatalf("limits %v, %v", got, err)
	}
	got, err = decodeVHostLimits(json.RawMessage(`[]`))
	if err != nil || got == nil || len(got) != 0 {
		t.Fatalf("no limits: %v, %v", got, err)
	}
}

func TestDecodeTopicPermissionsFixture(t *testing.T) {
	v := clFixture(t, "access_topic_permissions.json")
	for _, variant := range []any{v, clDropNulls(v)} {
		got, err := decodeTopicPermissions(clRaw(t, variant))
		want := []TopicPermission{{VHost: "h4vh", Exchange: "amq.topic", Write: "^x", Read: "^y"}}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%+v, %v", got, err)
		}
	}
}

func TestDecodeFeatureFlagsFixture(t *testing.T) {
	v := clFixture(t, "access_feature_flags.json")
	flags, err := decodeFeatureFlags(clRaw(t, v))
	if err != nil {
		t.Fatal(err)
	}
	sparse, err := decodeFeatureFlags(clRaw(t, clDropNulls(v)))
	if err != nil || !reflect.DeepEqual(flags, sparse) {
		t.Fatalf("without nulls: %v", err)
	}
	i := slices.IndexFunc(flags, func(f FeatureFlag) bool { return f.Name == "quorum_queue" })
	if i < 0 {
		t.Fatalf("no quorum_queue flag in %+v", flags)
	}
	if f := flags[i]; f.State != "enabled" || f.Stability != "stable" || f.Desc == "" || f.ProvidedBy != "rabbit" || f.DocURL == "" {
		t.Fatalf("quorum_queue flag %+v", f)
	}
}

// upstream_table_test.go — one row per property of remote.Command, remote.CopyToRemote, remote.Connection
// and remote.ProxyConnection, as upstream pulumi-command v1.2.1 publishes them
// (provider/cmd/pulumi-resource-command/schema.json): schema type, required, secret, replaceOnChanges and
// the default Check fills in. The tests check our schema, Check and Diff against every row.
package remote

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/asset"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

type upstreamProperty struct {
	owner    string // Command, CopyToRemote, Connection or ProxyConnection
	name     string
	schema   string // "type", or "$ref" as upstream's schema.json spells it
	required bool
	output   bool // an output only (Command's stdout/stderr)
	secret   bool
	replaces bool // replaceOnChanges: a change replaces the resource; otherwise a change is an update
	def      any  // the default Check fills in; nil for none
	// A change to diff: from old to new (a zero Value = absent).
	old, new property.Value
}

var (
	connectionRef = "#/types/command:remote:Connection"
	proxyRef      = "#/types/command:remote:ProxyConnection"
	loggingRef    = "#/types/command:remote:Logging"
	assetRef      = "pulumi.json#/Asset"
	none          property.Value
)

func textAsset(text string) property.Value { return property.New(mustAsset(asset.FromText(text))) }
func num(n float64) property.Value         { return property.New(n) }
func strs(s ...string) property.Value {
	values := make([]property.Value, len(s))
	for i, v := range s {
		values[i] = str(v)
	}
	return property.New(property.NewArray(values))
}

var upstreamTable = []upstreamProperty{
	// command:remote:Command
	{owner: "Command", name: "addPreviousOutputInEnv", schema: "boolean", old: property.New(true), new: property.New(false)},
	{owner: "Command", name: "connection", schema: connectionRef, required: true, secret: true,
		old: property.New(mapOf("host", str("h1"))), new: property.New(mapOf("host", str("h2")))},
	{owner: "Command", name: "create", schema: "string", old: none, new: str("echo b")},
	{owner: "Command", name: "delete", schema: "string", old: str("echo a"), new: str("echo b")},
	{owner: "Command", name: "environment", schema: "object",
		old: property.New(mapOf("K", str("a"))), new: property.New(mapOf("K", str("b")))},
	{owner: "Command", name: "logging", schema: loggingRef, old: str("stdout"), new: str("none")},
	{owner: "Command", name: "stdin", schema: "string", old: str("a"), new: none},
	{owner: "Command", name: "triggers", schema: "array", replaces: true, old: strs("a"), new: strs("b")},
	{owner: "Command", name: "update", schema: "string", old: str("echo a"), new: str("echo b")},
	{owner: "Command", name: "stdout", schema: "string", required: true, output: true},
	{owner: "Command", name: "stderr", schema: "string", required: true, output: true},

	// command:remote:CopyToRemote
	{owner: "CopyToRemote", name: "connection", schema: connectionRef, required: true, secret: true,
		old: property.New(mapOf("host", str("h1"))), new: property.New(mapOf("host", str("h2")))},
	{owner: "CopyToRemote", name: "remotePath", schema: "string", required: true, old: str("/a"), new: str("/b")},
	{owner: "CopyToRemote", name: "source", schema: assetRef, required: true, old: textAsset("a"), new: textAsset("b")},
	{owner: "CopyToRemote", name: "triggers", schema: "array", replaces: true, old: none, new: strs("a")},

	// command:remote:Connection (diffed as connection.<name>)
	{owner: "Connection", name: "agentSocketPath", schema: "string", old: none, new: str("/run/agent.sock")},
	{owner: "Connection", name: "dialErrorLimit", schema: "integer", def: 10.0, old: num(3), new: num(-1)},
	{owner: "Connection", name: "host", schema: "string", required: true, old: str("h1"), new: str("h2")},
	{owner: "Connection", name: "hostKey", schema: "string", old: none, new: str("ssh-ed25519 AAAA")},
	{owner: "Connection", name: "password", schema: "string", secret: true, old: str("p1"), new: str("p2")},
	{owner: "Connection", name: "perDialTimeout", schema: "integer", def: 15.0, old: none, new: num(30)},
	{owner: "Connection", name: "port", schema: "number", def: 22.0, old: num(22), new: num(2222)},
	{owner: "Connection", name: "privateKey", schema: "string", secret: true, old: str("k1"), new: str("k2")},
	{owner: "Connection", name: "privateKeyPassword", schema: "string", secret: true, old: none, new: str("pp")},
	{owner: "Connection", name: "proxy", schema: proxyRef, old: none, new: property.New(mapOf("host", str("bastion")))},
	{owner: "Connection", name: "user", schema: "string", def: "root", old: none, new: str("admin")},

	// command:remote:ProxyConnection (diffed as connection.proxy.<name>)
	{owner: "ProxyConnection", name: "agentSocketPath", schema: "string", old: str("/a.sock"), new: str("/b.sock")},
	{owner: "ProxyConnection", name: "dialErrorLimit", schema: "integer", def: 10.0, old: none, new: num(1)},
	{owner: "ProxyConnection", name: "host", schema: "string", required: true, old: str("b1"), new: str("b2")},
	{owner: "ProxyConnection", name: "hostKey", schema: "string", old: str("ssh-ed25519 AAAA"), new: str("ssh-ed25519 BBBB")},
	{owner: "ProxyConnection", name: "password", schema: "string", secret: true, old: none, new: str("p")},
	{owner: "ProxyConnection", name: "perDialTimeout", schema: "integer", def: 15.0, old: num(15), new: num(0)},
	{owner: "ProxyConnection", name: "port", schema: "number", def: 22.0, old: none, new: num(2200)},
	{owner: "ProxyConnection", name: "privateKey", schema: "string", secret: true, old: str("k1"), new: none},
	{owner: "ProxyConnection", name: "privateKeyPassword", schema: "string", secret: true, old: str("a"), new: str("b")},
	{owner: "ProxyConnection", name: "user", schema: "string", def: "root", old: str("root"), new: str("jump")},
}

var tokenOf = map[string]string{
	"Command":         "command:remote:Command",
	"CopyToRemote":    "command:remote:CopyToRemote",
	"Connection":      "command:remote:Connection",
	"ProxyConnection": "command:remote:ProxyConnection",
}

// schemaProperty is the part of a schema property the table describes.
type schemaProperty struct {
	Type             string `json:"type"`
	Ref              string `json:"$ref"`
	Secret           bool   `json:"secret"`
	ReplaceOnChanges bool   `json:"replaceOnChanges"`
	Default          any    `json:"default"`
}

type schemaObject struct {
	Properties      map[string]schemaProperty `json:"properties"`
	Required        []string                  `json:"required"`
	InputProperties map[string]schemaProperty `json:"inputProperties"`
	RequiredInputs  []string                  `json:"requiredInputs"`
	Enum            []struct {
		Value string `json:"value"`
	} `json:"enum"`
}

func ourSchema(t *testing.T, provider integration.Server) (resources, types map[string]schemaObject) {
	t.Helper()
	resp, err := provider.GetSchema(p.GetSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Resources map[string]schemaObject `json:"resources"`
		Types     map[string]schemaObject `json:"types"`
	}
	if err := json.Unmarshal([]byte(resp.Schema), &spec); err != nil {
		t.Fatal(err)
	}
	return spec.Resources, spec.Types
}

func TestSchemaMatchesUpstreamTable(t *testing.T) {
	t.Parallel()
	resources, types := ourSchema(t, newProvider(t, t.Context()))
	for _, owner := range []string{"Command", "CopyToRemote", "Connection", "ProxyConnection"} {
		object, ok := resources[tokenOf[owner]]
		if !ok {
			object, ok = types[tokenOf[owner]]
		}
		if !ok {
			t.Errorf("schema has no %s", tokenOf[owner])
			continue
		}
		isResource := owner == "Command" || owner == "CopyToRemote"
		var wantAll, wantInputs, wantRequired, wantRequiredInputs []string
		for _, row := range upstreamTable {
			if row.owner != owner {
				continue
			}
			wantAll = append(wantAll, row.name)
			if !row.output {
				wantInputs = append(wantInputs, row.name)
				if row.required {
					wantRequiredInputs = append(wantRequiredInputs, row.name)
				}
			}
			if row.required {
				wantRequired = append(wantRequired, row.name)
			}
			got := object.Properties[row.name]
			want := schemaProperty{Secret: row.secret, ReplaceOnChanges: row.replaces, Default: row.def}
			if strings.Contains(row.schema, "#") {
				want.Ref = row.schema
			} else {
				want.Type = row.schema
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s.%s: schema %+v, upstream %+v", owner, row.name, got, want)
			}
			if isResource && !row.output && fmt.Sprint(object.InputProperties[row.name]) != fmt.Sprint(want) {
				t.Errorf("%s.%s: input schema %+v, upstream %+v", owner, row.name, object.InputProperties[row.name], want)
			}
		}
		sameSet(t, owner+" properties", slices.Collect(maps.Keys(object.Properties)), wantAll)
		sameSet(t, owner+" required", object.Required, wantRequired)
		if isResource {
			sameSet(t, owner+" inputProperties", slices.Collect(maps.Keys(object.InputProperties)), wantInputs)
			sameSet(t, owner+" requiredInputs", object.RequiredInputs, wantRequiredInputs)
		}
	}
	var enum []string
	for _, v := range types["command:remote:Logging"].Enum {
		enum = append(enum, v.Value)
	}
	if !slices.Equal(enum, []string{"stdout", "stderr", "stdoutAndStderr", "none"}) {
		t.Errorf("Logging enum %v", enum)
	}
}

// Check fills exactly the table's defaults, on the connection and on its proxy, and nothing else.
func TestCheckFillsUpstreamDefaults(t *testing.T) {
	t.Parallel()
	provider := newProvider(t, t.Context())
	for _, resource := range []string{"Command", "CopyToRemote"} {
		resp, err := provider.Check(p.CheckRequest{Urn: urnOf(resource, "defaults"), Inputs: baseInputs(resource)})
		if err != nil || len(resp.Failures) != 0 {
			t.Fatalf("%s: Check: %v %v", resource, err, resp.Failures)
		}
		connection := resp.Inputs.Get("connection")
		if !connection.Secret() {
			t.Errorf("%s: Check did not mark connection secret", resource)
		}
		objects := map[string]property.Map{
			resource:          resp.Inputs,
			"Connection":      connection.AsMap(),
			"ProxyConnection": connection.AsMap().Get("proxy").AsMap(),
		}
		base := map[string]property.Map{
			resource:          baseInputs(resource),
			"Connection":      baseInputs(resource).Get("connection").AsMap(),
			"ProxyConnection": baseInputs(resource).Get("connection").AsMap().Get("proxy").AsMap(),
		}
		for _, row := range upstreamTable {
			object, ok := objects[row.owner]
			if !ok || row.output {
				continue
			}
			got, present := object.GetOk(row.name)
			_, given := base[row.owner].GetOk(row.name)
			switch {
			case row.def != nil && (!present || scalar(got) != fmt.Sprint(row.def)):
				t.Errorf("%s: %s.%s = %v, want the default %v", resource, row.owner, row.name, got, row.def)
			case row.def == nil && present && !given:
				t.Errorf("%s: Check filled %s.%s = %v; upstream has no default", resource, row.owner, row.name, got)
			}
		}
	}
}

// Every change is an update except those of replaceOnChanges properties (triggers), for both resources
// and every connection and proxy field.
func TestDiffPerPropertyMatchesUpstreamTable(t *testing.T) {
	t.Parallel()
	provider := newProvider(t, t.Context())
	resources, _ := ourSchema(t, provider)
	for _, resource := range []string{"Command", "CopyToRemote"} {
		for _, row := range upstreamTable {
			if row.output {
				continue
			}
			var path []string
			switch row.owner {
			case resource:
				path = []string{row.name}
			case "Connection":
				path = []string{"connection", row.name}
			case "ProxyConnection":
				path = []string{"connection", "proxy", row.name}
			default:
				continue
			}
			name := resource + ":" + strings.Join(path, ".")
			olds := checked(t, provider, resource, setPath(baseInputs(resource), path, row.old))
			news := checked(t, provider, resource, setPath(baseInputs(resource), path, row.new))
			state := olds
			if resource == "Command" {
				state = state.Set("stdout", str("")).Set("stderr", str(""))
			}
			resp, err := provider.Diff(p.DiffRequest{ID: "x", Urn: urnOf(resource, "diff"), State: state, OldInputs: olds, Inputs: news})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !resp.HasChanges || len(resp.DetailedDiff) == 0 {
				t.Errorf("%s: no change detected (%+v)", name, resp)
				continue
			}
			if got := replaces(resp.DetailedDiff, resources[tokenOf[resource]]); got != row.replaces {
				t.Errorf("%s: replaces = %v, upstream %v (diff %v)", name, got, row.replaces, resp.DetailedDiff)
			}
			// The entry is the changed property or one that contains it ("connection": a secret is diffed whole).
			for key := range resp.DetailedDiff {
				if !strings.HasPrefix(strings.Join(path, ".")+".", key+".") && !strings.HasPrefix(key, strings.Join(path, ".")) {
					t.Errorf("%s: unexpected diff entry %q", name, key)
				}
			}
		}
		// No change, no diff.
		same := checked(t, provider, resource, baseInputs(resource))
		resp, err := provider.Diff(p.DiffRequest{ID: "x", Urn: urnOf(resource, "diff"), State: same, OldInputs: same, Inputs: same})
		if err != nil || resp.HasChanges {
			t.Errorf("%s: unchanged inputs diff as %+v (%v)", resource, resp, err)
		}
	}
}

// The provider-level detail behind the triggers row, identical to upstream (the same pulumi-go-provider
// computes it): adding or removing triggers is a replace in the provider's diff; changing an element
// shows as "triggers[i]" and the replace comes from the SDK, whose generated resource passes
// replaceOnChanges: ["triggers[*]"] for the schema's replaceOnChanges flag. Any connection change is an
// update of "connection" (a secret is diffed as a whole).
func TestDiffDetailForTriggersAndConnection(t *testing.T) {
	t.Parallel()
	provider := newProvider(t, t.Context())
	diff := func(old, new property.Map) map[string]p.DiffKind {
		olds, news := checked(t, provider, "Command", old), checked(t, provider, "Command", new)
		resp, err := provider.Diff(p.DiffRequest{ID: "x", Urn: urnOf("Command", "diff"), State: olds, OldInputs: olds, Inputs: news})
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]p.DiffKind{}
		for k, v := range resp.DetailedDiff {
			kinds[k] = v.Kind
		}
		return kinds
	}
	base := baseInputs("Command")
	for _, tc := range []struct {
		name     string
		old, new property.Map
		want     map[string]p.DiffKind
	}{
		{"triggers added", base, base.Set("triggers", strs("a")), map[string]p.DiffKind{"triggers": p.AddReplace}},
		{"triggers removed", base.Set("triggers", strs("a")), base, map[string]p.DiffKind{"triggers": p.DeleteReplace}},
		{"trigger changed", base.Set("triggers", strs("a")), base.Set("triggers", strs("b")), map[string]p.DiffKind{"triggers[0]": p.Update}},
		{"connection port", base, setPath(base, []string{"connection", "port"}, num(2222)), map[string]p.DiffKind{"connection": p.Update}},
		{"proxy user", base, setPath(base, []string{"connection", "proxy", "user"}, str("jump")), map[string]p.DiffKind{"connection": p.Update}},
	} {
		if got := diff(tc.old, tc.new); !maps.Equal(got, tc.want) {
			t.Errorf("%s: diff %v, want %v", tc.name, got, tc.want)
		}
	}
}

// replaces reports whether the engine replaces the resource for this diff: the provider asked for it,
// or a changed property is replaceOnChanges in the schema (the SDK passes those as the resource's
// replaceOnChanges option, "triggers[*]").
func replaces(diff map[string]p.PropertyDiff, resource schemaObject) bool {
	for key, d := range diff {
		switch d.Kind {
		case p.AddReplace, p.UpdateReplace, p.DeleteReplace:
			return true
		}
		root := strings.FieldsFunc(key, func(r rune) bool { return r == '.' || r == '[' })[0]
		if resource.InputProperties[root].ReplaceOnChanges {
			return true
		}
	}
	return false
}

// baseInputs are minimal valid inputs, with a proxy so that its fields can be diffed too.
func baseInputs(resource string) property.Map {
	inputs := mapOf("connection", property.New(mapOf("host", str("h1"), "proxy", property.New(mapOf("host", str("bastion"))))))
	if resource == "CopyToRemote" {
		inputs = inputs.Set("source", textAsset("a")).Set("remotePath", str("/a"))
	}
	return inputs
}

// setPath sets (or, for a zero Value, removes) the property at path.
func setPath(m property.Map, path []string, v property.Value) property.Map {
	if len(path) == 1 {
		if v.IsNull() {
			return m.Delete(path[0])
		}
		return m.Set(path[0], v)
	}
	inner := m.Get(path[0]).AsMap()
	return m.Set(path[0], property.New(setPath(inner, path[1:], v)))
}

func checked(t *testing.T, provider integration.Server, resource string, inputs property.Map) property.Map {
	t.Helper()
	resp, err := provider.Check(p.CheckRequest{Urn: urnOf(resource, "diff"), Inputs: inputs})
	if err != nil || len(resp.Failures) != 0 {
		t.Fatalf("Check %v: %v %v", inputs, err, resp.Failures)
	}
	return resp.Inputs
}

// scalar formats a number or string value like fmt.Sprint formats the table's defaults.
func scalar(v property.Value) string {
	switch {
	case v.IsNumber():
		return fmt.Sprint(v.AsNumber())
	case v.IsString():
		return v.AsString()
	}
	return fmt.Sprint(v)
}

func sameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	slices.Sort(got)
	want = slices.Clone(want)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s: %v, upstream %v", what, got, want)
	}
}

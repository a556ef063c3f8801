package grafanatest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// client is the conformance tests' raw HTTP client: it speaks to a replica
// exactly as curl would, so the tests see real status codes and bodies.
type client struct {
	t      *testing.T
	base   string
	auth   string
	header map[string]string
}

func basicAuth(login, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(login+":"+password))
}

// newClient starts an emulator for opts and returns the server admin's client.
func newClient(t *testing.T, opts Options) (*Emulator, *client) {
	t.Helper()
	e, rep := Start(t, opts)
	return e, &client{t: t, base: rep.URL(), auth: basicAuth("admin", "admin")}
}

// as returns a copy of c that authenticates with the given Authorization value.
func (c *client) as(auth string) *client {
	cp := *c
	cp.auth = auth
	return &cp
}

// withHeader returns a copy of c that sends an extra header.
func (c *client) withHeader(k, v string) *client {
	cp := *c
	cp.header = map[string]string{k: v}
	for k2, v2 := range c.header {
		cp.header[k2] = v2
	}
	return &cp
}

// token creates a service account with role in org and returns its Bearer client.
func (c *client) token(e *Emulator, orgID int64, role string) *client {
	c.t.Helper()
	return c.as("Bearer " + mustToken(c.t, e, orgID, "sa-"+role+"-"+c.t.Name(), role))
}

// do sends a request; body is JSON-encoded unless it is a string (sent raw).
func (c *client) do(method, path string, body any) (int, []byte) {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, raw
}

// call sends a request and decodes a JSON object or array answer.
func (c *client) call(method, path string, body any) (int, any) {
	c.t.Helper()
	status, raw := c.do(method, path, body)
	var v any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &v); err != nil {
			c.t.Fatalf("%s %s: answer is not JSON (%v): %s", method, path, err, raw)
		}
	}
	return status, v
}

// obj sends a request and decodes a JSON object answer.
func (c *client) obj(method, path string, body any) (int, map[string]any) {
	c.t.Helper()
	status, v := c.call(method, path, body)
	m, _ := v.(map[string]any)
	return status, m
}

// expect checks a status and the given top-level fields of an object answer.
func (c *client) expect(method, path string, body any, wantStatus int, wantFields map[string]any) map[string]any {
	c.t.Helper()
	status, got := c.obj(method, path, body)
	if status != wantStatus {
		c.t.Errorf("%s %s: status %d, want %d; body %v", method, path, status, wantStatus, got)
	}
	if wantFields == nil {
		return got
	}
	picked := map[string]any{}
	for k := range wantFields {
		if v, ok := got[k]; ok {
			picked[k] = v
		}
	}
	if diff := cmp.Diff(wantFields, picked); diff != "" {
		c.t.Errorf("%s %s: fields (-want +got):\n%s", method, path, diff)
	}
	return got
}

// exact is expect comparing the whole object body, so absent fields count.
func (c *client) exact(method, path string, body any, wantStatus int, want map[string]any) {
	c.t.Helper()
	status, got := c.obj(method, path, body)
	if diff := cmp.Diff(want, got); status != wantStatus || diff != "" {
		c.t.Errorf("%s %s: status %d, want %d; body (-want +got):\n%s", method, path, status, wantStatus, diff)
	}
}

// mustVersion parses a version the test knows to be valid.
func mustVersion(t *testing.T, s string) Version {
	t.Helper()
	v, err := ParseVersion(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// addOrgWithServerAdmin creates org name with the server admin (user 1) in
// it as role (AddOrg alone adds no member) and returns the org id.
func addOrgWithServerAdmin(e *Emulator, name, role string) int64 {
	id := e.AddOrg(name)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.st.orgs[id].members[1] = role
	return id
}

// mustToken creates a service account with role in org and returns its
// token's key.
func mustToken(t *testing.T, e *Emulator, orgID int64, name, role string) string {
	t.Helper()
	key, err := e.AddServiceAccountToken(orgID, name, role)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

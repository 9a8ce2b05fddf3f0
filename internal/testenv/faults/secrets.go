package faults

import (
	"encoding/json"
	"encoding/xml"
	"net/url"
	"strings"
)

// sensitive collects the secret values that cross the proxy, so a test can
// prove none of them reaches a client's output. It is kept apart from the
// timeline, which never holds one.
type sensitive struct {
	seen   map[string]bool
	values []string
}

func (s *sensitive) add(v string) {
	if v == "" || s.seen[v] {
		return
	}
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	s.seen[v] = true
	s.values = append(s.values, v)
}

// fromRequest takes the secrets a request sends: a login profile's
// Password, a Secrets Manager SecretString (and the "password" inside a
// {"password":…} document).
func (s *sensitive) fromRequest(c call, body []byte) {
	switch {
	case c.service == "iam" && (c.action == "CreateLoginProfile" || c.action == "UpdateLoginProfile"):
		if f, err := url.ParseQuery(string(body)); err == nil {
			s.add(f.Get("Password"))
		}
	case c.json && (c.action == "CreateSecret" || c.action == "PutSecretValue" || c.action == "UpdateSecret"):
		s.fromSecretString(body)
	}
}

// fromResponse takes the secrets a response returns: a new access key's
// SecretAccessKey, a Secrets Manager SecretString. It sees the response
// also when the client never does (a dropped response).
func (s *sensitive) fromResponse(c call, body []byte) {
	switch {
	case c.service == "iam" && c.action == "CreateAccessKey":
		var out struct {
			Secret string `xml:"CreateAccessKeyResult>AccessKey>SecretAccessKey"`
		}
		if xml.Unmarshal(body, &out) == nil {
			s.add(out.Secret)
		}
	case c.json && c.action == "GetSecretValue":
		s.fromSecretString(body)
	}
}

func (s *sensitive) fromSecretString(body []byte) {
	var v struct{ SecretString string }
	if json.Unmarshal(body, &v) != nil || v.SecretString == "" {
		return
	}
	s.add(v.SecretString)
	if strings.HasPrefix(strings.TrimSpace(v.SecretString), "{") {
		var doc map[string]any
		if json.Unmarshal([]byte(v.SecretString), &doc) == nil {
			for _, x := range doc {
				if str, ok := x.(string); ok {
					s.add(str)
				}
			}
		}
	}
}

// Secrets returns every secret value that crossed the proxy so far: access
// key secrets in CreateAccessKey responses, console passwords in login
// profile requests, and SecretString values written to or read from
// Secrets Manager (with the values inside a JSON document such as
// {"password":…}). Reset does not forget them.
func (p *Proxy) Secrets() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.secrets.values...)
}

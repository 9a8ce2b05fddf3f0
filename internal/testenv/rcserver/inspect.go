package rcserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"
)

// Secret is a credential the server received. It never prints or marshals
// itself; string(s) gives the value to compare.
type Secret string

const redacted = "REDACTED"

// String returns "REDACTED" ("" for an empty secret, so absence shows).
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return fmt.Sprintf("rcserver.Secret(%q)", s.String()) }

// Format keeps every fmt verb from printing the value.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, s.GoString())
		return
	}
	fmt.Fprint(f, s.String())
}

// MarshalJSON writes "REDACTED".
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// Account is a cloud account as the server holds it, with the credentials
// exactly as last sent (the API itself never returns the secret key or the
// password).
type Account struct {
	ID              int
	Name            string
	Provider        string
	Status          string
	AccessKeyID     string
	AccessSecretKey Secret
	ConsoleUsername string
	ConsolePassword Secret
	SignInLoginURL  string
	// Used means subscriptions use the account, so it cannot be deleted.
	Used bool
}

// Request is one request the server received.
type Request struct {
	Method string
	Path   string // e.g. /v1/cloud-accounts/52001
	// Status is the answer's HTTP status; 0 when the connection was reset
	// instead.
	Status int
	// Body is the JSON body with accessSecretKey and consolePassword
	// replaced by "REDACTED" (kept "" when sent empty).
	Body string
}

// Accounts lists the accounts made through the API or AddAccount, by id;
// the built-in account (InternalAccountID) is left out.
func (s *Server) Accounts() []Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Account
	for _, a := range s.st.sorted() {
		if a.ID != InternalAccountID {
			out = append(out, a.Account)
		}
	}
	return out
}

// Account returns account id as held now, without counting as a read.
func (s *Server) Account(id int) (Account, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.st.accounts[id]
	if !ok {
		return Account{}, false
	}
	return a.Account, true
}

// Requests returns the requests received so far, in the order received
// (Status is 0 while one is being answered).
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.st.log...)
}

// PeakInFlight is the most requests the server was answering at once.
func (s *Server) PeakInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.peak
}

// Count counts the requests received with method ("" for any) and a path
// matching pattern, a path.Match pattern such as "/v1/cloud-accounts/*".
func (s *Server) Count(method, pattern string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.st.log {
		if ok, _ := path.Match(pattern, r.Path); ok && (method == "" || method == r.Method) {
			n++
		}
	}
	return n
}

// record logs a request as it arrives; the returned function sets the
// status it was answered with.
func (s *Server) record(r *http.Request, body []byte) (answered func(status int)) {
	entry := Request{Method: r.Method, Path: r.URL.Path, Body: redactBody(body)}
	s.mu.Lock()
	defer s.mu.Unlock()
	i := len(s.st.log)
	s.st.log = append(s.st.log, entry)
	return func(status int) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.st.log[i].Status = status
	}
}

// secretFields are the body fields never kept in the request log.
var secretFields = []string{"accessSecretKey", "consolePassword"}

// redactBody re-encodes a JSON object with its secret fields redacted. A
// body that is not a JSON object is not kept, since it cannot be redacted.
func redactBody(body []byte) string {
	if len(body) == 0 {
		return ""
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return fmt.Sprintf("<%d bytes, not a JSON object>", len(body))
	}
	for k, v := range m {
		// encoding/json matches field names case-insensitively, so must this.
		if v != "" && slices.ContainsFunc(secretFields, func(f string) bool { return strings.EqualFold(f, k) }) {
			m[k] = redacted
		}
	}
	out, _ := json.Marshal(m)
	return string(out)
}

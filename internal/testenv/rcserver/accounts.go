package rcserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Cloud account statuses, as the API spells them.
const (
	StatusDraft         = "draft"
	StatusPending       = "pending"
	StatusActive        = "active"
	StatusChangeDraft   = "change-draft"
	StatusChangePending = "change-pending"
	StatusActiveError   = "active-error"
	StatusError         = "error"
	StatusDeleted       = "deleted"
)

// InternalAccountID is the built-in "Redis Internal Resources" account every
// Redis Cloud account lists; it cannot be changed or deleted.
const InternalAccountID = 1

// firstAccountID is the id of the first account created.
const firstAccountID = 52001

// account is one cloud account and where its status is heading.
type account struct {
	Account
	pendingGets int    // GETs left answering the pending status
	final       string // status after them; "" once reached
	stuck       bool   // stays pending until SetStatus
}

// settle starts the walk from a pending status to final over n GETs.
func (a *account) settle(pending string, n int, final string) {
	if n <= 0 {
		a.Status, a.pendingGets, a.final = final, 0, ""
		return
	}
	a.Status, a.pendingGets, a.final = pending, n, final
}

// read advances the status by one GET of the account.
func (a *account) read() {
	if a.stuck || a.final == "" {
		return
	}
	if a.pendingGets > 0 {
		a.pendingGets--
		return
	}
	a.Status, a.final = a.final, ""
}

// accountBody is the body of POST and PUT /cloud-accounts. Pointers tell a
// missing field from an empty one; both are refused.
type accountBody struct {
	Name            *string `json:"name"`
	Provider        *string `json:"provider"`
	AccessKeyID     *string `json:"accessKeyId"`
	AccessSecretKey *string `json:"accessSecretKey"`
	ConsoleUsername *string `json:"consoleUsername"`
	ConsolePassword *string `json:"consolePassword"`
	SignInLoginURL  *string `json:"signInLoginUrl"`
}

// missing names the required fields absent or empty, in the given order.
func (b accountBody) missing(names ...string) []string {
	fields := map[string]*string{
		"name": b.Name, "provider": b.Provider, "accessKeyId": b.AccessKeyID,
		"accessSecretKey": b.AccessSecretKey, "consoleUsername": b.ConsoleUsername,
		"consolePassword": b.ConsolePassword, "signInLoginUrl": b.SignInLoginURL,
	}
	var out []string
	for _, n := range names {
		if v := fields[n]; v == nil || *v == "" {
			out = append(out, n)
		}
	}
	return out
}

var (
	createFields = []string{"name", "provider", "accessKeyId", "accessSecretKey",
		"consoleUsername", "consolePassword", "signInLoginUrl"}
	updateFields = []string{"accessKeyId", "accessSecretKey", "consoleUsername", "consolePassword"}
	strictFields = append([]string{"name", "signInLoginUrl"}, updateFields...)
)

// accountJSON is a cloud account as GET answers it: never the secret key
// or the console password.
type accountJSON struct {
	ID          int    `json:"id"`
	Name        string `json:"name"`
	Provider    string `json:"provider"`
	Status      string `json:"status"`
	AccessKeyID string `json:"accessKeyId,omitempty"`
	Links       []link `json:"links"`
}

type link struct {
	Rel   string `json:"rel"`
	Href  string `json:"href"`
	Title string `json:"title,omitempty"`
	Type  string `json:"type"`
}

func (s *Server) view(a *account, base string) accountJSON {
	key := a.AccessKeyID
	if s.opts.MaskAccessKeyID {
		key = maskKey(key)
	}
	return accountJSON{ID: a.ID, Name: a.Name, Provider: a.Provider, Status: a.Status, AccessKeyID: key,
		Links: []link{{Rel: "self", Href: fmt.Sprintf("%s/cloud-accounts/%d", base, a.ID), Type: "GET"}}}
}

// maskKey keeps the first and last four characters of a key id.
func maskKey(k string) string {
	if len(k) <= 8 {
		return strings.Repeat("*", len(k))
	}
	return k[:4] + strings.Repeat("*", len(k)-8) + k[len(k)-4:]
}

func (s *Server) listAccounts(w http.ResponseWriter, r *http.Request) {
	base := baseOf(r)
	s.mu.Lock()
	list := make([]accountJSON, 0, len(s.st.accounts))
	for _, a := range s.st.sorted() {
		list = append(list, s.view(a, base))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"accountId":     s.opts.OwnerAccountID,
		"cloudAccounts": list,
		"links":         []link{{Rel: "self", Href: base + "/cloud-accounts", Type: "GET"}},
	})
}

func (s *Server) getAccount(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	a, fail := s.st.find(r.PathValue("id"), false)
	var v accountJSON
	if fail == nil {
		a.read()
		v = s.view(a, baseOf(r))
	}
	s.mu.Unlock()
	if fail != nil {
		fail.write(w)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) createAccount(w http.ResponseWriter, r *http.Request) {
	in, fail := parseBody(r, createFields)
	if fail == nil && *in.Provider != "AWS" {
		fail = badRequest(fmt.Sprintf("Provider %q is not supported; use AWS", *in.Provider))
	}
	if fail != nil {
		fail.write(w)
		return
	}
	s.mu.Lock()
	v := s.st.create(in, s.opts).accepted(baseOf(r))
	reset := s.st.faults.takeReset()
	s.mu.Unlock()
	if reset {
		_ = resetConnection(w)
		return
	}
	writeJSON(w, http.StatusAccepted, v)
}

func (s *Server) updateAccount(w http.ResponseWriter, r *http.Request) {
	required := updateFields
	if s.opts.StrictUpdate {
		required = strictFields
	}
	in, bad := parseBody(r, required)
	s.mu.Lock()
	a, fail := s.st.find(r.PathValue("id"), true)
	if fail == nil {
		fail = bad // an unknown account is 404 whatever the body
	}
	var v taskJSON
	if fail == nil {
		v = s.st.update(a, in, s.opts).accepted(baseOf(r))
	}
	s.mu.Unlock()
	if fail != nil {
		fail.write(w)
		return
	}
	writeJSON(w, http.StatusAccepted, v)
}

func (s *Server) deleteAccount(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	a, fail := s.st.find(r.PathValue("id"), true)
	var v taskJSON
	if fail == nil {
		v = s.st.remove(a, s.opts).accepted(baseOf(r))
	}
	s.mu.Unlock()
	if fail != nil {
		fail.write(w)
		return
	}
	writeJSON(w, http.StatusAccepted, v)
}

// failure is an error answer, decided under the lock and written after it.
type failure struct {
	status int
	body   apiError
}

func (f *failure) write(w http.ResponseWriter) { writeJSON(w, f.status, f.body) }

func badRequest(description string) *failure {
	return &failure{http.StatusBadRequest, newAPIError(CodeBadRequest, description)}
}

// find looks up the account a path names: 404 when unknown, 400 when the id
// is not a number or, if writable, names the built-in account.
func (st *state) find(idText string, writable bool) (*account, *failure) {
	id, err := strconv.Atoi(idText)
	if err != nil {
		return nil, badRequest(fmt.Sprintf("Cloud account id %q is not a number", idText))
	}
	a, ok := st.accounts[id]
	if !ok {
		return nil, &failure{http.StatusNotFound,
			newAPIError(CodeNotFound, fmt.Sprintf("Cloud account %d was not found", id))}
	}
	if writable && id == InternalAccountID {
		return nil, badRequest("The Redis internal cloud account cannot be changed or deleted")
	}
	return a, nil
}

// parseBody reads a JSON account body; it fails when the body is not JSON
// or lacks a required field.
func parseBody(r *http.Request, required []string) (accountBody, *failure) {
	var in accountBody
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		return in, badRequest("Request body is not valid JSON")
	}
	if m := in.missing(required...); len(m) > 0 {
		return in, badRequest("Missing required field(s): " + strings.Join(m, ", "))
	}
	return in, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// baseOf is the API base as the client reached it, for links.
func baseOf(r *http.Request) string { return "http://" + r.Host + "/v1" }

func (s *Server) routes() {
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /v1/cloud-accounts", s.listAccounts)
	s.mux.HandleFunc("POST /v1/cloud-accounts", s.createAccount)
	s.mux.HandleFunc("GET /v1/cloud-accounts/{id}", s.getAccount)
	s.mux.HandleFunc("PUT /v1/cloud-accounts/{id}", s.updateAccount)
	s.mux.HandleFunc("DELETE /v1/cloud-accounts/{id}", s.deleteAccount)
	s.mux.HandleFunc("GET /v1/tasks/{id}", s.getTask)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, newAPIError(CodeNotFound, "No such resource: "+r.Method+" "+r.URL.Path))
	})
}

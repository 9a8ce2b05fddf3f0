package rcserver

import (
	"fmt"
	"math/rand/v2"
	"net/http"
)

// faults are the scenario hooks armed for the coming requests.
type faults struct {
	throttle      int // requests to answer 429
	throttleAfter int // their x-rate-limit-retry-after-seconds
	failGets      int // GETs to answer failGetsCode
	failGetsCode  int
	failTasks     int // create/update tasks to end in taskCode
	taskCode      string
	resetCreate   bool // drop the connection after the next create
}

// fault is what the gateway answers instead of the API; status 0 means
// nothing.
type fault struct {
	status     int
	retryAfter int
}

// next picks the fault for one request: armed 429s, then random 429s, then
// armed GET failures.
func (f *faults) next(method string, rng *rand.Rand, o Options) fault {
	switch {
	case f.throttle > 0:
		f.throttle--
		return fault{http.StatusTooManyRequests, f.throttleAfter}
	case o.RandomThrottle > 0 && rng.Float64() < o.RandomThrottle:
		return fault{http.StatusTooManyRequests, o.RetryAfterSeconds}
	case method == http.MethodGet && f.failGets > 0:
		f.failGets--
		return fault{status: f.failGetsCode}
	}
	return fault{}
}

func (f *faults) takeTaskFailure() string {
	if f.failTasks == 0 {
		return ""
	}
	f.failTasks--
	return f.taskCode
}

func (f *faults) takeReset() bool {
	r := f.resetCreate
	f.resetCreate = false
	return r
}

// Throttle answers the next n requests 429 Too Many Requests, with
// x-rate-limit-retry-after-seconds set to retryAfterSeconds.
func (s *Server) Throttle(n, retryAfterSeconds int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.faults.throttle, s.st.faults.throttleAfter = n, retryAfterSeconds
}

// FailGets answers the next n GET requests with status (502, 503 or 504,
// say) and the gateway's HTML page; 0 means 503.
func (s *Server) FailGets(n, status int) {
	if status == 0 {
		status = http.StatusServiceUnavailable
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.faults.failGets, s.st.faults.failGetsCode = n, status
}

// FailTasks makes the next n create or update tasks end in processing-error
// with code (e.g. CodeInvalidCreds) and change nothing.
func (s *Server) FailTasks(n int, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.faults.failTasks, s.st.faults.taskCode = n, code
}

// ResetNextCreate makes the next POST /cloud-accounts do its work and then
// reset the TCP connection instead of answering.
func (s *Server) ResetNextCreate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.faults.resetCreate = true
}

// SetFinalStatus sets the status that accounts created or updated from now
// on reach after their pending GETs (StatusActive, StatusActiveError…).
func (s *Server) SetFinalStatus(status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.final = status
}

// StickPending keeps account id pending (change-pending if it was being
// changed) however often it is read, until SetStatus.
func (s *Server) StickPending(id int) error {
	return s.withAccount(id, func(a *account) {
		a.stuck = true
		if a.Status != StatusChangePending {
			a.Status = StatusPending
		}
	})
}

// SetStatus sets account id's status now and ends any pending walk.
func (s *Server) SetStatus(id int, status string) error {
	return s.withAccount(id, func(a *account) {
		a.stuck = false
		a.settle("", 0, status)
	})
}

// SetUsed marks account id as used by subscriptions: deleting it then ends
// in CodeUsed.
func (s *Server) SetUsed(id int, used bool) error {
	return s.withAccount(id, func(a *account) { a.Used = used })
}

// AddAccount stores an account directly, as if made earlier (through the
// console, say), and returns its id. ID and Status are chosen by the server
// (Status "active" if empty); Provider defaults to "AWS".
func (s *Server) AddAccount(a Account) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	a.ID = s.st.nextID
	s.st.nextID++
	if a.Status == "" {
		a.Status = StatusActive
	}
	if a.Provider == "" {
		a.Provider = "AWS"
	}
	s.st.accounts[a.ID] = &account{Account: a}
	return a.ID
}

func (s *Server) withAccount(id int, f func(*account)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.st.accounts[id]
	if !ok {
		return fmt.Errorf("change cloud account %d: not found on the test server", id)
	}
	f(a)
	return nil
}

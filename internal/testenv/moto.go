// Package testenv starts the test doubles rciam's integration tests run
// against: a moto_server on a free loopback port, with one isolated AWS
// account per test. It never sends traffic anywhere but 127.0.0.1 and stops
// only the processes it started, by PID.
package testenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ErrNoMoto is returned by StartMoto when moto_server is not on PATH.
var ErrNoMoto = errors.New("moto_server not found on PATH")

// Moto is a running moto_server.
type Moto struct {
	URL string
	cmd *exec.Cmd
	log *os.File
	// auth serialises the windows in which signature checking is on with
	// account creation, which signs with a key moto does not know.
	auth sync.Mutex
}

// StartMoto starts moto_server on 127.0.0.1 on a free port and waits until
// it answers.
func StartMoto() (*Moto, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, ErrNoMoto
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logf, err := os.CreateTemp("", "moto-*.log")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// moto reads these; make sure nothing from the caller's shell changes
	// which account answers.
	cmd.Env = filterEnv(os.Environ(), "MOTO_ACCOUNT_ID", "INITIAL_NO_AUTH_ACTION_COUNT")
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start moto_server: %w", err)
	}
	m := &Moto{URL: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, log: logf}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(m.URL + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return m, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	m.Stop()
	return nil, fmt.Errorf("moto_server did not answer on %s within 60s (log: %s)", m.URL, logf.Name())
}

// Stop kills the moto_server process group this Moto started.
func (m *Moto) Stop() {
	if m == nil || m.cmd == nil || m.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
	_ = m.cmd.Wait()
	if m.log != nil {
		m.log.Close()
		os.Remove(m.log.Name())
	}
}

// WithAuth runs fn with moto's signature and permission checking on
// (docs/emulator.md, "Signatures and permissions"), for every account: calls
// signed with a wrong secret fail while fn runs. Accounts are not created
// meanwhile.
func (m *Moto) WithAuth(fn func() error) error {
	m.auth.Lock()
	defer m.auth.Unlock()
	if err := m.setAuth(true); err != nil {
		return err
	}
	defer m.setAuth(false)
	return fn()
}

func (m *Moto) setAuth(on bool) error {
	body := "inf"
	if on {
		body = "0"
	}
	return m.post("/moto-api/reset-auth", body)
}

func (m *Moto) post(path, body string) error {
	resp, err := http.Post(m.URL+path, "text/plain", strings.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("moto %s: %s: %s", path, resp.Status, b)
	}
	return nil
}

var accountSeq atomic.Int64

// nextAccountID returns a 12-digit account id unique within this process run.
func nextAccountID() string {
	n := accountSeq.Add(1)
	return fmt.Sprintf("%03d%09d", 100+os.Getpid()%900, n)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func filterEnv(env []string, drop ...string) []string {
	out := env[:0:0]
next:
	for _, kv := range env {
		for _, d := range drop {
			if strings.HasPrefix(kv, d+"=") {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}

// waitCtx is a short bounded context for test set-up calls.
func waitCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}

package reliability

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rciam/rciam/internal/testenv"
	"github.com/rciam/rciam/internal/testenv/faults"
)

// world is one scenario's fresh AWS account behind a fault-injecting
// proxy, the directory its rciam processes use as HOME, cache and TMPDIR
// (and that holds their credentials file), and every process started
// against it. When the scenario ends, every output of every process, and
// what /proc showed of each while it ran, is searched for every secret
// value that crossed the proxies (leaks), and every file under dir that
// holds one must be mode 0600.
type world struct {
	t     testing.TB
	m     *testenv.Moto
	acct  *testenv.Account // straight to moto: the tests' own checks never go through a proxy
	proxy *faults.Proxy    // the one rciam goes through unless a run names another
	dir   string
	// before is the SPEC state a scenario's setup left (converged).
	before testenv.SpecState

	mu      sync.Mutex
	proxies []*faults.Proxy
	procs   []*proc
}

func newWorld(t testing.TB, seed int64) *world { return newWorldOn(t, moto, seed) }

// newWorldOn makes a world on moto m: scenarios that delete redislabs-user
// use motoDestroy.
func newWorldOn(t testing.TB, m *testenv.Moto, seed int64) *world {
	t.Helper()
	if tt, ok := t.(*testing.T); ok {
		needBinary(tt)
	}
	acct := testenv.NeedMoto(t, m)
	w := &world{t: t, m: m, acct: acct, dir: t.TempDir()}
	w.proxy = w.newProxy(seed)
	for _, d := range []string{"cache", "config", "tmp"} {
		if err := os.Mkdir(filepath.Join(w.dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// The administrator's key reaches rciam through a shared credentials
	// file, as a profile would, so that no secret at all is in the
	// children's environment and the /proc check can cover it too.
	creds := fmt.Sprintf("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n", acct.AccessKeyID, acct.SecretAccessKey)
	if err := os.WriteFile(filepath.Join(w.dir, "credentials"), []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.checkSecrets)
	return w
}

// newProxy starts another proxy in front of the world's account.
func (w *world) newProxy(seed int64) *faults.Proxy {
	p := faults.Start(w.t, w.acct.Endpoint, faults.Options{Seed: seed})
	w.mu.Lock()
	w.proxies = append(w.proxies, p)
	w.mu.Unlock()
	return p
}

// env is a child's whole environment: Account.Env through proxy p, with
// the credentials taken from the file instead of the environment, and
// HOME, XDG directories and TMPDIR inside the world's dir.
func (w *world) env(p *faults.Proxy, extra []string) []string {
	var env []string
	for _, kv := range p.Via(w.acct).Env() {
		switch {
		case strings.HasPrefix(kv, "AWS_ACCESS_KEY_ID="), strings.HasPrefix(kv, "AWS_SECRET_ACCESS_KEY="),
			strings.HasPrefix(kv, "AWS_SHARED_CREDENTIALS_FILE="):
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(w.dir, "credentials"),
		"HOME="+w.dir,
		"XDG_CACHE_HOME="+filepath.Join(w.dir, "cache"),
		"XDG_CONFIG_HOME="+filepath.Join(w.dir, "config"),
		"TMPDIR="+filepath.Join(w.dir, "tmp"),
		"PATH=/usr/bin:/bin",
		// rciam talks to 127.0.0.1 only: a stray fetch (say, of the
		// default policy source) goes to a closed loopback port.
		"HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9", "NO_PROXY=127.0.0.1,localhost",
	)
	return append(env, extra...)
}

// opts shape one process.
type opts struct {
	proxy *faults.Proxy // default: the world's proxy
	env   []string      // added to the environment
	// started, when set, is called with the running process before
	// anything else can observe it (hooks that kill it use this).
	started func(*proc)
}

// proc is one rciam process.
type proc struct {
	name           string
	args           []string
	cmd            *exec.Cmd
	stdout, stderr syncBuffer
	start, exit    time.Time
	code           int            // exit code; -1 when a signal ended it
	signal         syscall.Signal // the signal that ended it, if one did
	done           chan struct{}

	mu    sync.Mutex
	views []string // distinct /proc cmdline and environ contents seen while it ran
}

// syncBuffer is a bytes.Buffer safe for the writer goroutines of exec.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start starts rciam with args against the world's account.
func (w *world) start(o opts, args ...string) *proc {
	w.t.Helper()
	p := o.proxy
	if p == nil {
		p = w.proxy
	}
	pr := &proc{name: strings.Join(args, " "), args: args, done: make(chan struct{})}
	pr.cmd = exec.Command(rciamBin, args...)
	pr.cmd.Env = w.env(p, o.env)
	pr.cmd.Dir = w.dir
	pr.cmd.Stdout, pr.cmd.Stderr = &pr.stdout, &pr.stderr
	w.mu.Lock()
	w.procs = append(w.procs, pr)
	w.mu.Unlock()
	pr.start = time.Now()
	if err := pr.cmd.Start(); err != nil {
		w.t.Fatalf("start rciam %s: %v", pr.name, err)
	}
	if o.started != nil {
		o.started(pr)
	}
	go pr.watch()
	go func() {
		_ = pr.cmd.Wait()
		pr.exit = time.Now()
		pr.code = pr.cmd.ProcessState.ExitCode()
		if ws, ok := pr.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			pr.signal = ws.Signal()
		}
		close(pr.done)
	}()
	return pr
}

// run starts rciam and waits for it.
func (w *world) run(args ...string) *proc {
	w.t.Helper()
	return w.start(opts{}, args...).wait(w.t)
}

// runVia is run through another proxy, with extra environment.
func (w *world) runVia(p *faults.Proxy, env []string, args ...string) *proc {
	w.t.Helper()
	return w.start(opts{proxy: p, env: env}, args...).wait(w.t)
}

// wait waits for the process, at most three minutes.
func (pr *proc) wait(t testing.TB) *proc {
	t.Helper()
	select {
	case <-pr.done:
	case <-time.After(3 * time.Minute):
		_ = pr.cmd.Process.Kill()
		<-pr.done
		t.Fatalf("rciam %s did not finish within 3 minutes\nstderr:\n%s", pr.name, pr.stderr.String())
	}
	return pr
}

// want fails t unless the process exited with code.
func (pr *proc) want(t testing.TB, code int) *proc {
	t.Helper()
	if pr.code != code {
		t.Fatalf("rciam %s: exit %d (signal %v), want %d\nstdout:\n%s\nstderr:\n%s", pr.name, pr.code, pr.signal, code, pr.stdout.String(), pr.stderr.String())
	}
	return pr
}

// lastLine is the last line of stderr: where Main prints the error.
func (pr *proc) lastLine() string {
	lines := strings.Split(strings.TrimRight(pr.stderr.String(), "\n"), "\n")
	return lines[len(lines)-1]
}

// watch records what /proc shows of the process and of any process it
// starts, every few milliseconds while it runs: its command line and its
// environment, searched for secrets when the world ends.
func (pr *proc) watch() {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		pr.look(pr.cmd.Process.Pid)
		select {
		case <-pr.done:
			return
		case <-tick.C:
		}
	}
}

func (pr *proc) look(pid int) {
	base := fmt.Sprintf("/proc/%d", pid)
	// Between fork and exec /proc shows the test binary: only the rciam
	// image counts.
	if exe, err := os.Readlink(base + "/exe"); err != nil || exe != rciamBin {
		return
	}
	for _, f := range []string{"cmdline", "environ"} {
		if b, err := os.ReadFile(base + "/" + f); err == nil && len(b) > 0 {
			pr.note(f + ": " + strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
	tasks, _ := filepath.Glob(base + "/task/*/children")
	for _, tf := range tasks {
		b, _ := os.ReadFile(tf)
		for _, c := range strings.Fields(string(b)) {
			for _, f := range []string{"cmdline", "environ"} {
				if cb, err := os.ReadFile("/proc/" + c + "/" + f); err == nil {
					pr.note("child " + f + ": " + strings.ReplaceAll(string(cb), "\x00", " "))
				}
			}
		}
	}
}

func (pr *proc) note(v string) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	for _, s := range pr.views {
		if s == v {
			return
		}
	}
	pr.views = append(pr.views, v)
}

// secrets is every secret value the world's processes could have met: the
// administrator's key secret and each value that crossed a proxy (access
// key secrets, passwords, stored secret strings).
func (w *world) secrets() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := []string{w.acct.SecretAccessKey}
	for _, p := range w.proxies {
		out = append(out, p.Secrets()...)
	}
	return out
}

// checkSecrets is run when the scenario ends: no secret in any output, in
// any process's command line or environment, and every file under the
// world's dir holding one is mode 0600. Panics, fatal errors and data
// races in a child fail the scenario too.
func (w *world) checkSecrets() {
	for _, p := range w.leaks() {
		w.t.Error(p)
	}
}

// leaks lists what checkSecrets fails on.
func (w *world) leaks() []string {
	var out []string
	secrets := w.secrets()
	w.mu.Lock()
	procs := append([]*proc(nil), w.procs...)
	w.mu.Unlock()
	for _, pr := range procs {
		select {
		case <-pr.done:
		default:
			_ = pr.cmd.Process.Kill()
			<-pr.done
		}
		pr.mu.Lock()
		views := strings.Join(pr.views, "\n")
		pr.mu.Unlock()
		for _, where := range []string{"stdout", "stderr", "/proc"} {
			text := map[string]string{"stdout": pr.stdout.String(), "stderr": pr.stderr.String(), "/proc": views}[where]
			for _, s := range secrets {
				if strings.Contains(text, s) {
					out = append(out, fmt.Sprintf("rciam %s: a secret value (%d characters) appears in its %s", pr.name, len(s), where))
				}
			}
		}
		for _, bad := range []string{"panic:", "fatal error:", "DATA RACE", "goroutine "} {
			if strings.Contains(pr.stderr.String(), bad) {
				out = append(out, fmt.Sprintf("rciam %s: %q on stderr:\n%s", pr.name, bad, pr.stderr.String()))
			}
		}
	}
	_ = filepath.WalkDir(w.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		info, _ := d.Info()
		for _, s := range secrets {
			if bytes.Contains(b, []byte(s)) && info.Mode().Perm() != 0o600 {
				out = append(out, fmt.Sprintf("%s holds a secret with mode %v, want 0600", path, info.Mode().Perm()))
				break
			}
		}
		return nil
	})
	return out
}

// forget drops a process from the world's leak check (the harness's own
// test, which leaks on purpose).
func (w *world) forget(pr *proc) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, p := range w.procs {
		if p == pr {
			w.procs = append(w.procs[:i], w.procs[i+1:]...)
			return
		}
	}
}

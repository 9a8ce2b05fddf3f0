package reliability

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"

	"github.com/rciam/rciam/internal/testenv"
)

var (
	moto *testenv.Moto
	// motoDestroy serves the scenarios that delete redislabs-user: after a
	// user is deleted, moto's model dump — the only way to read a login
	// profile's password — fails until a reset (docs/emulator.md), and every
	// other scenario compares the stored password with the login's.
	motoDestroy *testenv.Moto
	// rciamBin is the binary every test starts, built once by TestMain.
	rciamBin string
)

// TestMain builds the rciam binary (with -race when the tests run with
// it), starts moto_server, runs the tests and writes the figures.
func TestMain(m *testing.M) { os.Exit(mainWith(m)) }

func mainWith(m *testing.M) int {
	flag.Parse()
	if !testing.Short() {
		dir, err := os.MkdirTemp("", "rciam-reliability-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "reliability:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		if rciamBin, err = build(dir); err != nil {
			fmt.Fprintln(os.Stderr, "reliability: build rciam:", err)
			return 1
		}
	}
	if !testing.Short() {
		var err error
		if motoDestroy, err = testenv.StartMoto(); err != nil && err != testenv.ErrNoMoto {
			fmt.Fprintln(os.Stderr, "reliability: second moto_server:", err)
			return 1
		}
		defer motoDestroy.Stop()
	}
	code := testenv.RunWithMoto(m, &moto)
	figures.write()
	return code
}

func build(dir string) (string, error) {
	// "go test" runs with its own go first on PATH.
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("the go command is not on PATH: %w", err)
	}
	out := filepath.Join(dir, "rciam")
	args := []string{"build", "-o", out}
	if raceBuild {
		args = append(args, "-race")
	}
	cmd := exec.Command(goBin, append(args, "github.com/rciam/rciam/cmd/rciam")...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%w\n%s", err, b)
	}
	return out, nil
}

// needBinary skips t in -short mode, where no binary is built.
func needBinary(t *testing.T) {
	t.Helper()
	if rciamBin == "" {
		t.Skip("no rciam binary in -short mode")
	}
}

// The size of each sweep. CI runs a seeded sample on every submission;
// RCIAM_RELIABILITY=full runs everything docs/reliability.md reports.
var full = os.Getenv("RCIAM_RELIABILITY") == "full"

// trials is the number of seeded fault trials: 100 in a full run, 8 in CI
// (RCIAM_RELIABILITY_TRIALS overrides both).
func trials() int { return envInt("RCIAM_RELIABILITY_TRIALS", map[bool]int{true: 100, false: 8}[full]) }

// crashStride: every crash point in a full run, every third in CI.
func crashStride() int {
	return envInt("RCIAM_RELIABILITY_CRASH_STRIDE", map[bool]int{true: 1, false: 3}[full])
}

// concurrentPairs is how many pairs of concurrent applies run per start state.
func concurrentPairs() int {
	return envInt("RCIAM_RELIABILITY_PAIRS", map[bool]int{true: 20, false: 3}[full])
}

// seedBase is the first trial's seed (RCIAM_RELIABILITY_SEED, default 1).
func seedBase() int64 { return int64(envInt("RCIAM_RELIABILITY_SEED", 1)) }

// workers bounds how many scenarios of one sweep run at once: most of a
// scenario's time is spent waiting on moto and on back-off.
func workers() int { return envInt("RCIAM_RELIABILITY_WORKERS", 4) }

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// figures are the measured results docs/reliability.md reports, printed at
// the end of the run and written as JSON to RCIAM_RELIABILITY_REPORT when
// set.
var figures = &report{Sections: map[string]map[string]any{}}

type report struct {
	mu       sync.Mutex
	Mode     string                    `json:"mode"`
	Race     bool                      `json:"race"`
	Sections map[string]map[string]any `json:"sections"`
}

// set records one figure of a section ("faults", "crash/apply"…).
func (r *report) set(section, name string, v any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Sections[section] == nil {
		r.Sections[section] = map[string]any{}
	}
	r.Sections[section][name] = v
}

func (r *report) write() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.Sections) == 0 {
		return
	}
	r.Mode, r.Race = map[bool]string{true: "full", false: "sample"}[full], raceBuild
	names := make([]string, 0, len(r.Sections))
	for n := range r.Sections {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Printf("reliability figures (%s run, race=%v):\n", r.Mode, r.Race)
	for _, n := range names {
		b, _ := json.Marshal(r.Sections[n])
		fmt.Printf("  %s: %s\n", n, b)
	}
	if path := os.Getenv("RCIAM_RELIABILITY_REPORT"); path != "" {
		b, _ := json.MarshalIndent(r, "", "  ")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "reliability: write report:", err)
		}
	}
}

package reliability

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestLeakCheckSeesLeaks proves the leak check every scenario ends with
// can fail: a secret printed on purpose (outputs --show-secrets) and a
// file holding one with a wider mode are found; /proc was read while
// rciam ran (its command line and environment), and held no secret.
func TestLeakCheckSeesLeaks(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 0)
	apply := w.run(applyArgs...).want(t, 0)
	specState(t, w)
	var cmdline, environ bool
	for _, v := range apply.views {
		cmdline = cmdline || strings.HasPrefix(v, "cmdline: "+rciamBin+" apply --yes")
		environ = environ || strings.HasPrefix(v, "environ: ") && strings.Contains(v, "AWS_SHARED_CREDENTIALS_FILE=")
	}
	if !cmdline || !environ {
		t.Errorf("/proc was not read while rciam ran (cmdline %v, environ %v): %q", cmdline, environ, apply.views)
	}
	if n := len(w.secrets()); n < 4 {
		t.Errorf("%d secret values seen on the wire, want the admin key's, the access key's, the password and its JSON", n)
	}
	if l := w.leaks(); len(l) > 0 {
		t.Fatalf("leaks before any was made: %v", l)
	}

	shown := w.run("outputs", "--show-secrets").want(t, 0)
	leak := filepath.Join(w.dir, "cache", "leak")
	if err := os.WriteFile(leak, []byte(w.secrets()[1]), 0o644); err != nil {
		t.Fatal(err)
	}
	got := w.leaks()
	want := []string{"rciam outputs --show-secrets: a secret value", leak + " holds a secret with mode -rw-r--r--"}
	for _, wnt := range want {
		if !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, wnt) }) {
			t.Errorf("leak check missed %q: %v", wnt, got)
		}
	}
	w.forget(shown)
	if err := os.Remove(leak); err != nil {
		t.Fatal(err)
	}
}

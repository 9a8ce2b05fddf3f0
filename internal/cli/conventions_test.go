package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rciam/rciam/internal/testenv"
	"github.com/rciam/rciam/internal/view"
)

// builtRciam is cmd/rciam built once for the tests that run the binary.
var builtRciam struct {
	once      sync.Once
	dir, path string
	err       error
}

// buildRciam builds cmd/rciam as `make build` does (VCS stamping on), once
// per test run, and returns its path; TestMain removes it.
func buildRciam(t *testing.T) string {
	t.Helper()
	goTool := testenv.NeedTool(t, "go")
	b := &builtRciam
	b.once.Do(func() {
		if b.dir, b.err = os.MkdirTemp("", "rciam-bin"); b.err != nil {
			return
		}
		b.path = filepath.Join(b.dir, "rciam")
		out, err := exec.Command(goTool, "build", "-buildvcs=auto", "-o", b.path, "github.com/rciam/rciam/cmd/rciam").CombinedOutput()
		if err != nil {
			b.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

func runBinary(t *testing.T, bin string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// rciam --version and rciam version say what the binary was built from, as
// `go version -m` (Go's own reader of the build information) reads it.
func TestVersion(t *testing.T) {
	t.Parallel()
	bin := buildRciam(t)
	line := runBinary(t, bin, nil, "--version")
	if again := runBinary(t, bin, nil, "version"); again != line {
		t.Errorf("rciam version printed %q, --version %q", again, line)
	}
	var v view.Version
	if err := json.Unmarshal([]byte(runBinary(t, bin, nil, "version", "--output", "JSON")), &v); err != nil {
		t.Fatal(err)
	}

	info := runBinary(t, testenv.NeedTool(t, "go"), nil, "version", "-m", bin)
	want := view.Version{Schema: 1}
	for _, l := range strings.Split(info, "\n") {
		f := strings.Split(strings.TrimSpace(l), "\t")
		switch {
		case strings.HasPrefix(l, bin+": "):
			want.GoVersion = strings.TrimPrefix(l, bin+": ")
		case len(f) >= 3 && f[0] == "mod":
			want.Version = f[2]
		case len(f) == 2 && f[0] == "build":
			k, val, _ := strings.Cut(f[1], "=")
			switch k {
			case "vcs.revision":
				want.Commit = val
			case "vcs.time":
				want.CommitTime = val
			case "vcs.modified":
				want.Modified = val == "true"
			}
		}
	}
	if v != want {
		t.Errorf("version --output json = %+v\ngo version -m says %+v", v, want)
	}
	if line != want.Line()+"\n" || !strings.HasPrefix(line, "rciam "+want.Version+" (") || !strings.Contains(line, want.GoVersion) {
		t.Errorf("--version printed %q, want %q", line, want.Line())
	}
	if want.Commit != "" && !strings.Contains(line, want.Commit[:12]) {
		t.Errorf("--version %q lacks the commit %s", line, want.Commit[:12])
	}
}

// The completion scripts are valid shell (bash -n), and bash's, loaded into
// bash, completes commands, subcommands and flag values by asking the
// binary (cobra's __complete protocol).
func TestCompletion(t *testing.T) {
	t.Parallel()
	bash := testenv.NeedTool(t, "bash")
	bin := buildRciam(t)
	home := t.TempDir()
	config := filepath.Join(home, "config")
	if err := os.WriteFile(config, []byte("[default]\nregion = eu-west-1\n[profile redis-byoc]\nregion = eu-west-1\n[sso-session corp]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"HOME=" + home, "AWS_CONFIG_FILE=" + config, "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none")}

	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		script := runBinary(t, bin, env, "completion", shell)
		if !strings.Contains(script, "__complete") || !strings.Contains(script, "rciam") {
			t.Errorf("completion %s does not call rciam __complete:\n%.300s", shell, script)
		}
		if shell == "bash" {
			check := exec.Command(bash, "-n")
			check.Stdin = strings.NewReader(script)
			if out, err := check.CombinedOutput(); err != nil {
				t.Errorf("bash -n refused the bash completion: %v\n%s", err, out)
			}
		}
	}

	// What the scripts ask the binary (cobra's __complete protocol): the
	// words typed so far, the last one being completed, and the candidates.
	for _, tc := range []struct {
		words []string
		want  string
	}{
		{[]string{"pl"}, "plan"},
		{[]string{"policy", "l"}, "list"},
		{[]string{"policy", "show", ""}, "docs-v1"},
		{[]string{"plan", "--layout", ""}, "cloud rv"},
		{[]string{"plan", "--output", ""}, "text json"},
		{[]string{"verify", "--output", ""}, "text json junit sarif"},
		{[]string{"render", "--format", ""}, "cloudformation terraform json mermaid dot operator-policy operator-policy-cloudformation operator-policy-terraform"},
		{[]string{"render", "--commands", ""}, "plan apply verify outputs register rotate-key destroy"},
		{[]string{"apply", "--profile", ""}, "default redis-byoc"},
		{[]string{"policy", "show", "docs-v1", "--document", ""}, "instance user"},
	} {
		out := runBinary(t, bin, env, append([]string{"__complete"}, tc.words...)...)
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			if strings.HasPrefix(l, ":") {
				break // the directive ends the candidates
			}
			name, _, _ := strings.Cut(l, "\t")
			if strings.HasPrefix(name, tc.words[len(tc.words)-1]) {
				got = append(got, name)
			}
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("rciam %s<TAB> offers %q, want %q", strings.Join(tc.words, " "), got, tc.want)
		}
	}
}

// rciam help environment names every environment variable rciam's own code
// reads (the AWS SDK's are listed as the AWS CLI documents them).
func TestHelpEnvironmentListsWhatIsRead(t *testing.T) {
	t.Parallel()
	res := rciam(t, nil, runOpts{}, "help", "environment").mustCode(t, 0)
	read := regexp.MustCompile(`Getenv\("([A-Z_]+)"\)`)
	constant := regexp.MustCompile(`Env[A-Za-z]+\s*=\s*"([A-Z_]+)"`)
	seen := 0
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testenv" || d.Name() == "reliability" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, re := range []*regexp.Regexp{read, constant} {
			for _, m := range re.FindAllStringSubmatch(string(src), -1) {
				seen++
				if !strings.Contains(res.stdout, m[1]) {
					t.Errorf("%s reads %s; rciam help environment does not list it", path, m[1])
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 10 {
		t.Fatalf("found only %d environment variables read in the source: the scan is broken", seen)
	}
}

// Every command's JSON carries "schema": 1 and the shapes docs/commands.md
// gives; --output is case-insensitive; a destroy with nothing left says so.
func TestJSONEverywhere(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	decode := func(r result, v any) {
		t.Helper()
		if err := json.Unmarshal([]byte(r.stdout), v); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, r.stdout)
		}
	}
	type step struct{ Resource, Action, Status string }

	var applied struct {
		Schema      int
		AccessKeyID string `json:"accessKeyId"`
		Steps       []step
	}
	decode(rciam(t, acct, runOpts{}, "apply", "--yes", "--output", "JSON").mustCode(t, 0), &applied)
	if applied.Schema != 1 || applied.AccessKeyID == "" || len(applied.Steps) < 8 {
		t.Errorf("apply JSON = %+v", applied)
	}
	for _, s := range applied.Steps {
		if s.Resource == "" || s.Action == "" || s.Status != "done" {
			t.Errorf("apply step %+v", s)
		}
	}

	var planned struct {
		Schema       int
		Layout       string
		PolicySource string `json:"policySource"`
		Counts       map[string]int
		Changes      []struct{ Resource, Action string }
	}
	decode(rciam(t, acct, runOpts{}, "plan", "--output", "Json").mustCode(t, 0), &planned)
	if planned.Schema != 1 || planned.Layout != "cloud" || planned.PolicySource == "" ||
		planned.Counts["no-op"] != len(planned.Changes) || planned.Counts["create"]+planned.Counts["update"]+planned.Counts["delete"] != 0 {
		t.Errorf("plan JSON = %+v", planned)
	}

	plain := rciam(t, acct, runOpts{}, "outputs", "--output", "json").mustCode(t, 0)
	hand := rciam(t, acct, runOpts{}, "outputs", "--format", "hand", "--output", "json").mustCode(t, 0)
	if plain.stdout != hand.stdout {
		t.Errorf("outputs --format hand --output json:\n%s\nplain outputs --output json:\n%s", hand.stdout, plain.stdout)
	}
	api := rciam(t, acct, runOpts{}, "outputs", "--format", "api", "--show-secrets").mustCode(t, 0)
	var body map[string]any
	decode(api, &body)
	if _, ok := body["schema"]; ok {
		t.Errorf("the API body carries schema: %v", body)
	}
	if !strings.Contains(api.stderr, "--name") {
		t.Errorf("outputs --format api without --name did not warn:\n%s", api.stderr)
	}

	var verified struct{ Schema int }
	decode(rciam(t, acct, runOpts{}, "verify", "--output", "json").mustCode(t, 0), &verified)
	if verified.Schema != 1 {
		t.Errorf("verify JSON schema %d", verified.Schema)
	}

	type destroyed struct {
		Schema  int
		Removed []string
		Left    []struct{ Resource, Why string }
	}
	var gone destroyed
	decode(rciam(t, acct, runOpts{}, "destroy", "--yes", "--output", "json").mustCode(t, 0), &gone)
	if gone.Schema != 1 || len(gone.Left) != 0 || !slices.Contains(gone.Removed, "role/redislabs-role") || len(gone.Removed) < 8 {
		t.Errorf("destroy JSON = %+v", gone)
	}
	expectNothingLeft(t, acct)

	again := rciam(t, acct, runOpts{}, "destroy", "--yes").mustCode(t, 0)
	if out := again.stdout + again.stderr; !strings.Contains(out, "Nothing to destroy") || strings.Contains(out, "No changes") {
		t.Errorf("a second destroy said:\n%s", out)
	}
	raw := rciam(t, acct, runOpts{}, "destroy", "--yes", "--output", "json").mustCode(t, 0)
	var none destroyed
	decode(raw, &none)
	if none.Schema != 1 || none.Removed == nil || len(none.Removed) != 0 || !strings.Contains(raw.stdout, `"removed": []`) {
		t.Errorf("destroy JSON with nothing left:\n%s", raw.stdout)
	}
}

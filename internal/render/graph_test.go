package render

import (
	"bytes"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/rciam/rciam/internal/desired"
)

// The edges a reader of the picture must find (from → to), per layout.
var wantEdges = map[desired.Layout][]string{
	desired.LayoutCloud: {
		"redis_cloud -> role_redislabs_role", "role_redislabs_role -> policy_RedislabsIAMUserRestrictedPolicy",
		"ec2 -> role_redislabs_cluster_node_role", "role_redislabs_cluster_node_role -> policy_RedisLabsInstanceRolePolicy",
		"profile_redislabs_cluster_node_role -> role_redislabs_cluster_node_role",
		"user_redislabs_user -> policy_RedislabsIAMUserRestrictedPolicy",
		"access_key -> secret_redislabsuser_secret_access_key", "login_profile -> secret_redislabsuser_password",
	},
	desired.LayoutRV: {
		"ec2 -> role_redislabs_cluster_node_role", "user_redislabs_user -> policy_RedislabsIAMUserRestrictedPolicy",
	},
}

var (
	dotNode    = regexp.MustCompile(`^  ([A-Za-z0-9_]+) \[label="(?:[^"\\]|\\.)*"(?:, shape=ellipse)?\];$`)
	dotEdge    = regexp.MustCompile(`^  ([A-Za-z0-9_]+) -> ([A-Za-z0-9_]+) \[label="(?:[^"\\]|\\.)*"\];$`)
	mermaidDef = regexp.MustCompile(`^  ([A-Za-z0-9_]+)(\["[^"]*"\]|\(\["[^"]*"\]\))$`)
	mermaidArr = regexp.MustCompile(`^  ([A-Za-z0-9_]+) -->\|[^|]+\| ([A-Za-z0-9_]+)$`)
)

// parse reads the picture with the grammar of its format (DOT, or
// Mermaid's flowchart): every line a node or an edge, every edge between
// declared nodes. It returns the edges as "from -> to".
func parse(t *testing.T, format Format, out string) []string {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	node, arrow := dotNode, dotEdge
	body := lines[1:]
	switch format {
	case Dot:
		if lines[1] != "digraph rciam {" || lines[len(lines)-1] != "}" || lines[2] != "  rankdir=LR;" {
			t.Fatalf("not a digraph:\n%s", out)
		}
		body = lines[4 : len(lines)-1]
	case Mermaid:
		if lines[1] != "flowchart LR" {
			t.Fatalf("not a flowchart:\n%s", out)
		}
		node, arrow, body = mermaidDef, mermaidArr, lines[2:]
	}
	declared := map[string]bool{}
	var edges []string
	for _, l := range body {
		if m := node.FindStringSubmatch(l); m != nil {
			declared[m[1]] = true
			continue
		}
		m := arrow.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("%s: line %q is neither a node nor an edge", format, l)
		}
		if !declared[m[1]] || !declared[m[2]] {
			t.Errorf("%s: edge %q to an undeclared node", format, l)
		}
		edges = append(edges, m[1]+" -> "+m[2])
	}
	return edges
}

// render --format mermaid|dot draws who trusts whom and what is attached:
// the output parses, and holds the edges a reader looks for (and, for
// layout rv, no redislabs-role). Graphviz, when installed, renders it too.
func TestGraphFormats(t *testing.T) {
	t.Parallel()
	for _, layout := range []desired.Layout{desired.LayoutCloud, desired.LayoutRV} {
		for _, format := range []Format{Mermaid, Dot} {
			out := renderString(t, bundled(t, layout), Options{Format: format})
			edges := strings.Join(parse(t, format, out), "\n")
			for _, want := range wantEdges[layout] {
				if !strings.Contains(edges, want) {
					t.Errorf("%s %s lacks %s:\n%s", layout, format, want, out)
				}
			}
			if layout == desired.LayoutRV && strings.Contains(out, "redislabs_role ") {
				t.Errorf("layout rv draws redislabs-role:\n%s", out)
			}
			if format == Dot {
				if dot, err := exec.LookPath("dot"); err == nil {
					cmd := exec.Command(dot, "-Tsvg")
					cmd.Stdin = strings.NewReader(out)
					var stderr bytes.Buffer
					cmd.Stderr = &stderr
					if err := cmd.Run(); err != nil {
						t.Errorf("dot refused the graph: %v: %s", err, stderr.String())
					}
				}
			}
		}
	}
}

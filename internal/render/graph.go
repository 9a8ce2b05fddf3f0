package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/rciam/rciam/internal/desired"
	r "github.com/rciam/rciam/internal/resource"
)

// node is one box of the picture: an entity of the set, or a principal
// outside it (Redis Cloud's account, the EC2 service).
type node struct {
	id, label, kind string
}

// edge is one arrow: from trusts, holds, is attached or stores to.
type edge struct {
	from, to, label string
}

// graph is who trusts whom and what is attached: Redis Cloud's account →
// redislabs-role → its policy; EC2 → the node role → its policy, and the
// instance profile holding the role; redislabs-user → the user policy, its
// access key → the key secret, its console login → the password secret.
func graph(s *desired.Set) ([]node, []edge) {
	nodes := []node{}
	var edges []edge
	add := func(n node) { nodes = append(nodes, n) }
	for _, p := range s.Policies {
		add(node{"policy_" + ident(p.Name), p.Name, "managed policy"})
	}
	for _, role := range s.Roles {
		id := "role_" + ident(role.Name)
		add(node{id, role.Name, "role"})
		for _, pn := range role.Policies {
			edges = append(edges, edge{id, "policy_" + ident(pn), "attached"})
		}
		switch role.Name {
		case r.ConsoleRoleName:
			add(node{"redis_cloud", "Redis Cloud's AWS account " + r.RedisCloudAccountID, "principal"})
			edges = append(edges, edge{"redis_cloud", id, "assumes (MFA)"})
		case r.NodeRoleName:
			add(node{"ec2", "ec2.amazonaws.com", "principal"})
			edges = append(edges, edge{"ec2", id, "assumes"})
		}
	}
	for _, p := range s.Profiles {
		id := "profile_" + ident(p.Name)
		add(node{id, p.Name, "instance profile"})
		edges = append(edges, edge{id, "role_" + ident(p.Role), "holds"})
	}
	u := s.User
	uid := "user_" + ident(u.Name)
	add(node{uid, u.Name, "user"})
	for _, pn := range u.Policies {
		edges = append(edges, edge{uid, "policy_" + ident(pn), "attached"})
	}
	add(node{"access_key", u.Name + "'s access key", "access key"})
	add(node{"login_profile", u.Name + "'s console login", "login profile"})
	edges = append(edges, edge{uid, "access_key", "has"}, edge{uid, "login_profile", "has"})
	for _, sec := range s.Secrets {
		id := "secret_" + ident(sec.Name)
		add(node{id, sec.Name, "secret"})
		from := "login_profile"
		if sec.Name == r.KeySecretName {
			from = "access_key"
		}
		edges = append(edges, edge{from, id, "stored in"})
	}
	return nodes, edges
}

// ident makes a name an identifier both formats accept.
func ident(name string) string {
	return strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			return c
		}
		return '_'
	}, strings.Trim(name, "/"))
}

// writeMermaid draws the graph as a Mermaid flowchart (GitHub and GitLab
// render it in Markdown).
func writeMermaid(w io.Writer, s *desired.Set) error {
	nodes, edges := graph(s)
	var b strings.Builder
	fmt.Fprintf(&b, "%%%% rciam render --format mermaid: layout %s, policies %s\n", s.Layout, s.Source.Source)
	b.WriteString("flowchart LR\n")
	for _, n := range nodes {
		open, closing := "[", "]"
		if n.kind == "principal" {
			open, closing = "([", "])"
		}
		fmt.Fprintf(&b, "  %s%s\"%s<br/><small>%s</small>\"%s\n", n.id, open, mermaidText(n.label), n.kind, closing)
	}
	for _, e := range edges {
		fmt.Fprintf(&b, "  %s -->|%s| %s\n", e.from, mermaidText(e.label), e.to)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mermaidText escapes what Mermaid reads inside a quoted label.
func mermaidText(s string) string {
	return strings.NewReplacer(`"`, "#quot;", "|", "#124;").Replace(s)
}

// writeDot draws the graph in Graphviz's DOT language (`| dot -Tsvg`).
func writeDot(w io.Writer, s *desired.Set) error {
	nodes, edges := graph(s)
	var b strings.Builder
	fmt.Fprintf(&b, "// rciam render --format dot: layout %s, policies %s\n", s.Layout, s.Source.Source)
	b.WriteString("digraph rciam {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n")
	for _, n := range nodes {
		shape := ""
		if n.kind == "principal" {
			shape = ", shape=ellipse"
		}
		fmt.Fprintf(&b, "  %s [label=%s%s];\n", n.id, dotString(n.label+"\n"+n.kind), shape)
	}
	for _, e := range edges {
		fmt.Fprintf(&b, "  %s -> %s [label=%s];\n", e.from, e.to, dotString(e.label))
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// dotString quotes a DOT string.
func dotString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

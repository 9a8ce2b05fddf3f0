package iampolicy

import (
	"strings"
	"testing"
)

// Wildcards as IAM reads them in actions, resources and StringLike:
// * any run of characters (none included), ? exactly one character.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String
func TestPatternMatch(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 5000)
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"", "a", false},
		{"*", "", true},
		{"abc", "abc", true},
		{"abc", "abcd", false},
		{"a*", "abc", true},
		{"*c", "abc", true},
		{"*b*", "abc", true},
		{"a*c", "ac", true},
		{"a*c", "abcbc", true},
		{"ab*bc", "abc", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"a?c", "aéc", true},
		{"*?", "", false},
		{"a*b?d*", "axxbcdyy", true},
		{"a*b*c*d", "abcabcabd", true},
		{"a**b", "ab", true},
		{"*a*a*a*a*a*a*b", long, false},
		{"*a*a*a*a*a*a*a", long, true},
		{"${*}", "*", true},
		{"${*}", "x", false},
		{"${bad", "${bad", true},
		{"${aws:x,nodefault}", "${aws:x,nodefault}", true},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"~"+tt.s[:min(len(tt.s), 20)], func(t *testing.T) {
			t.Parallel()
			p := compilePattern(tt.pattern, true, true)
			if got := p.match(tt.s, false, resolver{}); got != tt.want {
				t.Fatalf("match(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
			}
		})
	}
}

func TestNames(t *testing.T) {
	t.Parallel()
	for got, want := range map[string]string{
		Allowed.String(): "allowed", ExplicitDeny.String(): "explicitDeny", ImplicitDeny.String(): "implicitDeny",
		ManagedPolicy.String(): "managed policy", TrustPolicy.String(): "trust policy",
		InlinePolicy.String(): "inline policy", SCP.String(): "service control policy",
		Allow.String(): "Allow", Deny.String(): "Deny",
		Match{Sid: "A"}.Statement(): `"A"`, Match{Index: 2}.Statement(): "#3",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

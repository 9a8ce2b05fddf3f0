package apply

import (
	"strings"
	"testing"

	"github.com/rciam/rciam/internal/live"
)

func TestGeneratePasswordMeetsPolicy(t *testing.T) {
	t.Parallel()
	for _, p := range []*live.PasswordPolicy{nil, {MinLength: 14}, {MinLength: 80, RequireSymbols: true}, {MinLength: 200}} {
		seen := map[string]bool{}
		for i := 0; i < 50; i++ {
			pw, err := GeneratePassword(p)
			if err != nil {
				t.Fatal(err)
			}
			if len(pw) != passwordLength(p) || len(pw) < 30 || len(pw) > 128 {
				t.Fatalf("length %d", len(pw))
			}
			for _, set := range []string{lower, upper, digits, symbols} {
				if !strings.ContainsAny(pw, set) {
					t.Fatalf("password lacks a character of %q", set)
				}
			}
			if strings.Trim(pw, lower+upper+digits+symbols) != "" {
				t.Fatalf("password has characters outside IAM's sets")
			}
			if seen[pw] {
				t.Fatal("repeated password")
			}
			seen[pw] = true
		}
	}
}

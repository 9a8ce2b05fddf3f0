package rediscloud

import (
	"strings"
	"testing"
)

func TestFindMatch(t *testing.T) {
	t.Parallel()
	const key = "AKIAAAAAAAAAAAAA1111"
	builtin := Account{ID: 1, Name: "prod", Provider: "AWS", AccessKeyID: key}
	prod := Account{ID: 52001, Name: "prod", Provider: "AWS", AccessKeyID: "AKIAOTHEROTHEROT9999"}
	byKey := Account{ID: 52002, Name: "renamed", Provider: "AWS", AccessKeyID: key}
	masked := Account{ID: 52003, Name: "masked", Provider: "AWS", AccessKeyID: "AKIA************1111"}
	ellipsis := Account{ID: 52004, Name: "ellipsis", Provider: "AWS", AccessKeyID: "AKIA…1111"}
	maskedOther := Account{ID: 52005, Name: "x", Provider: "AWS", AccessKeyID: "AKIB************1111"}
	tests := []struct {
		name      string
		accounts  []Account
		key, want string // want: the id, "" for none, or "error: id id"
	}{
		{"nothing", nil, key, ""},
		{"key beats name", []Account{prod, byKey}, key, "52002"},
		{"name when no key matches", []Account{prod}, key, "52001"},
		{"built-in account never matches", []Account{builtin}, key, ""},
		{"name must be exact", []Account{{ID: 52001, Name: "Prod"}, {ID: 52002, Name: "prod "}}, key, ""},
		{"masked id: prefix and suffix", []Account{prod, masked}, key, "52003"},
		{"ellipsis mask", []Account{ellipsis}, key, "52004"},
		{"masked id with another prefix", []Account{maskedOther}, key, ""},
		{"key duplicates listed", []Account{byKey, masked}, key, "error: 52002, 52003"},
		{"name duplicates listed", []Account{prod, {ID: 52009, Name: "prod"}}, key, "error: 52001, 52009"},
		{"one key match despite name duplicates", []Account{prod, {ID: 52009, Name: "prod"}, byKey}, key, "52002"},
		{"no key given: by name only", []Account{byKey, prod}, "", "52001"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := FindMatch(tc.accounts, tc.key, "prod")
			switch {
			case strings.HasPrefix(tc.want, "error: "):
				msg := assertOneLine(t, err)
				assertContains(t, msg, strings.TrimPrefix(tc.want, "error: "))
				if strings.Contains(msg, key) {
					t.Errorf("key id not masked: %s", msg)
				}
			case err != nil:
				t.Fatalf("unexpected error %v", err)
			case tc.want == "" && got != nil:
				t.Fatalf("got %+v, want no match", got)
			case tc.want != "" && (got == nil || itoa(got.ID) != tc.want):
				t.Fatalf("got %+v, want %s", got, tc.want)
			}
		})
	}
}

func itoa(i int) string { return ids([]Account{{ID: i}}) }

func TestSameKeyID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		api, key string
		want     bool
	}{
		{"AKIAAAAAAAAAAAAA1111", "AKIAAAAAAAAAAAAA1111", true},
		{"AKIAAAAAAAAAAAAA1111", "AKIAAAAAAAAAAAAA2222", false},
		{"AKIA************1111", "AKIAAAAAAAAAAAAA1111", true},
		{"AKIA************1111", "AKIAAAAAAAAAAAAA2222", false},
		{"AKIA…1111", "AKIAAAAAAAAAAAAA1111", true},
		{"****************1111", "AKIAAAAAAAAAAAAA1111", false}, // no prefix: too little to tell
		{"********************", "AKIAAAAAAAAAAAAA1111", false},
		{"", "AKIAAAAAAAAAAAAA1111", false},
		{"AKIA************1111", "", false},
	} {
		if got := SameKeyID(tc.api, tc.key); got != tc.want {
			t.Errorf("SameKeyID(%q, %q) = %v, want %v", tc.api, tc.key, got, tc.want)
		}
	}
}

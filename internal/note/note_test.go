package note

import "testing"

func TestShortAndFull(t *testing.T) {
	t.Parallel()
	actions := []string{"a:1", "a:2", "a:3", "a:4", "a:5", "a:6", "a:7"}
	l := New("policy X denies ", actions, ": remove it")
	if got, want := l.Short(), "policy X denies a:1, a:2, a:3, a:4, a:5 and 2 more: remove it"; got != want {
		t.Errorf("Short = %q, want %q", got, want)
	}
	if got, want := l.Full(), "policy X denies a:1, a:2, a:3, a:4, a:5, a:6, a:7: remove it"; got != want {
		t.Errorf("Full = %q, want %q", got, want)
	}
	if few := New("x ", []string{"a", "b"}); few.Short() != few.Full() || few.Short() != "x a, b" {
		t.Errorf("a short list is cut: %q", few.Short())
	}
	if lists := l.Lists(); len(lists) != 1 || len(lists[0]) != 7 {
		t.Errorf("Lists = %v", lists)
	}
	if Of("%d %s", 3, "x").Short() != "3 x" || !(Line{}).IsZero() {
		t.Error("Of or IsZero")
	}
}

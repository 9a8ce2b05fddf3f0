package organization

import (
	"context"
	"errors"
	"testing"
)

// A read its caller's context stopped is asked again by the next account;
// any other answer, an error too, is read once.
func TestMemoForgetsCancelledReads(t *testing.T) {
	var m memo[int]
	calls := 0
	read := func(err error) func() (int, error) {
		return func() (int, error) { calls++; return calls, err }
	}
	if _, err := m.get(read(context.Canceled)); !errors.Is(err, context.Canceled) {
		t.Fatalf("first read: %v", err)
	}
	denied := errors.New("AccessDenied")
	if v, err := m.get(read(denied)); v != 2 || err != denied {
		t.Fatalf("second read = %d, %v", v, err)
	}
	if v, err := m.get(read(nil)); v != 2 || err != denied || calls != 2 {
		t.Errorf("third read = %d, %v after %d calls: want the remembered error", v, err, calls)
	}
}

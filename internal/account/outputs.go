package account

import (
	"context"

	"github.com/rciam/rciam/internal/outputs"
)

// Outputs reads the outputs from a session's snapshot, revealing the
// secrets on request, and warns when the secrets were written for another
// region.
func (t *Target) Outputs(ctx context.Context, s *Session, reveal bool) (*outputs.Outputs, error) {
	l := s.Live
	if err := l.Books.CheckRegion(l.Region); err != nil {
		return nil, err
	}
	if rec := l.Books.Region; rec != "" && rec != l.Region {
		t.notef("warning: rciam recorded region %s for these secrets, but this run uses %s", rec, l.Region)
	}
	out, err := outputs.From(s.Want, l)
	if err != nil {
		return nil, err
	}
	if reveal {
		if err := out.Reveal(ctx, t.Secrets); err != nil {
			return nil, err
		}
	}
	return out, nil
}

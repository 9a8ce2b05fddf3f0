package plan

import (
	"fmt"
	"strings"

	"github.com/rciam/rciam/internal/access"
	r "github.com/rciam/rciam/internal/resource"
)

// BlockedByPolicyError stops a plan: policies rciam did not make deny or
// limit requests Redis Cloud needs, and --remove-unexpected was not given.
type BlockedByPolicyError struct{ Blockers []access.Blocker }

func (e *BlockedByPolicyError) Error() string {
	parts := make([]string, len(e.Blockers))
	for i, b := range e.Blockers {
		parts[i] = fmt.Sprintf("%s: %s denies %s", b.Principal, b.Source, strings.Join(b.Actions, ", "))
	}
	return strings.Join(parts, "; ") + ": remove it yourself, or pass --remove-unexpected to let apply remove it"
}

// unexpected plans the removal of the policies that block what Redis
// Cloud needs (only with RemoveUnexpected; otherwise it is an error).
func (c *computer) unexpected() error {
	blockers := access.Blockers(access.Analyze(c.d, c.l))
	if len(blockers) == 0 {
		return nil
	}
	if !c.o.RemoveUnexpected {
		return &BlockedByPolicyError{Blockers: blockers}
	}
	for _, b := range blockers {
		addr := b.Principal
		detail := fmt.Sprintf("remove %s (denies %s)", b.Source, strings.Join(b.Actions, ", "))
		c.b.change(addr, Update, detail)
		isUser := addr.Kind == r.KindUser
		st := Step{Address: addr, Name: addr.Name}
		switch b.Source.Kind {
		case "inline":
			st.Op, st.Target = pick(isUser, OpDeleteUserInline, OpDeleteRoleInline), b.Source.Name
		case "managed":
			st.Op, st.Target = pick(isUser, OpDetachUserPolicy, OpDetachRolePolicy), b.Source.ARN
		case "group managed", "group inline":
			st.Op, st.Target = OpRemoveUserFromGroup, b.Source.Group
		case "boundary":
			st.Op = pick(isUser, OpDeleteUserBoundary, OpDeleteRoleBoundary)
		default:
			return fmt.Errorf("cannot remove %s from %s", b.Source, addr)
		}
		c.b.step(st)
	}
	return nil
}

func pick(cond bool, a, b Op) Op {
	if cond {
		return a
	}
	return b
}

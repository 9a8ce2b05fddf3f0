package plan

import (
	"fmt"

	"github.com/rciam/rciam/internal/access"
	"github.com/rciam/rciam/internal/note"
	r "github.com/rciam/rciam/internal/resource"
)

// unexpected plans the removal of the policies that block what Redis
// Cloud needs, with RemoveUnexpected; without it each is a warning that
// names the policy and the flag (the rest of the plan stands).
func (c *computer) unexpected() error {
	blockers := access.Blockers(access.Analyze(c.d, c.l))
	for _, b := range blockers {
		addr := b.Principal
		if !c.o.RemoveUnexpected {
			c.b.warnLine(note.New(fmt.Sprintf("%s: %s denies ", addr, b.Source), b.Actions,
				": Redis Cloud needs them; pass --remove-unexpected to remove it, or remove it yourself"))
			continue
		}
		c.b.detail(addr, Update, note.New(fmt.Sprintf("remove %s (denies ", b.Source), b.Actions, ")"))
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

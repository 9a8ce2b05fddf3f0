package rcserver

import (
	"math/rand/v2"
	"slices"
)

// state is everything a Server remembers; Server.mu guards it.
type state struct {
	accounts map[int]*account
	nextID   int
	tasks    map[string]*task
	nextTask int
	final    string // status created and updated accounts end in
	faults   faults
	window   rateWindow
	rng      *rand.Rand
	log      []Request
	// inFlight and peak count the requests being answered at once.
	inFlight, peak int
}

func newState(o Options) *state {
	st := &state{
		accounts: map[int]*account{},
		nextID:   firstAccountID,
		tasks:    map[string]*task{},
		final:    o.FinalStatus,
		rng:      newRand(o.Seed),
	}
	st.accounts[InternalAccountID] = &account{Account: Account{
		ID: InternalAccountID, Name: "Redis Internal Resources", Provider: "AWS", Status: StatusActive,
	}}
	return st
}

// sorted lists the accounts by id, as the API does.
func (st *state) sorted() []*account {
	out := make([]*account, 0, len(st.accounts))
	for _, a := range st.accounts {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b *account) int { return a.ID - b.ID })
	return out
}

// taken reports which duplicate error, if any, a name and key id would
// cause next to the accounts other than except.
func (st *state) taken(name, keyID string, except int) string {
	for _, a := range st.accounts {
		switch {
		case a.ID == except:
		case name != "" && a.Name == name:
			return CodeNameExists
		case keyID != "" && a.AccessKeyID == keyID:
			return CodeAccessKeyExists
		}
	}
	return ""
}

// create makes the account at once (so a dropped answer still leaves it
// behind, as the real API does) unless the task is to fail.
func (st *state) create(in accountBody, o Options) *task {
	t := st.newTask(cmdCreate, o)
	if code := st.faults.takeTaskFailure(); code != "" {
		return t.fail(code)
	}
	if code := st.taken(*in.Name, *in.AccessKeyID, 0); code != "" {
		return t.fail(code)
	}
	a := &account{Account: Account{ID: st.nextID, Provider: *in.Provider}}
	st.nextID++
	a.apply(in)
	a.settle(StatusPending, o.StatusPendingGets, st.final)
	st.accounts[a.ID] = a
	t.resourceID = a.ID
	return t
}

// update changes the account at once unless the task is to fail.
func (st *state) update(a *account, in accountBody, o Options) *task {
	t := st.newTask(cmdUpdate, o)
	t.resourceID = a.ID
	if code := st.faults.takeTaskFailure(); code != "" {
		return t.fail(code)
	}
	if code := st.taken(deref(in.Name), *in.AccessKeyID, a.ID); code != "" {
		return t.fail(code)
	}
	a.apply(in)
	if !a.stuck {
		a.settle(StatusChangePending, o.StatusPendingGets, st.final)
	}
	return t
}

// remove deletes the account at once unless subscriptions use it.
func (st *state) remove(a *account, o Options) *task {
	t := st.newTask(cmdDelete, o)
	t.resourceID = a.ID
	if a.Used {
		return t.fail(CodeUsed)
	}
	delete(st.accounts, a.ID)
	return t
}

// apply copies the fields a body carries; absent ones stay as they were.
func (a *account) apply(in accountBody) {
	set := func(dst *string, v *string) {
		if v != nil && *v != "" {
			*dst = *v
		}
	}
	set(&a.Name, in.Name)
	set(&a.AccessKeyID, in.AccessKeyID)
	set(&a.ConsoleUsername, in.ConsoleUsername)
	set(&a.SignInLoginURL, in.SignInLoginURL)
	if in.AccessSecretKey != nil && *in.AccessSecretKey != "" {
		a.AccessSecretKey = Secret(*in.AccessSecretKey)
	}
	if in.ConsolePassword != nil && *in.ConsolePassword != "" {
		a.ConsolePassword = Secret(*in.ConsolePassword)
	}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

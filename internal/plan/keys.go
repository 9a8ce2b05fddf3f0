package plan

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/rciam/rciam/internal/bookkeeping"
	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/live"
	r "github.com/rciam/rciam/internal/resource"
	"github.com/rciam/rciam/internal/secret"
)

// KeyInUseError stops a plan: redislabs-user has access keys the stored
// secret does not belong to and that have been used, so they may be in use
// (by Redis Cloud, or a setup in another region) and are not provably
// orphans of a crashed run — and rciam cannot keep them all and make a new
// key (AWS allows two). Key ids are given in full: the user acts on them.
type KeyInUseError struct {
	Keys []live.AccessKey
	// Beside: the stored key is fine, and these are keys besides it.
	Beside bool
	Region string
}

func (e *KeyInUseError) Error() string {
	parts := make([]string, len(e.Keys))
	for i, k := range e.Keys {
		used := "never used"
		if k.LastUsed != nil {
			used = "last used " + k.LastUsed.UTC().Format(time.RFC3339)
		}
		parts[i] = fmt.Sprintf("%s (active, created %s, %s)", k.ID, k.Created.UTC().Format("2006-01-02"), used)
	}
	del := fmt.Sprintf("delete the one nothing uses (aws iam delete-access-key --user-name %s --access-key-id ID) and run apply again", r.UserName)
	if e.Beside {
		return fmt.Sprintf("%s has an active access key besides the stored one, and it has been used: %s; rciam does not know its secret and will not delete a key something may use: %s",
			r.UserName, strings.Join(parts, ", "), del)
	}
	return fmt.Sprintf("%s has %d access keys whose secret is not stored in %s in %s and that have been used: %s; AWS allows two keys, so rciam cannot keep them and make a new one: if rciam set this account up in another region pass that --region, otherwise %s",
		r.UserName, len(e.Keys), r.KeySecretName, e.Region, strings.Join(parts, ", "), del)
}

// keys plans the access key and its stored secret. The invariants: never
// more than two keys (AWS's limit), never delete a key that may be in use,
// and write a new key's secret before anything reports success.
func (c *computer) keys() error {
	userAddr := r.Addr(r.KindUser, r.UserName).String()
	sec := c.l.Secrets[r.KeySecretName]
	stored, how := c.l.StoredKey()
	previous, interrupted := c.l.Books.KeptKey(c.l.KeyIDs(), func(id string) bool { return c.l.Key(id).Active })
	keep := ""
	if k := c.l.Key(stored); k != nil && k.Active {
		keep = stored
	}

	var deletes, inUse []live.AccessKey
	for _, k := range c.l.Keys {
		addr := r.AccessKey(r.UserName, k.ID)
		owner := c.stackOwner(addr)
		switch {
		case k.ID == keep:
		case k.ID == previous:
			// kept by a rotation (grace period, or Redis Cloud not yet
			// switched): rotate-key deletes it.
		case k.Active && !(k.LastUsedRead && k.LastUsed == nil):
			inUse = append(inUse, k)
		case owner != "":
			c.b.warn(fmt.Sprintf("%s: inactive or never used, but stack %s owns it: left in place; update the stack", addr, owner))
		default:
			// Inactive: it cannot sign anything, nobody can be using it.
			// Never used: its secret was never stored.
			deletes = append(deletes, k)
		}
	}
	if interrupted {
		c.b.warn(fmt.Sprintf("a rotation was interrupted after storing the secret of key %s: key %s is kept as the previous key (Redis Cloud may still use it); run 'rciam rotate-key' to finish the rotation",
			stored, previous))
	}
	lost := ""
	if keep == "" && previous == "" && len(inUse) == 1 {
		// The key secret is lost (deleted, or its value no key's) and the
		// only key has been used: Redis Cloud may hold it. It is kept,
		// active, as the previous key beside a new one, as rotate-key
		// --grace keeps one; rotate-key moves Redis Cloud and deletes it.
		lost, previous, inUse = inUse[0].ID, inUse[0].ID, nil
		c.b.warn(fmt.Sprintf("the secret of access key %s is lost (%s), but the key has been used and Redis Cloud may hold it: it is kept, active, as the previous key, and a new key is made and stored; then run 'rciam rotate-key' to move Redis Cloud to the new key and delete %s",
			lost, c.lostWhy(sec), lost))
	}
	if len(inUse) > 0 {
		sort.Slice(inUse, func(i, j int) bool { return inUse[i].ID < inUse[j].ID })
		return &KeyInUseError{Keys: inUse, Beside: keep != "", Region: c.l.Region}
	}
	var deleteIDs []string
	for _, k := range deletes {
		addr := r.AccessKey(r.UserName, k.ID)
		why := "never used and its secret is not stored: left by an interrupted run"
		if !k.Active {
			why = "inactive"
			if k.ID == stored {
				why = "inactive: replaced by a new key"
			}
		}
		c.b.change(addr, Delete, why)
		deleteIDs = append(deleteIDs, c.b.step(Step{Op: OpDeleteAccessKey, Address: addr, Name: r.UserName, Target: k.ID}))
	}

	secAddr := r.Addr(r.KindSecret, r.KeySecretName)
	want := c.keySecretTags(keep, "")
	if interrupted {
		want = c.keySecretTags(keep, previous) // as rotate-key would have tagged it
	}
	if keep != "" {
		c.b.change(r.AccessKey(r.UserName, keep), NoOp)
		c.b.change(secAddr, NoOp)
		restore := ""
		if sec.Deleted != nil {
			c.b.change(secAddr, Update, "restore (scheduled for deletion)")
			restore = c.b.step(Step{Op: OpRestoreSecret, Address: secAddr, Name: r.KeySecretName})
		}
		if how == bookkeeping.ByAdopt && !c.o.NoAdoptTags {
			c.b.change(secAddr, Update, "adopt: the stored secret belongs to key "+secret.MaskKeyID(keep))
		}
		c.tagStep(secAddr, OpTagSecret, r.KeySecretName, want, sec.Tags, restore)
		return nil
	}

	// A new key, then its secret.
	c.registeredWarning("access key")
	if owner := c.stackOwner(secAddr); owner != "" {
		return fmt.Errorf("%s needs a new access key, but stack %s owns %s: update the stack (it makes the key and stores its secret)", r.UserName, owner, secAddr)
	}
	keyAddr := r.AccessKey(r.UserName, "(new)")
	c.b.change(keyAddr, Create)
	create := c.b.step(Step{Op: OpCreateAccessKey, Address: keyAddr, Name: r.UserName,
		Deps: append(deleteIDs, c.created[userAddr])})
	if lost != "" {
		want = c.keySecretTags("", lost)
	}
	st := Step{Op: OpStoreKeySecret, Address: secAddr, Name: r.KeySecretName, Tags: want,
		Description: c.desiredSecret(r.KeySecretName).Description, Deps: []string{create}}
	switch {
	case sec == nil:
		c.b.change(secAddr, Create, "the new key's secret")
	default:
		st.Exists, st.Restore = true, sec.Deleted != nil
		c.b.change(secAddr, Update, "store the new key's secret")
	}
	c.b.step(st)
	return nil
}

// registeredWarning says, when the account is registered with Redis Cloud
// (the cloud account id recorded on the key secret), that Redis Cloud keeps
// the old credential until it is sent the new one.
func (c *computer) registeredWarning(what string) {
	if id := c.l.Books.CloudAccount; id > 0 {
		c.b.warn(fmt.Sprintf("this account is registered with Redis Cloud (cloud account %d), which keeps the old %s: after apply, run 'rciam register --name NAME --force-update' to send it the new one",
			id, what))
	}
}

// lostWhy says how the key secret was lost.
func (c *computer) lostWhy(sec *live.Secret) string {
	if sec == nil || !sec.HasValue {
		return "secret " + r.KeySecretName + " does not exist in " + c.l.Region
	}
	return "the value of secret " + r.KeySecretName + " belongs to no key of " + r.UserName
}

// keySecretTags are the tags the key secret must carry: the desired ones
// and the bookkeeping of key keyID ("" for a new key: apply records it)
// and of the previous key kept beside it.
func (c *computer) keySecretTags(keyID, previous string) map[string]string {
	t := bookkeeping.KeySecretTags(c.d.Region, keyID, previous)
	for k, v := range c.desiredSecret(r.KeySecretName).Tags {
		t[k] = v
	}
	return t
}

func (c *computer) desiredSecret(name string) desired.Secret {
	for _, s := range c.d.Secrets {
		if s.Name == name {
			return s
		}
	}
	return desired.Secret{Name: name}
}

// password plans the console login and its stored password so that the
// stored password always equals the login profile's, whatever step a run
// dies after and however many runs go at once. A new password is always
// stored first, then set on the login; apply then confirms that the
// stored version is still the one it set (else sets the login to the one
// stored), and a run that overwrites a stored password or changes an
// existing login's marks the secret until then (internal/bookkeeping
// states the protocol). A fresh login and secret need no mark: the run
// that creates the login is the first writer of both, and every later
// writer confirms. A stopped run's mark (or this run's own unconfirmed
// one) makes the plan set a new password and remove it; another live
// run's is left to it.
func (c *computer) password() {
	userCreate := c.created[r.Addr(r.KindUser, r.UserName).String()]
	ps := c.l.Secrets[r.PasswordSecretName]
	lp := c.l.LoginProfile
	loginAddr := r.Addr(r.KindLoginProfile, r.UserName)
	secAddr := r.Addr(r.KindSecret, r.PasswordSecretName)
	ds := c.desiredSecret(r.PasswordSecretName)
	write := Step{Op: OpWritePassword, Address: secAddr, Name: r.PasswordSecretName, Description: ds.Description, Tags: ds.Tags}
	var stale []string
	if ps != nil {
		write.Exists, write.Restore = true, ps.Deleted != nil
		stale = c.l.Books.Stale()
		for _, m := range c.l.Books.OthersLive() {
			c.b.warn(fmt.Sprintf("%s: another run is changing the console password (%s, set %s): left to it", secAddr, m.Key, m.Value))
		}
	}
	newPassword := lp == nil || ps == nil || !ps.HasValue || len(stale) > 0
	if newPassword {
		c.registeredWarning("console password")
	}
	switch {
	case lp == nil:
		c.b.change(loginAddr, Create, "console password generated and stored first")
		c.b.change(secAddr, map[bool]Action{true: Update, false: Create}[ps != nil], "new console password")
		id := c.b.step(write)
		c.b.step(Step{Op: OpCreateLoginProfile, Address: loginAddr, Name: r.UserName, Deps: []string{id, userCreate}, Untag: stale})
	case newPassword:
		why := "the stored one is missing"
		if ps != nil && ps.HasValue {
			why = "a run stopped while changing it"
		}
		c.b.change(loginAddr, Update, "new console password ("+why+")")
		c.b.change(secAddr, map[bool]Action{true: Update, false: Create}[ps != nil], "new console password")
		write.Mark = true // the login exists: the secret is marked from its first write
		id := c.b.step(write)
		c.b.step(Step{Op: OpUpdateLoginProfile, Address: loginAddr, Name: r.UserName, Deps: []string{id}, Untag: stale})
	default:
		c.b.change(loginAddr, NoOp)
		c.b.change(secAddr, NoOp)
		if lp.PasswordResetRequired {
			c.b.change(loginAddr, Update, "clear PasswordResetRequired (Redis Cloud cannot change the password)")
			c.b.step(Step{Op: OpUpdateLoginProfile, Address: loginAddr, Name: r.UserName, ClearReset: true})
		}
		restore := ""
		if ps.Deleted != nil {
			c.b.change(secAddr, Update, "restore (scheduled for deletion)")
			restore = c.b.step(Step{Op: OpRestoreSecret, Address: secAddr, Name: r.PasswordSecretName})
		}
		c.tagStep(secAddr, OpTagSecret, r.PasswordSecretName, ds.Tags, ps.Tags, restore)
	}
}

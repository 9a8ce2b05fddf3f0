package rotate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/rciam/rciam/internal/awsclient"
	"github.com/rciam/rciam/internal/bookkeeping"
	"github.com/rciam/rciam/internal/live"
	r "github.com/rciam/rciam/internal/resource"
	"github.com/rciam/rciam/internal/secret"
)

// usedAfterSwitchMargin is how long after the switch a use of the old key
// is still the switch itself.
const usedAfterSwitchMargin = time.Minute

// Run rotates the key, or first finishes a rotation an earlier run left
// half done (then that is the rotation reported).
func (rt *Rotator) Run(ctx context.Context, l *live.State) (*Result, error) {
	st, err := read(l)
	if err != nil {
		return nil, err
	}
	if err := rt.repairBookkeeping(ctx, st); err != nil {
		return nil, err
	}
	if st.previous != "" {
		res, done, err := rt.finishPrevious(ctx, st, l)
		if err != nil || done {
			return res, err
		}
	}
	if err := rt.clearOthers(ctx, st); err != nil {
		return nil, err
	}
	return rt.rotate(ctx, st)
}

// repairBookkeeping makes the tags say what read settled (see
// interpretBookkeeping) before any step relies on them: stale tags go
// first, then an interrupted store's tags are written as storeSecret would
// have. A run that dies in between is read the same way again.
func (rt *Rotator) repairBookkeeping(ctx context.Context, st *state) error {
	if len(st.staleTags) > 0 {
		if err := rt.books().Untag(ctx, st.staleTags); err != nil {
			return awsclient.Wrap("clear the bookkeeping tags of an earlier rotation", err)
		}
	}
	if !st.retag {
		return nil
	}
	rt.logf("an earlier run stored the secret of %s but did not record it: recording it", secret.MaskKeyID(st.current.ID))
	return rt.books().RecordStored(ctx, st.current.ID, st.previous)
}

// finishPrevious completes what an earlier rotation left: done reports
// that it was a switch still in progress (that is this run's rotation).
func (rt *Rotator) finishPrevious(ctx context.Context, st *state, l *live.State) (*Result, bool, error) {
	prev := l.Key(st.previous)
	res := &Result{OldKeyID: prev.ID, NewKeyID: st.current.ID}
	if st.since == "" {
		// Died before Redis Cloud confirmed the new key: carry on forward.
		rt.logf("finishing the rotation to %s left by an earlier run", secret.MaskKeyID(st.current.ID))
		if rt.StoredSecret == nil || rt.StoredSecret.IsZero() {
			return nil, true, fmt.Errorf("cannot finish the rotation an earlier run left: the stored secret could not be read")
		}
		updated, err := rt.switchOver(ctx, st.current.ID, *rt.StoredSecret)
		res.CloudAccountUpdated = updated
		if err != nil && updated {
			return res, true, forward(err)
		}
		if err != nil {
			return res, true, fmt.Errorf("%w: the earlier rotation stays unfinished; run 'rciam rotate-key' again", err)
		}
		return res, true, rt.retire(ctx, prev.ID, res)
	}
	if prev.Active {
		return res, true, rt.retire(ctx, prev.ID, res)
	}
	// An inactive previous key kept by --grace.
	if st.deleteAfter != "" {
		if t, err := time.Parse(time.RFC3339, st.deleteAfter); err == nil && rt.now().Before(t) {
			return nil, true, fmt.Errorf("%w: the previous key %s is kept inactive until %s (--grace): rotate again after that",
				ErrRefused, secret.MaskKeyID(prev.ID), t.UTC().Format(time.RFC3339))
		}
	}
	switched, _ := time.Parse(time.RFC3339, st.since)
	last, err := rt.IAM.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(prev.ID)})
	if err != nil {
		return nil, true, awsclient.Wrap("read last use of "+secret.MaskKeyID(prev.ID), err)
	}
	// IAM records last use late and coarsely: only a use well after the
	// switch (the key was deactivated right after it) counts.
	if u := last.AccessKeyLastUsed; u != nil && u.LastUsedDate != nil && u.LastUsedDate.After(switched.Add(usedAfterSwitchMargin)) {
		return nil, true, fmt.Errorf("%w: the previous key %s was used at %s, after the switch at %s: find what still uses it before rotating again",
			ErrRefused, secret.MaskKeyID(prev.ID), u.LastUsedDate.UTC().Format(time.RFC3339), st.since)
	}
	if err := rt.deleteOld(ctx, prev.ID); err != nil {
		return nil, true, err
	}
	st.others = without(st.others, prev.ID)
	return nil, false, rt.after(StepFinishPrevious)
}

// clearOthers deletes keys provably orphaned (see orphaned) and refuses
// when another key may be in use.
func (rt *Rotator) clearOthers(ctx context.Context, st *state) error {
	h := &history{lister: rt.Secrets}
	for _, o := range st.others {
		why, err := rt.orphaned(ctx, st, o, h)
		if err != nil {
			return err
		}
		if why == whyDiscarded {
			rt.logf("deleting key %s: %s", secret.MaskKeyID(o.ID), why)
		}
		if _, err := rt.IAM.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(st.user), AccessKeyId: aws.String(o.ID)}); err != nil && !awsclient.IsNotFound(err) {
			return awsclient.Wrap("delete orphaned key "+secret.MaskKeyID(o.ID), err)
		}
	}
	return nil
}

// whyDiscarded is why a used key rciam replaced may go.
const whyDiscarded = "used, but rciam stored its secret and later replaced it, and it was not used after that: a key an interrupted run discarded"

// orphaned says why another key of the user may be deleted, or refuses:
// a key a CloudFormation stack owns is never touched (refused); an
// inactive key cannot sign anything; a never-used one cannot be in use; a
// used one is rciam's own discarded key when the key secret's history
// holds its version (internal/bookkeeping), that version is no longer the
// current one, Redis Cloud (when registered) does not hold it — asked
// because IAM records a recent use late — and it was last used no later
// than the version that replaced it was created (plus
// bookkeeping.UsedAfterReplaceMargin).
// Whoever read the secret before it was replaced (a concurrent apply's
// outputs, a pipeline that registered Redis Cloud itself) may use the key
// since: any later use, or a date that cannot be read, is refused.
func (rt *Rotator) orphaned(ctx context.Context, st *state, o live.AccessKey, h *history) (string, error) {
	mask := secret.MaskKeyID(o.ID)
	if stack := st.stackOwned[r.AccessKey(st.user, o.ID).String()]; stack != "" {
		return "", fmt.Errorf("%w: %s's second key %s belongs to CloudFormation stack %s, and rotate-key does not change a stack's entities: update or delete the stack so it no longer holds the key, then rotate",
			ErrRefused, st.user, mask, stack)
	}
	switch {
	case !o.Active:
		return "inactive", nil
	case o.LastUsedRead && o.LastUsed == nil:
		return "never used", nil
	}
	hist, err := h.read(ctx)
	if err != nil {
		return "", err
	}
	if seen, current := hist.Stored(o.ID); !seen || current {
		return "", fmt.Errorf("%w: %s has a second key %s (active, created %s) whose secret rciam does not hold: delete it or run 'rciam apply', then rotate",
			ErrRefused, st.user, mask, o.Created.UTC().Format("2006-01-02"))
	}
	if rt.Redis != nil {
		holds, err := rt.Redis.Holds(ctx, o.ID)
		if err != nil {
			return "", fmt.Errorf("check whether the Redis Cloud cloud account uses key %s: %w", mask, err)
		}
		if holds {
			return "", fmt.Errorf("%w: the Redis Cloud cloud account uses key %s, whose secret rciam no longer stores (it was replaced by %s's): run 'rciam register --name <its name>' to give it the stored key, then rotate",
				ErrRefused, mask, secret.MaskKeyID(st.current.ID))
		}
	}
	deleteIt := fmt.Sprintf("once nothing uses it, delete it with 'aws iam delete-access-key --user-name %s --access-key-id <its id>', then rotate", st.user)
	replaced, known := hist.ReplacedAt(o.ID)
	switch {
	case !known:
		return "", fmt.Errorf("%w: the secret of key %s was stored in %s and later replaced, but when it was replaced cannot be told from the secret's version history (a creation date is missing), so it may have been used since: %s",
			ErrRefused, mask, r.KeySecretName, deleteIt)
	case !o.LastUsedRead || o.LastUsed == nil:
		return "", fmt.Errorf("%w: the secret of key %s was stored in %s and later replaced (at %s), but when the key was last used is unknown, so it may be in use: %s",
			ErrRefused, mask, r.KeySecretName, replaced.UTC().Format(time.RFC3339), deleteIt)
	case o.LastUsed.After(replaced.Add(bookkeeping.UsedAfterReplaceMargin)):
		return "", fmt.Errorf("%w: the secret of key %s was stored in %s and later replaced (at %s), but the key has been used since (last at %s), so something may still use it: %s",
			ErrRefused, mask, r.KeySecretName, replaced.UTC().Format(time.RFC3339), o.LastUsed.UTC().Format(time.RFC3339), deleteIt)
	}
	return whyDiscarded, nil
}

// history is the key secret's version history, listed on first use.
type history struct {
	lister bookkeeping.VersionLister
	h      *bookkeeping.History
}

func (h *history) read(ctx context.Context) (*bookkeeping.History, error) {
	if h.h == nil {
		hist, err := bookkeeping.ReadHistory(ctx, h.lister)
		if err != nil {
			return nil, err
		}
		h.h = hist
	}
	return h.h, nil
}

func (rt *Rotator) rotate(ctx context.Context, st *state) (*Result, error) {
	old := st.current.ID
	res := &Result{OldKeyID: old}
	out, err := rt.IAM.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(st.user)})
	if err != nil {
		return nil, awsclient.Wrap("create the new access key", err)
	}
	newID, newSecret := aws.ToString(out.AccessKey.AccessKeyId), secret.New(aws.ToString(out.AccessKey.SecretAccessKey))
	res.NewKeyID = newID
	rt.logf("created access key %s", secret.MaskKeyID(newID))
	stored := false
	fail := func(step string, err error) (*Result, error) {
		return res, rt.rollback(ctx, st, newID, stored, step, err)
	}
	if err := rt.after(StepCreateKey); err != nil {
		return fail(StepCreateKey, err)
	}
	if err := rt.storeSecret(ctx, newID, newSecret, old); err != nil {
		stored = true // partly, perhaps: restore to be sure
		return fail(StepStoreSecret, err)
	}
	stored = true
	if err := rt.after(StepStoreSecret); err != nil {
		return fail(StepStoreSecret, err)
	}
	updated, err := rt.switchOver(ctx, newID, newSecret)
	res.CloudAccountUpdated = updated
	if err != nil {
		if !updated {
			return fail(StepUpdateRedis, err)
		}
		return res, forward(err)
	}
	return res, rt.retire(ctx, old, res)
}

// switchOver proves the new key works, moves Redis Cloud to it (unless it
// holds it already), and records that the switch happened. updated reports
// whether Redis Cloud holds the new key (then a failure rolls forward).
func (rt *Rotator) switchOver(ctx context.Context, newID string, newSecret secret.Value) (updated bool, err error) {
	if err := rt.Gate.Wait(ctx, newID, newSecret); err != nil {
		return false, err
	}
	if err := rt.after(StepKeyWorks); err != nil {
		return false, err
	}
	if rt.Redis != nil {
		if holds, err := rt.Redis.Holds(ctx, newID); err != nil || !holds {
			if err := rt.Redis.Update(ctx, newID, newSecret); err != nil {
				// The update may have taken effect although its answer failed.
				if holds, herr := rt.Redis.Holds(ctx, newID); herr == nil && holds {
					return true, err
				}
				return false, err
			}
		}
		updated = true
		if err := rt.after(StepUpdateRedis); err != nil {
			return true, err
		}
	}
	return updated, rt.mark(ctx)
}

// retire deactivates the old key and deletes it, or keeps it inactive for
// the grace period. Failures here roll forward.
func (rt *Rotator) retire(ctx context.Context, old string, res *Result) error {
	if _, err := rt.IAM.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String(r.UserName), AccessKeyId: aws.String(old), Status: iamtypes.StatusTypeInactive}); err != nil && !awsclient.IsNotFound(err) {
		return forward(awsclient.Wrap("deactivate the old key "+secret.MaskKeyID(old), err))
	}
	if err := rt.after(StepDeactivateOld); err != nil {
		return forward(err)
	}
	if rt.Grace > 0 {
		res.KeptUntil = rt.now().Add(rt.Grace).UTC().Truncate(time.Second)
		return rt.books().RecordDeleteAfter(ctx, res.KeptUntil)
	}
	if err := rt.deleteOld(ctx, old); err != nil {
		return forward(err)
	}
	return nil
}

func (rt *Rotator) deleteOld(ctx context.Context, old string) error {
	if _, err := rt.IAM.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(r.UserName), AccessKeyId: aws.String(old)}); err != nil && !awsclient.IsNotFound(err) {
		return awsclient.Wrap("delete the old key "+secret.MaskKeyID(old), err)
	}
	if err := rt.after(StepDeleteOld); err != nil {
		return err
	}
	return rt.books().ClearRotation(ctx)
}

// storeSecret writes the new key's secret (the old value becomes
// AWSPREVIOUS) and records both keys.
func (rt *Rotator) storeSecret(ctx context.Context, newID string, value secret.Value, old string) error {
	return awsclient.Wrap("store the new key's secret", rt.books().StoreKey(ctx, bookkeeping.KeyWrite{KeyID: newID, Secret: value, Exists: true, Previous: old}))
}

// mark records that Redis Cloud was switched to the new key.
func (rt *Rotator) mark(ctx context.Context) error {
	if err := rt.books().RecordSwitched(ctx, rt.now()); err != nil {
		return err
	}
	return rt.after(StepMarkSwitched)
}

// rollback undoes a rotation that failed before Redis Cloud took the new
// key: the books put the old key's secret back (bookkeeping.Books.RollBack
// says in which order), then the new key is deleted. It runs even after an
// interrupt, bounded on its own.
func (rt *Rotator) rollback(ctx context.Context, st *state, newID string, stored bool, step string, cause error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	old := st.current.ID
	var errs []string
	if stored {
		var oldValue secret.Value
		if rt.StoredSecret != nil {
			oldValue = *rt.StoredSecret
		}
		if err := rt.books().RollBack(ctx, old, newID, oldValue, st.versionID); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) == 0 {
		if _, err := rt.IAM.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(st.user), AccessKeyId: aws.String(newID)}); err != nil && !awsclient.IsNotFound(err) {
			errs = append(errs, "delete the new key: "+awsclient.Short(err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("rotation failed at %s (%v) and the rollback did not finish (%s): run 'rciam rotate-key' or 'rciam apply' again", step, cause, errs[0])
	}
	return fmt.Errorf("rotation failed at %s (%v); %w: key %s is still active, stored and used by Redis Cloud", step, cause, ErrRolledBack, secret.MaskKeyID(old))
}

// forward marks an error after Redis Cloud took the new key: nothing is
// undone, the next run finishes.
func forward(err error) error {
	return fmt.Errorf("%w; %w: run 'rciam rotate-key' again to retire the old one", err, ErrForward)
}

// ErrRolledBack and ErrForward say how a failed rotation left the account.
var (
	ErrRolledBack = errors.New("rolled back")
	//lint:ignore ST1005 "Redis Cloud" is a name, and the text is the end of a sentence
	ErrForward = errors.New("Redis Cloud already uses the new key")
)

func without(keys []live.AccessKey, id string) []live.AccessKey {
	var out []live.AccessKey
	for _, k := range keys {
		if k.ID != id {
			out = append(out, k)
		}
	}
	return out
}

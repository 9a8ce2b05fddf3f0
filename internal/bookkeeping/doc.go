// Package bookkeeping is rciam's memory between runs and the protocol that
// keeps it true when runs crash, stop or overlap. rciam keeps no local state
// and makes no lock: everything it must remember is in tags (keys prefixed
// "rciam:") and version ids on the two secrets it manages, read into one
// [Record] and changed only through [Books]. Every command reads the record
// the same way; plan, apply, rotate-key, register, verify and destroy
// decide on it and write through Books.
//
// # What is recorded
//
// On the key secret (/redislabsuser/secret_access_key):
//
//   - which access key the stored secret belongs to. The secret of key K is
//     always stored under the version id [KeyVersionID](K) — written
//     atomically with the value — and then the tag rciam:access-key-id=K.
//     So the key a stored secret belongs to is known even when a run died
//     between the two writes: by version id first, else by the tag, else
//     (a secret rciam did not write, e.g. the CloudFormation template's)
//     the account's only key ([Record.StoredKey]);
//   - rciam:region, the region the two secrets live in;
//   - rciam:cloud-account-id, the Redis Cloud cloud account the AWS account
//     is registered as: written by register ([Books.RecordCloudAccount]),
//     removed by destroy --deregister once the cloud account is deleted
//     ([Books.ForgetCloudAccount]), so that a later apply that restores the
//     secret does not resurrect a registration that ended;
//   - while a rotation keeps a second key: rciam:previous-access-key-id (the
//     key being replaced, recorded in the same write as the new key's
//     rciam:access-key-id), rciam:previous-since (when Redis Cloud was
//     moved to the new key) and, with --grace, rciam:previous-delete-after.
//     They are removed when the previous key is deleted.
//
// On the password secret (/redislabsuser/password): a mark
// rciam:password-pending:<run token>, present only while a run changes the
// console password (below).
//
// # Keys: which may be deleted
//
// AWS allows two access keys per user, and a key whose secret is lost is
// useless but still counts. A key other than the stored one may be
// deleted only when it provably is nobody's:
//
//   - it is inactive (it cannot sign anything), or never used since its
//     creation (its secret was never stored: a crashed run's key);
//   - or it is a key rciam itself stored and then discarded: the key
//     secret's version history ([ReadHistory]) holds its version, that
//     version is no longer current, it was last used no later than the
//     version that replaced it was created (plus [UsedAfterReplaceMargin]:
//     IAM records use late and coarsely), and Redis Cloud does not hold it.
//
// A key rciam keeps on purpose is never an orphan: the previous key a
// rotation records, and the key an interrupted rotation was replacing
// ([Record.InterruptedStore]: the version id names the new key but the tag
// still names an existing other one and no previous key is recorded — the
// rotation died between storing and tagging and is finished forward).
// During apply's read-back, a key that appeared during the run, that the run
// did not make and whose secret is not stored yet is another live run's: it
// is waited for, never deleted (the run that stores last wins; the loser's
// key, stored then replaced, is deleted by the rule above).
//
// A rotation that fails before Redis Cloud took the new key rolls back in
// this order: the key-id tag goes back to the old key first, then the old
// value is restored, then the rotation tags are removed ([Books.RollBack]).
// Until the value is restored its version id still names the new key, so a
// run that dies in between is finished forward; once restored, the tag
// names the key it belongs to.
//
// # The console password
//
// The password lives in two places that are each last-writer-wins and have
// no compare-and-swap: the login profile (IAM never shows its password) and
// the password secret. Four steps keep them equal:
//
//  1. store the password ([Books.StorePassword]: CreateSecret, or
//     PutSecretValue after marking the secret with this run's mark);
//  2. set it on the login, inside the mark's cover ([Books.Fenced]);
//  3. confirm ([Books.Confirm]): read the secret; while its current version
//     is not the one this run's login write was based on, another run
//     stored a password since — set the login to that one and read again;
//  4. remove this run's mark, and the stopped runs' marks the plan named.
//
// Whatever the interleaving, the last login write is followed by a
// confirmation against the last stored version, so once every run has
// confirmed, the login holds the stored password; a run that dies before
// confirming leaves its mark, and the next plan sets a new password. A run
// that creates both the secret and the login wrote each first and needs
// neither mark nor confirmation (no extra request).
//
// A mark is the tag key rciam:password-pending:<8 hex digits>, valued with
// the time it was put, in AWS's time (this machine's clock plus the offset
// read from the caller identity answer, so runs on machines with skewed
// clocks agree). A mark younger than [MarkLease] is a live run's: plan
// leaves it, apply's read-back waits for it, verify fails on it, register
// and rotate-key refuse. An older one is a stopped run's: the next plan sets
// a new password and removes it. So a run never writes outside its mark's
// cover: each protocol write renews the mark (under a new key: another run
// may already list the old one as stale) when it is within 2×[MarkFence] of
// the lease, and is abandoned if it would still be running [MarkFence]
// before the lease ends. A run that stops holding its mark (an error,
// Ctrl-C, --timeout) re-dates it "stopped <time>" ([Books.Abandon]), live
// for [StoppedGrace] more — a request it sent may still land — so the next
// apply replaces the password within seconds. A run's own unconfirmed mark
// ([Books.Claim]) makes its next pass redo the change rather than wait for
// "another run".
package bookkeeping

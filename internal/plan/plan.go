// Package plan computes, without any I/O, the difference between the
// desired set and the live account: a Change per entity for people to read,
// and Steps — single AWS operations with the steps they wait for — for
// apply to run. The plan is pure data; explanation fields never steer apply.
package plan

import (
	"sort"

	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/note"
	"github.com/rciam/rciam/internal/resource"
)

// Action is what happens to one entity. Its String gives the words of plan's output (docs/commands.md).
type Action int

const (
	NoOp Action = iota
	Update
	Create
	Delete
)

func (a Action) String() string {
	switch a {
	case Create:
		return "create"
	case Update:
		return "update"
	case Delete:
		return "delete"
	}
	return "no-op"
}

// Change is one entity's line in the plan.
type Change struct {
	Address resource.Address
	Action  Action
	// Details are readable lines: document diffs, attachments, tags (text
	// output shortens their lists, JSON never).
	Details []note.Line
}

// Op is one AWS operation kind apply knows how to run.
type Op string

const (
	OpCreatePolicy          Op = "CreatePolicy"
	OpUpdatePolicy          Op = "UpdatePolicy" // [DeletePolicyVersion] CreatePolicyVersion SetDefaultPolicyVersion
	OpTagPolicy             Op = "TagPolicy"
	OpCreateRole            Op = "CreateRole"
	OpUpdateTrust           Op = "UpdateAssumeRolePolicy"
	OpTagRole               Op = "TagRole"
	OpAttachRolePolicy      Op = "AttachRolePolicy"
	OpDetachRolePolicy      Op = "DetachRolePolicy"
	OpDeleteRoleInline      Op = "DeleteRolePolicy"
	OpCreateProfile         Op = "CreateInstanceProfile"
	OpTagProfile            Op = "TagInstanceProfile"
	OpAddRoleToProfile      Op = "AddRoleToInstanceProfile"
	OpRemoveRoleFromProfile Op = "RemoveRoleFromInstanceProfile"
	OpCreateUser            Op = "CreateUser"
	OpTagUser               Op = "TagUser"
	OpAttachUserPolicy      Op = "AttachUserPolicy"
	OpDetachUserPolicy      Op = "DetachUserPolicy"
	OpDeleteUserInline      Op = "DeleteUserPolicy"
	OpRemoveUserFromGroup   Op = "RemoveUserFromGroup"
	OpCreateAccessKey       Op = "CreateAccessKey"
	OpDeleteAccessKey       Op = "DeleteAccessKey"
	OpStoreKeySecret        Op = "StoreKeySecret" // CreateSecret, or [RestoreSecret] PutSecretValue TagResource
	OpWritePassword         Op = "WritePassword"  // CreateSecret, or [RestoreSecret] PutSecretValue
	OpCreateLoginProfile    Op = "CreateLoginProfile"
	OpUpdateLoginProfile    Op = "UpdateLoginProfile"
	OpRestoreSecret         Op = "RestoreSecret"
	OpTagSecret             Op = "TagSecret"
	OpDeletePolicyVersion   Op = "DeletePolicyVersion"
	OpDeletePolicy          Op = "DeletePolicy"
	OpDeleteRole            Op = "DeleteRole"
	OpDeleteProfile         Op = "DeleteInstanceProfile"
	OpDeleteLoginProfile    Op = "DeleteLoginProfile"
	OpDeleteUser            Op = "DeleteUser"
	OpDeleteSecret          Op = "DeleteSecret"
	OpDeactivateMFA         Op = "DeactivateMFADevice"
	OpDeleteSSHKey          Op = "DeleteSSHPublicKey"
	OpDeleteSigningCert     Op = "DeleteSigningCertificate"
	OpDeleteUserBoundary    Op = "DeleteUserPermissionsBoundary"
	OpDeleteRoleBoundary    Op = "DeleteRolePermissionsBoundary"
)

// Step is one operation. Its fields are the operation's parameters; which
// ones apply depends on Op.
type Step struct {
	ID      string // unique within the plan: "<Op> <address>[ <target>]"
	Op      Op
	Address resource.Address
	Deps    []string // IDs of steps that must succeed first

	Name        string            // entity the op acts on (role, user, policy ARN for policy ops, secret name)
	Target      string            // second operand: policy ARN, role name, key id, group, version id
	Document    []byte            // policy or trust document
	Description string            // on create
	Tags        map[string]string // on create and tag ops
	// DeleteVersion is, for OpUpdatePolicy, the non-default version to
	// delete first because the policy already has five.
	DeleteVersion string
	// Exists and Restore tell secret ops what they meet: an existing secret
	// (put a value rather than create) and one scheduled for deletion.
	Exists, Restore bool
	// ClearReset asks OpUpdateLoginProfile to set PasswordResetRequired=false
	// without a new password.
	ClearReset bool
	// ForceDelete deletes a secret without a recovery window.
	ForceDelete bool
	// Untag lists, on the login step, the TagPasswordPending marks of runs
	// that stopped: removed once the login is confirmed to hold the stored
	// password.
	Untag []string
	// Mark asks OpWritePassword to mark the password secret from its first
	// write, CreateSecret included: the login exists.
	Mark bool
}

// Plan is the full result of a comparison.
type Plan struct {
	Account string
	Layout  desired.Layout
	Source  string // policy version or source
	Changes []Change
	Steps   []Step
	// Warnings are differences rciam reports but does not change
	// (descriptions, paths, stack-owned entities, policies that deny).
	Warnings []note.Line
	// Teardown: a destroy's plan (Destroy); Left are the entities it
	// leaves in place, and why.
	Teardown bool
	Left     []Left
}

// Left is an entity a destroy leaves in place.
type Left struct {
	Address resource.Address
	Why     string
}

// HasChanges reports whether applying the plan would call AWS.
func (p *Plan) HasChanges() bool { return len(p.Steps) > 0 }

// Counts returns how many entities are created, updated and deleted.
func (p *Plan) Counts() (create, update, del int) {
	for _, c := range p.Changes {
		switch c.Action {
		case Create:
			create++
		case Update:
			update++
		case Delete:
			del++
		}
	}
	return
}

// builder accumulates changes and steps while a plan is computed.
type builder struct {
	p       *Plan
	changes map[string]*Change
	order   []string
	steps   map[string]bool
}

func newBuilder(p *Plan) *builder {
	return &builder{p: p, changes: map[string]*Change{}, steps: map[string]bool{}}
}

// change records (or raises) the action on addr and adds plain detail
// lines.
func (b *builder) change(addr resource.Address, a Action, details ...string) {
	b.detail(addr, a, lines(details)...)
}

// detail records (or raises) the action on addr and adds detail lines.
func (b *builder) detail(addr resource.Address, a Action, details ...note.Line) {
	k := addr.String()
	c, ok := b.changes[k]
	if !ok {
		c = &Change{Address: addr}
		b.changes[k] = c
		b.order = append(b.order, k)
	}
	if a > c.Action {
		c.Action = a
	}
	c.Details = append(c.Details, details...)
}

// step adds s (ID derived) and returns its ID; a step with the same ID is
// added once. Empty dependency IDs are dropped, so callers can pass "the
// create step, if any".
func (b *builder) step(s Step) string {
	s.ID = stepID(s)
	if b.steps[s.ID] {
		return s.ID
	}
	b.steps[s.ID] = true
	deps := s.Deps[:0:0]
	for _, d := range s.Deps {
		if d != "" {
			deps = append(deps, d)
		}
	}
	s.Deps = deps
	b.p.Steps = append(b.p.Steps, s)
	return s.ID
}

func (b *builder) warn(msg string) { b.warnLine(note.New(msg)) }

func (b *builder) warnLine(l note.Line) { b.p.Warnings = append(b.p.Warnings, l) }

// finish orders changes: by kind in dependency order, then by name.
func (b *builder) finish() *Plan {
	rank := map[resource.Kind]int{resource.KindPolicy: 0, resource.KindRole: 1, resource.KindInstanceProfile: 2,
		resource.KindUser: 3, resource.KindAccessKey: 4, resource.KindLoginProfile: 5, resource.KindSecret: 6}
	for _, k := range b.order {
		b.p.Changes = append(b.p.Changes, *b.changes[k])
	}
	sort.SliceStable(b.p.Changes, func(i, j int) bool {
		a, c := b.p.Changes[i].Address, b.p.Changes[j].Address
		if rank[a.Kind] != rank[c.Kind] {
			return rank[a.Kind] < rank[c.Kind]
		}
		return a.Name < c.Name
	})
	return b.p
}

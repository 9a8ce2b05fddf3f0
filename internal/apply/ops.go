package apply

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/rciam/rciam/internal/awsclient"
	"github.com/rciam/rciam/internal/bookkeeping"
	"github.com/rciam/rciam/internal/plan"
	r "github.com/rciam/rciam/internal/resource"
	"github.com/rciam/rciam/internal/secret"
)

// IAM is the part of the IAM API apply writes with.
type IAM interface {
	CreatePolicy(context.Context, *iam.CreatePolicyInput, ...func(*iam.Options)) (*iam.CreatePolicyOutput, error)
	CreatePolicyVersion(context.Context, *iam.CreatePolicyVersionInput, ...func(*iam.Options)) (*iam.CreatePolicyVersionOutput, error)
	SetDefaultPolicyVersion(context.Context, *iam.SetDefaultPolicyVersionInput, ...func(*iam.Options)) (*iam.SetDefaultPolicyVersionOutput, error)
	DeletePolicyVersion(context.Context, *iam.DeletePolicyVersionInput, ...func(*iam.Options)) (*iam.DeletePolicyVersionOutput, error)
	DeletePolicy(context.Context, *iam.DeletePolicyInput, ...func(*iam.Options)) (*iam.DeletePolicyOutput, error)
	TagPolicy(context.Context, *iam.TagPolicyInput, ...func(*iam.Options)) (*iam.TagPolicyOutput, error)
	CreateRole(context.Context, *iam.CreateRoleInput, ...func(*iam.Options)) (*iam.CreateRoleOutput, error)
	UpdateAssumeRolePolicy(context.Context, *iam.UpdateAssumeRolePolicyInput, ...func(*iam.Options)) (*iam.UpdateAssumeRolePolicyOutput, error)
	TagRole(context.Context, *iam.TagRoleInput, ...func(*iam.Options)) (*iam.TagRoleOutput, error)
	AttachRolePolicy(context.Context, *iam.AttachRolePolicyInput, ...func(*iam.Options)) (*iam.AttachRolePolicyOutput, error)
	DetachRolePolicy(context.Context, *iam.DetachRolePolicyInput, ...func(*iam.Options)) (*iam.DetachRolePolicyOutput, error)
	DeleteRolePolicy(context.Context, *iam.DeleteRolePolicyInput, ...func(*iam.Options)) (*iam.DeleteRolePolicyOutput, error)
	DeleteRole(context.Context, *iam.DeleteRoleInput, ...func(*iam.Options)) (*iam.DeleteRoleOutput, error)
	CreateInstanceProfile(context.Context, *iam.CreateInstanceProfileInput, ...func(*iam.Options)) (*iam.CreateInstanceProfileOutput, error)
	TagInstanceProfile(context.Context, *iam.TagInstanceProfileInput, ...func(*iam.Options)) (*iam.TagInstanceProfileOutput, error)
	AddRoleToInstanceProfile(context.Context, *iam.AddRoleToInstanceProfileInput, ...func(*iam.Options)) (*iam.AddRoleToInstanceProfileOutput, error)
	RemoveRoleFromInstanceProfile(context.Context, *iam.RemoveRoleFromInstanceProfileInput, ...func(*iam.Options)) (*iam.RemoveRoleFromInstanceProfileOutput, error)
	DeleteInstanceProfile(context.Context, *iam.DeleteInstanceProfileInput, ...func(*iam.Options)) (*iam.DeleteInstanceProfileOutput, error)
	CreateUser(context.Context, *iam.CreateUserInput, ...func(*iam.Options)) (*iam.CreateUserOutput, error)
	TagUser(context.Context, *iam.TagUserInput, ...func(*iam.Options)) (*iam.TagUserOutput, error)
	AttachUserPolicy(context.Context, *iam.AttachUserPolicyInput, ...func(*iam.Options)) (*iam.AttachUserPolicyOutput, error)
	DetachUserPolicy(context.Context, *iam.DetachUserPolicyInput, ...func(*iam.Options)) (*iam.DetachUserPolicyOutput, error)
	DeleteUserPolicy(context.Context, *iam.DeleteUserPolicyInput, ...func(*iam.Options)) (*iam.DeleteUserPolicyOutput, error)
	RemoveUserFromGroup(context.Context, *iam.RemoveUserFromGroupInput, ...func(*iam.Options)) (*iam.RemoveUserFromGroupOutput, error)
	DeleteUser(context.Context, *iam.DeleteUserInput, ...func(*iam.Options)) (*iam.DeleteUserOutput, error)
	CreateAccessKey(context.Context, *iam.CreateAccessKeyInput, ...func(*iam.Options)) (*iam.CreateAccessKeyOutput, error)
	DeleteAccessKey(context.Context, *iam.DeleteAccessKeyInput, ...func(*iam.Options)) (*iam.DeleteAccessKeyOutput, error)
	CreateLoginProfile(context.Context, *iam.CreateLoginProfileInput, ...func(*iam.Options)) (*iam.CreateLoginProfileOutput, error)
	UpdateLoginProfile(context.Context, *iam.UpdateLoginProfileInput, ...func(*iam.Options)) (*iam.UpdateLoginProfileOutput, error)
	DeleteLoginProfile(context.Context, *iam.DeleteLoginProfileInput, ...func(*iam.Options)) (*iam.DeleteLoginProfileOutput, error)
	DeactivateMFADevice(context.Context, *iam.DeactivateMFADeviceInput, ...func(*iam.Options)) (*iam.DeactivateMFADeviceOutput, error)
	DeleteSSHPublicKey(context.Context, *iam.DeleteSSHPublicKeyInput, ...func(*iam.Options)) (*iam.DeleteSSHPublicKeyOutput, error)
	DeleteSigningCertificate(context.Context, *iam.DeleteSigningCertificateInput, ...func(*iam.Options)) (*iam.DeleteSigningCertificateOutput, error)
	DeleteUserPermissionsBoundary(context.Context, *iam.DeleteUserPermissionsBoundaryInput, ...func(*iam.Options)) (*iam.DeleteUserPermissionsBoundaryOutput, error)
	DeleteRolePermissionsBoundary(context.Context, *iam.DeleteRolePermissionsBoundaryInput, ...func(*iam.Options)) (*iam.DeleteRolePermissionsBoundaryOutput, error)
}

// Secrets is the part of the Secrets Manager API apply writes with: the
// books' part (bookkeeping.Secrets) and deletes.
type Secrets interface {
	bookkeeping.Secrets
	DeleteSecret(context.Context, *secretsmanager.DeleteSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DeleteSecretOutput, error)
}

// run executes one step; its error names what was being done.
func (e *Executor) run(ctx context.Context, s plan.Step) error {
	what := describe(s)
	e.logf("%s", what)
	return awsclient.Wrap(what, e.do(ctx, s))
}

func (e *Executor) do(ctx context.Context, s plan.Step) error {
	n, t := aws.String(s.Name), aws.String(s.Target)
	switch s.Op {
	case plan.OpCreatePolicy:
		_, err := e.IAM.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: n, PolicyDocument: doc(s),
			Description: aws.String(s.Description), Tags: iamTags(s.Tags)})
		return ignore(err, alreadyExists)
	case plan.OpUpdatePolicy:
		return e.updatePolicy(ctx, s)
	case plan.OpTagPolicy:
		_, err := e.IAM.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: n, Tags: iamTags(s.Tags)})
		return err
	case plan.OpCreateRole:
		return ignore(e.withConsistency(ctx, s.ID, principalNotYetValid, func(ctx context.Context) error {
			_, err := e.IAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: n, AssumeRolePolicyDocument: doc(s),
				Description: aws.String(s.Description), Tags: iamTags(s.Tags)})
			return err
		}), alreadyExists)
	case plan.OpUpdateTrust:
		return e.withConsistency(ctx, s.ID, principalNotYetValid, func(ctx context.Context) error {
			_, err := e.IAM.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: n, PolicyDocument: doc(s)})
			return err
		})
	case plan.OpTagRole:
		_, err := e.IAM.TagRole(ctx, &iam.TagRoleInput{RoleName: n, Tags: iamTags(s.Tags)})
		return err
	case plan.OpAttachRolePolicy:
		return e.withConsistency(ctx, s.ID, notYetVisible, func(ctx context.Context) error {
			_, err := e.IAM.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: n, PolicyArn: t})
			return err
		})
	case plan.OpCreateProfile:
		_, err := e.IAM.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: n, Tags: iamTags(s.Tags)})
		return ignore(err, alreadyExists)
	case plan.OpTagProfile:
		_, err := e.IAM.TagInstanceProfile(ctx, &iam.TagInstanceProfileInput{InstanceProfileName: n, Tags: iamTags(s.Tags)})
		return err
	case plan.OpAddRoleToProfile:
		return ignore(e.withConsistency(ctx, s.ID, notYetVisible, func(ctx context.Context) error {
			_, err := e.IAM.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: n, RoleName: t})
			return err
		}), profileFull)
	case plan.OpRemoveRoleFromProfile:
		_, err := e.IAM.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: n, RoleName: t})
		return ignore(err, alreadyGone)
	case plan.OpCreateUser:
		_, err := e.IAM.CreateUser(ctx, &iam.CreateUserInput{UserName: n, Tags: iamTags(s.Tags)})
		return ignore(err, alreadyExists)
	case plan.OpTagUser:
		_, err := e.IAM.TagUser(ctx, &iam.TagUserInput{UserName: n, Tags: iamTags(s.Tags)})
		return err
	case plan.OpAttachUserPolicy:
		return e.withConsistency(ctx, s.ID, notYetVisible, func(ctx context.Context) error {
			_, err := e.IAM.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: n, PolicyArn: t})
			return err
		})
	case plan.OpCreateAccessKey:
		return e.createKey(ctx, s)
	case plan.OpDeleteAccessKey:
		_, err := e.IAM.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: n, AccessKeyId: t})
		return ignore(err, alreadyGone)
	case plan.OpStoreKeySecret:
		return e.storeKeySecret(ctx, s)
	case plan.OpWritePassword:
		return e.writePassword(ctx, s)
	case plan.OpCreateLoginProfile, plan.OpUpdateLoginProfile:
		return e.loginProfile(ctx, s)
	case plan.OpRestoreSecret:
		_, err := e.Secrets.RestoreSecret(ctx, &secretsmanager.RestoreSecretInput{SecretId: n})
		return err
	case plan.OpTagSecret:
		_, err := e.Secrets.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: n, Tags: smTags(s.Tags)})
		return err
	}
	return e.destroyOp(ctx, s)
}

// describe renders a step as "<verb> <address>" for progress and errors.
func describe(s plan.Step) string {
	msg := fmt.Sprintf("%s %s", s.Op, s.Address)
	switch s.Op {
	case plan.OpAttachRolePolicy, plan.OpAttachUserPolicy, plan.OpDetachRolePolicy, plan.OpDetachUserPolicy:
		msg += " policy " + s.Target[lastSlash(s.Target)+1:]
	case plan.OpAddRoleToProfile, plan.OpRemoveRoleFromProfile:
		msg += " role " + s.Target
	case plan.OpDeleteAccessKey:
		msg = fmt.Sprintf("%s %s", s.Op, r.UserName+" key "+secret.MaskKeyID(s.Target))
	}
	return msg
}

func lastSlash(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return i
		}
	}
	return -1
}

func doc(s plan.Step) *string { return aws.String(string(s.Document)) }

// ignore turns errors that mean "already done" into success.
func ignore(err error, done func(error) bool) error {
	if err != nil && done(err) {
		return nil
	}
	return err
}

// profileFull: the role (ours, from a lost response) is already in it.
func profileFull(err error) bool { return awsclient.ErrorCode(err) == "LimitExceeded" }

func iamTags(m map[string]string) []iamtypes.Tag {
	out := make([]iamtypes.Tag, 0, len(m))
	for _, k := range sortedKeys(m) {
		out = append(out, iamtypes.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

func smTags(m map[string]string) []smtypes.Tag {
	out := make([]smtypes.Tag, 0, len(m))
	for _, k := range sortedKeys(m) {
		out = append(out, smtypes.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

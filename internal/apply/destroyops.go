package apply

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/rciam/rciam/internal/awsclient"
	"github.com/rciam/rciam/internal/plan"
)

// RecoveryWindowDays is how long a destroyed secret can be restored (a
// later apply restores it); the shortest window AWS allows.
const RecoveryWindowDays = 7

// destroyOp runs the removal operations. Each treats "already gone" as done
// (a retried call whose first attempt took effect), and deletes wait out
// DeleteConflict while IAM catches up with the detaches before them.
func (e *Executor) destroyOp(ctx context.Context, s plan.Step) error {
	n, t := aws.String(s.Name), aws.String(s.Target)
	var err error
	switch s.Op {
	case plan.OpDetachRolePolicy:
		_, err = e.IAM.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: n, PolicyArn: t})
	case plan.OpDeleteRoleInline:
		_, err = e.IAM.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: n, PolicyName: t})
	case plan.OpDetachUserPolicy:
		_, err = e.IAM.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: n, PolicyArn: t})
	case plan.OpDeleteUserInline:
		_, err = e.IAM.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: n, PolicyName: t})
	case plan.OpRemoveUserFromGroup:
		_, err = e.IAM.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: n, GroupName: t})
	case plan.OpDeletePolicyVersion:
		_, err = e.IAM.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: n, VersionId: t})
	case plan.OpDeactivateMFA:
		_, err = e.IAM.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: n, SerialNumber: t})
	case plan.OpDeleteSSHKey:
		_, err = e.IAM.DeleteSSHPublicKey(ctx, &iam.DeleteSSHPublicKeyInput{UserName: n, SSHPublicKeyId: t})
	case plan.OpDeleteUserBoundary:
		_, err = e.IAM.DeleteUserPermissionsBoundary(ctx, &iam.DeleteUserPermissionsBoundaryInput{UserName: n})
	case plan.OpDeleteRoleBoundary:
		_, err = e.IAM.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: n})
	case plan.OpDeleteSigningCert:
		_, err = e.IAM.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{UserName: n, CertificateId: t})
	case plan.OpDeleteLoginProfile:
		err = e.withConsistency(ctx, s.ID, func(err error) bool { return awsclient.ErrorCode(err) == "EntityTemporarilyUnmodifiable" },
			func(ctx context.Context) error {
				_, err := e.IAM.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: n})
				return err
			})
	case plan.OpDeletePolicy:
		err = e.withConsistency(ctx, s.ID, stillAttached, func(ctx context.Context) error {
			_, err := e.IAM.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: n})
			return err
		})
	case plan.OpDeleteRole:
		err = e.withConsistency(ctx, s.ID, stillAttached, func(ctx context.Context) error {
			_, err := e.IAM.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: n})
			return err
		})
	case plan.OpDeleteProfile:
		err = e.withConsistency(ctx, s.ID, stillAttached, func(ctx context.Context) error {
			_, err := e.IAM.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: n})
			return err
		})
	case plan.OpDeleteUser:
		err = e.withConsistency(ctx, s.ID, stillAttached, func(ctx context.Context) error {
			_, err := e.IAM.DeleteUser(ctx, &iam.DeleteUserInput{UserName: n})
			return err
		})
	case plan.OpDeleteSecret:
		return e.deleteSecret(ctx, s)
	default:
		return fmt.Errorf("unknown operation %s", s.Op)
	}
	return ignore(err, alreadyGone)
}

func (e *Executor) deleteSecret(ctx context.Context, s plan.Step) error {
	in := &secretsmanager.DeleteSecretInput{SecretId: aws.String(s.Name)}
	if s.ForceDelete {
		in.ForceDeleteWithoutRecovery = aws.Bool(true)
	} else {
		in.RecoveryWindowInDays = aws.Int64(RecoveryWindowDays)
	}
	_, err := e.Secrets.DeleteSecret(ctx, in)
	switch awsclient.ErrorCode(err) {
	case "ResourceNotFoundException":
		return nil
	case "InvalidRequestException":
		// Already scheduled for deletion.
		if !s.ForceDelete {
			return nil
		}
	}
	return err
}

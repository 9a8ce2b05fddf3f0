package testenv

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Organization is an AWS organization inside moto: the management account
// (a fresh Account) and member accounts in OUs under the root.
type Organization struct {
	Management *Account
	ID, Root   string
	// OUs are the OU ids, in the order asked for; Members[ou] the accounts
	// created in each.
	OUs     []string
	Members map[string][]string
	Names   map[string]string // account id → name
}

// MemberRole is the role AWS Organizations makes in every account it
// creates, administrator of it and trusting the management account.
const MemberRole = "OrganizationAccountAccessRole"

// NewOrganization creates an organization in a fresh account, with one OU
// per entry of perOU holding that many new member accounts. Each member's
// MemberRole gets an allow-all policy, as AWS gives it AdministratorAccess
// (so the accounts keep working while moto's auth enforcement is on).
func (m *Moto) NewOrganization(t testing.TB, perOU ...int) *Organization {
	t.Helper()
	mgmt, err := m.NewAccount()
	if err != nil {
		t.Fatal(err)
	}
	m.auth.Lock()
	defer m.auth.Unlock()
	ctx := context.Background()
	c := organizations.NewFromConfig(mgmt.Config())
	org, err := c.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll})
	if err != nil {
		t.Fatal(err)
	}
	roots, err := c.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	o := &Organization{Management: mgmt, ID: aws.ToString(org.Organization.Id), Root: aws.ToString(roots.Roots[0].Id),
		Members: map[string][]string{}, Names: map[string]string{}}
	for i, n := range perOU {
		ou, err := c.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(o.Root), Name: aws.String(fmt.Sprintf("ou-%d", i+1))})
		if err != nil {
			t.Fatal(err)
		}
		ouID := aws.ToString(ou.OrganizationalUnit.Id)
		o.OUs = append(o.OUs, ouID)
		for j := 0; j < n; j++ {
			name := fmt.Sprintf("team-%d-%d", i+1, j+1)
			acct, err := c.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String(name), Email: aws.String(name + "@example.com")})
			if err != nil {
				t.Fatal(err)
			}
			id := aws.ToString(acct.CreateAccountStatus.AccountId)
			if _, err := c.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String(id), SourceParentId: aws.String(o.Root), DestinationParentId: aws.String(ouID)}); err != nil {
				t.Fatal(err)
			}
			o.Members[ouID] = append(o.Members[ouID], id)
			o.Names[id] = name
			// moto makes the role (as AWS does) but attaches no policy to it.
			admin := iam.NewFromConfig(o.MemberConfig(t, id))
			if _, err := admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(MemberRole), PolicyName: aws.String("admin"),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return o
}

// AllMembers returns every member account id, OU by OU.
func (o *Organization) AllMembers() []string {
	var out []string
	for _, ou := range o.OUs {
		out = append(out, o.Members[ou]...)
	}
	return out
}

// MemberConfig returns an SDK config acting in a member account, through
// OrganizationAccountAccessRole assumed from the management account.
func (o *Organization) MemberConfig(t testing.TB, id string) aws.Config {
	t.Helper()
	out, err := sts.NewFromConfig(o.Management.Config()).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + id + ":role/" + MemberRole), RoleSessionName: aws.String("test")})
	if err != nil {
		t.Fatal(err)
	}
	cfg := o.Management.Config()
	cfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken))
	return cfg
}

// Member returns a member account as an Account (its credentials an
// assumed role's), for the checks that read an account back.
func (o *Organization) Member(t testing.TB, id string) *Account {
	t.Helper()
	creds, err := o.MemberConfig(t, id).Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return &Account{ID: id, AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey, SessionToken: creds.SessionToken,
		Endpoint: o.Management.Endpoint, AdminRole: MemberRole}
}

package live

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"golang.org/x/sync/errgroup"

	"github.com/rciam/rciam/internal/awsclient"
	r "github.com/rciam/rciam/internal/resource"
	"github.com/rciam/rciam/internal/secret"
)

// IAM is the part of the IAM API the reader uses.
type IAM interface {
	GetAccountAuthorizationDetails(context.Context, *iam.GetAccountAuthorizationDetailsInput, ...func(*iam.Options)) (*iam.GetAccountAuthorizationDetailsOutput, error)
	ListAccessKeys(context.Context, *iam.ListAccessKeysInput, ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error)
	GetLoginProfile(context.Context, *iam.GetLoginProfileInput, ...func(*iam.Options)) (*iam.GetLoginProfileOutput, error)
	GetInstanceProfile(context.Context, *iam.GetInstanceProfileInput, ...func(*iam.Options)) (*iam.GetInstanceProfileOutput, error)
	GetAccountPasswordPolicy(context.Context, *iam.GetAccountPasswordPolicyInput, ...func(*iam.Options)) (*iam.GetAccountPasswordPolicyOutput, error)
	GetPolicy(context.Context, *iam.GetPolicyInput, ...func(*iam.Options)) (*iam.GetPolicyOutput, error)
	GetAccessKeyLastUsed(context.Context, *iam.GetAccessKeyLastUsedInput, ...func(*iam.Options)) (*iam.GetAccessKeyLastUsedOutput, error)
}

// STS is the part of the STS API the reader uses.
type STS interface {
	GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// Secrets is the part of the Secrets Manager API the reader uses.
type Secrets interface {
	DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
}

// Reader reads the account through narrow API clients.
type Reader struct {
	IAM     IAM
	STS     STS
	Secrets Secrets
	// CloudFormation, when set, finds the stacks that own rciam's entities
	// (State.StackOwned); nil skips that.
	CloudFormation CloudFormation
	Region         string
	// AWSManaged also reads AWS managed policies (verify: an attached AWS
	// managed policy can deny too). Costs pages on real AWS.
	AWSManaged bool
	// AccountID and Partition, when known (a read-back), let the policy tags
	// be read in the first round.
	AccountID, Partition string
	// Carry, when set (apply's read-back), is the run's first snapshot:
	// what apply cannot change — the caller, the account password policy
	// and which CloudFormation stacks own which entities — is taken from it
	// instead of being read again.
	Carry *State
	// Then, when set, runs in the second round beside the reader's own
	// reads, with the first round's snapshot. It must only read the
	// snapshot's names, ARNs and key ids (the second round fills in policy
	// tags and key last-use dates meanwhile).
	Then func(ctx context.Context, s *State) error
}

// Read takes a snapshot in two dependent rounds at most: everything that
// needs no account id at once (caller identity, the authorization details,
// the user's keys and login profile, the instance profile, the secrets, the
// password policy, the CloudFormation stacks), then the tags of rciam's
// managed policies that exist (IAM returns policy tags only per policy),
// when the keys the stored secret does not belong to were last used, and
// the resources of the stacks that exist. On an empty account the second
// round is empty.
func (rd *Reader) Read(ctx context.Context) (*State, error) {
	s := &State{
		Region: rd.Region, Policies: map[string]*Policy{}, Roles: map[string]*Role{}, Users: map[string]*User{},
		Groups: map[string]*Group{}, Profiles: map[string]*Profile{}, Secrets: map[string]*Secret{},
		StackOwned: map[string]string{},
	}
	g, gctx := errgroup.WithContext(ctx)
	if c := rd.Carry; c != nil {
		s.AccountID, s.CallerARN, s.Partition, s.ClockOffset = c.AccountID, c.CallerARN, c.Partition, c.ClockOffset
		s.PasswordPolicy = c.PasswordPolicy
		maps.Copy(s.StackOwned, c.StackOwned)
	} else {
		g.Go(func() error { return rd.caller(gctx, s) })
	}
	g.Go(func() error { return rd.authDetails(gctx, s) })
	var keys []AccessKey
	var login *LoginProfile
	var profile *Profile
	g.Go(func() (err error) { keys, err = rd.keys(gctx); return })
	g.Go(func() (err error) { login, err = rd.login(gctx); return })
	g.Go(func() (err error) { profile, err = rd.profile(gctx); return })
	var stacks []string
	var stackNote string
	if rd.Carry == nil {
		g.Go(func() (err error) { s.PasswordPolicy, err = rd.passwordPolicy(gctx); return })
		g.Go(func() (err error) { stacks, stackNote, err = rd.stacks(gctx); return })
	}
	known := map[string]*Policy{}
	if rd.AccountID != "" {
		for _, name := range []string{r.InstancePolicyName, r.UserPolicyName} {
			p := &Policy{Name: name, ARN: fmt.Sprintf("arn:%s:iam::%s:policy/%s", rd.Partition, rd.AccountID, name)}
			known[name] = p
			g.Go(func() error { return rd.readPolicyTags(gctx, p, true) })
		}
	}
	secrets := make([]*Secret, 2)
	for i, name := range []string{r.KeySecretName, r.PasswordSecretName} {
		g.Go(func() (err error) { secrets[i], err = rd.secret(gctx, name); return })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	s.Keys, s.LoginProfile = keys, login
	if stackNote != "" {
		s.Notes = append(s.Notes, stackNote)
	}
	if profile != nil {
		s.Profiles[key(profile.Name)] = profile
	}
	for _, sec := range secrets {
		if sec != nil {
			s.Secrets[sec.Name] = sec
		}
	}
	s.ReadBooks(time.Now().Add(s.ClockOffset))
	for name, k := range known {
		if p := s.Policy(name); p != nil && k.TagsKnown {
			p.Tags, p.TagsKnown = k.Tags, true
		}
	}
	g, gctx = errgroup.WithContext(ctx)
	finishStacks := rd.stackOwners(gctx, g, s, stacks)
	rd.policyTags(gctx, g, s)
	rd.lastUsed(gctx, g, s)
	if rd.Then != nil {
		g.Go(func() error { return rd.Then(gctx, s) })
	}
	err := g.Wait()
	finishStacks()
	return s, err
}

func (rd *Reader) caller(ctx context.Context, s *State) error {
	start := time.Now()
	out, err := rd.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return awsclient.Wrap("read caller identity (sts:GetCallerIdentity)", err)
	}
	if server, ok := awsmiddleware.GetServerTime(out.ResultMetadata); ok {
		s.ClockOffset = clockOffset(server, start, time.Now())
	}
	s.AccountID, s.CallerARN = aws.ToString(out.Account), aws.ToString(out.Arn)
	s.Partition = PartitionOf(s.CallerARN)
	return nil
}

// PartitionOf is the partition of an ARN ("aws", "aws-cn", …), "aws" when
// arn is not one.
func PartitionOf(arn string) string {
	if parts := strings.SplitN(arn, ":", 3); len(parts) == 3 && parts[0] == "arn" {
		return parts[1]
	}
	return "aws"
}

func (rd *Reader) authDetails(ctx context.Context, s *State) error {
	filter := []iamtypes.EntityType{iamtypes.EntityTypeUser, iamtypes.EntityTypeRole, iamtypes.EntityTypeGroup, iamtypes.EntityTypeLocalManagedPolicy}
	if rd.AWSManaged {
		filter = append(filter, iamtypes.EntityTypeAWSManagedPolicy)
	}
	in := &iam.GetAccountAuthorizationDetailsInput{Filter: filter}
	for {
		out, err := rd.IAM.GetAccountAuthorizationDetails(ctx, in)
		if err != nil {
			return awsclient.Wrap("read account authorization details (iam:GetAccountAuthorizationDetails)", err)
		}
		addDetails(s, out)
		if !out.IsTruncated || out.Marker == nil {
			return nil
		}
		in.Marker = out.Marker
	}
}

func addDetails(s *State, out *iam.GetAccountAuthorizationDetailsOutput) {
	for _, p := range out.Policies {
		pol := &Policy{
			ARN: aws.ToString(p.Arn), Path: aws.ToString(p.Path), Description: aws.ToString(p.Description),
			DefaultVersionID: aws.ToString(p.DefaultVersionId), AttachmentCount: int(aws.ToInt32(p.AttachmentCount)),
			AWSManaged: strings.Contains(aws.ToString(p.Arn), ":iam::aws:policy/"),
		}
		// moto omits PolicyName: the name is the ARN's last segment.
		pol.Name = aws.ToString(p.PolicyName)
		if pol.Name == "" {
			pol.Name = pol.ARN[strings.LastIndex(pol.ARN, "/")+1:]
		}
		for _, v := range p.PolicyVersionList {
			pv := PolicyVersion{ID: aws.ToString(v.VersionId), IsDefault: v.IsDefaultVersion, Created: aws.ToTime(v.CreateDate), Document: Decode(aws.ToString(v.Document))}
			pol.Versions = append(pol.Versions, pv)
			if pv.IsDefault {
				pol.Document = pv.Document
				pol.DefaultVersionID = pv.ID
			}
		}
		s.Policies[key(pol.Name)] = pol
	}
	for _, d := range out.RoleDetailList {
		role := &Role{Name: aws.ToString(d.RoleName), ARN: aws.ToString(d.Arn), Path: aws.ToString(d.Path),
			Trust: Decode(aws.ToString(d.AssumeRolePolicyDocument)), AttachedPolicies: attached(d.AttachedManagedPolicies),
			InlinePolicies: inline(d.RolePolicyList), Boundary: boundary(d.PermissionsBoundary), Tags: tags(d.Tags)}
		s.Roles[key(role.Name)] = role
		for _, ip := range d.InstanceProfileList {
			p := profileOf(ip)
			if _, seen := s.Profiles[key(p.Name)]; !seen {
				s.Profiles[key(p.Name)] = p
			}
		}
	}
	for _, d := range out.UserDetailList {
		u := &User{Name: aws.ToString(d.UserName), ARN: aws.ToString(d.Arn), Path: aws.ToString(d.Path),
			AttachedPolicies: attached(d.AttachedManagedPolicies), InlinePolicies: inline(d.UserPolicyList),
			Groups: d.GroupList, Boundary: boundary(d.PermissionsBoundary), Tags: tags(d.Tags)}
		s.Users[key(u.Name)] = u
	}
	for _, d := range out.GroupDetailList {
		g := &Group{Name: aws.ToString(d.GroupName), ARN: aws.ToString(d.Arn),
			AttachedPolicies: attached(d.AttachedManagedPolicies), InlinePolicies: inline(d.GroupPolicyList)}
		s.Groups[key(g.Name)] = g
	}
}

func (rd *Reader) keys(ctx context.Context) ([]AccessKey, error) {
	var keys []AccessKey
	in := &iam.ListAccessKeysInput{UserName: aws.String(r.UserName)}
	for {
		out, err := rd.IAM.ListAccessKeys(ctx, in)
		if awsclient.IsNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, awsclient.Wrap("list access keys of "+r.UserName+" (iam:ListAccessKeys)", err)
		}
		for _, k := range out.AccessKeyMetadata {
			keys = append(keys, AccessKey{ID: aws.ToString(k.AccessKeyId), Active: k.Status == iamtypes.StatusTypeActive, Created: aws.ToTime(k.CreateDate)})
		}
		if !out.IsTruncated || out.Marker == nil {
			return keys, nil
		}
		in.Marker = out.Marker
	}
}

func (rd *Reader) login(ctx context.Context) (*LoginProfile, error) {
	out, err := rd.IAM.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String(r.UserName)})
	if awsclient.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, awsclient.Wrap("read login profile of "+r.UserName+" (iam:GetLoginProfile)", err)
	}
	return &LoginProfile{Created: aws.ToTime(out.LoginProfile.CreateDate), PasswordResetRequired: out.LoginProfile.PasswordResetRequired}, nil
}

func (rd *Reader) profile(ctx context.Context) (*Profile, error) {
	out, err := rd.IAM.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(r.ProfileName)})
	if awsclient.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, awsclient.Wrap("read instance profile "+r.ProfileName+" (iam:GetInstanceProfile)", err)
	}
	return profileOf(*out.InstanceProfile), nil
}

func (rd *Reader) passwordPolicy(ctx context.Context) (*PasswordPolicy, error) {
	out, err := rd.IAM.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	if awsclient.IsNotFound(err) || awsclient.IsUnavailable(err) {
		return nil, nil
	}
	if err != nil {
		return nil, awsclient.Wrap("read account password policy (iam:GetAccountPasswordPolicy)", err)
	}
	p := out.PasswordPolicy
	return &PasswordPolicy{
		MinLength: int(aws.ToInt32(p.MinimumPasswordLength)), RequireLower: p.RequireLowercaseCharacters,
		RequireUpper: p.RequireUppercaseCharacters, RequireNumbers: p.RequireNumbers, RequireSymbols: p.RequireSymbols,
		MaxAgeDays: int(aws.ToInt32(p.MaxPasswordAge)), HardExpiry: aws.ToBool(p.HardExpiry),
	}, nil
}

func (rd *Reader) secret(ctx context.Context, name string) (*Secret, error) {
	out, err := rd.Secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
	if awsclient.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, awsclient.Wrap("read secret "+name+" (secretsmanager:DescribeSecret)", err)
	}
	sec := &Secret{Name: aws.ToString(out.Name), ARN: aws.ToString(out.ARN), Description: aws.ToString(out.Description),
		Tags: map[string]string{}, Deleted: out.DeletedDate, RotationEnabled: aws.ToBool(out.RotationEnabled)}
	for _, t := range out.Tags {
		sec.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	for id, stages := range out.VersionIdsToStages {
		for _, st := range stages {
			if st == "AWSCURRENT" {
				sec.CurrentVersionID, sec.HasValue = id, true
			}
		}
	}
	return sec, nil
}

// policyTags reads the tags of rciam's managed policies that exist: the
// authorization details carry none.
func (rd *Reader) policyTags(ctx context.Context, g *errgroup.Group, s *State) {
	for _, name := range []string{r.InstancePolicyName, r.UserPolicyName} {
		if p := s.Policy(name); p != nil && !p.TagsKnown {
			g.Go(func() error { return rd.readPolicyTags(ctx, p, false) })
		}
	}
}

// readPolicyTags reads one policy's tags; with mayBeAbsent a missing policy
// is no error (its tags stay unknown).
func (rd *Reader) readPolicyTags(ctx context.Context, p *Policy, mayBeAbsent bool) error {
	out, err := rd.IAM.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(p.ARN)})
	if mayBeAbsent && awsclient.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return awsclient.Wrap("read policy "+p.Name+" (iam:GetPolicy)", err)
	}
	p.Tags, p.TagsKnown = tags(out.Policy.Tags), true
	return nil
}

// lastUsed reads when each key the stored secret does not belong to was
// last used: only a key never used can be proven an orphan of a crashed run.
func (rd *Reader) lastUsed(ctx context.Context, g *errgroup.Group, s *State) {
	stored, _ := s.StoredKey()
	for i := range s.Keys {
		k := &s.Keys[i]
		if k.ID == stored {
			continue
		}
		g.Go(func() error {
			out, err := rd.IAM.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(k.ID)})
			if awsclient.IsNotFound(err) {
				// Deleted since it was listed (another run, or the user):
				// nobody uses it, and deleting it again is a no-op.
				k.LastUsedRead = true
				return nil
			}
			if err != nil {
				return awsclient.Wrap("read last use of access key "+secret.MaskKeyID(k.ID)+" (iam:GetAccessKeyLastUsed)", err)
			}
			if out.AccessKeyLastUsed != nil {
				k.LastUsed = out.AccessKeyLastUsed.LastUsedDate
			}
			k.LastUsedRead = true
			return nil
		})
	}
}

func profileOf(ip iamtypes.InstanceProfile) *Profile {
	p := &Profile{Name: aws.ToString(ip.InstanceProfileName), ARN: aws.ToString(ip.Arn), Tags: tags(ip.Tags)}
	for _, role := range ip.Roles {
		p.Roles = append(p.Roles, aws.ToString(role.RoleName))
	}
	return p
}

func attached(list []iamtypes.AttachedPolicy) []string {
	out := make([]string, 0, len(list))
	for _, a := range list {
		out = append(out, aws.ToString(a.PolicyArn))
	}
	return out
}

func inline(list []iamtypes.PolicyDetail) map[string][]byte {
	out := map[string][]byte{}
	for _, d := range list {
		out[aws.ToString(d.PolicyName)] = Decode(aws.ToString(d.PolicyDocument))
	}
	return out
}

func boundary(b *iamtypes.AttachedPermissionsBoundary) string {
	if b == nil {
		return ""
	}
	return aws.ToString(b.PermissionsBoundaryArn)
}

func tags(list []iamtypes.Tag) map[string]string {
	out := map[string]string{}
	for _, t := range list {
		out[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return out
}

// Decode returns a policy document as JSON: IAM returns documents
// URL-encoded (moto sometimes raw), so decode only what does not already
// look like JSON.
func Decode(doc string) []byte {
	if t := strings.TrimSpace(doc); strings.HasPrefix(t, "{") || t == "" {
		return []byte(doc)
	}
	if d, err := url.QueryUnescape(doc); err == nil {
		return []byte(d)
	}
	return []byte(doc)
}

// String describes the state in one line (for -v).
func (s *State) String() string {
	return fmt.Sprintf("account %s: %d roles, %d users, %d local policies, %d keys", s.AccountID, len(s.Roles), len(s.Users), len(s.Policies), len(s.Keys))
}

// clockOffset is server minus the middle of [sent, received], 0 within
// ClockSlack.
func clockOffset(server, sent, received time.Time) time.Duration {
	d := ClockSkew(server, sent, received)
	if d > -ClockSlack && d < ClockSlack {
		return 0
	}
	return d.Round(time.Second)
}

// ClockSkew is AWS's clock minus this machine's: the Date of an answer
// against the middle of the request's round trip.
func ClockSkew(server, sent, received time.Time) time.Duration {
	return server.Sub(sent.Add(received.Sub(sent) / 2))
}

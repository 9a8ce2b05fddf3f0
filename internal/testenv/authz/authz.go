// Package authz judges a policy document against the requests a run
// actually sent: it maps each request the fault proxy recorded to the IAM
// authorizations AWS checks for it (action and resource ARN, from the AWS
// Service Authorization Reference, including dependent actions such as
// iam:PassRole for AddRoleToInstanceProfile) and evaluates them with
// rciam's policy engine.
//
// The emulator cannot be the judge: its own enforcement treats every
// Resource as "*". This mapping is written independently of
// internal/operator, the code under test.
package authz

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/rciam/rciam/internal/iampolicy"
	"github.com/rciam/rciam/internal/testenv/faults"
)

// Need is one authorization a request needs.
type Need struct {
	Action, Resource string
	// From is the request that needed it ("iam CreateRole redislabs-role").
	From string
}

func (n Need) String() string { return n.Action + " on " + n.Resource }

// noPermission are operations AWS authorizes for everyone.
var noPermission = map[string]bool{"sts:GetCallerIdentity": true}

// iamScope maps IAM actions to the request field naming their resource
// and the ARN path prefix of that resource; actions missing here support
// no resource-level permission ("*").
var iamScope = map[string][2]string{}

func init() {
	for kind, acts := range map[[2]string]string{
		{"PolicyArn", ""}:                            "CreatePolicyVersion DeletePolicyVersion SetDefaultPolicyVersion GetPolicy GetPolicyVersion ListPolicyVersions TagPolicy UntagPolicy DeletePolicy ListEntitiesForPolicy ListPolicyTags",
		{"PolicyName", "policy/"}:                    "CreatePolicy",
		{"RoleName", "role/"}:                        "CreateRole GetRole DeleteRole TagRole UntagRole UpdateRole UpdateRoleDescription UpdateAssumeRolePolicy AttachRolePolicy DetachRolePolicy PutRolePolicy DeleteRolePolicy DeleteRolePermissionsBoundary ListAttachedRolePolicies ListRolePolicies ListRoleTags ListInstanceProfilesForRole",
		{"InstanceProfileName", "instance-profile/"}: "CreateInstanceProfile GetInstanceProfile DeleteInstanceProfile TagInstanceProfile UntagInstanceProfile AddRoleToInstanceProfile RemoveRoleFromInstanceProfile",
		{"UserName", "user/"}:                        "CreateUser GetUser DeleteUser TagUser UntagUser AttachUserPolicy DetachUserPolicy PutUserPolicy DeleteUserPolicy DeleteUserPermissionsBoundary ListAccessKeys CreateAccessKey UpdateAccessKey DeleteAccessKey GetAccessKeyLastUsed CreateLoginProfile GetLoginProfile UpdateLoginProfile DeleteLoginProfile DeleteSigningCertificate ListSigningCertificates DeleteSSHPublicKey ListSSHPublicKeys DeactivateMFADevice ListMFADevices ListGroupsForUser ListAttachedUserPolicies ListUserPolicies DeleteServiceSpecificCredential ListServiceSpecificCredentials",
		{"GroupName", "group/"}:                      "RemoveUserFromGroup AddUserToGroup",
		{"PolicySourceArn", ""}:                      "SimulatePrincipalPolicy",
	} {
		for _, a := range strings.Fields(acts) {
			iamScope[a] = kind
		}
	}
}

// tagOnCreate are the IAM creates whose tags need the entity's tagging
// permission.
var tagOnCreate = map[string]string{"CreateRole": "TagRole", "CreateUser": "TagUser",
	"CreatePolicy": "TagPolicy", "CreateInstanceProfile": "TagInstanceProfile"}

// iamAnything are IAM actions known to support no resource.
var iamAnything = map[string]bool{"GetAccountAuthorizationDetails": true, "GetAccountPasswordPolicy": true,
	"ListPolicies": true, "ListRoles": true, "ListUsers": true, "ListInstanceProfiles": true, "GetAccountSummary": true}

// Needs maps one recorded request to what AWS authorizes for it, in
// account (the account whose credentials signed it). keyOwner names the
// user an access key id belongs to (iam:GetAccessKeyLastUsed is
// authorized on the key's user, which the request does not name). An
// action it does not know is an error: the judge must know every request
// it judges.
func Needs(r faults.Request, account string, keyOwner func(keyID string) string) ([]Need, error) {
	action := r.Service + ":" + r.Action
	from := strings.TrimSpace(r.Service + " " + r.Action + " " + r.Entity)
	one := func(res string) []Need { return []Need{{Action: action, Resource: res, From: from}} }
	if noPermission[action] {
		return nil, nil
	}
	f := r.Fields
	switch r.Service {
	case "iam":
		if iamAnything[r.Action] {
			return one("*"), nil
		}
		scope, ok := iamScope[r.Action]
		if !ok {
			return nil, fmt.Errorf("authz: unknown IAM action %s", action)
		}
		name := f[scope[0]]
		if r.Action == "GetAccessKeyLastUsed" && keyOwner != nil {
			name = keyOwner(f["AccessKeyId"])
		}
		if name == "" {
			return nil, fmt.Errorf("authz: %s without %s", action, scope[0])
		}
		res := name
		if scope[1] != "" {
			res = fmt.Sprintf("arn:aws:iam::%s:%s%s", account, scope[1], name)
		}
		out := one(res)
		if tag, ok := tagOnCreate[r.Action]; ok && f["Tags"] != "" {
			// Tags given on create need the tagging permission too (IAM
			// User Guide, "Permissions required to tag IAM entities").
			out = append(out, Need{Action: "iam:" + tag, Resource: res, From: from})
		}
		if r.Action == "AddRoleToInstanceProfile" {
			// The caller must be allowed to pass the role (IAM API
			// reference, AddRoleToInstanceProfile).
			out = append(out, Need{Action: "iam:PassRole", Resource: fmt.Sprintf("arn:aws:iam::%s:role/%s", account, f["RoleName"]), From: from})
		}
		return out, nil
	case "sts":
		if r.Action == "AssumeRole" && f["RoleArn"] != "" {
			return one(f["RoleArn"]), nil
		}
	case "secretsmanager":
		if r.Action == "ListSecrets" || r.Action == "GetRandomPassword" {
			return one("*"), nil
		}
		id := f["SecretId"]
		if id == "" {
			id = f["Name"]
		}
		if id == "" {
			return nil, fmt.Errorf("authz: %s without SecretId or Name", action)
		}
		res := id
		if !strings.HasPrefix(id, "arn:") {
			// The ARN of a secret ends in a hyphen and six random characters.
			res = fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-AbC123", r.Region, account, id)
		}
		out := one(res)
		if r.Action == "CreateSecret" && f["Tags"] != "" {
			// CreateSecret with tags needs secretsmanager:TagResource (Secrets
			// Manager API reference, CreateSecret).
			out = append(out, Need{Action: "secretsmanager:TagResource", Resource: res, From: from})
		}
		return out, nil
	case "cloudformation":
		switch r.Action {
		case "ListStacks", "DescribeStacks":
			if f["StackName"] == "" {
				return one("*"), nil
			}
			fallthrough
		case "ListStackResources", "DescribeStackResources", "GetTemplate":
			name := f["StackName"]
			if strings.HasPrefix(name, "arn:") {
				return one(name), nil
			}
			return one(fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s/00000000-0000-0000-0000-000000000000", r.Region, account, name)), nil
		}
	case "organizations":
		// Organizations ARNs need the organization id; rciam's document
		// grants them on "*" and this judge does the same.
		return one("*"), nil
	}
	return nil, fmt.Errorf("authz: unknown request %s", action)
}

// Denied evaluates needs against the document and returns those it does
// not allow.
func Denied(doc []byte, needs []Need) ([]Need, error) {
	p, err := iampolicy.Validate(doc, iampolicy.ManagedPolicy)
	if err != nil {
		return nil, err
	}
	return denied(p, needs)
}

func denied(p *iampolicy.Policy, needs []Need) ([]Need, error) {
	c, err := iampolicy.Compile("operator", p)
	if err != nil {
		return nil, err
	}
	in := &iampolicy.Input{Identity: []*iampolicy.Compiled{c}}
	var out []Need
	for _, n := range needs {
		if iampolicy.Evaluate(in, iampolicy.Request{Action: n.Action, Resource: n.Resource}).Decision != iampolicy.Allowed {
			out = append(out, n)
		}
	}
	return out, nil
}

// Unneeded returns the Sids (or #index) of the document's statements
// without which every need is still allowed.
func Unneeded(doc []byte, needs []Need) ([]string, error) {
	p, err := iampolicy.Validate(doc, iampolicy.ManagedPolicy)
	if err != nil {
		return nil, err
	}
	var out []string
	for i := range p.Statements {
		if len(p.Statements) == 1 {
			break
		}
		less := *p
		less.Statements = append(append([]iampolicy.Statement(nil), p.Statements[:i]...), p.Statements[i+1:]...)
		d, err := denied(&less, needs)
		if err != nil {
			return nil, err
		}
		if len(d) == 0 {
			out = append(out, p.Name(i))
		}
	}
	return out, nil
}

// Dedup sorts needs and drops repeats of the same action and resource.
func Dedup(needs []Need) []Need {
	sort.SliceStable(needs, func(i, j int) bool {
		if needs[i].Action != needs[j].Action {
			return needs[i].Action < needs[j].Action
		}
		return needs[i].Resource < needs[j].Resource
	})
	var out []Need
	for i, n := range needs {
		if i > 0 && n.Action == needs[i-1].Action && n.Resource == needs[i-1].Resource {
			continue
		}
		out = append(out, n)
	}
	return out
}

// AccountOf reads the account id encoded in an access key id, as AWS (and
// the emulator) encode it: the 8 base32 characters after the 4-letter
// prefix hold account/2 plus an offset, the next character's half of the
// alphabet whether the account is odd.
func AccountOf(keyID string) (string, bool) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	const offset = 549755813888 // base32 "QAAAAAAA"
	if len(keyID) < 13 {
		return "", false
	}
	var n int64
	for _, c := range keyID[4:12] {
		i := strings.IndexRune(alphabet, c)
		if i < 0 {
			return "", false
		}
		n = n<<5 | int64(i)
	}
	half := n - offset
	odd := strings.IndexByte(alphabet, keyID[12])
	if half < 0 || odd < 0 {
		return "", false
	}
	id := 2 * half
	if odd >= 16 {
		id++
	}
	return fmt.Sprintf("%012d", id), true
}

// Unused returns the actions the document's Allow statements name (as
// written, without wildcards) that no need asks for.
func Unused(doc []byte, needs []Need) []string {
	p, err := iampolicy.Validate(doc, iampolicy.ManagedPolicy)
	if err != nil {
		return nil
	}
	asked := map[string]bool{}
	for _, n := range needs {
		asked[strings.ToLower(n.Action)] = true
	}
	var out []string
	for _, a := range p.Actions() {
		if !asked[strings.ToLower(a)] {
			out = append(out, a)
		}
	}
	return out
}

// Simulator plays iam:SimulatePrincipalPolicy, which the emulator lacks,
// for one principal whose only policy is doc: each action named is
// evaluated on each resource named with rciam's policy engine, and
// answered as IAM answers (the Query protocol's XML). Requests about other
// principals go through to the emulator.
func Simulator(doc []byte, principal string) (faults.Answerer, error) {
	p, err := iampolicy.Validate(doc, iampolicy.ManagedPolicy)
	if err != nil {
		return nil, err
	}
	c, err := iampolicy.Compile("operator", p)
	if err != nil {
		return nil, err
	}
	in := &iampolicy.Input{Identity: []*iampolicy.Compiled{c}}
	return func(r faults.Request, form url.Values) ([]byte, bool) {
		if r.Action != "SimulatePrincipalPolicy" || form.Get("PolicySourceArn") != principal {
			return nil, false
		}
		actions, resources := members(form, "ActionNames"), members(form, "ResourceArns")
		if len(resources) == 0 {
			resources = []string{"*"}
		}
		var b strings.Builder
		b.WriteString(`<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated><EvaluationResults>`)
		for _, a := range actions {
			worst := ""
			var each strings.Builder
			for _, res := range resources {
				d := iampolicy.Evaluate(in, iampolicy.Request{Action: a, Resource: res}).Decision.String()
				if worst == "" || d != "allowed" {
					worst = d
				}
				fmt.Fprintf(&each, "<member><EvalResourceName>%s</EvalResourceName><EvalResourceDecision>%s</EvalResourceDecision></member>", xmlText(res), d)
			}
			fmt.Fprintf(&b, "<member><EvalActionName>%s</EvalActionName><EvalResourceName>%s</EvalResourceName><EvalDecision>%s</EvalDecision><ResourceSpecificResults>%s</ResourceSpecificResults></member>",
				xmlText(a), xmlText(resources[0]), worst, each.String())
		}
		b.WriteString(`</EvaluationResults></SimulatePrincipalPolicyResult><ResponseMetadata><RequestId>simulated</RequestId></ResponseMetadata></SimulatePrincipalPolicyResponse>`)
		return []byte(b.String()), true
	}, nil
}

// members reads a Query-protocol list ("Name.member.1", "Name.member.2"…).
func members(form url.Values, name string) []string {
	var out []string
	for i := 1; ; i++ {
		v := form.Get(fmt.Sprintf("%s.member.%d", name, i))
		if v == "" {
			return out
		}
		out = append(out, v)
	}
}

func xmlText(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

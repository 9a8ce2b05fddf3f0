// Package outputs owns the six outputs Redis Cloud asks for — the names of
// the official CloudFormation template's outputs — their "By hand" and
// "By API" mapping, and the JSON body of POST /v1/cloud-accounts. Secret
// outputs are the secrets' ARNs unless revealed.
package outputs

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"golang.org/x/sync/errgroup"

	"github.com/rciam/rciam/internal/awsclient"
	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/live"
	r "github.com/rciam/rciam/internal/resource"
	"github.com/rciam/rciam/internal/secret"
)

// Outputs are the values Redis Cloud needs.
type Outputs struct {
	AccessKeyID     string
	KeySecretARN    string
	PasswordARN     string
	ConsoleUsername string
	SignInLoginURL  string
	IAMRoleName     string // empty in layout rv

	// Revealed secrets; zero unless Reveal was called.
	AccessSecretKey secret.Value
	ConsolePassword secret.Value
}

// Output is one row of the outputs table (docs/entities.md, "Outputs").
type Output struct {
	Name, ByHand, ByAPI string
	Secret              bool
}

// Table lists the outputs in the table's order.
var Table = []Output{
	{"accessKeyId", "AWS_ACCESS_KEY_ID", "accessKeyId", false},
	{"accessSecretKey", "AWS_SECRET_ACCESS_KEY", "accessSecretKey", true},
	{"consolePassword", "-", "consolePassword", true},
	{"consoleUsername", "-", "consoleUsername", false},
	{"signInLoginUrl", "-", "signInLoginUrl", false},
	{"IAMRoleName", "IAM Role Name", "-", false},
}

// ErrIncomplete is returned when the account lacks something an output
// needs (nothing applied yet, or drift).
type ErrIncomplete struct{ Missing string }

func (e *ErrIncomplete) Error() string {
	return fmt.Sprintf("no outputs yet: %s is missing: run 'rciam apply'", e.Missing)
}

// From builds the outputs from a live snapshot, without secret values.
func From(d *desired.Set, l *live.State) (*Outputs, error) {
	if l.User(r.UserName) == nil {
		return nil, &ErrIncomplete{"user/" + r.UserName}
	}
	keyID, _ := l.StoredKey()
	if keyID == "" || l.Key(keyID) == nil {
		return nil, &ErrIncomplete{"the stored access key of " + r.UserName}
	}
	ks, ps := l.Secrets[r.KeySecretName], l.Secrets[r.PasswordSecretName]
	if !ks.Live() {
		return nil, &ErrIncomplete{"secret/" + r.KeySecretName}
	}
	if !ps.Live() {
		return nil, &ErrIncomplete{"secret/" + r.PasswordSecretName}
	}
	o := &Outputs{AccessKeyID: keyID, KeySecretARN: ks.ARN, PasswordARN: ps.ARN,
		ConsoleUsername: r.UserName, SignInLoginURL: d.SignInURL()}
	if d.HasRole(r.ConsoleRoleName) {
		o.IAMRoleName = r.ConsoleRoleName
	}
	return o, nil
}

// SecretReader reads secret values.
type SecretReader interface {
	GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Reveal reads both secret values (one round, concurrently).
func (o *Outputs) Reveal(ctx context.Context, sm SecretReader) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		v, err := getString(gctx, sm, r.KeySecretName)
		o.AccessSecretKey = v
		return err
	})
	g.Go(func() error {
		v, err := getString(gctx, sm, r.PasswordSecretName)
		if err != nil {
			return err
		}
		var body struct {
			Password string `json:"password"`
		}
		if json.Unmarshal([]byte(v.Reveal()), &body) != nil || body.Password == "" {
			return fmt.Errorf("secret %s is not of the form {\"password\":\"…\"}: run 'rciam apply' to repair it", r.PasswordSecretName)
		}
		o.ConsolePassword = secret.New(body.Password)
		return nil
	})
	return g.Wait()
}

func getString(ctx context.Context, sm SecretReader, name string) (secret.Value, error) {
	out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
	if err != nil {
		return secret.Value{}, awsclient.Wrap("read secret "+name+" (secretsmanager:GetSecretValue)", err)
	}
	return secret.New(aws.ToString(out.SecretString)), nil
}

// Revealed reports whether the secret values were read.
func (o *Outputs) Revealed() bool { return !o.AccessSecretKey.IsZero() }

// Value returns an output by name: a secret's value when revealed, else
// where it is kept (its ARN).
func (o *Outputs) Value(name string) string {
	switch name {
	case "accessKeyId":
		return o.AccessKeyID
	case "accessSecretKey":
		if o.Revealed() {
			return o.AccessSecretKey.Reveal()
		}
		return o.KeySecretARN
	case "consolePassword":
		if o.Revealed() {
			return o.ConsolePassword.Reveal()
		}
		return o.PasswordARN
	case "consoleUsername":
		return o.ConsoleUsername
	case "signInLoginUrl":
		return o.SignInLoginURL
	case "IAMRoleName":
		return o.IAMRoleName
	}
	return ""
}

// APIBody is the body of POST /v1/cloud-accounts (and, with the same
// fields, PUT /v1/cloud-accounts/{id}).
type APIBody struct {
	Name            string `json:"name,omitempty"`
	Provider        string `json:"provider"`
	AccessKeyID     string `json:"accessKeyId"`
	AccessSecretKey string `json:"accessSecretKey"`
	ConsoleUsername string `json:"consoleUsername"`
	ConsolePassword string `json:"consolePassword"`
	SignInLoginURL  string `json:"signInLoginUrl"`
}

// API returns the request body register sends; the outputs must have been
// revealed.
func (o *Outputs) API(name string) (APIBody, error) {
	if !o.Revealed() {
		return APIBody{}, fmt.Errorf("the API body holds secrets: add --show-secrets")
	}
	return APIBody{Name: name, Provider: "AWS", AccessKeyID: o.AccessKeyID, AccessSecretKey: o.AccessSecretKey.Reveal(),
		ConsoleUsername: o.ConsoleUsername, ConsolePassword: o.ConsolePassword.Reveal(), SignInLoginURL: o.SignInLoginURL}, nil
}

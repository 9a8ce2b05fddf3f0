package bookkeeping

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"
)

// fakeSecrets is Secrets Manager for the two secrets: values with version
// ids, tags, scheduled deletion, and the order of every write.
type fakeSecrets struct {
	mu      sync.Mutex
	secrets map[string]*fakeSecret
	calls   []string // "<operation> <secret>" in order
	// fail, when set, fails the named operation once with that code.
	fail map[string]string
}

type fakeSecret struct {
	deleted  bool
	tags     map[string]string
	value    string
	version  string
	versions int
}

func newFake() *fakeSecrets {
	return &fakeSecrets{secrets: map[string]*fakeSecret{}, fail: map[string]string{}}
}

func (f *fakeSecrets) call(op string, id *string) (*fakeSecret, error) {
	f.calls = append(f.calls, op+" "+aws.ToString(id))
	if code, ok := f.fail[op]; ok {
		delete(f.fail, op)
		return nil, &smithy.GenericAPIError{Code: code}
	}
	return f.secrets[aws.ToString(id)], nil
}

func (s *fakeSecret) put(value, token string) string {
	s.versions++
	s.value, s.version = value, token
	if token == "" {
		s.version = "v" + strconv.Itoa(s.versions)
	}
	return s.version
}

func (f *fakeSecrets) CreateSecret(_ context.Context, in *secretsmanager.CreateSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.CreateSecretOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.call("CreateSecret", in.Name)
	switch {
	case err != nil:
		return nil, err
	case s != nil && s.deleted:
		return nil, &smithy.GenericAPIError{Code: "InvalidRequestException"}
	case s != nil:
		return nil, &smithy.GenericAPIError{Code: "ResourceExistsException"}
	}
	s = &fakeSecret{tags: map[string]string{}}
	f.secrets[aws.ToString(in.Name)] = s
	for _, t := range in.Tags {
		s.tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return &secretsmanager.CreateSecretOutput{VersionId: aws.String(s.put(aws.ToString(in.SecretString), aws.ToString(in.ClientRequestToken)))}, nil
}

func (f *fakeSecrets) PutSecretValue(_ context.Context, in *secretsmanager.PutSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.call("PutSecretValue", in.SecretId)
	if err != nil {
		return nil, err
	}
	if s == nil || s.deleted {
		return nil, &smithy.GenericAPIError{Code: "InvalidRequestException"}
	}
	return &secretsmanager.PutSecretValueOutput{VersionId: aws.String(s.put(aws.ToString(in.SecretString), aws.ToString(in.ClientRequestToken)))}, nil
}

func (f *fakeSecrets) RestoreSecret(_ context.Context, in *secretsmanager.RestoreSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.RestoreSecretOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.call("RestoreSecret", in.SecretId)
	if err != nil {
		return nil, err
	}
	if s == nil || !s.deleted {
		return nil, &smithy.GenericAPIError{Code: "InvalidRequestException"}
	}
	s.deleted = false
	return &secretsmanager.RestoreSecretOutput{}, nil
}

func (f *fakeSecrets) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.call("GetSecretValue", in.SecretId)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return nil, &smithy.GenericAPIError{Code: "ResourceNotFoundException"}
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(s.value), VersionId: aws.String(s.version)}, nil
}

func (f *fakeSecrets) UpdateSecretVersionStage(_ context.Context, in *secretsmanager.UpdateSecretVersionStageInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.UpdateSecretVersionStageOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.call("UpdateSecretVersionStage", in.SecretId)
	if err != nil {
		return nil, err
	}
	s.version = aws.ToString(in.MoveToVersionId)
	return &secretsmanager.UpdateSecretVersionStageOutput{}, nil
}

func (f *fakeSecrets) TagResource(_ context.Context, in *secretsmanager.TagResourceInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.TagResourceOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.call("TagResource", in.SecretId)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return nil, &smithy.GenericAPIError{Code: "ResourceNotFoundException"}
	}
	for _, t := range in.Tags {
		s.tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return &secretsmanager.TagResourceOutput{}, nil
}

func (f *fakeSecrets) UntagResource(_ context.Context, in *secretsmanager.UntagResourceInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.UntagResourceOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.call("UntagResource", in.SecretId)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return nil, &smithy.GenericAPIError{Code: "ResourceNotFoundException"}
	}
	if s.deleted {
		return nil, &smithy.GenericAPIError{Code: "InvalidRequestException"}
	}
	for _, k := range in.TagKeys {
		delete(s.tags, k)
	}
	return &secretsmanager.UntagResourceOutput{}, nil
}

// record reads the record from the fake, as the live reader would.
func (f *fakeSecrets) record(now time.Time) Record {
	f.mu.Lock()
	defer f.mu.Unlock()
	view := func(name string) *Secret {
		s := f.secrets[name]
		if s == nil {
			return nil
		}
		tags := map[string]string{}
		for k, v := range s.tags {
			tags[k] = v
		}
		return &Secret{Tags: tags, CurrentVersion: s.version}
	}
	return Read(view("/redislabsuser/secret_access_key"), view("/redislabsuser/password"), nil, now)
}

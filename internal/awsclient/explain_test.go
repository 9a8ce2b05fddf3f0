package awsclient

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// The SDK's configuration errors become one line that says the fix. Not
// parallel: they set the environment the SDK reads.
func TestExplainConfigurationErrors(t *testing.T) {
	dir := t.TempDir()
	cfgFile, credFile := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	_ = os.WriteFile(cfgFile, []byte("[default]\nregion = eu-west-1\n[profile prod]\nregion = us-east-1\n[sso-session corp]\nsso_region = us-east-1\n"), 0o600)
	_ = os.WriteFile(credFile, []byte("[ci]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n"), 0o600)
	t.Setenv("AWS_CONFIG_FILE", cfgFile)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", credFile)
	t.Setenv("AWS_PROFILE", "")
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		env  map[string]string
		o    Options
		want string
	}{
		{"unknown profile", nil, Options{Profile: "nosuch"},
			`AWS profile "nosuch" is not in ` + cfgFile + ` or ` + credFile + ` (profiles there: ci, default, prod): pass one of them with --profile or AWS_PROFILE, or add it with 'aws configure --profile nosuch'`},
		{"invalid region", nil, Options{Region: "us_east_1"},
			`invalid region "us_east_1": give a region such as us-east-1 or eu-west-1 (--region, AWS_REGION or the profile's region)`},
		{"attempts not a number", map[string]string{"AWS_MAX_ATTEMPTS": "abc"}, Options{Region: "us-east-1"},
			`environment variable AWS_MAX_ATTEMPTS="abc" is not valid: set it to a whole number of attempts per call, such as 5, or unset it`},
	} {
		for k, v := range tc.env {
			t.Setenv(k, v)
		}
		_, err := Load(ctx, tc.o)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s:\n got %v\nwant %s", tc.name, err, tc.want)
		}
		for k := range tc.env {
			t.Setenv(k, "")
		}
	}
}

// An endpoint that answers but is not an AWS API, and expired
// credentials, are said in words.
func TestShortExplainsEndpointsAndExpiry(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, ctype, body string
		status            int
		want              string
	}{
		{"not an AWS API", "text/html", "<html>Not Found</html>", 404, " answered HTTP 404, not as an AWS API answers: check --endpoint-url (or AWS_ENDPOINT_URL)"},
		{"expired", "text/xml", `<ErrorResponse><Error><Type>Sender</Type><Code>ExpiredToken</Code><Message>The security token included in the request is expired</Message></Error></ErrorResponse>`, 403,
			"ExpiredToken: the AWS credentials have expired: refresh them ('aws sso login' for an SSO profile, or new session credentials)"},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", tc.ctype)
			w.WriteHeader(tc.status)
			_, _ = w.Write([]byte(tc.body))
		}))
		_, err := sts.NewFromConfig(testConfig(srv.URL)).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
		if got := Short(err); !strings.HasSuffix(got, tc.want) || strings.Contains(got, "UnknownError") {
			t.Errorf("%s: Short = %q", tc.name, got)
		}
		srv.Close()
	}
}

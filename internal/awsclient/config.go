// Package awsclient builds the AWS SDK configuration rciam runs with: the
// standard credential and endpoint chains, one retry policy for every
// service (throttling, 5xx and dropped connections retried with backoff and
// jitter; emulators' "not implemented" pages and refused connections not),
// error classes the rest of rciam decides on, and call recording for -v and
// for the tests that count dependent rounds.
package awsclient

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"
)

// Options are the global flags that shape the AWS configuration.
type Options struct {
	Profile     string
	Region      string
	EndpointURL string
	// APIOptions are added to every client's middleware stack (call
	// recording, verbose logging, tests' fault hooks).
	APIOptions []func(*middleware.Stack) error
	// Credentials replaces the standard chain (tests only).
	Credentials aws.CredentialsProvider
}

// DefaultMaxAttempts is used when AWS_MAX_ATTEMPTS and the profile's
// max_attempts are unset (docs/behaviour.md, "Retries and throttling").
const DefaultMaxAttempts = 5

// ErrNoRegion is returned when no region is configured anywhere.
var ErrNoRegion = errors.New("no AWS region configured: pass --region or set AWS_REGION")

// Load resolves the SDK configuration: credentials from the standard chain
// (env, shared config and SSO profiles, credential_process, IMDS), region,
// endpoints (--endpoint-url over AWS_ENDPOINT_URL_<SERVICE> over
// AWS_ENDPOINT_URL over the profile), and rciam's retry policy.
func Load(ctx context.Context, o Options) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithHTTPClient(httpClient()),
		// The SDK's own log lines (IMDS fallbacks, retries) are not for
		// users: errors are said once, in rciam's words; -v shows calls.
		config.WithLogger(logging.Nop{}),
	}
	if o.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.Profile))
	}
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	if o.Credentials != nil {
		opts = append(opts, config.WithCredentialsProvider(o.Credentials))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, explainLoad(err)
	}
	if cfg.Region == "" {
		return aws.Config{}, ErrNoRegion
	}
	if err := CheckRegion(cfg.Region); err != nil {
		return aws.Config{}, err
	}
	if o.EndpointURL != "" {
		// BaseEndpoint on the config beats every per-service setting.
		cfg.BaseEndpoint = aws.String(o.EndpointURL)
	}
	attempts := cfg.RetryMaxAttempts
	if attempts == 0 {
		attempts = DefaultMaxAttempts
	}
	mode := cfg.RetryMode
	cfg.Retryer = func() aws.Retryer { return NewRetryer(mode, attempts) }
	// Applied by NewRetryer; clearing it stops each client wrapping again.
	cfg.RetryMaxAttempts = 0
	cfg.APIOptions = append(cfg.APIOptions, o.APIOptions...)
	return cfg, nil
}

// NewRetryer returns the SDK's standard (or adaptive) retryer with backoff
// and jitter, without a client-side retry quota (a burst of throttling must
// not turn into "retry quota exceeded"), and with rciam's classification in
// front of the SDK's retryable checks.
func NewRetryer(mode aws.RetryMode, attempts int) aws.Retryer {
	std := func(so *retry.StandardOptions) {
		so.MaxAttempts = attempts
		so.RateLimiter = ratelimit.None
		so.Retryables = append([]retry.IsErrorRetryable{notRetried{}}, retry.DefaultRetryables...)
	}
	if mode == aws.RetryModeAdaptive {
		return retry.NewAdaptiveMode(func(ao *retry.AdaptiveModeOptions) {
			ao.StandardOptions = append(ao.StandardOptions, std)
		})
	}
	return retry.NewStandard(std)
}

// notRetried vetoes retries the SDK would otherwise make: an HTTP 500 whose
// body is not an AWS error document means the operation does not exist on
// this endpoint, and a refused connection or unknown host was already
// retried quickly by the dialer.
type notRetried struct{}

func (notRetried) IsErrorRetryable(err error) aws.Ternary {
	if IsUnavailable(err) || isDialError(err) {
		return aws.FalseTernary
	}
	return aws.UnknownTernary
}

// dialAttempts and dialBackoff bound how long a refused connection is
// retried: well within the 10 s docs/behaviour.md allows before reporting it.
const (
	dialAttempts = 3
	dialBackoff  = 300 * time.Millisecond
	dialTimeout  = 3 * time.Second
)

func httpClient() *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		d := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
		tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			var err error
			for i := 0; i < dialAttempts; i++ {
				var c net.Conn
				if c, err = d.DialContext(ctx, network, addr); err == nil {
					return c, nil
				}
				var dnsErr *net.DNSError
				if errors.As(err, &dnsErr) || ctx.Err() != nil {
					return nil, err
				}
				select {
				case <-ctx.Done():
					return nil, ctx.Err()
				case <-time.After(dialBackoff << i):
				}
			}
			return nil, err
		}
	})
}

// Getenv is os.Getenv, replaceable in tests.
var Getenv = os.Getenv

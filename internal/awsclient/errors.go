package awsclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"regexp"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// ErrorCode returns the AWS error code of err ("NoSuchEntity",
// "ThrottlingException"…), or "" when err is not an AWS API error.
func ErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// IsNotFound reports an entity that does not exist (IAM NoSuchEntity,
// Secrets Manager ResourceNotFoundException).
func IsNotFound(err error) bool {
	switch ErrorCode(err) {
	case "NoSuchEntity", "ResourceNotFoundException":
		return true
	}
	return false
}

// IsAccessDenied reports a refusal by IAM policy.
func IsAccessDenied(err error) bool {
	if deniedCode(ErrorCode(err)) {
		return true
	}
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == 403
}

// deniedCode reports the codes AWS answers a request IAM policy refuses
// with.
func deniedCode(code string) bool {
	switch code {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation":
		return true
	}
	return false
}

// IsUnavailable reports an operation the endpoint does not implement: an
// HTTP 500 whose body is an HTML page rather than an AWS error document
// (docs/emulator.md, "Operations it lacks"). Callers turn the check that needed it into a warning.
func IsUnavailable(err error) bool {
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != 500 || re.Response == nil {
		return false
	}
	ct := strings.ToLower(re.Response.Header.Get("Content-Type"))
	return strings.Contains(ct, "html")
}

func isDialError(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr)
}

// IsConnectivity reports an endpoint that cannot be reached at all.
func IsConnectivity(err error) bool { return isDialError(err) }

// Short renders err as one line for users: the AWS code and message without
// the SDK's request ids and wrapping, or what went wrong on the network.
func Short(err error) string {
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	var re *awshttp.ResponseError
	if errors.As(err, &ae) {
		switch code := ae.ErrorCode(); {
		case code == "UnknownError" && errors.As(err, &re):
			return notAnAWSAPI(re) // the endpoint answered, but not as an AWS API does
		case deniedCode(code):
			return accessDenied(err, ae)
		case expired(code):
			return code + ": the AWS credentials have expired: refresh them ('aws sso login' for an SSO profile, or new session credentials)"
		}
		msg := strings.TrimSpace(ae.ErrorMessage())
		if msg == "" {
			return ae.ErrorCode()
		}
		return ae.ErrorCode() + ": " + oneLine(msg)
	}
	if IsUnavailable(err) {
		return "operation not implemented by this endpoint (HTTP 500 with an HTML page)"
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	var ue *url.Error
	if errors.As(err, &ue) && isDialError(err) {
		host := hostOf(ue.URL)
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) {
			return fmt.Sprintf("cannot reach %s: unknown host", host)
		}
		return fmt.Sprintf("cannot reach %s: connection refused", host)
	}
	if errors.As(err, &re) && re.HTTPStatusCode() != 0 {
		return notAnAWSAPI(re) // an answer without an AWS error document
	}
	if strings.Contains(err.Error(), "failed to retrieve credentials") || strings.Contains(err.Error(), "no EC2 IMDS role found") {
		return "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run 'aws sso login'"
	}
	if errors.As(err, &ue) {
		// No response at all: say what happened to the connection.
		return "no response from " + hostOf(ue.URL) + ": " + transportCause(ue.Err)
	}
	return oneLine(err.Error())
}

// notAnAWSAPI says an endpoint answered, but not as an AWS API answers.
func notAnAWSAPI(re *awshttp.ResponseError) string {
	return fmt.Sprintf("%s answered HTTP %d, not as an AWS API answers: check --endpoint-url (or AWS_ENDPOINT_URL)", endpointOf(re), re.HTTPStatusCode())
}

// expired reports the codes AWS gives for expired credentials.
func expired(code string) bool {
	switch code {
	case "ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired":
		return true
	}
	return false
}

// endpointOf is the scheme and host a response came from.
func endpointOf(re *awshttp.ResponseError) string {
	if re.Response != nil && re.Response.Request != nil && re.Response.Request.URL != nil {
		return hostOf(re.Response.Request.URL.String())
	}
	return "the endpoint"
}

func hostOf(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil {
		return u.Scheme + "://" + u.Host
	}
	return rawURL
}

// transportCause names why a request got no response, without the
// addresses and wrapping of the net errors.
func transportCause(err error) string {
	var op *net.OpError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	case errors.As(err, &op) && op.Err != nil:
		return oneLine(op.Err.Error())
	}
	return oneLine(err.Error())
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\r", " ")
	return strings.ReplaceAll(s, "\n", " ")
}

// CallError is an AWS call that failed, rendered as "<verb> <entity>: <short
// error>" — one line naming what rciam was doing and what AWS said.
type CallError struct {
	Op  string // e.g. "create role redislabs-role"
	Err error
}

func (e *CallError) Error() string { return e.Op + ": " + Short(e.Err) }
func (e *CallError) Unwrap() error { return e.Err }

// Wrap returns a CallError, or nil for a nil err.
func Wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return &CallError{Op: op, Err: err}
}

// deniedPattern reads AWS's AccessDenied message: "User: ARN is not
// authorized to perform: ACTION on resource: RESOURCE because …" (or "with
// an explicit deny in …"); the resource and reason may be missing.
var deniedPattern = regexp.MustCompile(`^(?:User: (\S+) )?is not authorized to perform: (\S+?)(?: on resource: (\S+?))?(?: (because .*|with an explicit deny.*))?\.?$`)

// OperatorPolicyHint says where the permissions rciam needs are written.
const OperatorPolicyHint = "'rciam render --format operator-policy' prints the policy rciam needs"

// accessDenied renders an AccessDenied answer as one line naming the
// action and the resource — from AWS's message, else from the operation —
// and where to find the permissions rciam needs.
func accessDenied(err error, ae smithy.APIError) string {
	var caller, action, resource, why string
	msg := strings.TrimSpace(oneLine(ae.ErrorMessage()))
	if m := deniedPattern.FindStringSubmatch(msg); m != nil {
		caller, action, resource, why = m[1], m[2], m[3], m[4]
	} else if msg != "" {
		why = "AWS: " + strings.TrimSuffix(msg, ".") // e.g. a KMS key the caller may not use
	}
	if action == "" {
		var oe *smithy.OperationError
		if errors.As(err, &oe) {
			action = strings.ToLower(strings.ReplaceAll(oe.ServiceID, " ", "")) + ":" + oe.OperationName
		}
	}
	if caller == "" {
		caller = "the caller"
	}
	if resource == "" {
		resource = "a resource AWS did not name"
	}
	line := fmt.Sprintf("access denied: %s may not perform %s on %s", caller, action, resource)
	if why != "" {
		line += " (" + why + ")"
	}
	return line + "; " + OperatorPolicyHint
}

// Package faults is a deterministic fault-injection layer for rciam's
// integration tests: a reverse proxy on 127.0.0.1 in front of moto_server
// that, per request, adds latency, answers throttling and server errors in
// the shape each AWS protocol uses (Query/XML for IAM, STS and
// CloudFormation, JSON 1.1 for Secrets Manager), resets or drops
// connections, emulates IAM's eventual consistency after a create, calls a
// hook once a request took effect, and records a timeline of what happened.
//
// Both in-process SDK clients (cfg.BaseEndpoint = p.URL, or p.Via(acct))
// and a built rciam binary (AWS_ENDPOINT_URL=p.URL) can be sent through it.
// Request bodies are forwarded unchanged; the timeline holds only services,
// actions and entity names, never a request or response body.
package faults

import (
	"fmt"
	"time"
)

// Kind is one kind of fault.
type Kind int

// The fault kinds. None passes the request through unchanged.
const (
	None               Kind = iota
	Latency                 // delay the request, then forward it
	Throttle                // 400 Throttling (Query) / ThrottlingException (JSON)
	InternalError           // 500 InternalFailure, as an AWS error document
	Unavailable             // 503 ServiceUnavailable, as an AWS error document
	HTMLNotImplemented      // 500 with an HTML page, like an emulator's "not implemented"
	ResetBeforeForward      // reset the connection; the request never reaches moto
	DropAfterForward        // forward, then reset the connection: the effect stays, the response is lost
	NoSuchEntity            // 404 NoSuchEntity (Query) / ResourceNotFoundException (JSON)
	// InvalidClientTokenID is 403 InvalidClientTokenId: STS refusing an
	// access key it does not know (yet).
	InvalidClientTokenID
	// AccessDenied is 403 AccessDenied (Query) / AccessDeniedException
	// (JSON): IAM policy refusing the request. Fault.Message, when set, is
	// the message (AWS's: "User: … is not authorized to perform: ACTION
	// on resource: ARN …").
	AccessDenied
)

var kindNames = [...]string{"None", "Latency", "Throttle", "InternalError", "Unavailable",
	"HTMLNotImplemented", "ResetBeforeForward", "DropAfterForward", "NoSuchEntity", "InvalidClientTokenId", "AccessDenied"}

func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Fault is what the proxy does to one request. Delay is waited before the
// fault acts, whatever its kind; a Latency fault with no Delay waits
// Options.Latency.
type Fault struct {
	Kind  Kind
	Delay time.Duration
	// Message replaces the error message of an error kind.
	Message string
}

// Request is what a Rule sees of a request. It never holds a body.
type Request struct {
	Seq     int    // 1-based order of arrival at the proxy
	Service string // from the SigV4 credential scope: iam, sts, secretsmanager, cloudformation…
	Action  string // Query: form field Action; JSON: X-Amz-Target suffix
	Entity  string // the first of InstanceProfileName, UserName, RoleName, GroupName, PolicyArn, PolicyName, StackName, SecretId, Name given
	Nth     int    // 1-based count of requests so far with this Service, Action and Entity
	Attempt int    // the SDK's attempt number (amz-sdk-request header), 0 when absent
	// Fields are the entity names the request gives (the fields Entity is
	// chosen from), empty ones left out, and "Tags": "yes" when it sets
	// tags.
	Fields map[string]string
	// Region and AccessKey are the SigV4 credential scope's region and the
	// access key id that signed the request.
	Region, AccessKey string
}

// Rule decides the fault for a request; Fault{} lets it through.
type Rule func(Request) Fault

// Event is one request in the timeline.
type Event struct {
	Request
	Fault    Fault     // the fault applied (Kind None when passed through)
	Start    time.Time // when the request headers arrived
	End      time.Time // when the proxy was done with it; zero while in flight
	Upstream int       // moto's HTTP status; 0 when not forwarded or when forwarding failed
	Status   int       // the HTTP status the client got; 0 when the connection was reset or dropped
	Dropped  bool      // the AfterEffect hook dropped the response
	Err      string    // forwarding error, if any
}

// Options configure a Proxy.
type Options struct {
	Seed    int64         // seeds Random
	Latency time.Duration // delay of a Latency fault without its own Delay; default 100ms
}

// RandomRule faults a share rate (0..1) of requests, with a kind chosen
// among kinds (default Throttle, InternalError, Unavailable,
// ResetBeforeForward). The choice is a pure function of the seed and the
// request's Service, Action, Entity and Nth, so the same requests get the
// same faults for the same seed even when independent requests interleave
// differently.
func RandomRule(seed int64, rate float64, latency time.Duration, kinds ...Kind) Rule {
	if len(kinds) == 0 {
		kinds = []Kind{Throttle, InternalError, Unavailable, ResetBeforeForward}
	}
	kinds = append([]Kind(nil), kinds...)
	return func(r Request) Fault {
		h := hashRequest(seed, r)
		if float64(h>>11)/(1<<53) >= rate {
			return Fault{}
		}
		k := kinds[mix64(h)%uint64(len(kinds))]
		if k == Latency {
			return Fault{Kind: Latency, Delay: latency}
		}
		return Fault{Kind: k}
	}
}

func hashRequest(seed int64, r Request) uint64 {
	// FNV-1a over the identifying fields, then a splitmix64 finaliser.
	h := uint64(14695981039346656037) ^ uint64(seed)
	for _, s := range []string{r.Service, "\x00", r.Action, "\x00", r.Entity, "\x00", fmt.Sprint(r.Nth)} {
		for i := 0; i < len(s); i++ {
			h ^= uint64(s[i])
			h *= 1099511628211
		}
	}
	return mix64(h)
}

func mix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

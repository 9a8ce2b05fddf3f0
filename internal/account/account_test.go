package account

import (
	"strings"
	"testing"

	"github.com/rciam/rciam/internal/live"
)

// Root credentials are refused unless allowed, and other partitions always
// (Redis Cloud's account exists only in aws), before anything is written.
func TestCheckCaller(t *testing.T) {
	t.Parallel()
	tg := &Target{}
	root := &live.State{CallerARN: "arn:aws:iam::123456789012:root", Partition: "aws"}
	if err := tg.checkCaller(root); err == nil || !strings.Contains(err.Error(), "--allow-root") {
		t.Errorf("root: %v", err)
	}
	tg.AllowRoot = true
	if err := tg.checkCaller(root); err != nil {
		t.Errorf("root with --allow-root: %v", err)
	}
	if err := tg.checkCaller(&live.State{CallerARN: "arn:aws-cn:iam::123456789012:user/x", Partition: "aws-cn"}); err == nil || !strings.Contains(err.Error(), "aws partition") {
		t.Errorf("aws-cn: %v", err)
	}
}

// The pre-flight simulates the IAM principal behind the caller: a user as
// it is, an assumed-role session as its role; anything else is skipped.
func TestPrincipalARN(t *testing.T) {
	t.Parallel()
	for caller, want := range map[string]string{
		"arn:aws:iam::123456789012:user/admin":                      "arn:aws:iam::123456789012:user/admin",
		"arn:aws:sts::123456789012:assumed-role/Admin/session-name": "arn:aws:iam::123456789012:role/Admin",
		"arn:aws:sts::123456789012:federated-user/alice":            "",
		"arn:aws:iam::123456789012:root":                            "",
		"not an arn":                                                "",
	} {
		if got := principalARN(caller); got != want {
			t.Errorf("principalARN(%s) = %q, want %q", caller, got, want)
		}
	}
}

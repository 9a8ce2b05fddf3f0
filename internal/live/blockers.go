package live

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"golang.org/x/sync/errgroup"

	"github.com/rciam/rciam/internal/awsclient"
	r "github.com/rciam/rciam/internal/resource"
)

// BlockerIAM lists what is attached to a user besides policies and groups.
type BlockerIAM interface {
	ListMFADevices(context.Context, *iam.ListMFADevicesInput, ...func(*iam.Options)) (*iam.ListMFADevicesOutput, error)
	ListSSHPublicKeys(context.Context, *iam.ListSSHPublicKeysInput, ...func(*iam.Options)) (*iam.ListSSHPublicKeysOutput, error)
	ListSigningCertificates(context.Context, *iam.ListSigningCertificatesInput, ...func(*iam.Options)) (*iam.ListSigningCertificatesOutput, error)
}

// UserBlockers are items rciam did not create that stop DeleteUser.
type UserBlockers struct {
	MFADevices   []string // serial numbers
	SSHKeys      []string // key ids
	SigningCerts []string // certificate ids
	// Unavailable names the listings the endpoint does not implement.
	Unavailable []string
}

// ReadUserBlockers lists redislabs-user's MFA devices, SSH keys and signing
// certificates (destroy only: DeleteUser fails while any exists).
func ReadUserBlockers(ctx context.Context, c BlockerIAM) (*UserBlockers, error) {
	b := &UserBlockers{}
	user := aws.String(r.UserName)
	g, gctx := errgroup.WithContext(ctx)
	var unavailable [3]string
	g.Go(func() error {
		out, err := c.ListMFADevices(gctx, &iam.ListMFADevicesInput{UserName: user})
		if err = soft(err, &unavailable[0], "iam:ListMFADevices"); err != nil || out == nil {
			return err
		}
		for _, d := range out.MFADevices {
			b.MFADevices = append(b.MFADevices, aws.ToString(d.SerialNumber))
		}
		return nil
	})
	g.Go(func() error {
		out, err := c.ListSSHPublicKeys(gctx, &iam.ListSSHPublicKeysInput{UserName: user})
		if err = soft(err, &unavailable[1], "iam:ListSSHPublicKeys"); err != nil || out == nil {
			return err
		}
		for _, k := range out.SSHPublicKeys {
			b.SSHKeys = append(b.SSHKeys, aws.ToString(k.SSHPublicKeyId))
		}
		return nil
	})
	g.Go(func() error {
		out, err := c.ListSigningCertificates(gctx, &iam.ListSigningCertificatesInput{UserName: user})
		if err = soft(err, &unavailable[2], "iam:ListSigningCertificates"); err != nil || out == nil {
			return err
		}
		for _, cert := range out.Certificates {
			b.SigningCerts = append(b.SigningCerts, aws.ToString(cert.CertificateId))
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, u := range unavailable {
		if u != "" {
			b.Unavailable = append(b.Unavailable, u)
		}
	}
	return b, nil
}

// soft turns "not found" and "not implemented here" into no error,
// recording the latter.
func soft(err error, unavailable *string, op string) error {
	switch {
	case err == nil || awsclient.IsNotFound(err):
		return nil
	case awsclient.IsUnavailable(err):
		*unavailable = op
		return nil
	}
	return awsclient.Wrap("list "+op+" of "+r.UserName, err)
}

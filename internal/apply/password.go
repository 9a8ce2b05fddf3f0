package apply

import (
	"crypto/rand"
	"math/big"

	"github.com/rciam/rciam/internal/live"
)

// IAM's symbol set for passwords:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html
const (
	lower   = "abcdefghijklmnopqrstuvwxyz"
	upper   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	digits  = "0123456789"
	symbols = "!@#$%^&*()_+-=[]{}|'"
)

// passwordLength is max(30, the policy's minimum), at most IAM's 128.
func passwordLength(p *live.PasswordPolicy) int {
	n := 30
	if p != nil && p.MinLength > n {
		n = p.MinLength
	}
	if n > 128 {
		n = 128
	}
	return n
}

// GeneratePassword returns a console password from crypto/rand that meets
// any account password policy: the required length and at least one
// character of every class (all four, whatever the policy requires).
func GeneratePassword(p *live.PasswordPolicy) (string, error) {
	n := passwordLength(p)
	classes := []string{lower, upper, digits, symbols}
	all := lower + upper + digits + symbols
	out := make([]byte, n)
	for i := range out {
		set := all
		if i < len(classes) {
			set = classes[i]
		}
		c, err := pick(set)
		if err != nil {
			return "", err
		}
		out[i] = c
	}
	// Shuffle so the class-guaranteeing characters are not always first.
	for i := len(out) - 1; i > 0; i-- {
		j, err := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		if err != nil {
			return "", err
		}
		out[i], out[j.Int64()] = out[j.Int64()], out[i]
	}
	return string(out), nil
}

func pick(set string) (byte, error) {
	i, err := rand.Int(rand.Reader, big.NewInt(int64(len(set))))
	if err != nil {
		return 0, err
	}
	return set[i.Int64()], nil
}

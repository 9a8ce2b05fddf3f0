package rediscloud

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rciam/rciam/internal/secret"
)

// FindMatch picks the cloud account rciam's access key belongs to, after
// the caller has tried the id recorded on the key secret (docs/behaviour.md, "Finding the cloud account"):
// the account whose accessKeyId is keyID (prefix and suffix compared when
// the API masks it), else the account named exactly name; the built-in
// account 1 never matches. No match is (nil, nil); more than one at the
// first step that finds any is an error listing their ids.
func FindMatch(accounts []Account, keyID, name string) (*Account, error) {
	var byKey, byName []Account
	for _, a := range accounts {
		if a.ID == internalAccountID {
			continue
		}
		if keyID != "" && SameKeyID(a.AccessKeyID, keyID) {
			byKey = append(byKey, a)
		}
		if name != "" && a.Name == name {
			byName = append(byName, a)
		}
	}
	switch {
	case len(byKey) == 1:
		return &byKey[0], nil
	case len(byKey) > 1:
		return nil, fmt.Errorf("%d cloud accounts hold access key %s: ids %s; delete the extra ones in the Redis Cloud console",
			len(byKey), secret.MaskKeyID(keyID), ids(byKey))
	case len(byName) == 1:
		return &byName[0], nil
	case len(byName) > 1:
		return nil, fmt.Errorf("%d cloud accounts are named %q: ids %s; rename or delete the extra ones in the Redis Cloud console",
			len(byName), name, ids(byName))
	}
	return nil, nil
}

func ids(as []Account) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = strconv.Itoa(a.ID)
	}
	return strings.Join(s, ", ")
}

// SameKeyID reports whether apiID, an access key id as the API shows it,
// is keyID. When the API masks the id (AKIA************WXYZ, AKIA…WXYZ),
// only the visible prefix and suffix are compared, and they must both be
// there.
func SameKeyID(apiID, keyID string) bool {
	if apiID == "" || keyID == "" {
		return false
	}
	if apiID == keyID {
		return true
	}
	first := strings.IndexAny(apiID, "*…•")
	if first < 0 {
		return false
	}
	last := strings.LastIndexAny(apiID, "*…•")
	_, size := utf8.DecodeRuneInString(apiID[last:])
	prefix, suffix := apiID[:first], apiID[last+size:]
	return prefix != "" && suffix != "" && len(prefix)+len(suffix) < len(keyID) &&
		strings.HasPrefix(keyID, prefix) && strings.HasSuffix(keyID, suffix)
}

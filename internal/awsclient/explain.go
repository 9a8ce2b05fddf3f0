package awsclient

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
)

// The AWS SDK's errors for bad configuration, in words that say the fix
// (docs/behaviour.md, "Credentials, endpoints and the caller").

// regionPattern is the shape of every AWS region name (us-east-1,
// ap-southeast-2, us-gov-west-1, cn-north-1, eusc-de-east-1).
var regionPattern = regexp.MustCompile(`^[a-z]{2,4}(-[a-z]+)+-[0-9]+$`)

// CheckRegion refuses a region name AWS cannot have, before any call (the
// SDK would say "failed to bind endpoint params").
func CheckRegion(region string) error {
	if regionPattern.MatchString(region) {
		return nil
	}
	return fmt.Errorf("invalid region %q: give a region such as us-east-1 or eu-west-1 (--region, AWS_REGION or the profile's region)", region)
}

// envValuePattern is the SDK's error for an environment variable it cannot
// read ("invalid value AWS_MAX_ATTEMPTS=abc, strconv.ParseInt: …").
var envValuePattern = regexp.MustCompile(`invalid value (AWS_[A-Z0-9_]+)=([^,]*), (.*)`)

// explainLoad turns an error of loading the configuration into one line
// that says what to fix.
func explainLoad(err error) error {
	var np config.SharedConfigProfileNotExistError
	if errors.As(err, &np) {
		return profileError(np.Profile)
	}
	if m := envValuePattern.FindStringSubmatch(err.Error()); m != nil {
		what := "a valid value"
		switch m[1] {
		case "AWS_MAX_ATTEMPTS":
			what = "a whole number of attempts per call, such as 5"
		case "AWS_RETRY_MODE":
			what = "standard or adaptive"
		}
		return fmt.Errorf("environment variable %s=%q is not valid: set it to %s, or unset it", m[1], m[2], what)
	}
	return fmt.Errorf("load AWS configuration: %w", err)
}

// profileError names the profile that does not exist, the files the SDK
// read and the profiles they hold.
func profileError(profile string) error {
	have := "none"
	if list := Profiles(); len(list) > 0 {
		have = strings.Join(list, ", ")
	}
	return fmt.Errorf("AWS profile %q is not in %s or %s (profiles there: %s): pass one of them with --profile or AWS_PROFILE, or add it with 'aws configure --profile %s'",
		profile, ConfigFile(), credentialsFile(), have, profile)
}

// Profiles lists, sorted, the profiles the shared config and credentials
// files declare (the files AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE
// name, else the SDK's defaults).
func Profiles() []string {
	names := map[string]bool{}
	for _, n := range profilesIn(ConfigFile(), true) {
		names[n] = true
	}
	for _, n := range profilesIn(credentialsFile(), false) {
		names[n] = true
	}
	list := make([]string, 0, len(names))
	for n := range names {
		list = append(list, n)
	}
	sort.Strings(list)
	return list
}

// ConfigFile is the shared config file the SDK reads.
func ConfigFile() string {
	if f := os.Getenv("AWS_CONFIG_FILE"); f != "" {
		return f
	}
	return config.DefaultSharedConfigFilename()
}

func credentialsFile() string {
	if f := os.Getenv("AWS_SHARED_CREDENTIALS_FILE"); f != "" {
		return f
	}
	return config.DefaultSharedCredentialsFilename()
}

// profilesIn lists the profiles a shared config (isConfig: "[profile x]"
// and "[default]") or credentials file ("[x]") declares.
func profilesIn(path string, isConfig bool) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "[") || !strings.HasSuffix(line, "]") {
			continue
		}
		name := strings.TrimSpace(line[1 : len(line)-1])
		if isConfig {
			if rest, ok := strings.CutPrefix(name, "profile "); ok {
				name = strings.TrimSpace(rest)
			} else if name != "default" {
				continue // [sso-session x], [services x]
			}
		}
		out = append(out, name)
	}
	return out
}

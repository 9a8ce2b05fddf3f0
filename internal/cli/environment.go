package cli

import "github.com/spf13/cobra"

// environmentTopic is `rciam help environment`: every variable rciam reads.
func environmentTopic() *cobra.Command {
	return &cobra.Command{
		Use:   "environment",
		Short: "The environment variables rciam reads",
		Long: `The environment variables rciam reads. Flags win over them.

AWS (read by the AWS SDK, as the AWS CLI reads them):
  AWS_PROFILE, AWS_DEFAULT_PROFILE   shared config profile (--profile wins)
  AWS_REGION, AWS_DEFAULT_REGION     region of the two secrets (--region wins)
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
                                     static credentials
  AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE
                                     where the shared config and credentials are
  AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE, AWS_CONTAINER_CREDENTIALS_FULL_URI,
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, AWS_EC2_METADATA_DISABLED
                                     other credential sources
  AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS
                                     endpoints (--endpoint-url wins)
  AWS_RETRY_MODE, AWS_MAX_ATTEMPTS   retry mode and attempts per call (default 5)
  AWS_CA_BUNDLE                      extra CA certificates

rciam:
  RCIAM_POLICY_SOURCE                default policy source: a bundled version's
                                     name (docs-v1) or a base URL
  XDG_CACHE_HOME                     the policy cache is $XDG_CACHE_HOME/rciam
                                     (default ~/.cache/rciam)

Redis Cloud API (register, rotate-key, destroy --deregister, doctor):
  REDISCLOUD_ACCESS_KEY              the account key (x-api-key)
  REDISCLOUD_SECRET_KEY              a user key (x-api-secret-key)
  REDISCLOUD_URL                     the API base, /v1 included (--api-url wins)

Network and terminal:
  HTTPS_PROXY, HTTP_PROXY, NO_PROXY  proxies for AWS, policy fetches and Redis Cloud
  NO_COLOR                           no colour (any value)
  CLICOLOR_FORCE                     colour even when not on a terminal (not 0)
  TERM                               TERM=dumb: no colour`,
	}
}

// Command rciam sets up, checks, repairs, rotates and removes the AWS IAM
// entities Redis Cloud needs in a customer's own AWS account.
package main

import (
	"os"

	"github.com/rciam/rciam/internal/cli"
)

func main() {
	os.Exit(cli.Main())
}

//go:build race

package reliability

// raceBuild: the tests run with -race, so the binary they start is built
// with it too, and a data race in a child fails the run that met it.
const raceBuild = true

// Package reliability holds the tests that prove, on the real rciam binary
// against moto_server behind a fault-injecting proxy, what docs/behaviour.md promises
// under faults, crashes, interrupts, concurrent runs and persistent
// throttling: the account always ends in the exact SPEC state, with no
// orphan key, no lost secret and no secret in any output. What each test
// proves, and the figures of the last full run, are in docs/reliability.md.
package reliability

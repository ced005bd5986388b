//go:build tools

// Package tools records GoToSocial's main package as a dependency of this
// tools module so that go mod tidy keeps every module it needs and
// build.sh can build it with this module's exact versions.
package tools

import _ "github.com/superseriousbusiness/gotosocial/cmd/gotosocial"

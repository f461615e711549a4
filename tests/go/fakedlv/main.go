// fakedlv answers `dlv version` as delve does (cmd/dlv/cmds/commands.go prints
// "Delve Debugger\n" and pkg/version's "Version: X.Y.Z\nBuild: $Id: ... $"), with the
// version from $FAKEDLV_VERSION. Built by a Go toolchain, it carries that toolchain's
// build info, as a real dlv does: the doctor reads which Go built it.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] != "version" {
		fmt.Fprintf(os.Stderr, "Error: unknown command %q for \"dlv\"\n", os.Args[1:])
		os.Exit(1)
	}
	fmt.Printf("Delve Debugger\nVersion: %s\nBuild: $Id: f053895a26cbf22694fcd72ea07b3b5210314ada $\n",
		os.Getenv("FAKEDLV_VERSION"))
}

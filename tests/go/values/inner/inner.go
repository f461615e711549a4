// Package inner gives the values fixture a type whose DWARF name carries an import path
// (wslgo.test/values/inner.Err) while the runtime names it inner.Err.
package inner

import "fmt"

// Err is an error with a code.
type Err struct {
	Code int
}

func (e *Err) Error() string { return fmt.Sprintf("inner error %d", e.Code) }

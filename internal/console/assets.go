package console

import "embed"

// assets are the console's templates (assets/templates) and static files (assets/static: CSS,
// a little JS), built into the binary: the office network may have no internet.
//
//go:embed assets/templates/*.html assets/static
var assets embed.FS

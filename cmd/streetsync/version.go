package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

func newVersionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "显示版本、提交和构建所用的 Go 版本",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			commit := ""
			if bi, ok := debug.ReadBuildInfo(); ok {
				for _, s := range bi.Settings {
					if s.Key == "vcs.revision" {
						commit = s.Value
					}
				}
			}
			if a.format == formatJSON {
				return a.printJSON(map[string]string{"version": version, "commit": commit, "go": runtime.Version()})
			}
			fmt.Fprintf(a.stdout, "streetsync %s %s (%s)\n", version, commit, runtime.Version())
			return nil
		},
	}
}

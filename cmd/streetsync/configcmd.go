package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"streetsync/internal/config"
)

func newConfigCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "configuration commands"}
	cmd.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "validate the configuration and print it with secrets masked; warn about plain-HTTP platforms and over-wide trusted proxies",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			cfg, err := config.Load(a.configPath)
			var ce *config.Error
			if errors.As(err, &ce) {
				if a.format == formatJSON {
					_ = a.printJSON(map[string]any{"valid": false, "file": ce.File, "problems": ce.Problems})
				}
				return &exitError{code: exitUsage, err: err}
			}
			if err != nil {
				return err
			}
			// Valid but unsafe settings are warned about, on stderr in text (stdout stays the
			// effective configuration, YAML), and the exit status stays 0.
			warnings := cfg.Warnings()
			shown := cfg.Display()
			if a.format == formatJSON {
				if warnings == nil {
					warnings = []config.Problem{}
				}
				return a.printJSON(map[string]any{"valid": true, "file": a.configPath, "warnings": warnings, "config": shown})
			}
			for _, w := range warnings {
				fmt.Fprintf(a.stderr, "警告：%s\n", w)
			}
			out, err := yaml.Marshal(shown)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "# 配置有效：%s（以下为生效配置，密钥和地址中的用户名、密码显示为 %s）\n%s", a.configPath, config.Masked, out)
			return nil
		},
	})
	return cmd
}

package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// How the command line speaks when a person gets it wrong or asks for help: cobra's and pflag's
// own words (Usage, Flags, unknown command, invalid argument …) in Chinese, the English command
// and flag names kept. A mistyped command or flag exits 2 naming the closest one.

// speakChinese sets the help, usage and error texts of root and every command under it.
func speakChinese(root *cobra.Command) {
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetUsageFunc(writeUsage)
	root.SetFlagErrorFunc(flagError)
	root.SetHelpCommand(&cobra.Command{
		Use:   "help [命令]",
		Short: "显示某条命令的说明，例如 streetsync help alerts silence",
		RunE: func(c *cobra.Command, args []string) error {
			target, rest, err := c.Root().Find(args)
			if err != nil || target == nil {
				return usageErr("没有这条命令：%s", strings.Join(args, " "))
			}
			if len(rest) > 0 && target.HasSubCommands() {
				return unknownCommand(target, rest[0])
			}
			return target.Help()
		},
	})
	visit(root, func(c *cobra.Command) {
		c.SuggestionsMinimumDistance = 2
		if c.Flags().Lookup("help") == nil {
			c.Flags().BoolP("help", "h", false, "显示这条命令的说明")
		}
		if c.HasSubCommands() && c.Run == nil && c.RunE == nil {
			// A group (queue, alerts …) alone shows its subcommands; followed by a word that is
			// none of them, it is a mistake, not a request for help.
			c.Args = cobra.ArbitraryArgs
			c.RunE = func(c *cobra.Command, args []string) error {
				if len(args) == 0 {
					return c.Help()
				}
				return unknownCommand(c, args[0])
			}
		}
	})
}

func visit(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, sub := range c.Commands() {
		visit(sub, fn)
	}
}

// unknownCommand is a word after a group that names none of its subcommands: exit 2, with the
// closest subcommand when one is close (queue lsit → queue list).
func unknownCommand(c *cobra.Command, name string) error {
	path := commandPath(c)
	if s := c.SuggestionsFor(name); len(s) > 0 {
		return usageErr("没有命令 `%s`。你是不是要 `%s`？（%s --help 列出全部命令）",
			strings.TrimSpace(path+" "+name), strings.TrimSpace(path+" "+s[0]), c.CommandPath())
	}
	var names []string
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() {
			names = append(names, sub.Name())
		}
	}
	return usageErr("没有命令 `%s`。可用的有：%s（%s --help 查看说明）",
		strings.TrimSpace(path+" "+name), strings.Join(names, "、"), c.CommandPath())
}

// commandPath is a command's path without the program's name ("queue list"; "" for the root).
func commandPath(c *cobra.Command) string {
	return strings.TrimSpace(strings.TrimPrefix(c.CommandPath(), c.Root().Name()))
}

// flagError says in Chinese what is wrong with a flag, and which flag was meant.
func flagError(c *cobra.Command, err error) error {
	var (
		notExist *pflag.NotExistError
		required *pflag.ValueRequiredError
		invalid  *pflag.InvalidValueError
		syntax   *pflag.InvalidSyntaxError
	)
	// A mistyped subcommand followed by flags fails on the flags first: name the command.
	if c.HasSubCommands() {
		for _, arg := range c.Flags().Args() {
			if sub, _, ferr := c.Find([]string{arg}); ferr != nil || sub == c {
				return unknownCommand(c, arg)
			}
		}
	}
	help := fmt.Sprintf("（%s --help 列出全部选项）", c.CommandPath())
	switch {
	case errors.As(err, &notExist):
		name := notExist.GetSpecifiedName()
		shown := "--" + name
		if notExist.GetSpecifiedShortnames() != "" {
			shown = "-" + name
		}
		if s := closestFlag(c, name); s != "" {
			return usageErr("`%s` 没有选项 %s。你是不是要 --%s？%s", c.CommandPath(), shown, s, help)
		}
		return usageErr("`%s` 没有选项 %s%s", c.CommandPath(), shown, help)
	case errors.As(err, &required):
		return usageErr("选项 --%s 后面要给出一个值%s", required.GetFlag().Name, help)
	case errors.As(err, &invalid):
		f := invalid.GetFlag()
		return usageErr("选项 --%s 的值 %q 不对：%s", f.Name, invalid.GetValue(), valueHint(f.Value.Type()))
	case errors.As(err, &syntax):
		return usageErr("选项写法不对：%s（选项写作 --名称 值 或 --名称=值）", syntax.GetSpecifiedFlag())
	}
	return usageErr("%v%s", err, help)
}

// valueHint says what a flag of a type takes.
func valueHint(typ string) string {
	switch typ {
	case "duration":
		return "应为时长，如 30s、5m、2h"
	case "int", "int64":
		return "应为整数"
	case "float64", "float32":
		return "应为数字，如 0.1"
	case "bool":
		return "应为 true 或 false"
	}
	return "格式不对"
}

// closestFlag is the flag of c (its own or inherited) whose name is closest to name, when close.
func closestFlag(c *cobra.Command, name string) string {
	best, bestD := "", 3
	seen := func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		d := editDistance(strings.ToLower(name), f.Name)
		if strings.HasPrefix(f.Name, strings.ToLower(name)) && len(name) >= 2 {
			d = min(d, 1)
		}
		if d < bestD || (d == bestD && f.Name < best) {
			best, bestD = f.Name, d
		}
	}
	c.Flags().VisitAll(seen)
	c.InheritedFlags().VisitAll(seen)
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Argument checks in Chinese (cobra's say "accepts 1 arg(s), received 0").

func noArgs(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErr("`%s` 不接受参数，多出了：%s（%s --help 查看用法）", c.CommandPath(), strings.Join(args, " "), c.CommandPath())
	}
	return nil
}

func exactArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) != n {
			return usageErr("`%s` 需要 %d 个参数，实际给了 %d 个。用法：%s", c.CommandPath(), n, len(args), useLine(c))
		}
		return nil
	}
}

func maxArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) > n {
			return usageErr("`%s` 最多接受 %d 个参数，实际给了 %d 个。用法：%s", c.CommandPath(), n, len(args), useLine(c))
		}
		return nil
	}
}

func minArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) < n {
			return usageErr("`%s` 至少需要 %d 个参数。用法：%s", c.CommandPath(), n, useLine(c))
		}
		return nil
	}
}

// useLine is a command's usage line with cobra's "[flags]" said in Chinese.
func useLine(c *cobra.Command) string {
	line := strings.TrimSuffix(c.UseLine(), " [flags]")
	if c.HasAvailableFlags() {
		line += " [选项]"
	}
	return line
}

// writeUsage is cobra's usage text in Chinese.
func writeUsage(c *cobra.Command) error {
	var b strings.Builder
	b.WriteString("用法：")
	if c.Runnable() && !c.HasSubCommands() {
		b.WriteString("\n  " + useLine(c))
	}
	if c.HasAvailableSubCommands() {
		b.WriteString("\n  " + c.CommandPath() + " 子命令 [选项]")
		b.WriteString("\n\n子命令：")
		pad := 0
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() || sub.Name() == "help" {
				pad = max(pad, len(sub.Name()))
			}
		}
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() || sub.Name() == "help" {
				fmt.Fprintf(&b, "\n  %-*s  %s", pad, sub.Name(), sub.Short)
			}
		}
	}
	if c.HasAvailableLocalFlags() {
		b.WriteString("\n\n选项：\n")
		b.WriteString(flagUsages(c.LocalFlags()))
	}
	if c.HasAvailableInheritedFlags() {
		b.WriteString("\n\n全局选项（每条命令都可用）：\n")
		b.WriteString(flagUsages(c.InheritedFlags()))
	}
	if c.HasAvailableSubCommands() {
		fmt.Fprintf(&b, "\n\n“%s 子命令 --help”查看每条子命令的说明。", c.CommandPath())
	}
	b.WriteString("\n")
	_, err := io.WriteString(c.OutOrStdout(), b.String())
	return err
}

// valueNames are how a flag's value is named in the usage when its text does not name it with
// `backquotes`.
var valueNames = map[string]string{
	"string": "文本", "int": "整数", "int64": "整数", "float64": "数字", "duration": "时长", "stringSlice": "列表",
}

// flagUsages lists flags one a line: "  -o, --output 文件   text（默认 …）".
func flagUsages(fs *pflag.FlagSet) string {
	type row struct{ left, usage string }
	var rows []row
	width := 0
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		name, usage := pflag.UnquoteUsage(f)
		if n, ok := valueNames[name]; ok {
			name = n
		}
		left := "      --" + f.Name
		if f.Shorthand != "" {
			left = "  -" + f.Shorthand + ", --" + f.Name
		}
		if f.Value.Type() != "bool" {
			left += " " + name
		}
		if def := f.DefValue; def != "" && def != "false" && def != "0" && def != "0s" && def != "[]" {
			usage += "（默认 " + def + "）"
		}
		rows = append(rows, row{left, usage})
		width = max(width, displayWidth(left))
	})
	var b strings.Builder
	for i, r := range rows {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(r.left + strings.Repeat(" ", width-displayWidth(r.left)+3) + r.usage)
	}
	return b.String()
}

// displayWidth counts a CJK character as two columns, as a terminal shows it.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x1100 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/registry"
	"github.com/spf13/cobra"
)

// newKeysCmd is "shelfwise keys": create, list and revoke API keys.
func (m *Main) newKeysCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Create, list and revoke API keys (roles admin, analyst, app)",
		Long: `keys manages the API keys of the server in the data directory. A key is
256 random bits; only its SHA-256 hash is stored, so the key is printed once,
at creation. Roles: admin (everything), analyst (read everything, trigger
retrains, open the dashboard), app (ingest events, read recommendations and
scores).`,
	}
	var role, name string
	var asJSON bool
	create := &cobra.Command{
		Use:   "create --role ROLE [--name NAME]",
		Short: "Create a key and print it once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return m.withKeys(cmd.Context(), func(k *registry.Keys) error {
				key, secret, err := k.CreateKey(cmd.Context(), shelfwise.Role(role), name)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(m.Stdout, map[string]any{"key": key, "secret": secret})
				}
				fmt.Fprintf(m.Stdout, "%s\n", secret)
				fmt.Fprintf(m.Stderr, "Created %s key %s. This is the only time the key is shown: store it now.\n", key.Role, key.ID)
				return nil
			})
		},
	}
	create.Flags().StringVar(&role, "role", "", "admin, analyst or app")
	create.Flags().StringVar(&name, "name", "", "what the key is for")
	create.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	list := &cobra.Command{
		Use:   "list",
		Short: "List keys (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return m.withKeys(cmd.Context(), func(k *registry.Keys) error {
				keys, err := k.Keys(cmd.Context())
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(m.Stdout, keys)
				}
				tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tROLE\tNAME\tCREATED\tREVOKED")
				for _, key := range keys {
					revoked := ""
					if !key.Revoked.IsZero() {
						revoked = key.Revoked.Format("2006-01-02 15:04")
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", key.ID, key.Role, key.Name, key.Created.Format("2006-01-02 15:04"), revoked)
				}
				return tw.Flush()
			})
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	revoke := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a key (a running server stops accepting it within 10 seconds)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return m.withKeys(cmd.Context(), func(k *registry.Keys) error {
				if err := k.RevokeKey(cmd.Context(), args[0]); err != nil {
					return err
				}
				fmt.Fprintf(m.Stdout, "Revoked %s.\n", args[0])
				return nil
			})
		},
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}

// withKeys opens the registry of the data directory for fn.
func (m *Main) withKeys(ctx context.Context, fn func(*registry.Keys) error) error {
	rdb, err := registry.Open(ctx, m.DataDir)
	if err != nil {
		return err
	}
	defer rdb.Close()
	return fn(registry.NewKeys(rdb))
}

"""Web accounts: users with a role and a tenant scope, passwords, sign-in throttling."""

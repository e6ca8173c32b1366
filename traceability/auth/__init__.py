"""Who is asking (principals from API tokens and sessions) and what they may do (policy)."""

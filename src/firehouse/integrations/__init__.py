"""Outbound to other systems: firebreak executors (Unleash, signed webhooks) and trace sources."""

"""Use cases: load → let the domain decide → save → hand effects to the outbound side."""

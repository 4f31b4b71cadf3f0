"""The scheduler side of the status board: the leader, job syncing and the tick."""

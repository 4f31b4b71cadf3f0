"""The scheduler side of the status board: the leader, one job per incident placed where its duties say, and the
leader's upkeep; what is due is decided by a use case (`usecases.duties`)."""

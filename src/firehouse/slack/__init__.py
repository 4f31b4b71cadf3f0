"""The Slack edge: command grammar, Bolt listeners, Block Kit builders and the Web API gateway."""

"""The pure core: incidents, severity, timeline and naming rules. Standard library only."""

"""The words of `/incident`: per area, each command's dataclass with its parser, usage form and description.

A layer below the use cases, so a use case may take a command as it is; `bolt/table.py` pairs each
subcommand's grammar with its handler and permission.
"""

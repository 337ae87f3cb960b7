"""The `parley` command line: thin Typer wrappers over the domain services."""

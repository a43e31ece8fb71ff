"""Built-in example blocs."""

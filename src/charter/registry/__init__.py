"""The format and its in-memory model: kinds and where each lives, references, versions and times, the YAML
dialect, parsed documents, schemas, findings, registry.yaml, and the index of entries with its references both ways.

Everything else reads what this package defines; it imports nothing of Charter but `charter.errors`.
"""

"""The command line: parses options, calls the core, prints. No registry logic lives here."""

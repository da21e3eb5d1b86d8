"""``chaos`` subcommands contributed by chaosguard (entry-point group ``chaostoolkit.cli_plugins``).

One module per subcommand. Exit codes come from the exception classes in :mod:`chaosguard.cli._exit`,
never from scattered ``sys.exit`` calls.
"""

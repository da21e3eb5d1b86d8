"""The ``chaos`` subcommands of chaosguard: ``cleanup``, ``guard``, ``report``, ``gameday``.

One job: turn a command line into a call of the layers below and their result or error into output
and an exit code (0 all met · 1 deviated · 2 aborted by a guard · 3 refused · 4 error). One module
per subcommand, registered in the entry-point group ``chaostoolkit.cli_plugins``; every command is a
:class:`~chaosguard.cli.boundary.Command` or :class:`~chaosguard.cli.boundary.Group`, so exit codes
come from the exception classes of :mod:`chaosguard.errors` in one place, never from ``sys.exit``.
"""

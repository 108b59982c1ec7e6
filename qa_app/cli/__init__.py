"""The ``qa-app`` command line: main.py is the entry point; one module per command group, named
by capability; support.py holds what every command shares."""

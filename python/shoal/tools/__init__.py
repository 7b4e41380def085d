"""Kafka's command-line tools for Shoal, one module per tool, each adding its subcommand to
``shoal`` (cli.py) with the flags and the output of the Kafka tool it mirrors."""

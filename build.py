"""Entry point for this repository: `python build.py <command>` runs the `postwright` CLI."""

from postwright.cli import main

if __name__ == "__main__":
    main()

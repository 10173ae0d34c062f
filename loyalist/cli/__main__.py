"""``python -m loyalist.cli``."""

from loyalist.cli import main

main()

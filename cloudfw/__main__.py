"""`python -m cloudfw`."""

from cloudfw.cli import main

main()

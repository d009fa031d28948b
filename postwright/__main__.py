from postwright.cli import main

main()
